using System.Globalization;
using SaeWorkbench.Activations;
using SaeWorkbench.Corpus;
using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;
using SaeWorkbench.Subject;
using SaeWorkbench.Training;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>A trained SAE of the shared pass: its id, the SAE and its training run.</summary>
public sealed record TrainedSae(SaeRunId Id, SparseAutoencoder Sae, TrainingRun Run)
{
    /// <summary>The run name, e.g. "topk-n1024-k16".</summary>
    public string Name => Id.Name;
}

/// <summary>
/// What the experiments of a reproduction share: the config and subject model, the token windows (SAE training:
/// validation split; evaluation: test split), the harvested activations, the trained SAEs, the downstream-loss baseline,
/// and the results so far. Each <see cref="Experiment"/> reads what the steps before it left here and records its own
/// result. Owns every tensor and SAE it holds (not the subject).
/// </summary>
public sealed class ReproductionContext : IDisposable
{
    private List<TokenWindow>? _trainWindows;
    private List<TokenWindow>? _testWindows;
    private List<Tensor>? _downstreamBatches;
    private DownstreamLossBaseline? _downstreamBaseline;

    internal ReproductionContext(ReproduceConfig config, SubjectModel subject, Action<string> log, CancellationToken cancellation, ReproductionResults results)
    {
        Config = config;
        Subject = subject;
        Log = log;
        Cancellation = cancellation;
        Results = results;
    }

    public ReproduceConfig Config { get; }
    public SubjectModel Subject { get; }

    /// <summary>Receives one line per event.</summary>
    public Action<string> Log { get; }

    /// <summary>Checked between steps and runs; training and harvesting stop within a batch.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Everything measured so far; each step records its part.</summary>
    public ReproductionResults Results { get; set; }

    /// <summary>Where the shared work is saved and found again (activations, trained SAEs, each step's result); null: nothing
    /// is saved, every step computes.</summary>
    public ArtifactCache? Cache { get; internal set; }

    /// <summary>Progress of the harvest step (tokens/s), when someone watches.</summary>
    public IProgress<HarvestProgress>? HarvestProgress { get; set; }

    /// <summary>Progress of the training step (tokens/s, losses, L0, dead %), when someone watches.</summary>
    public IProgress<TrainingProgress>? TrainingProgress { get; set; }

    /// <summary>The harvested SAE training activations (the harvest step sets them).</summary>
    public HarvestedActivations? Train { get; set; }

    /// <summary>The harvested test activations (the harvest step sets them).</summary>
    public HarvestedActivations? Test { get; set; }

    /// <summary>The trained SAEs, in training order (the training step fills it).</summary>
    public List<TrainedSae> Runs { get; } = new();

    /// <summary>Each run's reconstruction metrics on the test activations, by run name (the evaluation step fills it).</summary>
    public Dictionary<string, ReconstructionResult> Reconstruction { get; } = new();

    public HarvestedActivations TrainActivations => Train ?? throw NotYet("Harvest");
    public HarvestedActivations TestActivations => Test ?? throw NotYet("Harvest");

    /// <summary>The SAE training windows (validation split).</summary>
    public IReadOnlyList<TokenWindow> TrainWindows => EnsureWindows()._trainWindows!;

    /// <summary>The labelled evaluation windows (test split).</summary>
    public IReadOnlyList<TokenWindow> TestWindows => EnsureWindows()._testWindows!;

    /// <summary>int64 [b, T] batches of the first <see cref="ReproduceConfig.DownstreamWindows"/> test windows, spliced into by the
    /// downstream metrics.</summary>
    public IReadOnlyList<Tensor> DownstreamBatches => EnsureWindows()._downstreamBatches!;

    /// <summary>The unmodified and ablated passes over the downstream windows, computed once and shared by every SAE.</summary>
    public DownstreamLossBaseline DownstreamBaseline =>
        _downstreamBaseline ??= DownstreamLoss.Baseline(Subject.Model, Subject.Hook, DownstreamBatches);

