using SaeWorkbench.Activations;
using System.Diagnostics;
using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Training;

/// <summary>Settings shared by every run of one <see cref="Trainer"/> (they read the same batches).</summary>
public sealed record TrainerConfig
{
    /// <summary>Tokens (activation vectors) per optimiser step, >= 1 (Gemma Scope: 4,096; the released TopK code: 131,072).</summary>
    public long BatchSize { get; init; } = 4096;

    /// <summary>Training tokens in all, >= BatchSize; steps = ceil(TotalTokens / BatchSize).</summary>
    public long TotalTokens { get; init; } = 100_000_000;

    /// <summary>Tokens drawn from the source before training for data-dependent initialisation
    /// (<see cref="SparseAutoencoder.InitializeFromData"/>: input scale, geometric-median b_pre, normalized-MSE constant);
    /// the TopK paper uses 32,768; 0 skips it. >= 0.</summary>
    public long InitSampleTokens { get; init; } = 32768;

    /// <summary>Report progress every this many steps (and at the end), >= 1.</summary>
    public long ReportEverySteps { get; init; } = 100;

    /// <summary>Write checkpoints every this many steps (0: only when training stops), >= 0. Needs <see cref="CheckpointDirectory"/>.</summary>
    public long CheckpointEverySteps { get; init; }

    /// <summary>Folder of the runs' checkpoint files (one "NAME.checkpoint.safetensors" per run); null: no checkpoints.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Window (tokens) over which firing frequencies are measured for dense latents; null: each SAE's dead window.</summary>
    public long? DenseWindowTokens { get; init; }

    /// <summary>A latent firing on more than this fraction of tokens is dense (JumpReLU paper: 10%), in (0, 1].</summary>
    public double DenseFrequency { get; init; } = 0.1;

    /// <summary>Stop a run whose total loss exceeds this factor times its best so far (0: stop only on NaN/infinity), >= 0.</summary>
    public double DivergenceFactor { get; init; } = 100;

    /// <summary>Steps before the divergence factor applies (early losses swing), >= 0.</summary>
    public long DivergenceGraceSteps { get; init; } = 100;

    /// <summary>Keep every step's losses in <see cref="TrainingRun.History"/>.</summary>
    public bool KeepHistory { get; init; } = true;

    /// <summary>Optimiser steps of the whole run.</summary>
    public long TotalSteps => (TotalTokens + BatchSize - 1) / BatchSize;

    public void Validate()
    {
        const string owner = nameof(TrainerConfig);
        ConfigCheck.Positive(BatchSize, owner, nameof(BatchSize));
        ConfigCheck.Require(TotalTokens >= BatchSize, owner, nameof(TotalTokens), TotalTokens, $">= BatchSize = {BatchSize}");
        ConfigCheck.NonNegative(InitSampleTokens, owner, nameof(InitSampleTokens));
        ConfigCheck.Positive(ReportEverySteps, owner, nameof(ReportEverySteps));
        ConfigCheck.NonNegative(CheckpointEverySteps, owner, nameof(CheckpointEverySteps));
        ConfigCheck.Require(CheckpointEverySteps == 0 || CheckpointDirectory is not null, owner, nameof(CheckpointEverySteps), CheckpointEverySteps,
            "0 unless CheckpointDirectory is set");
        if (DenseWindowTokens is { } w) ConfigCheck.Positive(w, owner, nameof(DenseWindowTokens));
        ConfigCheck.Require(DenseFrequency > 0 && DenseFrequency <= 1, owner, nameof(DenseFrequency), DenseFrequency, "in (0, 1]");
        ConfigCheck.NonNegative(DivergenceFactor, owner, nameof(DivergenceFactor));
        ConfigCheck.NonNegative(DivergenceGraceSteps, owner, nameof(DivergenceGraceSteps));
    }
}

/// <summary>How one run ended.</summary>
/// <param name="Name">The run's name.</param>
/// <param name="Steps">Optimiser steps done.</param>
/// <param name="Tokens">Tokens trained on.</param>
/// <param name="Diverged">True when it stopped on NaN or divergence.</param>
/// <param name="Message">Why it stopped (null when it finished or was paused).</param>
/// <param name="LastGoodCheckpoint">The last checkpoint written with finite weights, if any.</param>
/// <param name="FinalLosses">The last step's losses (empty before any step).</param>
/// <param name="DeadFraction">Fraction of dead latents at the end.</param>
public sealed record RunResult(string Name, long Steps, long Tokens, bool Diverged, string? Message, string? LastGoodCheckpoint,
    IReadOnlyDictionary<string, double> FinalLosses, double DeadFraction);

