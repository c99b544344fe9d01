using System.Globalization;
using SaeWorkbench.Saes;

namespace SaeWorkbench.Experiments;

/// <summary>
/// What <c>sae reproduce</c> runs (<see cref="Reproduction"/>): how many activations are harvested, which SAEs train from
/// the one pass over them, and how much data each metric reads. The experiments are those of Gao et al. 2024 (TopK SAEs,
/// §3-§5) and of the JumpReLU and Gated SAE papers (Rajamanoharan et al. 2024b, 2024a), shrunk to a model of d_model 128 on 2 CPU cores.
/// <see cref="Default"/> takes about ten minutes there, <see cref="Quick"/> about one. Every field is checked by
/// <see cref="Validate"/>, whose message names the field, its value and the allowed range.
/// </summary>
public sealed record ReproduceConfig
{
    // ---- subject and data --------------------------------------------------------------------------------

    /// <summary>Hook point of the SAEs (TransformerLens name); null: the residual stream after the block at 3/4 depth
    /// (<see cref="SubjectModel.DefaultHook"/>: blocks.2.hook_resid_post for 4 blocks, blocks.8 for GPT-2 small's 12).</summary>
    public string? Hook { get; init; }

    /// <summary>Tokens per context window, in [2, the model's n_positions] (64 in every experiment of the TopK paper).</summary>
    public int ContextLength { get; init; } = 64;

    /// <summary>Seed of the synthetic corpus when the model folder has no card naming its own (the built-in model's
    /// card carries its recipe's corpus, which wins).</summary>
    public ulong CorpusSeed { get; init; } = 1;

    /// <summary>Activations harvested for SAE training, from the corpus's validation split (the language model trained on
    /// the train split), rounded down to whole windows; >= ContextLength.</summary>
    public long HarvestTokens { get; init; } = 1L << 19;

    /// <summary>Held-out windows of the corpus's test split on which every metric is measured, >= 2.</summary>
    public int TestWindows { get; init; } = 128;

    /// <summary>Of the test windows, how many the downstream-loss metrics splice into (each run costs four forward passes
    /// over them), in [1, TestWindows].</summary>
    public int DownstreamWindows { get; init; } = 64;

    /// <summary>Drop position 0 of every window from the harvested activations (its residual stream is an outlier: the
    /// first position is an attention sink). Off by default: the TopK paper's per-token normalisation makes the norm
    /// harmless, and the downstream splice replaces every position anyway.</summary>
    public bool SkipFirstPosition { get; init; }

    // ---- SAE training ------------------------------------------------------------------------------------

    /// <summary>Tokens (activation vectors) per optimiser step, >= 1.</summary>
    public long BatchSize { get; init; } = 2048;

    /// <summary>Tokens every SAE trains on, >= BatchSize; above <see cref="HarvestTokens"/> the activations are reused in
    /// a fresh random order each pass.</summary>
    public long TrainingTokens { get; init; } = 1L << 19;

    /// <summary>Input normalisation of every SAE (the same for all, so their errors are measured in one space). Default:
    /// the TopK paper's, subtract the mean over d_model and scale each token to unit norm.</summary>
    public InputNormalization Normalization { get; init; } = InputNormalization.PerTokenUnitNorm;

    /// <summary>n, the latents of the architecture comparison (every architecture at this width), >= 1.</summary>
    public long NumLatents { get; init; } = 1024;

    /// <summary>The k values of the TopK family (TopK, BatchTopK, Multi-TopK at <see cref="NumLatents"/>, and the scaling
    /// grid); at least 2 distinct values, each in [1, the smallest width].</summary>
    public IReadOnlyList<long> Ks { get; init; } = [8, 16, 32];

    /// <summary>The k the architectures are matched at (the main TopK SAE's), one of <see cref="Ks"/>. 16 of d_model 128
    /// is a sparser code, relative to the width, than the paper's 32 of 768 would be at 16.</summary>
    public long MainK { get; init; } = 16;

