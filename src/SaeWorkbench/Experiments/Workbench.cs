using System.Globalization;
using SaeWorkbench.Activations;
using SaeWorkbench.Training;

namespace SaeWorkbench.Experiments;

/// <summary>
/// What a notebook opens: the subject model and the <see cref="Reproduction"/> at a named scale, its shared work (harvest,
/// trained sweep, each experiment's result) read from and saved to the <see cref="ArtifactCache"/>, with progress printed
/// to the console (tokens/s, losses, L0, dead %), which a notebook shows under the cell.
/// <code>
/// using var repro = Workbench.Open(scale);        // "smoke" | "default" | "paper"
/// var architectures = repro.CompareArchitectures(); // runs (or reads back) every step before it first
/// </code>
/// The model is <see cref="ModelDirectory"/>: the built-in one unless a notebook, <c>sae reproduce --model</c> or the
/// environment variable <c>SAEWB_MODEL</c> names a Hugging Face GPT-2 folder.
/// </summary>
public static class Workbench
{
    /// <summary>The scales every notebook's parameters cell accepts.</summary>
    public static IReadOnlyList<string> Scales { get; } = ["smoke", "default", "paper"];

    /// <summary>The reproduction config of a scale: smoke = <see cref="ReproduceConfig.Quick"/> (seconds to a minute, for CI),
    /// default = <see cref="ReproduceConfig.Default"/> (what <c>sae reproduce</c> runs), paper = <see cref="ReproduceConfig.Paper"/>.</summary>
    public static ReproduceConfig Config(string scale) => scale switch
    {
        "smoke" => ReproduceConfig.Quick,
        "default" => ReproduceConfig.Default,
        "paper" => ReproduceConfig.Paper,
        _ => throw new ArgumentException($"scale = \"{scale}\" is not one of {string.Join(", ", Scales)}: set it in the notebook's parameters cell", nameof(scale)),
    };

    /// <summary>The clone of this repository that <paramref name="folder"/> is in (the nearest folder above it holding
    /// SaeWorkbench.sln), or null.</summary>
    public static string? CloneAbove(string folder)
    {
        for (var dir = Path.GetFullPath(folder); dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "SaeWorkbench.sln"))) return dir;
        return null;
    }

    private static string? _modelDirectory;
    private static ArtifactCache? _artifacts;

    /// <summary>The subject model's folder (Hugging Face GPT-2 layout); null: the environment variable <c>SAEWB_MODEL</c>, else
    /// the built-in model.</summary>
    public static string? ModelDirectory
    {
        get => _modelDirectory ?? (Environment.GetEnvironmentVariable("SAEWB_MODEL") is { Length: > 0 } env ? env : null);
        set => _modelDirectory = value;
    }

    /// <summary>Where the shared work is kept; default <see cref="ArtifactCache.DefaultRoot"/>.</summary>
    public static ArtifactCache Artifacts
    {
        get => _artifacts ??= new ArtifactCache(ArtifactCache.DefaultRoot());
        set => _artifacts = value;
    }

    /// <summary>When set, every <see cref="Open"/> without an explicit config uses this one instead of its scale's
    /// (<c>sae reproduce --config</c> or <c>--hook</c> hands its config to the notebooks this way); null by default.</summary>
    public static ReproduceConfig? ConfigOverride { get; set; }

    /// <summary>Opens the reproduction at <paramref name="scale"/> (or at <paramref name="config"/> when given, else at
    /// <see cref="ConfigOverride"/> when set) on <see cref="ModelDirectory"/>, with the cache and console progress set.</summary>
    public static Reproduction Open(string scale = "default", ReproduceConfig? config = null, TextWriter? log = null)
    {
        var c = config ?? ConfigOverride ?? Config(scale);
        var writer = log ?? Console.Out;
        var repro = Reproduction.Open(c, ModelDirectory, line => writer.WriteLine(line), command: $"Workbench.Open(\"{scale}\")");
        repro.Cache = Artifacts;
        repro.Context.HarvestProgress = new ConsoleProgress<HarvestProgress>(p => writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  harvest: {p.Tokens:N0} tokens, {p.TokensPerSecond:N0} tok/s")), TimeSpan.FromSeconds(5));
        repro.Context.TrainingProgress = new ConsoleProgress<TrainingProgress>(p => writer.WriteLine(TrainingLine(p)), TimeSpan.FromSeconds(5));
        return repro;
    }

    /// <summary>One progress line of a training run: step, tokens/s, normalized MSE (or loss), L0, dead %.</summary>
    public static string TrainingLine(TrainingProgress p)
    {
        var loss = p.Losses.TryGetValue("nmse", out var nmse) ? FormattableString.Invariant($"nmse {nmse:F4}")
            : FormattableString.Invariant($"loss {(p.Losses.TryGetValue("loss", out var l) ? l : double.NaN):F4}");
        return FormattableString.Invariant($"  {p.RunName}: step {p.Step}/{p.TotalSteps} | {p.TokensPerSecond / 1000:F1}k tok/s | {loss} | L0 {p.L0:F1} | dead {p.DeadFraction * 100:F1}%");
    }

    /// <summary>Reports synchronously, at most once per <paramref name="every"/> (so a sweep of twenty runs does not print
    /// twenty lines per step).</summary>
    private sealed class ConsoleProgress<T>(Action<T> report, TimeSpan every) : IProgress<T>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(T value)
        {
            var now = DateTime.UtcNow;
            if (now - _last < every) return;
            _last = now;
            report(value);
        }
    }
}
