using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Activations;
using SaeWorkbench.Corpus;
using SaeWorkbench.Saes;
using SaeWorkbench.Subject;
using SaeWorkbench.Training;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>
/// The reproduction of Gao et al. 2024 (TopK SAEs) and the JumpReLU and Gated SAE papers on one subject model: the
/// experiments of <see cref="Steps"/>, one file each under Experiments/, run in order over one shared
/// <see cref="ReproductionContext"/>. A notebook calls the steps one by one (each returns the record of what it measured)
/// or <see cref="RunAll"/>; <c>sae reproduce</c> walks the same list. A step needs the ones before it (harvest before
/// training, training before any metric; the N2G step uses the probe winners when <see cref="Probes"/> ran). Every step
/// checks the cancellation token first and records its wall time. <see cref="Results"/> holds everything measured so far;
/// <see cref="ReportBuilder"/> makes the page.
/// </summary>
public sealed class Reproduction : IDisposable
{
    /// <summary>The experiments in order: subject, harvest, training, evaluation, architectures at matched sparsity, scaling
    /// laws, progressive codes, probe loss, N2G explanations, sparsity of ablation effects, refinement, decoder geometry.</summary>
    public static IReadOnlyList<Experiment> Steps { get; } =
    [
        new SubjectExperiment(), new HarvestExperiment(), new TrainingExperiment(), new EvaluationExperiment(), new ArchitecturesExperiment(),
        new ScalingExperiment(), new ProgressiveCodesExperiment(), new ProbesExperiment(), new ExplanationsExperiment(),
        new AblationSparsityExperiment(), new RefinementExperiment(), new GeometryExperiment(),
    ];

    private readonly ReproductionContext _context;
    private readonly List<StepTiming> _timings = new();
    private bool _ownsSubject;

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
        _context = new ReproductionContext(config, subject, log ?? (_ => { }), cancellationToken, new ReproductionResults
        {
            Config = config,
            Command = command,
            Started = DateTimeOffset.Now,
            Machine = $"{Environment.ProcessorCount} cores, libtorch intra-op threads {get_num_threads()}, {Environment.OSVersion.VersionString}",
            Timings = _timings,
        });
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

    /// <summary>Where the shared work is saved and read back (<see cref="ArtifactCache"/>); null (default): every step computes
    /// and nothing is saved. Set it before the first step.</summary>
    public ArtifactCache? Cache
    {
        get => _context.Cache;
        set => _context.Cache = value;
    }

    public ReproduceConfig Config => _context.Config;
    public SubjectModel Subject => _context.Subject;

    /// <summary>What the steps share (windows, activations, trained SAEs), for a notebook that looks inside.</summary>
    public ReproductionContext Context => _context;

    /// <summary>Everything measured so far, with the timing of every step.</summary>
    public ReproductionResults Results => _context.Results with { Timings = _timings.ToList() };

    /// <summary>The trained SAEs (after <see cref="Train"/>), in training order.</summary>
    public IReadOnlyList<TrainedSae> Runs => _context.Runs;

    /// <summary>A trained SAE by run name, e.g. "topk-n1024-k16".</summary>
    public SparseAutoencoder Sae(string runName) => _context.Runs.FirstOrDefault(r => r.Name == runName)?.Sae
        ?? throw new KeyNotFoundException($"no run named '{runName}'; runs: {string.Join(", ", _context.Runs.Select(r => r.Name))}");

    /// <summary>The harvested SAE training activations (after <see cref="Harvest"/>).</summary>
    public HarvestedActivations TrainActivations => _context.TrainActivations;

    /// <summary>The harvested test activations (after <see cref="Harvest"/>).</summary>
    public HarvestedActivations TestActivations => _context.TestActivations;

    /// <summary>The labelled test windows.</summary>
    public IReadOnlyList<TokenWindow> TestWindows => _context.TestWindows;

