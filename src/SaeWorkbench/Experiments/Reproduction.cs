using SaeWorkbench.Activations;
using SaeWorkbench.Corpus;
using SaeWorkbench.Subject;
using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;
using TorchSharp;
using SaeWorkbench.Training;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>
/// The reproduction of Gao et al. 2024 (TopK SAEs) and the JumpReLU and Gated SAE papers on one subject model, as steps
/// a notebook can call one by one (each returns a record of what it measured) or <see cref="RunAll"/> runs in order:
/// <list type="number">
/// <item><see cref="DescribeSubject"/>: the model, its card, its test loss against n-gram baselines;</item>
/// <item><see cref="Harvest"/>: activations at the hook for SAE training (validation split) and evaluation (test split);</item>
/// <item><see cref="Train"/>: every SAE from one pass (TopK grid, BatchTopK, Multi-TopK, ReLU, JumpReLU, Gated);</item>
/// <item><see cref="Evaluate"/> and <see cref="CompareArchitectures"/>: reconstruction and downstream loss, matched sparsity;</item>
/// <item><see cref="FitScalingLaws"/>, <see cref="ProgressiveCodes"/>, <see cref="Probes"/>, <see cref="Explanations"/>,
/// <see cref="AblationSparsity"/>, <see cref="Refinement"/>, <see cref="Geometry"/>: the paper's other experiments.</item>
/// </list>
/// A step needs the ones before it (harvest before training, training before any metric; the N2G step uses the probe
/// winners when <see cref="Probes"/> ran). Every step checks the cancellation token first and records its wall time.
/// <see cref="Results"/> holds everything measured so far; <see cref="ReportBuilder"/> makes the page.
/// </summary>
public sealed partial class Reproduction : IDisposable
{
    private readonly Action<string> _log;
    private readonly CancellationToken _ct;
    private readonly List<StepTiming> _timings = new();
    private List<TokenWindow>? _trainWindows;
    private List<TokenWindow>? _testWindows;
    private HarvestedActivations? _train;
    private HarvestedActivations? _test;
    private List<Tensor>? _downstreamBatches;
    private DownstreamLossBaseline? _downstreamBaseline;

    /// <summary>The unmodified and ablated passes over the downstream windows, computed once and shared by every SAE.</summary>
    private DownstreamLossBaseline DownstreamBaseline =>
        _downstreamBaseline ??= DownstreamLoss.Baseline(Subject.Model, Subject.Hook, _downstreamBatches!);
    private readonly List<TrainedSae> _runs = new();
    private readonly Dictionary<string, ReconstructionResult> _reconstruction = new();
    private ReproductionResults _results;

    /// <summary>A trained SAE of the pass: its id, the SAE and its training run.</summary>
    public sealed record TrainedSae(SaeRunId Id, SparseAutoencoder Sae, TrainingRun Run)
    {
        /// <summary>The run name, e.g. "topk-n1024-k16".</summary>
        public string Name => Id.Name;
    }

    /// <param name="config">What to run (validated here).</param>
    /// <param name="subject">The model and hook; the reproduction does not own it.</param>
    /// <param name="log">Receives one line per event (step start and end with timings, per-run progress of the metrics).</param>
    /// <param name="command">The command line that started it, recorded in the results.</param>
    /// <param name="cancellationToken">Checked between steps and between the runs of a step; training and harvesting stop
    /// within a batch.</param>
    public Reproduction(ReproduceConfig config, SubjectModel subject, Action<string>? log = null, string command = "",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(subject);
        config.Validate();
        if (config.ContextLength > subject.Model.Config.NPositions)
            throw new ArgumentOutOfRangeException(nameof(config), config.ContextLength,
                $"ReproduceConfig.ContextLength = {config.ContextLength} is out of range: must be <= the model's n_positions = {subject.Model.Config.NPositions}");
        Config = config;
        Subject = subject;
        _log = log ?? (_ => { });
        _ct = cancellationToken;
        _results = new ReproductionResults
        {
            Config = config,
            Command = command,
            Started = DateTimeOffset.Now,
            Machine = $"{Environment.ProcessorCount} cores, libtorch intra-op threads {get_num_threads()}, {Environment.OSVersion.VersionString}",
            Timings = _timings,
        };
    }