    /// <summary>Tokenises the windows once.</summary>
    public ReproductionContext EnsureWindows()
    {
        if (_trainWindows is not null) return this;
        var t = Config.ContextLength;
        var eot = Subject.EndOfTextId;
        var nTrain = (int)(Config.HarvestTokens / t);
        _trainWindows = Subject.Corpus.Windows(Subject.Tokenizer, eot, t, t, SyntheticCorpus.SplitStart(CorpusSplit.Validation)).Take(nTrain).ToList();
        Cancellation.ThrowIfCancellationRequested();
        _testWindows = Subject.Corpus.Windows(Subject.Tokenizer, eot, t, t, SyntheticCorpus.SplitStart(CorpusSplit.Test)).Take(Config.TestWindows).ToList();
        _downstreamBatches = TokenWindowBatches.Batches(_testWindows.Take(Config.DownstreamWindows).ToList(), 32).Select(b => b.DetachFromDisposeScope()).ToList();
        Log(string.Create(CultureInfo.InvariantCulture,
            $"  windows of {t} tokens: {_trainWindows.Count:N0} for SAE training (validation split, {Documents(_trainWindows):N0} documents), {_testWindows.Count:N0} for evaluation (test split)"));
        return this;
    }

    /// <summary>Documents the windows span.</summary>
    public static long Documents(IReadOnlyList<TokenWindow> windows) =>
        windows.Count == 0 ? 0 : windows[^1].DocumentOfToken[^1] - windows[0].DocumentOfToken[0] + 1;

    /// <summary>A trained run by name.</summary>
    public TrainedSae RunOf(string name) => Runs.First(r => r.Name == name);

    /// <summary>The main TopK SAE: k = MainK at NumLatents latents.</summary>
    public TrainedSae MainTopK => Runs.FirstOrDefault(r => r.Id.Architecture == SaeRegistry.TopK && r.Id.NumLatents == Config.NumLatents && r.Id.K == Config.MainK && !r.Run.Stopped)
        ?? throw new InvalidOperationException(Runs.Count == 0 ? "run Train() first" : $"the main TopK run (n = {Config.NumLatents}, k = {Config.MainK}) did not train");

    /// <summary>The matched run of an architecture (after the architectures step), or null.</summary>
    public TrainedSae? Matched(SaeArchitecture architecture)
    {
        var arch = Results.Architectures ?? throw NotYet("CompareArchitectures");
        var m = arch.Matched.FirstOrDefault(e => e.Run.Architecture == architecture);
        return m is null ? null : RunOf(m.Run.Name);
    }

    /// <summary>The matched run of every architecture (after the architectures step).</summary>
    public IEnumerable<TrainedSae> MatchedRuns()
    {
        var arch = Results.Architectures ?? throw NotYet("CompareArchitectures");
        return arch.Matched.Select(m => RunOf(m.Run.Name));
    }

    /// <summary>A run's reconstruction metrics on the test activations: the evaluation step's, or measured now when that
    /// step's result was read from the cache.</summary>
    public ReconstructionResult ReconstructionOf(TrainedSae run)
    {
        if (Reconstruction.TryGetValue(run.Name, out var rec)) return rec;
        using (no_grad())
        {
            run.Sae.eval();
            return Reconstruction[run.Name] = Metrics.Reconstruction.Evaluate(run.Sae, TestActivations.Activations);
        }
    }

    /// <summary>The error of a step that needs an earlier one's results.</summary>
    public InvalidOperationException NotYet(string step) => new($"run {step}() first: this step needs its results");

    /// <summary>Disposes the trained SAEs and their runs.</summary>
    public void DisposeRuns()
    {
        foreach (var r in Runs)
        {
            r.Run.Dispose();
            r.Sae.Dispose();
        }
        Runs.Clear();
        Reconstruction.Clear();
    }

    public void Dispose()
    {
        DisposeRuns();
        Train?.Dispose();
        Test?.Dispose();
        _downstreamBaseline?.Dispose();
        foreach (var b in _downstreamBatches ?? []) b.Dispose();
    }
}
