using SaeWorkbench.Engine;
using SaeWorkbench.Activations;
using System.Globalization;
using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Training;

/// <summary>One optimiser step of a run, as recorded in <see cref="TrainingRun.History"/>.</summary>
/// <param name="Step">Steps done after this one (1 for the first).</param>
/// <param name="Tokens">Tokens consumed after this step.</param>
/// <param name="Losses">Each loss term and "total", as computed on this step's batch before the update.</param>
/// <param name="L0">Mean active latents per token on this batch.</param>
/// <param name="LearningRate">The learning rate this step used.</param>
public sealed record StepRecord(long Step, long Tokens, IReadOnlyDictionary<string, double> Losses, double L0, double LearningRate);

/// <summary>
/// One SAE being trained: the SAE, its Adam optimiser (architecture defaults, <see cref="OptimizerSettings"/>), its
/// learning-rate and sparsity schedules, its dead-latent tracker, its step and token counts, and its state when it was
/// stopped (divergence). Several runs train from one pass over the same activations (<see cref="Trainer"/>).
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private LrScheduler? _scheduler;
    private SparsityWarmup? _sparsityWarmup;
    private double _bestLoss = double.PositiveInfinity;

    /// <param name="name">Unique among the runs of one trainer; used for its checkpoint file (letters, digits, '-', '_', '.').</param>
    /// <param name="sae">The SAE to train (the run does not own it).</param>
    /// <param name="settings">Optimiser settings; null fields take the architecture's defaults.</param>
    public TrainingRun(string name, SparseAutoencoder sae, OptimizerSettings? settings = null)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ArgumentException($"run name '{name}' must be non-empty and use only letters, digits, '-', '_' and '.'", nameof(name));
        Name = name;
        Sae = sae ?? throw new ArgumentNullException(nameof(sae));
        Settings = (settings ?? new OptimizerSettings()).Resolve(sae.Config);
        Optimizer = new SaeAdam(sae.parameters(), new AdamOptions
        {
            lr = Settings.LearningRate!.Value,
            beta1 = Settings.Beta1!.Value,
            beta2 = Settings.Beta2!.Value,
            eps = Settings.Eps!.Value,
        });
        // The unit-norm decoder constraint inside Adam's pass over W_dec (one read of each row instead of three).
        // Clipping must see the projected gradient, so with clipping the projection runs before it, as a separate pass.
        if (FusedDecoderConstraint) Optimizer.SetUnitNormRows(sae.W_dec_ND);
    }

    /// <summary>True when Adam applies the decoder's unit-norm constraint itself (unit-norm decoder, no clipping).</summary>
    private bool FusedDecoderConstraint => Sae.Config.UnitNormDecoder && !(Settings.GradClipNorm > 0);

    public string Name { get; }
    public SparseAutoencoder Sae { get; }

    /// <summary>The resolved optimiser settings (every field set).</summary>
    public OptimizerSettings Settings { get; }

    public SaeAdam Optimizer { get; }

    /// <summary>The dead/dense latent tracker (created when the run joins a trainer).</summary>
    public DeadLatentTracker Tracker { get; private set; } = null!;

    public long Step { get; private set; }
    public long Tokens { get; private set; }

    /// <summary>True once the run stopped on divergence.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Why the run stopped (null while running).</summary>
    public string? StopMessage { get; private set; }

    /// <summary>The last checkpoint written with finite weights (null before the first).</summary>
    public string? LastGoodCheckpoint { get; private set; }

    /// <summary>The last step's record (kept in checkpoints, so a resumed run that has nothing left to train still has its
    /// final losses); null before the first step.</summary>
    public StepRecord? LastRecord { get; private set; }

    /// <summary>Every step's losses (when <see cref="TrainerConfig.KeepHistory"/>).</summary>
    public List<StepRecord> History { get; } = new();

    /// <summary>The learning rate in force for the next step.</summary>
    public double LearningRate => Optimizer.LearningRate;

    internal long TotalSteps { get; private set; }

    internal void Attach(TrainerConfig config)
    {
        if (Tracker is not null) throw new InvalidOperationException($"run '{Name}' already belongs to a trainer");
        TotalSteps = config.TotalSteps;
        _scheduler = new LrScheduler(Optimizer, Settings.Schedule(TotalSteps));
        _sparsityWarmup = Settings.SparsityWarmup(TotalSteps);
        Tracker = new DeadLatentTracker(Sae.NumLatents, Sae.Config.DeadWindowTokens, config.DenseWindowTokens ?? Sae.Config.DeadWindowTokens,
            config.DenseFrequency, Sae.Config.Device);
    }

    /// <summary>
    /// One optimiser step on batch x [B, d_in]: forward (dead mask for AuxK, warmed-up sparsity coefficient), divergence
    /// check (before any update), backward, decoder-gradient projection, clipping, Adam, decoder renormalisation,
    /// schedule and tracker updates. Returns the record, or null if the run stopped on this step.
    /// </summary>
    internal StepRecord? TrainStep(Tensor x, TrainerConfig config)
    {
        using var scope = NewDisposeScope();
        Sae.train();
        var lr = LearningRate;
        var output = Sae.Forward(x, new ForwardOptions
        {
            DeadMask_N = Tracker.DeadMask_N(),
            SparsityScale = _sparsityWarmup!.Factor(Step),
        });
        var losses = output.Losses.ToDictionary(kv => kv.Key, kv => kv.Value.ToDouble());
        var total = output.Loss.ToDouble();
        losses["total"] = total;
        var bad = losses.FirstOrDefault(kv => !double.IsFinite(kv.Value));
        if (bad.Key is not null)
        {
            Stop($"loss term '{bad.Key}' is {bad.Value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }
        if (config.DivergenceFactor > 0 && Step >= config.DivergenceGraceSteps && total > config.DivergenceFactor * _bestLoss)
        {
            Stop(string.Create(CultureInfo.InvariantCulture,
                $"total loss {total:G6} exceeds {config.DivergenceFactor:G3} x the best so far ({_bestLoss:G6}): the run diverged"));
            return null;
        }
        _bestLoss = Math.Min(_bestLoss, total);

        Optimizer.zero_grad();
        output.Loss.backward();
        var separateConstraint = Sae.Config.UnitNormDecoder && !FusedDecoderConstraint;
        if (separateConstraint) Sae.RemoveParallelDecoderGradient();
        if (Settings.GradClipNorm > 0) nn.utils.clip_grad_norm_(Sae.parameters(), Settings.GradClipNorm!.Value);
        Optimizer.step();
        if (separateConstraint) Sae.NormalizeDecoder();
        _scheduler!.step();
        Tracker.Update(output.FiringCounts_N(Sae.Config.FiringThreshold), x.size(0));
        Step++;
        Tokens += x.size(0);
        var record = new StepRecord(Step, Tokens, losses, output.L0.ToDouble(), lr);
        if (config.KeepHistory) History.Add(record);
        LastRecord = record;
        return record;
    }

    /// <summary>True when every parameter and buffer is finite (a checkpoint is only written then).</summary>
    public bool WeightsFinite()
    {
        using var scope = NewDisposeScope();
        // Buffers too (JumpReLU's and the scalar normalisation's norm_scale); mse_baseline is NaN until fitted, by design.
        return Sae.parameters().All(t => t.isfinite().all().ToBoolean())
               && Sae.named_buffers().Where(b => b.name != "mse_baseline" && b.buffer.is_floating_point()).All(b => b.buffer.isfinite().all().ToBoolean());
    }

    private void Stop(string reason)
    {
        Stopped = true;
        StopMessage = $"run '{Name}' stopped at step {Step} (after {Tokens} tokens): {reason}. The weights were not updated by this step; " +
                      (LastGoodCheckpoint is null ? "no checkpoint had been written yet." : $"the last good checkpoint is '{LastGoodCheckpoint}'.");
    }

    /// <summary>Marks the run stopped because its weights became non-finite (found before writing a checkpoint).</summary>
    internal void StopNonFinite() => Stop("its weights became non-finite");

    /// <summary>Marks a run restored from a set in which it had stopped (it does not train on).</summary>
    internal void RestoreStopped(string message)
    {
        Stopped = true;
        StopMessage = message;
    }

    // ---- checkpoints -----------------------------------------------------------------------------------

    /// <summary>Every tensor of the run (SAE, optimiser, tracker) plus the shared data and RNG state, and the metadata.</summary>
    internal (Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) CheckpointContent(IActivationSource source)
    {
        var tensors = new Dictionary<string, Tensor>();
        Checkpoint.AddSection(tensors, "sae", Sae.state_dict());
        Checkpoint.AddSection(tensors, "optim", Optimizer.state_dict());
        Checkpoint.AddSection(tensors, "tracker", Tracker.state_dict());
        Checkpoint.AddSection(tensors, "data", source.state_dict());
        tensors["rng.default_cpu"] = torch.random.get_rng_state().DetachFromDisposeScope();
        var metadata = new Dictionary<string, string>
        {
            ["run"] = Name,
            ["architecture"] = Sae.Config.Architecture,
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["tokens"] = Tokens.ToString(CultureInfo.InvariantCulture),
            ["scheduler_step"] = _scheduler!.LastStep.ToString(CultureInfo.InvariantCulture),
            ["best_loss"] = _bestLoss.ToString("R", CultureInfo.InvariantCulture),
            ["sae_config"] = Checkpoint.ToJson(Sae.Config),
            ["optimizer_settings"] = Checkpoint.ToJson(Settings),
        };
        if (LastRecord is not null) metadata["last_record"] = Checkpoint.ToJson(LastRecord);
        return (tensors, metadata);
    }

    internal void MarkCheckpoint(string path) => LastGoodCheckpoint = path;

    /// <summary>Restores the run from checkpoint content; the configs must match the ones it was written with.</summary>
    internal void Restore(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        string Meta(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"checkpoint '{path}' has no metadata '{key}'");
        var savedConfig = Meta("sae_config");
        var config = Checkpoint.ToJson(Sae.Config);
        if (savedConfig != config)
            throw new InvalidDataException($"checkpoint '{path}' was written for a different SAE config than run '{Name}' has:\n  saved: {savedConfig}\n  now:   {config}");
        var savedSettings = Meta("optimizer_settings");
        if (savedSettings != Checkpoint.ToJson(Settings))
            throw new InvalidDataException($"checkpoint '{path}' was written with different optimiser settings than run '{Name}' has:\n  saved: {savedSettings}\n  now:   {Checkpoint.ToJson(Settings)}");
        Sae.load_state_dict(Checkpoint.Section(tensors, "sae"));
        Optimizer.load_state_dict(Checkpoint.Section(tensors, "optim"));
        Tracker.load_state_dict(Checkpoint.Section(tensors, "tracker"));
        Step = long.Parse(Meta("step"), CultureInfo.InvariantCulture);
        Tokens = long.Parse(Meta("tokens"), CultureInfo.InvariantCulture);
        _bestLoss = double.Parse(Meta("best_loss"), CultureInfo.InvariantCulture);
        _scheduler = new LrScheduler(Optimizer, Settings.Schedule(TotalSteps), long.Parse(Meta("scheduler_step"), CultureInfo.InvariantCulture));
        LastRecord = metadata.TryGetValue("last_record", out var last) ? System.Text.Json.JsonSerializer.Deserialize<StepRecord>(last, Checkpoint.Json) : null;
        LastGoodCheckpoint = path;
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Tracker?.Dispose();
    }
}
