using System.Globalization;
using SaeWorkbench.Training;
using Spectre.Console;

namespace SaeWorkbench.Cli;

/// <summary>
/// Shows the trainer's progress reports (<see cref="TrainingProgress"/>): live progress bars, one
/// per run, on an interactive terminal (Spectre.Console), or one plain line per report, at most
/// every <see cref="LineInterval"/>, when the output is redirected (CI logs, files). Both show
/// tokens/s, every loss term, L0 and the dead-latent percentage.
/// </summary>
public sealed class TrainingProgressView
{
    private readonly TextWriter _out;
    private readonly bool _interactive;

    /// <param name="output">Where to write.</param>
    /// <param name="interactive">Live bars (true) or plain lines (false); null detects a terminal.</param>
    public TrainingProgressView(TextWriter output, bool? interactive = null)
    {
        _out = output;
        _interactive = interactive ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
    }

    /// <summary>Minimum time between two plain lines of the same run (the last report is always printed).</summary>
    public TimeSpan LineInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="work"/>, showing every report it makes through the progress callback.</summary>
    public async Task<T> RunAsync<T>(Func<IProgress<TrainingProgress>, Task<T>> work)
    {
        if (!_interactive)
        {
            var lines = new LineReporter(_out, LineInterval);
            try { return await work(lines); }
            finally { lines.Flush(); }
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_out),
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
        });
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var reporter = new SynchronousProgress(p =>
                {
                    if (!tasks.TryGetValue(p.RunName, out var task))
                        tasks[p.RunName] = task = ctx.AddTask(p.RunName, maxValue: 1.0);
                    task.Description = Markup.Escape(FormatLine(p));
                    if (p.FractionDone is { } f) task.Value = f;
                    else task.IsIndeterminate = true;
                });
                result = await work(reporter);
            });
        return result;
    }

    /// <summary>One report as a line: run, step, tokens/s, loss terms, L0, dead %, learning rate, elapsed.</summary>
    public static string FormatLine(TrainingProgress p)
    {
        var inv = CultureInfo.InvariantCulture;
        var steps = p.TotalSteps > 0 ? $"{p.Step}/{p.TotalSteps}" : p.Step.ToString(inv);
        var losses = string.Join(" ", p.Losses.Select(kv => $"{kv.Key} {kv.Value.ToString("G4", inv)}"));
        return string.Create(inv,
            $"{p.RunName} step {steps} | {FormatCount(p.TokensPerSecond)} tok/s | {losses} | L0 {p.L0:F1} | dead {p.DeadFraction * 100:F1}% | lr {p.LearningRate:G3} | {p.Elapsed:hh\\:mm\\:ss}");
    }

    private static string FormatCount(double v) => v switch
    {
        >= 1e6 => (v / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (v / 1e3).ToString("F1", CultureInfo.InvariantCulture) + "k",
        _ => v.ToString("F0", CultureInfo.InvariantCulture),
    };

    /// <summary>IProgress that calls back on the reporting thread (System.Progress posts to a context).</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>Plain lines, throttled per run; the last report of each run is kept for <see cref="Flush"/>.</summary>
    private sealed class LineReporter(TextWriter output, TimeSpan interval) : IProgress<TrainingProgress>
    {
        private readonly Dictionary<string, (DateTime printed, TrainingProgress? pending)> _runs = new();
        private readonly object _gate = new();

        public void Report(TrainingProgress value)
        {
            lock (_gate)
            {
                var now = DateTime.UtcNow;
                if (_runs.TryGetValue(value.RunName, out var r) && now - r.printed < interval)
                {
                    _runs[value.RunName] = (r.printed, value);
                    return;
                }
                output.WriteLine(FormatLine(value));
                _runs[value.RunName] = (now, null);
            }
        }

        public void Flush()
        {
            lock (_gate)
            {
                foreach (var (_, (_, pending)) in _runs)
                    if (pending != null) output.WriteLine(FormatLine(pending));
                _runs.Clear();
            }
        }
    }
}
