using System.Text.Json.Serialization;
using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;
using SaeWorkbench.Subject;

namespace SaeWorkbench.Experiments;

/// <summary>Wall time of one step of the reproduction.</summary>
public sealed record StepTiming(string Step, double Seconds);

/// <summary>Section 1: the subject model, its card when it has one, and its loss on the test windows against n-gram
/// baselines counted on the SAE training windows.</summary>
/// <remarks><list type="bullet">
/// <item><term>Test</term><description>Next-token loss and accuracy on the test windows (all of them), beside unigram and bigram baselines.</description></item>
/// </list></remarks>
public sealed record SubjectResult(
    string ModelDirectory, string ModelId, string Hook, int Layers, int DModel, int Heads, int ContextLength, int VocabSize,
    long Parameters, long DIn, BuiltinModelCard? Card, LanguageModelScore Test, string Corpus, int PadTokenId, string PadToken);

/// <summary>Section 2: the activations harvested at the hook.</summary>
/// <remarks><list type="bullet">
/// <item><term>TrainTokens</term><description>Activation vectors for SAE training (validation split).</description></item>
/// <item><term>TestTokens</term><description>Activation vectors for evaluation (test split).</description></item>
/// <item><term>Normalization</term><description>The SAEs' input normalisation (the same for all of them).</description></item>
/// <item><term>MeanNorm</term><description>Mean L2 norm of the raw training activations.</description></item>
/// <item><term>MeanNormFirstPosition</term><description>The same at position 0 of each window (the attention sink), NaN when skipped.</description></item>
/// <item><term>MeanNormOtherPositions</term><description>The same at the other positions.</description></item>
/// <item><term>MeanSquaredNormAfterNormalization</term><description>E ||x_norm||^2 of the normalised training activations.</description></item>
/// <item><term>VarianceAfterNormalization</term><description>E ||x_norm - mean(x_norm)||^2: the normalized MSE's denominator.</description></item>
/// <item><term>MeanNormByPosition</term><description>Mean L2 norm of the raw training activations at each window position (NaN where none).</description></item>
/// </list></remarks>
public sealed record HarvestResult(
    long TrainTokens, long TrainWindows, long TrainDocuments, long TestTokens, int TestWindows, long TestDocuments,
    double TokensPerSecond, string Normalization, string NormalizationFormula, double MeanNorm, double MeanNormFirstPosition,
    double MeanNormOtherPositions, double MeanSquaredNormAfterNormalization, double VarianceAfterNormalization, double[] MeanNormByPosition);

/// <summary>A run's training curve, at most about 100 points: the reconstruction loss term ("nmse" for the TopK family,
/// "mse" otherwise) and L0 of the training batch, by step.</summary>
public sealed record TrainingCurve(string LossTerm, long[] Steps, double[] Loss, double[] L0);

/// <summary>One trained SAE of the shared pass.</summary>
/// <remarks><list type="bullet">
/// <item><term>Run</term><description>The architecture, width and sparsity knob (k for the TopK family, lambda for relu, jumprelu and gated).</description></item>
/// </list></remarks>
public sealed record SaeRunTraining(
    SaeRunId Run, double LearningRate, long Steps, long Tokens,
    bool Diverged, string? Message, IReadOnlyDictionary<string, double> FinalLosses, double DeadFraction, TrainingCurve Curve);

/// <summary>Section 3 (training): every SAE trained from one pass over the harvested activations.</summary>
public sealed record TrainingResult(long StepsPerRun, long TokensPerRun, long BatchSize, double Seconds, double TokensPerSecond, IReadOnlyList<SaeRunTraining> Runs);

/// <summary>One SAE measured on the test activations: reconstruction (in the normalised space) and downstream loss.</summary>
/// <remarks><list type="bullet">
/// <item><term>NormalizedMse</term><description>mean ||x - x_hat||^2 / mean ||x - mean(x)||^2 on the test tokens (= 1 - explained variance).</description></item>
/// <item><term>DeadFraction</term><description>Latents that fired on none of the test tokens.</description></item>
/// <item><term>DenseFraction</term><description>Latents that fired on more than 10% of them.</description></item>
/// </list></remarks>
public sealed record SaeRunEvaluation(
    SaeRunId Run, bool Diverged,
    double L0, double NormalizedMse, double ExplainedVariance, double DeadFraction, double DenseFraction, DownstreamLossResult? Downstream);