    /// <summary>Runs one step: checks cancellation, logs its start and end, records its wall time.</summary>
    public void Run(Experiment step)
    {
        ArgumentNullException.ThrowIfNull(step);
        _context.Cancellation.ThrowIfCancellationRequested();
        _context.Log($"[{step.StepName}]");
        var clock = Stopwatch.StartNew();
        if (_context.Cache?.TryRestore(step, _context) == true)
            _context.Log($"  read from {_context.Cache.RunFolder(_context)} (computed earlier for this config)");
        else
        {
            step.Run(_context);
            _context.Cache?.Save(step, _context);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        _timings.RemoveAll(t => t.Step == step.StepName);
        _timings.Add(new StepTiming(step.StepName, seconds));
        _context.Log(string.Create(CultureInfo.InvariantCulture, $"[{step.StepName}] done in {seconds:F1} s"));
    }

    /// <summary>Runs every step of <see cref="Steps"/> in order and returns the results.</summary>
    public ReproductionResults RunAll(IProgress<HarvestProgress>? harvestProgress = null, IProgress<TrainingProgress>? trainingProgress = null)
    {
        _context.HarvestProgress = harvestProgress;
        _context.TrainingProgress = trainingProgress;
        foreach (var step in Steps)
        {
            Run(step);
            _done.Add(step.GetType());
        }
        return Results;
    }

    private readonly HashSet<Type> _done = new();

    /// <summary>
    /// Runs <paramref name="step"/> after every step before it in <see cref="Steps"/> that has not run here yet (the list is
    /// the pipeline: each step may read what any earlier one left, e.g. N2G the probe winners), so the result is the same
    /// whichever notebook asks first. With a <see cref="Cache"/>, steps computed earlier for this config are read back.
    /// A step that already ran here is not run again.
    /// </summary>
    public void RunThrough(Experiment step)
    {
        ArgumentNullException.ThrowIfNull(step);
        foreach (var s in Steps)
        {
            if (!_done.Contains(s.GetType()))
            {
                Run(s);
                _done.Add(s.GetType());
            }
            if (s.GetType() == step.GetType()) return;
        }
        throw new ArgumentException($"{step} is not one of Reproduction.Steps", nameof(step));
    }

    private T Run<T>(Type step) where T : class
    {
        var experiment = Steps.First(s => s.GetType() == step);
        RunThrough(experiment);
        return experiment.ResultIn(_context.Results) as T ?? throw new InvalidOperationException($"{step.Name} recorded no result");
    }

    // One method per step, for notebooks that go step by step.

    /// <summary><see cref="SubjectExperiment"/>.</summary>
    public SubjectResult DescribeSubject() => Run<SubjectResult>(typeof(SubjectExperiment));

    /// <summary><see cref="HarvestExperiment"/>.</summary>
    public HarvestResult Harvest(IProgress<HarvestProgress>? progress = null)
    {
        if (progress is not null) _context.HarvestProgress = progress;
        return Run<HarvestResult>(typeof(HarvestExperiment));
    }

    /// <summary><see cref="TrainingExperiment"/>.</summary>
    public TrainingResult Train(IProgress<TrainingProgress>? progress = null)
    {
        if (progress is not null) _context.TrainingProgress = progress;
        return Run<TrainingResult>(typeof(TrainingExperiment));
    }

    /// <summary><see cref="EvaluationExperiment"/>.</summary>
    public IReadOnlyList<SaeRunEvaluation> Evaluate() => Run<IReadOnlyList<SaeRunEvaluation>>(typeof(EvaluationExperiment));

    /// <summary><see cref="ArchitecturesExperiment"/>.</summary>
    public ArchitecturesResult CompareArchitectures() => Run<ArchitecturesResult>(typeof(ArchitecturesExperiment));

    /// <summary><see cref="ScalingExperiment"/>.</summary>
    public ScalingResult FitScalingLaws() => Run<ScalingResult>(typeof(ScalingExperiment));

    /// <summary><see cref="ProgressiveCodesExperiment"/>.</summary>
    public ProgressiveResult ProgressiveCodes() => Run<ProgressiveResult>(typeof(ProgressiveCodesExperiment));

    /// <summary><see cref="ProbesExperiment"/>.</summary>
    public ProbeResult Probes() => Run<ProbeResult>(typeof(ProbesExperiment));

    /// <summary><see cref="ExplanationsExperiment"/>.</summary>
    public N2gResult Explanations() => Run<N2gResult>(typeof(ExplanationsExperiment));

    /// <summary><see cref="AblationSparsityExperiment"/>.</summary>
    public AblationResult AblationSparsity() => Run<AblationResult>(typeof(AblationSparsityExperiment));

    /// <summary><see cref="RefinementExperiment"/>.</summary>
    public RefinementSummary Refinement() => Run<RefinementSummary>(typeof(RefinementExperiment));

    /// <summary><see cref="GeometryExperiment"/>.</summary>
    public GeometryResult Geometry() => Run<GeometryResult>(typeof(GeometryExperiment));

    public void Dispose()
    {
        _context.Dispose();
        if (_ownsSubject) Subject.Dispose();
    }
}