/// <summary>The outcome of <see cref="Trainer.Train"/>, one entry per run.</summary>
public sealed record TrainingResult(IReadOnlyList<RunResult> Runs)
{
    public RunResult this[string name] => Runs.Single(r => r.Name == name);
}

/// <summary>
/// The architecture-agnostic trainer (Gao et al. 2024, Appendix A): one pass over an activation source feeds every run (several
/// SAEs, e.g. a sweep, from the same batches); each run steps with its own Adam, schedules, decoder constraint, clipping
/// and dead-latent tracker (<see cref="TrainingRun.TrainStep"/>). Reports progress (tokens/s, loss terms, L0, dead %)
/// through an <see cref="IProgress{T}"/> callback; stops a run on NaN or divergence with a clear message, keeping its
/// last good checkpoint; writes atomic checkpoints (weights, optimiser state, schedules, tracker, RNG and data
/// position) from which <see cref="LoadCheckpoints"/> resumes exactly.
/// </summary>
public sealed class Trainer
{
    private readonly IReadOnlyList<TrainingRun> _runs;
    private bool _dataInitialised;

    /// <summary>True once the checkpoint folder is known to be this trainer's: resumed from, or found without another
    /// training's checkpoints when this one started.</summary>
    private bool _folderIsOurs;

    public Trainer(TrainerConfig config, IActivationSource source, IEnumerable<TrainingRun> runs)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Source = source ?? throw new ArgumentNullException(nameof(source));
        _runs = runs.ToList();
        if (_runs.Count == 0) throw new ArgumentException("a trainer needs at least one run", nameof(runs));
        var dup = _runs.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"two runs are named '{dup.Key}': names must be unique (they name the checkpoint files)", nameof(runs));
        foreach (var r in _runs)
        {
            if (r.Sae.DIn != source.DIn)
                throw new ArgumentException($"run '{r.Name}' has d_in = {r.Sae.DIn} but the activation source has d_in = {source.DIn}", nameof(runs));
            r.Attach(config);
        }
    }

    public TrainerConfig Config { get; }
    public IActivationSource Source { get; }
    public IReadOnlyList<TrainingRun> Runs => _runs;

    /// <summary>Steps done by the pass (the runs that did not stop have done this many).</summary>
    public long Step { get; private set; }

    /// <summary>The checkpoint file of a run.</summary>
    public string CheckpointPath(TrainingRun run) =>
        Path.Combine(Config.CheckpointDirectory ?? throw new InvalidOperationException("TrainerConfig.CheckpointDirectory is not set"),
            $"{run.Name}.checkpoint.safetensors");

    /// <summary>
    /// Trains until <see cref="TrainerConfig.TotalTokens"/> (or until step <paramref name="stopAtStep"/>, or cancellation),
    /// then writes checkpoints when a directory is set. Runs that diverge stop on their own; the others go on. A trainer
    /// that did not <see cref="LoadCheckpoints"/> refuses a checkpoint folder that already holds checkpoints (IOException).
    /// </summary>
    public TrainingResult Train(IProgress<TrainingProgress>? progress = null, long? stopAtStep = null, CancellationToken cancellationToken = default)
    {
        if (!_folderIsOurs && Config.CheckpointDirectory is { } dir) RefuseSavedCheckpoints(dir);
        _folderIsOurs = true;
        var total = Config.TotalSteps;
        var end = Math.Min(total, stopAtStep ?? total);
        if (!_dataInitialised && Step == 0 && Config.InitSampleTokens > 0)
        {
            using var scope = NewDisposeScope();
            var sample = Source.NextBatch(Config.InitSampleTokens);
            // The initialisation fits the normalisation, b_pre and the MSE baseline on this sample: a NaN there would
            // surface steps later as a NaN loss that never names its cause.
            if (!sample.isfinite().all().ToBoolean())
            {
                var bad = sample.isfinite().logical_not().any(1).nonzero().reshape(-1);
                var where = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"the first {sample.size(0)} activations of the source) holds non-finite values in {bad.size(0)} row(s), the first at row {bad[0].ToInt64()}");
                throw new InvalidDataException($"the initialisation sample ({where}: the activations are corrupt; harvest them again " +
                    "(or drop the bad shards of the store) before training");
            }
            foreach (var r in _runs) r.Sae.InitializeFromData(sample);
        }
        _dataInitialised = true;

        var clock = Stopwatch.StartNew();
        var intervalStart = clock.Elapsed;
        long intervalTokens = 0;
        var last = new Dictionary<TrainingRun, StepRecord>();
        while (Step < end && _runs.Any(r => !r.Stopped) && !cancellationToken.IsCancellationRequested)
        {
            using (var scope = NewDisposeScope())
            {
                var x = Source.NextBatch(Config.BatchSize);
                foreach (var run in _runs.Where(r => !r.Stopped))
                {
                    var record = run.TrainStep(x, Config);
                    if (record is not null) last[run] = record;
                    else Report(progress, run, last.GetValueOrDefault(run), clock.Elapsed, 0);
                }
            }
            Step++;
            intervalTokens += Config.BatchSize;
            var done = Step == end;
            if (Step % Config.ReportEverySteps == 0 || done)
            {
                var seconds = (clock.Elapsed - intervalStart).TotalSeconds;
                var rate = seconds > 0 ? intervalTokens / seconds : 0;
                foreach (var run in _runs.Where(r => !r.Stopped)) Report(progress, run, last.GetValueOrDefault(run), clock.Elapsed, rate);
                intervalStart = clock.Elapsed;
                intervalTokens = 0;
            }
            if (Config.CheckpointEverySteps > 0 && Step % Config.CheckpointEverySteps == 0 && !done) SaveCheckpoints();
        }
        if (Config.CheckpointDirectory is not null) SaveCheckpoints();
        return new TrainingResult(_runs.Select(r => new RunResult(r.Name, r.Step, r.Tokens, r.Stopped, r.StopMessage, r.LastGoodCheckpoint,
            (last.TryGetValue(r, out var rec) ? rec : r.LastRecord)?.Losses ?? new Dictionary<string, double>(), r.Tracker.DeadFraction)).ToList());
    }

    private void Report(IProgress<TrainingProgress>? progress, TrainingRun run, StepRecord? record, TimeSpan elapsed, double tokensPerSecond)
    {
        if (progress is null) return;
        progress.Report(new TrainingProgress(run.Name, run.Step, Config.TotalSteps, run.Tokens, Config.TotalSteps * Config.BatchSize,
            tokensPerSecond, record?.Losses ?? new Dictionary<string, double>(), record?.L0 ?? double.NaN, run.Tracker.DeadFraction,
            run.LearningRate, elapsed));
    }

    /// <summary>
    /// A training that did not resume must not start in a folder that already holds checkpoints: its first save would
    /// replace them (a forgotten --resume, or another config given the same folder, lost the saved training).
    /// </summary>
    private static void RefuseSavedCheckpoints(string dir)
    {
        if (!Directory.Exists(dir)) return;
        var manifest = CheckpointSet.ReadManifest(dir);
        var files = Directory.EnumerateFiles(dir, "*.checkpoint.safetensors").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        if (manifest is null && files.Count == 0) return;
        var what = manifest is not null
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the checkpoints of runs {string.Join(", ", manifest.Runs)} at step {manifest.TrainerStep}")
            : $"checkpoint files ({string.Join(", ", files)})";
        throw new IOException($"the checkpoint folder '{dir}' already holds {what}, which a new training would overwrite: continue them with --resume " +
            "(Trainer.LoadCheckpoints), train into another folder, or delete this one to start over");
    }

    /// <summary>
    /// Writes the runs' checkpoints as one set (<see cref="CheckpointSet"/>: a kill at any moment leaves the previous set or
    /// this one). A run whose weights are not finite is stopped instead of written, so its previous checkpoint stays the
    /// last good one; stopped runs keep their last good checkpoint untouched.
    /// </summary>
    public void SaveCheckpoints()
    {
        var dir = Config.CheckpointDirectory ?? throw new InvalidOperationException("TrainerConfig.CheckpointDirectory is not set");
        foreach (var run in _runs.Where(r => !r.Stopped && !r.WeightsFinite())) run.StopNonFinite();
        var live = _runs.Where(r => !r.Stopped).ToList();
        var stopped = _runs.Where(r => r.Stopped).ToDictionary(r => r.Name, r => r.StopMessage ?? "stopped");
        var trainerConfig = Checkpoint.ToJson(Config with { CheckpointDirectory = null });
        CheckpointSet.Save(dir, Step, _runs.Select(r => r.Name).ToList(), live.Select(r => r.Name).ToList(), stopped, (name, path) =>
        {
            var run = live.First(r => r.Name == name);
            using var scope = NewDisposeScope();
            var (tensors, metadata) = run.CheckpointContent(Source);
            metadata["trainer_step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata["trainer_config"] = trainerConfig;
            Checkpoint.Save(path, tensors, metadata);
        });
        foreach (var run in live) run.MarkCheckpoint(CheckpointPath(run));
    }

    /// <summary>
    /// Resumes every run from its checkpoint in <paramref name="directory"/> (default: the configured one). The runs must
    /// have been built with the same configs; the data source, the default CPU generator and the step come back as saved,
    /// so continuing gives the same batches, losses and weights as an uninterrupted run (on CPU).
    /// </summary>
    public void LoadCheckpoints(string? directory = null)
    {
        var dir = directory ?? Config.CheckpointDirectory ?? throw new ArgumentException("no checkpoint directory given or configured", nameof(directory));
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"there is no checkpoint folder '{dir}' to resume from: train without --resume first");
        var manifest = CheckpointSet.Recover(dir);
        if (manifest is not null)
        {
            var missing = _runs.Select(r => r.Name).Except(manifest.Runs).ToList();
            var extra = manifest.Runs.Except(_runs.Select(r => r.Name)).ToList();
            if (missing.Count > 0 || extra.Count > 0)
                throw new InvalidDataException($"the checkpoints in '{dir}' are of runs {string.Join(", ", manifest.Runs)}, but this trainer has runs " +
                    $"{string.Join(", ", _runs.Select(r => r.Name))}: resume with the config they were written with, or use another folder");
        }
        long? step = manifest?.TrainerStep;
        var first = true;
        foreach (var run in _runs)
        {
            var path = CheckpointSet.PathOf(dir, run.Name);
            if (!File.Exists(path))
                throw new FileNotFoundException($"checkpoint '{path}' of run '{run.Name}' does not exist: resume from the folder the runs were trained into, " +
                    "or train without --resume", path);
            using var scope = NewDisposeScope();
            var (tensors, metadata) = Checkpoint.Load(path);
            var trainerStep = long.Parse(metadata.TryGetValue("trainer_step", out var s) ? s : throw new InvalidDataException($"checkpoint '{path}' has no trainer_step"),
                System.Globalization.CultureInfo.InvariantCulture);
            string? stopMessage = null;
            var stoppedEarlier = manifest is not null && manifest.Stopped.TryGetValue(run.Name, out stopMessage);
            if (!stoppedEarlier)
            {
                if (step is { } prev && prev != trainerStep)
                    throw new InvalidDataException($"checkpoint '{path}' is at trainer step {trainerStep} but the set is at step {prev}: the runs' checkpoints come from different moments");
                step = trainerStep;
            }
            var savedTrainer = metadata.TryGetValue("trainer_config", out var tc) ? tc : "";
            var nowTrainer = Checkpoint.ToJson(Config with { CheckpointDirectory = null });
            if (savedTrainer != nowTrainer)
                throw new InvalidDataException($"checkpoint '{path}' was written with a different trainer config:\n  saved: {savedTrainer}\n  now:   {nowTrainer}");
            run.Restore(path, tensors, metadata);
            if (stoppedEarlier) run.RestoreStopped(stopMessage!);
            if (first && !stoppedEarlier)
            {
                Source.load_state_dict(Checkpoint.Section(tensors, "data"));
                torch.random.set_rng_state(tensors["rng.default_cpu"]);
                first = false;
            }
        }
        Step = step ?? 0;
        _dataInitialised = true;
        if (Config.CheckpointDirectory is { } own && Path.GetFullPath(own) == Path.GetFullPath(dir)) _folderIsOurs = true;
    }
}