    /// <summary>Widths n of the TopK scaling grid (x every k in <see cref="Ks"/>), at least 4 distinct values >= 1.</summary>
    public IReadOnlyList<long> ScalingLatents { get; init; } = [256, 512, 1024, 2048];

    /// <summary>Multi-TopK (L(k) + L(4k)/8) is trained at these k (each in <see cref="Ks"/>, 4k &lt;= NumLatents).</summary>
    public IReadOnlyList<long> MultiTopKKs { get; init; } = [16];

    /// <summary>BatchTopK is trained at these k (each in <see cref="Ks"/>).</summary>
    public IReadOnlyList<long> BatchTopKKs { get; init; } = [16];

    /// <summary>ReLU SAE L1 coefficients lambda (a sweep gives its L0-MSE frontier), each > 0. The defaults bracket L0 = 16
    /// at n = 1024 on the built-in model in the default run (measured: lambda 0.1 gives L0 38, 0.2 gives 17, 0.4 gives 5.5), as
    /// do the JumpReLU defaults (theta 0.1: lambda 0.01 gives L0 14) and the Gated ones (lambda 0.3: L0 30, 0.6: L0 9).</summary>
    public IReadOnlyList<double> ReluL1Coefficients { get; init; } = [0.1, 0.3];

    /// <summary>JumpReLU SAE L0 coefficients lambda, each > 0.</summary>
    public IReadOnlyList<double> JumpReluL0Coefficients { get; init; } = [1e-3, 1e-2];

    /// <summary>JumpReLU's threshold theta at initialisation, > 0. Gemma Scope starts at 0.001 and trains for far longer than
    /// these runs: the thresholds learn as log theta, which Adam moves by about the learning rate per step (0.5 in log
    /// over 256 steps at 2e-3), so in a short run theta stays within a factor of about 1.6 of where it starts and sets L0
    /// more than lambda does. The default starts it at the scale of the normalised pre-activations (1/sqrt(d_model) =
    /// 0.09 for d_model 128); 0.001 leaves most latents active for the whole run (L0 in the hundreds), 0.2 kills half of
    /// them.</summary>
    public double JumpReluInitialThreshold { get; init; } = 0.1;

    /// <summary>JumpReLU's bandwidth epsilon of the rectangle kernel, > 0 (paper: 0.001 for inputs of unit mean squared
    /// norm, which the per-token unit norm also gives).</summary>
    public double JumpReluBandwidth { get; init; } = 0.001;

    /// <summary>Gated SAE L1 coefficients lambda, each > 0.</summary>
    public IReadOnlyList<double> GatedL1Coefficients { get; init; } = [0.3, 0.6];

    /// <summary>Learning rate of every run, > 0; null: the TopK paper's rule 2e-4 / sqrt(n / 2^14) at each run's width
    /// (1.1e-3 at n = 512, 5.7e-4 at 2048). The rule is for runs that go to convergence; in these runs of a few hundred
    /// steps it leaves the wider SAEs the least trained, so the default is one larger rate for every run (measured on the
    /// stand-in model: lower normalized MSE at every width and architecture than the rule gave).</summary>
    public double? LearningRate { get; init; } = 2e-3;

    /// <summary>Fraction of the steps over which JumpReLU and Gated warm their learning rate up (Gemma Scope: a cosine
    /// warm-up from 0.1 lr over 1,000 of its steps), in [0, 1].</summary>
    public double WarmupFraction { get; init; } = 0.05;

    /// <summary>Fraction of the steps over which the sparsity coefficient lambda of ReLU, JumpReLU and Gated rises linearly
    /// from 0 (Gemma Scope: 10,000 of its steps; Anthropic: 5%), in [0, 1].</summary>
    public double SparsityWarmupFraction { get; init; } = 0.1;