    /// <summary>Loads the subject (<see cref="SubjectModel.Load"/>, the hook from <paramref name="config"/>) and prepares the reproduction.
    /// The returned reproduction owns the subject (disposed with it).</summary>
    public static Reproduction Open(ReproduceConfig config, string? modelDirectory = null, Action<string>? log = null, string command = "",
        CancellationToken cancellationToken = default)
    {
        config.Validate();
        var subject = SubjectModel.Load(modelDirectory, config.Hook, config.CorpusSeed);
        try
        {
            return new Reproduction(config, subject, log, command, cancellationToken) { _ownsSubject = true };
        }
        catch
        {
            subject.Dispose();
            throw;
        }
    }

    private bool _ownsSubject;

    public ReproduceConfig Config { get; }
    public SubjectModel Subject { get; }

    /// <summary>Everything measured so far, with the timing of every step.</summary>
    public ReproductionResults Results => _results with { Timings = _timings.ToList() };

    /// <summary>The trained SAEs (after <see cref="Train"/>), in training order.</summary>
    public IReadOnlyList<TrainedSae> Runs => _runs;

    /// <summary>A trained SAE by run name, e.g. "topk-n1024-k16".</summary>
    public SparseAutoencoder Sae(string runName) => _runs.FirstOrDefault(r => r.Name == runName)?.Sae
        ?? throw new KeyNotFoundException($"no run named '{runName}'; runs: {string.Join(", ", _runs.Select(r => r.Name))}");

    /// <summary>The harvested SAE training activations (after <see cref="Harvest"/>).</summary>
    public HarvestedActivations TrainActivations => _train ?? throw NotYet(nameof(Harvest));

    /// <summary>The harvested test activations (after <see cref="Harvest"/>).</summary>
    public HarvestedActivations TestActivations => _test ?? throw NotYet(nameof(Harvest));

    /// <summary>The labelled test windows (after <see cref="DescribeSubject"/> or <see cref="Harvest"/>).</summary>
    public IReadOnlyList<TokenWindow> TestWindows => _testWindows ?? throw NotYet(nameof(DescribeSubject));

    /// <summary>Runs every step in order and returns the results.</summary>
    public ReproductionResults RunAll(IProgress<HarvestProgress>? harvestProgress = null, IProgress<TrainingProgress>? trainingProgress = null)
    {
        DescribeSubject();
        Harvest(harvestProgress);
        Train(trainingProgress);
        Evaluate();
        CompareArchitectures();
        FitScalingLaws();
        ProgressiveCodes();
        Probes();
        Explanations();
        AblationSparsity();
        Refinement();
        Geometry();
        return Results;
    }

    // ---- 1. subject --------------------------------------------------------------------------------------