/// <summary>Section 3: the architectures at matched sparsity (per architecture, the run at NumLatents whose test L0 is nearest
/// MainK), beside every run of that width (the L0-MSE frontier).</summary>
public sealed record ArchitecturesResult(long NumLatents, long MainK, IReadOnlyList<SaeRunEvaluation> Matched, IReadOnlyList<SaeRunEvaluation> AllAtWidth,
    IReadOnlyList<FrontierAtL0> AtMainK);

/// <summary>An architecture's L0-MSE frontier read at L0 = MainK: interpolated between the two runs whose test L0 bracket it
/// (log normalized MSE linear in log L0; delta loss linear in log L0), or the run itself when its L0 is MainK; null when
/// no pair of runs brackets MainK.</summary>
public sealed record FrontierAtL0(SaeArchitecture Architecture, double L0, double? NormalizedMse, double? DeltaLoss, string? From);

/// <summary>A fitted parameter with its confidence interval.</summary>
public sealed record FitParameter(string Name, double Value, double StandardError, double Lower, double Upper);

/// <summary>A scaling-law fit (or why it failed).</summary>
public sealed record FitSummary(string Formula, IReadOnlyList<FitParameter> Parameters, double ResidualStandardError, int Observations,
    int DegreesOfFreedom, double ConfidenceLevel, string? Error)
{
    public double this[string name] => Parameters.FirstOrDefault(p => p.Name == name)?.Value ?? double.NaN;

    internal static FitSummary From(ScalingLawFit f) => new(f.Formula,
        f.Parameters.Select(p => new FitParameter(p.Name, p.Value, p.StandardError, p.Lower, p.Upper)).ToList(),
        f.ResidualStandardError, f.Observations, f.DegreesOfFreedom, f.ConfidenceLevel, null);

    internal static FitSummary Failed(string formula, string error) => new(formula, [], double.NaN, 0, 0, double.NaN, error);
}

/// <summary>One point of the scaling grid.</summary>
public sealed record ScalingPoint(long NumLatents, long K, double NormalizedMse, double L0, double? DeltaLoss);

/// <summary>Section 4: TopK at every (n, k) of the grid, L(N) = a N^-b + c fitted per k and the joint L(n, k).</summary>
public sealed record ScalingResult(IReadOnlyList<ScalingPoint> Points, IReadOnlyDictionary<long, FitSummary> PowerLawByK, FitSummary Joint);

/// <summary>One SAE swept at test time with one kind of activation.</summary>
public sealed record ProgressiveSeries(SaeRunId Run, string Activation, ProgressiveCodeResult Sweep);

/// <summary>Section 5: progressive codes.</summary>
public sealed record ProgressiveResult(IReadOnlyList<ProgressiveSeries> Series);


/// <summary>The probe loss of one code: an SAE's latents, or (<paramref name="Run"/> null) the raw residual-stream coordinates.</summary>
public sealed record ProbeRun(SaeRunId? Run, ProbeLossResult Result)
{
    /// <summary>The run name, or "residual" for the residual stream.</summary>
    public string Name => Run?.Name ?? "residual";

    /// <summary>As the report writes it.</summary>
    [JsonIgnore]
    public string Label => Run?.Label ?? "residual stream (no SAE)";
}

/// <summary>Section 6: probe loss on the corpus labels.</summary>
/// <remarks><list type="bullet">
/// <item><term>Tasks</term><description>The tasks with enough positives and negatives in both parts of the test tokens.</description></item>
/// <item><term>Skipped</term><description>Labels left out, with why.</description></item>
/// </list></remarks>
public sealed record ProbeResult(IReadOnlyList<ProbeTask> Tasks, IReadOnlyList<string> Skipped, long TrainTokens, long HeldOutTokens, IReadOnlyList<ProbeRun> Runs);