    /// <summary>A latent is dead when it has not fired in this many training tokens (TopK paper: 10M of its much longer
    /// runs); AuxK revives dead latents, so the window must be well below <see cref="TrainingTokens"/>. In [1, TrainingTokens].</summary>
    public long DeadWindowTokens { get; init; } = 1L << 17;

    /// <summary>Seed of every SAE's initialisation (run i uses Seed + i), of the shuffled reading order and of the samples
    /// the metrics draw.</summary>
    public ulong Seed { get; init; } = 1;

    // ---- metrics -----------------------------------------------------------------------------------------

    /// <summary>Test-time k' of the progressive-code sweep (TopK and Multi-TopK), each >= 1 (values above n are dropped).</summary>
    public IReadOnlyList<long> ProgressiveKs { get; init; } = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    /// <summary>A probe task is kept when its test tokens hold at least this many positives and this many negatives in
    /// both the probes' training part and their held-out part, >= 1.</summary>
    public int ProbeMinPositives { get; init; } = 10;

    /// <summary>Every this-many-th test window is held out to score the probes (the others fit them), >= 2.</summary>
    public int ProbeHeldOutEvery { get; init; } = 5;

    /// <summary>Randomly chosen live latents of the main TopK SAE that N2G explains (the probe winners are explained on
    /// top), >= 1.</summary>
    public int N2gLatents { get; init; } = 128;

    /// <summary>Training windows (the start of the SAE training data) from which N2G picks each latent's examples, >= 1.</summary>
    public int N2gTrainWindows { get; init; } = 256;

    /// <summary>Top activating examples per latent (N2G), >= 1.</summary>
    public int N2gTopExamples { get; init; } = 20;

    /// <summary>Random activating examples per latent (N2G), >= 0.</summary>
    public int N2gRandomExamples { get; init; } = 20;

    /// <summary>Token positions sampled for the sparsity of ablation effects, per SAE, >= 1.</summary>
    public int AblationSites { get; init; } = 16;

    /// <summary>Positions whose logits the ablation effects are recorded at (the ablated one and the next T - 1; 16 by
    /// default: the paper's text does not state T), in [1, ContextLength].</summary>
    public int AblationPositions { get; init; } = 16;

    /// <summary>Test tokens whose latent values are refined (shrinkage), >= 1.</summary>
    public int RefinementTokens { get; init; } = 512;

    /// <summary>Projected-gradient iterations cap of the refinement, >= 1.</summary>
    public int RefinementIterations { get; init; } = 2000;

    // ---- presets -----------------------------------------------------------------------------------------

    /// <summary>The full run, about ten minutes on 2 CPU cores for the built-in model (d_model 128): 512k training tokens in
    /// 256 steps of 2,048 for 20 SAEs (the TopK grid n 256-2048 x k 8, 16, 32; BatchTopK and Multi-TopK at k 16; two lambdas
    /// each of ReLU, JumpReLU and Gated at n 1024), every metric on 128 test windows, N2G on 128 latents.</summary>
    public static ReproduceConfig Default { get; } = new();

    /// <summary>Every experiment at a smoke-test scale, about a minute on 2 CPU cores: 64k training tokens (32 steps), widths
    /// 32-256, two lambdas per penalty architecture, 16 N2G latents. The numbers are noisy and the SAEs far from
    /// converged; the shapes of the results and the page are those of the full run.</summary>
    public static ReproduceConfig Quick { get; } = new()
    {
        HarvestTokens = 1L << 16,
        TrainingTokens = 1L << 16,
        BatchSize = 2048,
        TestWindows = 32,
        DownstreamWindows = 16,
        NumLatents = 128,
        Ks = [4, 8, 16],
        MainK = 8,
        ScalingLatents = [32, 64, 128, 256],
        MultiTopKKs = [8],
        BatchTopKKs = [8],
        ReluL1Coefficients = [0.1, 0.3],
        JumpReluL0Coefficients = [1e-3, 1e-2],
        GatedL1Coefficients = [0.3, 0.6],
        DeadWindowTokens = 1L << 14,
        ProgressiveKs = [1, 2, 4, 8, 16, 32, 64],
        ProbeMinPositives = 5,
        N2gLatents = 16,
        N2gTrainWindows = 64,
        N2gTopExamples = 10,
        N2gRandomExamples = 10,
        AblationSites = 4,
        RefinementTokens = 128,
        RefinementIterations = 300,
    };