    /// <summary>Tokenises the windows (SAE training: validation split; evaluation: test split) and scores the model on
    /// the test windows against unigram and bigram baselines counted on the training windows.</summary>
    public SubjectResult DescribeSubject() => Step("subject model", () =>
    {
        EnsureWindows();
        var m = Subject.Model.Config;
        var baselineWindows = _trainWindows!.Take(Math.Min(_trainWindows!.Count, 2048)).Select(w => w.Tokens).ToList();
        var baseline = NgramBaseline.Fit(baselineWindows, Subject.Tokenizer.VocabSize);
        var labels = BuiltinModel.ReportedLabels.Select(CorpusLabel.ByName).ToList();
        var score = LanguageModelEvaluation.Evaluate(Subject.Model, _testWindows!, baseline, labels);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"  {Subject.ModelId}: {m.NLayer} layers, d_model {m.NEmbd}, vocab {m.VocabSize}; test loss {score.Loss:F3} nats (bigram {score.BigramLoss:F3}, unigram {score.UnigramLoss:F3}); hook {Subject.HookName}"));
        var corpus = Subject.Card is not null
            ? $"synthetic corpus of the model's recipe (seed {Subject.Corpus.Config.Seed})"
            : $"synthetic corpus seed {Subject.Corpus.Config.Seed}, tokenised with the model's own tokenizer";
        var result = new SubjectResult(Subject.Directory, Subject.ModelId, Subject.HookName, m.NLayer, m.NEmbd, m.NHead, Config.ContextLength,
            m.VocabSize, Subject.Model.parameters().Sum(p => p.numel()), Subject.DIn, Subject.Card, score, corpus,
            Subject.PadTokenId, Subject.Decode(Subject.PadTokenId));
        _results = _results with { Subject = result };
        return result;
    });

    private void EnsureWindows()
    {
        if (_trainWindows is not null) return;
        var t = Config.ContextLength;
        var eot = Subject.EndOfTextId;
        var nTrain = (int)(Config.HarvestTokens / t);
        _trainWindows = Subject.Corpus.Windows(Subject.Tokenizer, eot, t, t, SyntheticCorpus.SplitStart(CorpusSplit.Validation)).Take(nTrain).ToList();
        _ct.ThrowIfCancellationRequested();
        _testWindows = Subject.Corpus.Windows(Subject.Tokenizer, eot, t, t, SyntheticCorpus.SplitStart(CorpusSplit.Test)).Take(Config.TestWindows).ToList();
        _downstreamBatches = Batches(_testWindows.Take(Config.DownstreamWindows).ToList(), 32);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"  windows of {t} tokens: {_trainWindows.Count:N0} for SAE training (validation split, {Documents(_trainWindows):N0} documents), {_testWindows.Count:N0} for evaluation (test split)"));
    }

    private static long Documents(IReadOnlyList<TokenWindow> windows) =>
        windows.Count == 0 ? 0 : windows[^1].DocumentOfToken[^1] - windows[0].DocumentOfToken[0] + 1;

    /// <summary>int64 [b, T] batches of windows, owned by the reproduction.</summary>
    private static List<Tensor> Batches(IReadOnlyList<TokenWindow> windows, int perBatch)
    {
        var t = windows[0].Length;
        var batches = new List<Tensor>();
        for (var s = 0; s < windows.Count; s += perBatch)
        {
            var part = windows.Skip(s).Take(perBatch).ToList();
            batches.Add(tensor(part.SelectMany(w => w.Tokens.Select(x => (long)x)).ToArray(), [part.Count, t]).DetachFromDisposeScope());
        }
        return batches;
    }

    private static Tensor TokenMatrix(IReadOnlyList<TokenWindow> windows) =>
        tensor(windows.SelectMany(w => w.Tokens.Select(x => (long)x)).ToArray(), [windows.Count, windows[0].Length]);

    // ---- 2. harvest --------------------------------------------------------------------------------------

    /// <summary>Runs the model to the hook on the training and test windows and keeps the activations in memory
    /// (<see cref="ActivationHarvester.HarvestToMemory"/>).</summary>
    public HarvestResult Harvest(IProgress<HarvestProgress>? progress = null) => Step("harvest", () =>
    {
        EnsureWindows();
        _train?.Dispose();
        _test?.Dispose();
        (_train, _test) = (null, null);
        var config = new HarvestConfig
        {
            HookName = Subject.HookName,
            ModelId = Subject.ModelId,
            DatasetId = $"synthetic-corpus seed={Subject.Corpus.Config.Seed}",
            DModel = (int)Subject.DIn,
            ContextLength = Config.ContextLength,
            SkipFirstPosition = Config.SkipFirstPosition,
        };
        var clock = Stopwatch.StartNew();
        _log($"  harvesting {Subject.HookName} on {_trainWindows!.Count:N0} training windows");
        _train = ActivationHarvester.HarvestToMemory(config, TokenWindows.FromList(_trainWindows.Select(w => w.Tokens).ToList(), Config.ContextLength),
            Subject.HookActivations, progress, _ct);
        _log($"  harvesting {Subject.HookName} on {_testWindows!.Count:N0} test windows");
        _test = ActivationHarvester.HarvestToMemory(config, TokenWindows.FromList(_testWindows.Select(w => w.Tokens).ToList(), Config.ContextLength),
            Subject.HookActivations, progress, _ct);
        var rate = (_train.Count + _test.Count) / clock.Elapsed.TotalSeconds;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = _train.Activations;
        var norms = x.norm(1);
        var first = _train.Positions.eq(0);
        double MeanWhere(Tensor mask) => mask.any().ToBoolean() ? norms.masked_select(mask).mean().ToDouble() : double.NaN;
        // The activations in the space every SAE sees them (the same normalisation for all), on a sample.
        var sample = x.narrow(0, 0, Math.Min(x.size(0), 65536));
        var (xn, _) = InputNormalizer.Apply(Config.Normalization, sample, InputNormalizer.FitScale(sample));
        var result = new HarvestResult(_train.Count, _trainWindows.Count, Documents(_trainWindows), _test.Count, _testWindows.Count, Documents(_testWindows),
            rate, Config.Normalization.ToString(), NormalizationFormula(Config.Normalization),
            norms.mean().ToDouble(), MeanWhere(first), MeanWhere(first.logical_not()),
            xn.square().sum(1).mean().ToDouble(), Losses.MseBaseline(xn).ToDouble(),
            Enumerable.Range(0, Config.ContextLength).Select(p => MeanWhere(_train.Positions.eq(p))).ToArray());
        _log(string.Create(CultureInfo.InvariantCulture,
            $"  {result.TrainTokens:N0} training and {result.TestTokens:N0} test activations of width {Subject.DIn} at {rate:N0} tok/s; mean norm {result.MeanNorm:G4} (position 0: {result.MeanNormFirstPosition:G4})"));
        _results = _results with { Harvest = result };
        return result;
    });

    internal static string NormalizationFormula(InputNormalization n) => n switch
    {
        InputNormalization.None => "x (raw activations)",
        InputNormalization.UnitMeanSquaredNorm => "s x with one scalar s fitted so that E||s x||^2 = 1 (Gemma Scope)",
        InputNormalization.PerTokenUnitNorm => "(x - mean_d x) / ||x - mean_d x|| per token (TopK paper)",
        InputNormalization.PerTokenStandardize => "(x - mean_d x) / (std_d x + 1e-5) per token (released TopK SAEs)",
        _ => n.ToString(),
    };

    // ---- 3. training -------------------------------------------------------------------------------------

    private sealed record PlannedRun(SaeRunId Id, SaeConfig Sae, OptimizerSettings Settings);

    /// <summary>Every run of the config's sweeps, in registry order (TopK grid, BatchTopK, Multi-TopK, ReLU, JumpReLU,
    /// Gated), each sweep's widths then knob values ascending; run i is initialised with seed Seed + i.</summary>
    private List<PlannedRun> Plan()
    {
        var c = Config;
        var warmup = (long)Math.Round(c.WarmupFraction * c.Steps);
        var plan = new List<PlannedRun>();
        foreach (var architecture in SaeRegistry.All)
        {
            if (c.SweepOf(architecture) is not { } sweep) continue;
            foreach (var id in sweep.Runs(c.NumLatents))
            {
                var config = id.Config(Subject.DIn);
                config = config with { Normalization = c.Normalization, DeadWindowTokens = c.DeadWindowTokens, Init = config.Init with { Seed = c.Seed + (ulong)plan.Count } };
                if (config is JumpReluSaeConfig jump) config = jump with { InitialThreshold = c.JumpReluInitialThreshold, Bandwidth = c.JumpReluBandwidth };
                var defaults = architecture.OptimizerDefaults(id.NumLatents);
                var settings = new OptimizerSettings
                {
                    LearningRate = c.LearningRate ?? architecture.LearningRateRule(id.NumLatents),
                    // The config's warm-ups replace the paper's step counts, which are longer than these runs.
                    WarmupSteps = defaults.WarmupSteps > 0 ? warmup : null,
                    SparsityWarmupFraction = architecture.Knob.IsK ? null : c.SparsityWarmupFraction,
                };
                plan.Add(new PlannedRun(id, config, settings));
            }
        }
        return plan;
    }

    /// <summary>
    /// Trains every SAE of the plan from one pass over the harvested training activations (in a seeded random order,
    /// reused when <see cref="ReproduceConfig.TrainingTokens"/> exceeds them): the TopK grid over
    /// <see cref="ReproduceConfig.ScalingLatents"/> x <see cref="ReproduceConfig.Ks"/> (and the comparison width), BatchTopK,
    /// Multi-TopK, and the ReLU, JumpReLU and Gated sweeps of their lambdas, each with its architecture's optimiser
    /// defaults and the learning rate and warm-ups of the config. Cancelling stops within a step and throws.
    /// </summary>
    public TrainingResult Train(IProgress<TrainingProgress>? progress = null) => Step("SAE training", () =>
    {
        var train = _train ?? throw NotYet(nameof(Harvest));
        DisposeRuns();
        var plan = Plan();
        foreach (var p in plan)
        {
            var sae = SaeRegistry.Create(p.Sae);
            _runs.Add(new TrainedSae(p.Id, sae, new TrainingRun(p.Id.Name, sae, p.Settings)));
        }
        _log(string.Create(CultureInfo.InvariantCulture,
            $"  {_runs.Count} SAEs from one pass: {Config.TrainingTokens:N0} tokens in {Config.Steps} steps of {Config.BatchSize}"));
        using var source = train.ToSource(Config.Seed);
        var trainer = new Trainer(new TrainerConfig
        {
            BatchSize = Config.BatchSize,
            TotalTokens = Config.TrainingTokens,
            InitSampleTokens = Math.Min(32768, train.Count),
            ReportEverySteps = Math.Max(1, Config.Steps / 50),
            DivergenceGraceSteps = Math.Min(100, Config.Steps / 4),
        }, source, _runs.Select(r => r.Run));
        var clock = Stopwatch.StartNew();
        var outcome = trainer.Train(progress, cancellationToken: _ct);
        _ct.ThrowIfCancellationRequested();
        var seconds = clock.Elapsed.TotalSeconds;
        var runs = _runs.Select(r =>
        {
            var o = outcome[r.Name];
            return new SaeRunTraining(r.Id, r.Run.Settings.LearningRate!.Value, o.Steps, o.Tokens,
                o.Diverged, o.Message, o.FinalLosses, o.DeadFraction, Curve(r));
        }).ToList();
        foreach (var r in runs.Where(r => r.Diverged)) _log($"  WARNING: run {r.Run.Name} stopped: {r.Message}");
        var result = new TrainingResult(Config.Steps, Config.TrainingTokens, Config.BatchSize, seconds, Config.TrainingTokens / seconds, runs);
        _results = _results with { Training = result };
        return result;
    });

    private static TrainingCurve Curve(TrainedSae r)
    {
        var h = r.Run.History;
        var term = h.Count > 0 && h[0].Losses.ContainsKey("nmse") ? "nmse" : "mse";
        double baseline;
        using (no_grad()) baseline = term == "mse" ? r.Sae.mse_baseline.ToDouble() : 1.0;
        if (!double.IsFinite(baseline) || baseline <= 0) baseline = 1.0;
        var every = Math.Max(1, h.Count / 100);
        var picked = h.Where((_, i) => i % every == 0 || i == h.Count - 1).ToList();
        return new TrainingCurve("normalized MSE of the training batch",
            picked.Select(s => s.Step).ToArray(),
            picked.Select(s => s.Losses.TryGetValue(term, out var v) ? v / baseline : double.NaN).ToArray(),
            picked.Select(s => s.L0).ToArray());
    }

    // ---- plumbing ----------------------------------------------------------------------------------------

    private T Step<T>(string name, Func<T> body)
    {
        _ct.ThrowIfCancellationRequested();
        _log($"[{name}]");
        var clock = Stopwatch.StartNew();
        var result = body();
        var seconds = clock.Elapsed.TotalSeconds;
        _timings.RemoveAll(t => t.Step == name);
        _timings.Add(new StepTiming(name, seconds));
        _log(string.Create(CultureInfo.InvariantCulture, $"[{name}] done in {seconds:F1} s"));
        return result;
    }

    private static InvalidOperationException NotYet(string step) => new($"run {step}() first: this step needs its results");

    private TrainedSae RunOf(string name) => _runs.First(r => r.Name == name);

    private IEnumerable<TrainedSae> Live => _runs.Where(r => !r.Run.Stopped);

    private void DisposeRuns()
    {
        foreach (var r in _runs)
        {
            r.Run.Dispose();
            r.Sae.Dispose();
        }
        _runs.Clear();
        _reconstruction.Clear();
    }

    public void Dispose()
    {
        DisposeRuns();
        _train?.Dispose();
        _test?.Dispose();
        _downstreamBaseline?.Dispose();
        foreach (var b in _downstreamBatches ?? []) b.Dispose();
        if (_ownsSubject) Subject.Dispose();
    }
}