/// <summary>One explained latent: its score on the test windows, its training statistics and (for a few) its rendering.</summary>
/// <remarks><list type="bullet">
/// <item><term>ProbeTask</term><description>The probe task this latent wins for the main TopK SAE, if any.</description></item>
/// </list></remarks>
public sealed record N2gLatentResult(long Latent, double Precision, double Recall, double F1, long TestFirings, long ExplanationFirings,
    double TrainingFiringRate, int Patterns, double MeanPatternLength, double WildcardFraction, int StartAnchored, bool Sampled, string? ProbeTask);

/// <summary>A rendered explanation for the report.</summary>
public sealed record N2gShowcase(long Latent, string? ProbeTask, string Text, string Html);

/// <summary>Section 7: N2G explanations of the main TopK SAE.</summary>
/// <remarks><list type="bullet">
/// <item><term>SampledLatents</term><description>Random live latents explained (the statistics' sample).</description></item>
/// <item><term>MeanPrecision</term><description>Over the sampled latents where defined.</description></item>
/// <item><term>Sae</term><description>Downstream loss with the SAE spliced in (the same windows as the next two).</description></item>
/// <item><term>Explained</term><description>Each sampled latent replaced by its scaled N2G simulation, the other latents kept.</description></item>
/// <item><term>SampleZeroed</term><description>Each sampled latent set to zero, the other latents kept: what an explanation that never fires would give.</description></item>
/// </list></remarks>
public sealed record N2gResult(
    SaeRunId Run, int SampledLatents, int ExplainedLatents, int TrainWindows, int TestWindows, double MeanPrecision, double MeanRecall,
    double MedianPrecision, double MedianRecall, IReadOnlyList<N2gLatentResult> Latents, IReadOnlyList<N2gShowcase> Showcase,
    DownstreamLossResult Sae, DownstreamLossResult Explained, DownstreamLossResult SampleZeroed, double SequencesPerLatent,
    double ExplainSeconds, double ScoreSeconds);

/// <summary>Section 8: the sparsity of ablation effects of one SAE.</summary>
public sealed record AblationRun(SaeRunId Run, AblationSparsityResult Result);

/// <summary>Section 8.</summary>
public sealed record AblationResult(int Sites, int Positions, long Vocab, IReadOnlyList<AblationRun> Runs);

/// <summary>Section 9: refinement of one SAE's values on its own support.</summary>
public sealed record RefinementRun(SaeRunId Run, RefinementResult Result);

/// <summary>Section 9.</summary>
public sealed record RefinementSummary(int Tokens, IReadOnlyList<RefinementRun> Runs);

/// <summary>A histogram with fixed bins: Counts[i] values in [Edges[i], Edges[i + 1]).</summary>
public sealed record HistogramBins(double[] Edges, long[] Counts);

/// <summary>Section 10: decoder geometry of one SAE against random directions of the same shape.</summary>
public sealed record GeometryRun(SaeRunId Run, double MeanMaxCosine, double MedianMaxCosine,
    double FractionAbove09, double RandomMeanMaxCosine, double RandomMedianMaxCosine, HistogramBins Decoder, HistogramBins Random);

/// <summary>Section 10.</summary>
public sealed record GeometryResult(ulong Seed, IReadOnlyList<GeometryRun> Runs);

/// <summary>Everything a reproduction measured: every number of the report, written to results.json.</summary>
public sealed record ReproductionResults
{
    public required ReproduceConfig Config { get; init; }
    public required string Command { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required string Machine { get; init; }
    public SubjectResult? Subject { get; init; }
    public HarvestResult? Harvest { get; init; }
    public TrainingResult? Training { get; init; }
    public IReadOnlyList<SaeRunEvaluation>? Evaluations { get; init; }
    public ArchitecturesResult? Architectures { get; init; }
    public ScalingResult? Scaling { get; init; }
    public ProgressiveResult? Progressive { get; init; }
    public ProbeResult? Probes { get; init; }
    public N2gResult? Explanations { get; init; }
    public AblationResult? Ablation { get; init; }
    public RefinementSummary? Refinement { get; init; }
    public GeometryResult? Geometry { get; init; }
    public required IReadOnlyList<StepTiming> Timings { get; init; }
    public double TotalSeconds => Timings.Sum(t => t.Seconds);
}