    /// <summary>Checks every field; throws <see cref="ArgumentOutOfRangeException"/> naming the first bad one.</summary>
    public void Validate()
    {
        const string o = nameof(ReproduceConfig);
        if (Hook is not null) ConfigCheck.Require(!string.IsNullOrWhiteSpace(Hook), o, nameof(Hook), "\"" + Hook + "\"", "a hook name such as blocks.2.hook_resid_post, or null for the default");
        ConfigCheck.Require(ContextLength >= 2, o, nameof(ContextLength), ContextLength, ">= 2");
        ConfigCheck.Require(HarvestTokens >= ContextLength, o, nameof(HarvestTokens), HarvestTokens, $">= ContextLength = {ContextLength} (one window)");
        ConfigCheck.Require(TestWindows >= 2, o, nameof(TestWindows), TestWindows, ">= 2");
        ConfigCheck.Require(DownstreamWindows >= 1 && DownstreamWindows <= TestWindows, o, nameof(DownstreamWindows), DownstreamWindows, $"in [1, TestWindows = {TestWindows}]");
        ConfigCheck.Positive(BatchSize, o, nameof(BatchSize));
        ConfigCheck.Require(TrainingTokens >= BatchSize, o, nameof(TrainingTokens), TrainingTokens, $">= BatchSize = {BatchSize}");
        ConfigCheck.Require(Enum.IsDefined(Normalization), o, nameof(Normalization), Normalization, "one of " + string.Join(", ", Enum.GetNames<InputNormalization>()));
        ConfigCheck.Positive(NumLatents, o, nameof(NumLatents));

        CheckList(Ks, nameof(Ks), 2);
        CheckList(ScalingLatents, nameof(ScalingLatents), 4);
        foreach (var n in ScalingLatents) ConfigCheck.Require(n >= 1, o, nameof(ScalingLatents), Format(ScalingLatents), "widths >= 1");
        var narrowest = Math.Min(NumLatents, ScalingLatents.Min());
        foreach (var k in Ks) ConfigCheck.Require(k >= 1 && k <= narrowest, o, nameof(Ks), Format(Ks), $"values in [1, the smallest width = {narrowest}]");
        ConfigCheck.Require(Ks.Contains(MainK), o, nameof(MainK), MainK, $"one of Ks = {Format(Ks)}");
        foreach (var k in MultiTopKKs)
        {
            ConfigCheck.Require(Ks.Contains(k), o, nameof(MultiTopKKs), Format(MultiTopKKs), $"values among Ks = {Format(Ks)}");
            ConfigCheck.Require(4 * k <= NumLatents, o, nameof(MultiTopKKs), Format(MultiTopKKs), $"values <= NumLatents / 4 = {NumLatents / 4} (Multi-TopK decodes the top 4k)");
        }
        ConfigCheck.Require(MultiTopKKs.Distinct().Count() == MultiTopKKs.Count, o, nameof(MultiTopKKs), Format(MultiTopKKs), "distinct values");
        ConfigCheck.Require(MultiTopKKs.Contains(MainK), o, nameof(MultiTopKKs), Format(MultiTopKKs), $"a list containing MainK = {MainK} (the progressive-code comparison uses it)");
        foreach (var k in BatchTopKKs) ConfigCheck.Require(Ks.Contains(k), o, nameof(BatchTopKKs), Format(BatchTopKKs), $"values among Ks = {Format(Ks)}");
        ConfigCheck.Require(BatchTopKKs.Count >= 1 && BatchTopKKs.Distinct().Count() == BatchTopKKs.Count, o, nameof(BatchTopKKs), Format(BatchTopKKs), "at least one value, distinct");
        CheckLambdas(ReluL1Coefficients, nameof(ReluL1Coefficients));
        CheckLambdas(JumpReluL0Coefficients, nameof(JumpReluL0Coefficients));
        CheckLambdas(GatedL1Coefficients, nameof(GatedL1Coefficients));
        ConfigCheck.Positive(JumpReluInitialThreshold, o, nameof(JumpReluInitialThreshold));
        ConfigCheck.Positive(JumpReluBandwidth, o, nameof(JumpReluBandwidth));
        if (LearningRate is { } lr) ConfigCheck.Positive(lr, o, nameof(LearningRate));
        ConfigCheck.InRange(WarmupFraction, 0, 1, o, nameof(WarmupFraction));
        ConfigCheck.InRange(SparsityWarmupFraction, 0, 1, o, nameof(SparsityWarmupFraction));
        ConfigCheck.Require(DeadWindowTokens >= 1 && DeadWindowTokens <= TrainingTokens, o, nameof(DeadWindowTokens), DeadWindowTokens, $"in [1, TrainingTokens = {TrainingTokens}]");

        ConfigCheck.Require(ProgressiveKs is { Count: >= 1 } && ProgressiveKs.All(k => k >= 1), o, nameof(ProgressiveKs), Format(ProgressiveKs ?? []), "at least one value, each >= 1");
        ConfigCheck.Require(ProbeMinPositives >= 1, o, nameof(ProbeMinPositives), ProbeMinPositives, ">= 1");
        ConfigCheck.Require(ProbeHeldOutEvery >= 2, o, nameof(ProbeHeldOutEvery), ProbeHeldOutEvery, ">= 2");
        ConfigCheck.Require(N2gLatents >= 1, o, nameof(N2gLatents), N2gLatents, ">= 1");
        ConfigCheck.Require(N2gTrainWindows >= 1, o, nameof(N2gTrainWindows), N2gTrainWindows, ">= 1");
        ConfigCheck.Require(N2gTopExamples >= 1, o, nameof(N2gTopExamples), N2gTopExamples, ">= 1");
        ConfigCheck.Require(N2gRandomExamples >= 0, o, nameof(N2gRandomExamples), N2gRandomExamples, ">= 0");
        ConfigCheck.Require(AblationSites >= 1, o, nameof(AblationSites), AblationSites, ">= 1");
        ConfigCheck.Require(AblationPositions >= 1 && AblationPositions <= ContextLength, o, nameof(AblationPositions), AblationPositions, $"in [1, ContextLength = {ContextLength}]");
        ConfigCheck.Require(RefinementTokens >= 1, o, nameof(RefinementTokens), RefinementTokens, ">= 1");
        ConfigCheck.Require(RefinementIterations >= 1, o, nameof(RefinementIterations), RefinementIterations, ">= 1");
    }

    /// <summary>Optimiser steps of every run.</summary>
    public long Steps => (TrainingTokens + BatchSize - 1) / BatchSize;

    private static void CheckList(IReadOnlyList<long>? values, string field, int minDistinct)
    {
        ConfigCheck.Require(values is not null && values.Count >= minDistinct && values.Distinct().Count() == values.Count,
            nameof(ReproduceConfig), field, Format(values ?? []), $"at least {minDistinct} distinct values");
    }

    private static void CheckLambdas(IReadOnlyList<double>? values, string field)
    {
        ConfigCheck.Require(values is { Count: >= 1 } && values.All(v => v > 0 && double.IsFinite(v)) && values.Distinct().Count() == values.Count,
            nameof(ReproduceConfig), field, Format(values ?? []), "at least one value, each > 0 and finite, distinct");
    }

    internal static string Format<T>(IEnumerable<T> values) where T : IFormattable =>
        "[" + string.Join(", ", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture))) + "]";
}
