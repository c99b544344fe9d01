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
    /// (<see cref="Subject.SubjectModel.DefaultHook"/>: blocks.2.hook_resid_post for 4 blocks, blocks.8 for GPT-2 small's 12).</summary>
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

    /// <summary>The k the architectures are matched at (the main TopK SAE's), one of the TopK sweep's values. 16 of d_model 128
    /// is a sparser code, relative to the width, than the paper's 32 of 768 would be at 16.</summary>
    public long MainK { get; init; } = 16;

    /// <summary>
    /// The SAEs to train: per architecture, the values of its sparsity knob (k or lambda) at each width (null widths: only
    /// <see cref="NumLatents"/>). At most one sweep per architecture; TopK and Multi-TopK are required. The TopK sweep's widths
    /// are the scaling grid (at least 4, including NumLatents) and its k values (at least 2, each in [1, the smallest width])
    /// are the grid's other axis; Multi-TopK (L(k) + L(4k)/8) needs 4k &lt;= NumLatents and must include MainK (the
    /// progressive-code comparison uses it). The lambda defaults bracket L0 = 16 at n = 1024 on the built-in model in the
    /// default run (measured: ReLU lambda 0.1 gives L0 38, 0.2 gives 17.5, 0.3 gives 9.6; JumpReLU lambda 0.001 gives L0 22,
    /// 0.005 gives 15.5; Gated lambda 0.4: L0 16, 0.6: L0 9).
    /// </summary>
    public IReadOnlyList<SaeSweep> Sweeps { get; init; } =
    [
        new(SaeRegistry.TopK, [8, 16, 32], [256, 512, 1024, 2048]),
        new(SaeRegistry.BatchTopK, [16]),
        new(SaeRegistry.MultiTopK, [16]),
        new(SaeRegistry.Relu, [0.2, 0.3]),
        new(SaeRegistry.JumpRelu, [1e-3, 5e-3]),
        new(SaeRegistry.Gated, [0.4, 0.6]),
    ];

    /// <summary>The sweep of an architecture, or null when it is not trained.</summary>
    public SaeSweep? SweepOf(SaeArchitecture architecture) => Sweeps?.FirstOrDefault(s => s.Architecture == architecture);

    // Methods, not properties: a config file names the sweeps, never these.

    /// <summary>The TopK sweep's k values, ascending (the scaling grid's k axis).</summary>
    public IReadOnlyList<long> Ks() => SweepOf(SaeRegistry.TopK)?.Values.Select(v => (long)v).OrderBy(k => k).ToList() ?? [];

    /// <summary>The TopK sweep's widths, ascending (the scaling grid's n axis).</summary>
    public IReadOnlyList<long> ScalingLatents() => SweepOf(SaeRegistry.TopK)?.WidthsOr(NumLatents) ?? [];

    /// <summary>JumpReLU's threshold theta at initialisation, > 0. Gemma Scope starts at 0.001 and trains for far longer than
    /// these runs: the thresholds learn as log theta, which Adam moves by about the learning rate per step (0.5 in log
    /// over 256 steps at 2e-3), so in a short run theta stays within a factor of about 1.6 of where it starts and sets L0
    /// more than lambda does. The default starts it at the scale of the normalised pre-activations (1/sqrt(d_model) =
    /// 0.09 for d_model 128); 0.001 leaves most latents active for the whole run (L0 in the hundreds), 0.2 kills half of
    /// them. Used only when <see cref="JumpReluInitialFiringRate"/> is null.</summary>
    public double JumpReluInitialThreshold { get; init; } = 0.1;

    /// <summary>JumpReLU's bandwidth epsilon of the rectangle kernel, > 0 (paper: 0.001 for inputs of unit mean squared
    /// norm, which the per-token unit norm also gives).</summary>
    public double JumpReluBandwidth { get; init; } = 0.001;

    /// <summary>When set, in (0, 1): each JumpReLU threshold starts where its latent fires on this fraction of the
    /// initialisation sample (<see cref="JumpReluSaeConfig.InitialFiringRate"/>), instead of at
    /// <see cref="JumpReluInitialThreshold"/>. Null: the uniform start.
    /// Default 0.05 (L0 about 51 at the start at n = 1024, which training brings to 15-22 for the default lambdas): with
    /// thetas of the papers' 0.001 or one uniform value, a 256-step run cannot move them where lambda would put them.</summary>
    public double? JumpReluInitialFiringRate { get; init; } = 0.05;

    /// <summary>Scale the JumpReLU and Gated encoders at initialisation so reconstructions of the sample match its norms
    /// (<see cref="SaeInit.RescaleEncoderToMatchNorms"/>, the TopK paper's optional init, appendix A; JumpReLU's thresholds
    /// scale along). Both start with hundreds of latents firing (Gated: b_gate = 0 opens half the gates), so their first
    /// reconstructions overshoot the input several times over.
    /// Default on: in 256 steps, undoing that overshoot through Adam's small steps was most of what these runs did
    /// (Gated's normalized MSE at L0 16 halves with it).</summary>
    public bool JumpReluAndGatedRescaleEncoder { get; init; } = true;

    /// <summary>Adam beta1 of the JumpReLU and Gated runs, in [0, 1); null: Gemma Scope's 0 (TopK and ReLU runs use 0.9).
    /// Default 0.9, the same Adam as the TopK runs: with the two inits above it lowers both SAEs' normalized MSE at
    /// L0 16 (without them it leaves latents dead).</summary>
    public double? JumpReluAndGatedBeta1 { get; init; } = 0.9;

    /// <summary>Learning rate of every run, > 0; null: each architecture's own rule
    /// (<see cref="SaeArchitecture.LearningRateRule"/>; TopK: 2e-4 / sqrt(n / 2^14), 1.1e-3 at n = 512, 5.7e-4 at 2048). The TopK rule is for runs that go to convergence; in these runs of a few hundred
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
        MainK = 8,
        Sweeps =
        [
            new(SaeRegistry.TopK, [4, 8, 16], [32, 64, 128, 256]),
            new(SaeRegistry.BatchTopK, [8]),
            new(SaeRegistry.MultiTopK, [8]),
            new(SaeRegistry.Relu, [0.1, 0.3]),
            new(SaeRegistry.JumpRelu, [1e-3, 3e-3]),
            new(SaeRegistry.Gated, [0.3, 0.6]),
        ],
        // In 32 steps the thresholds barely move from where they start, whatever lambda: start them at a rate that lands
        // near L0 = MainK (measured: 0.1 ends at L0 2.8, 0.15 at 7.9-8.6, 0.2 at 15).
        JumpReluInitialFiringRate = 0.15,
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

    /// <summary>The notebooks' "paper" scale: the default sweep trained four times as long (2M tokens in 1,024 steps of 2,048) on
    /// twice the harvest, with more test windows and N2G latents; closer to the papers' converged runs, still the built-in
    /// model's widths. About four times the default's time.</summary>
    public static ReproduceConfig Paper { get; } = new()
    {
        HarvestTokens = 1L << 20,
        TrainingTokens = 1L << 21,
        TestWindows = 256,
        DownstreamWindows = 128,
        N2gLatents = 256,
        N2gTrainWindows = 512,
        AblationSites = 32,
        RefinementTokens = 1024,
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

        CheckSweeps(o);
        ConfigCheck.Positive(JumpReluInitialThreshold, o, nameof(JumpReluInitialThreshold));
        ConfigCheck.Positive(JumpReluBandwidth, o, nameof(JumpReluBandwidth));
        if (JumpReluInitialFiringRate is { } rate) ConfigCheck.Require(rate > 0 && rate < 1, o, nameof(JumpReluInitialFiringRate), rate, "in (0, 1), or null");
        if (JumpReluAndGatedBeta1 is { } beta1) ConfigCheck.Require(beta1 >= 0 && beta1 < 1, o, nameof(JumpReluAndGatedBeta1), beta1, "in [0, 1), or null");
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

    private void CheckSweeps(string o)
    {
        const string field = nameof(Sweeps);
        ConfigCheck.Require(Sweeps is { Count: >= 1 } && Sweeps.All(x => x?.Architecture is not null), o, field, Sweeps?.Count ?? 0,
            "a list of sweeps, each naming its architecture");
        foreach (var group in Sweeps!.GroupBy(x => x.Architecture))
            ConfigCheck.Require(group.Count() == 1, o, field, group.Key.Name, "at most one sweep per architecture");
        foreach (var sweep in Sweeps!)
        {
            var a = sweep.Architecture;
            var name = $"{field}[{a.Name}]";
            var values = sweep.Values ?? [];
            ConfigCheck.Require(values.Count >= 1 && values.Distinct().Count() == values.Count && values.All(a.Knob.IsValid), o, name + ".Values", Format(values),
                a.Knob.IsK ? "at least one value, distinct, each a whole k >= 1" : "at least one value, distinct, each > 0 and finite");
            var widths = sweep.WidthsOr(NumLatents);
            ConfigCheck.Require(widths.Count >= 1 && widths.Distinct().Count() == widths.Count && widths.All(n => n >= 1), o, name + ".Widths", Format(widths), "distinct widths >= 1");
            if (a.Knob.IsK)
                ConfigCheck.Require(values.All(k => k <= widths.Min()), o, name + ".Values", Format(values), $"k values in [1, the smallest width = {widths.Min()}]");
        }
        var topk = SweepOf(SaeRegistry.TopK);
        ConfigCheck.Require(topk is not null, o, field, Format(Sweeps.Select(x => x.Architecture.Name)), "a list with a topk sweep (the scaling grid and the matched k)");
        ConfigCheck.Require(topk!.Values.Count >= 2, o, field + "[topk].Values", Format(topk.Values), "at least 2 distinct k (the scaling grid's k axis)");
        ConfigCheck.Require(ScalingLatents().Count >= 4 && ScalingLatents().Contains(NumLatents), o, field + "[topk].Widths", Format(ScalingLatents()),
            $"at least 4 distinct widths (the scaling grid), including NumLatents = {NumLatents}");
        ConfigCheck.Require(Ks().Contains(MainK), o, nameof(MainK), MainK, $"one of the topk sweep's k = {Format(Ks())}");
        var multi = SweepOf(SaeRegistry.MultiTopK);
        ConfigCheck.Require(multi is not null, o, field, Format(Sweeps.Select(x => x.Architecture.Name)), "a list with a multitopk sweep (the progressive-code comparison)");
        ConfigCheck.Require(multi!.Values.All(k => 4 * k <= NumLatents), o, field + "[multitopk].Values", Format(multi.Values),
            $"values <= NumLatents / 4 = {NumLatents / 4} (Multi-TopK decodes the top 4k)");
        ConfigCheck.Require(multi.Values.Contains(MainK), o, field + "[multitopk].Values", Format(multi.Values), $"a list containing MainK = {MainK} (the progressive-code comparison uses it)");
    }

    private static string Format(IEnumerable<string> names) => "[" + string.Join(", ", names) + "]";

    internal static string Format<T>(IEnumerable<T> values) where T : IFormattable =>
        "[" + string.Join(", ", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture))) + "]";
}

/// <summary>
/// One architecture's part of the reproduction: an SAE for every value of its sparsity knob (k or lambda, see
/// <see cref="SaeArchitecture.Knob"/>) at every width (null: <see cref="ReproduceConfig.NumLatents"/> only).
/// </summary>
public sealed record SaeSweep(SaeArchitecture Architecture, IReadOnlyList<double> Values, IReadOnlyList<long>? Widths = null)
{
    /// <summary>The widths, ascending; <paramref name="numLatents"/> alone when none are given.</summary>
    public IReadOnlyList<long> WidthsOr(long numLatents) => (Widths is { Count: > 0 } w ? w : [numLatents]).OrderBy(n => n).ToList();

    /// <summary>Every run of the sweep, widths ascending, then values ascending.</summary>
    public IEnumerable<SaeRunId> Runs(long numLatents) =>
        from n in WidthsOr(numLatents) from v in Values.OrderBy(v => v) select Architecture.Run(n, v);
}
