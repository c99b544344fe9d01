using System.Globalization;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// The <c>notebooks</c> command, independent of any command-line library, for the <c>sae</c> CLI to
/// call with the arguments after <c>sae notebooks</c>:
/// <code>
/// run &lt;notebook.ipynb&gt;... [-o|--out &lt;folder&gt;] [-p|--parameter name=value]... [--no-html] [--no-notebook] [--echo] [--quiet]
/// html &lt;notebook.ipynb&gt; [-o|--out &lt;file.html&gt;]
/// </code>
/// <c>run</c> runs each notebook (all of them, even after one fails), prints one line per cell and
/// the error of a failing cell, and returns 0 when all succeeded, 1 when any failed, 2 for a usage
/// error and 130 when cancelled. <c>html</c> exports a notebook (for example an executed one) as a
/// page without running it.
/// </summary>
public static class NotebookCommand
{
    /// <summary>Usage text.</summary>
    public const string Usage = """
        usage:
          notebooks run <notebook.ipynb>... [-o|--out <folder>] [-p|--parameter name=value]... [--no-html] [--no-notebook] [--echo] [--quiet]
          notebooks html <notebook.ipynb> [-o|--out <file.html>]

        run   executes the notebooks on .NET Interactive's C# kernel and writes, per notebook, the executed notebook and
              an HTML page (into --out, or next to the notebook as <name>.executed.ipynb and <name>.html).
              -p name=value sets a variable of the cell tagged "parameters" (e.g. -p scale=smoke).
              --echo shows the cells' console output as they run (it is in the notebook either way).
        html  writes a notebook as a standalone HTML page without running it.

        exit code: 0 success, 1 a notebook failed, 2 usage error, 130 cancelled
        """;

    /// <summary>Runs the command with the console as output.</summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command.</summary>
    /// <param name="args">Arguments after <c>notebooks</c>.</param>
    /// <param name="stdout">Where progress and results go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="pageHeadHtml">The page-head seam (plotly.js), see <see cref="NotebookRunOptions.PageHeadHtml"/>.</param>
    /// <param name="cancellationToken">Stops the run between cells.</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<string>? pageHeadHtml = null, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, pageHeadHtml, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Asynchronous form of <see cref="Run(string[], TextWriter, TextWriter, Func{string}?, CancellationToken)"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string>? pageHeadHtml = null, CancellationToken cancellationToken = default)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var verb = args[0];
        var notebooks = new List<string>();
        var parameters = new List<string>();
        string? output = null;
        bool html = true, notebook = true, quiet = false, echo = false;
        for (int i = 1; i < args.Length; i++)
        {
            var a = args[i];
            string? Value()
            {
                if (i + 1 < args.Length) return args[++i];
                stderr.WriteLine($"error: {a} needs a value\n\n{Usage}");
                return null;
            }
            switch (a)
            {
                case "-o" or "--out":
                    if ((output = Value()) is null) return 2;
                    break;
                case "-p" or "--parameter":
                    if (Value() is not { } p) return 2;
                    parameters.Add(p);
                    break;
                case "--no-html": html = false; break;
                case "--no-notebook": notebook = false; break;
                case "--quiet" or "-q": quiet = true; break;
                case "--echo": echo = true; break;
                default:
                    if (a.StartsWith('-'))
                    {
                        stderr.WriteLine($"error: unknown option '{a}'\n\n{Usage}");
                        return 2;
                    }
                    notebooks.Add(a);
                    break;
            }
        }
        if (notebooks.Count == 0)
        {
            stderr.WriteLine($"error: no notebook given\n\n{Usage}");
            return 2;
        }

        switch (verb)
        {
            case "run":
                Dictionary<string, string> values;
                try
                {
                    values = NotebookParameters.ParseAssignments(parameters);
                }
                catch (ArgumentException e)
                {
                    stderr.WriteLine($"error: {e.Message}");
                    return 2;
                }
                int exit = 0;
                foreach (var path in notebooks)
                {
                    if (cancellationToken.IsCancellationRequested) return 130;
                    var options = new NotebookRunOptions
                    {
                        Parameters = values,
                        OutputDirectory = output,
                        WriteHtml = html,
                        WriteNotebook = notebook,
                        PageHeadHtml = pageHeadHtml,
                        EchoOutput = echo ? stdout : null,
                        Progress = quiet ? null : new SyncProgress(p => WriteProgress(stdout, p)),
                    };
                    var result = await NotebookRunner.RunAsync(path, options, cancellationToken).ConfigureAwait(false);
                    if (result.Succeeded)
                    {
                        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{path}: ok, {result.Cells.Count} cells in {result.Duration.TotalSeconds:F1} s"));
                    }
                    else
                    {
                        stderr.WriteLine("error: " + result.Error);
                        foreach (var line in result.Error!.Details.Take(20)) stderr.WriteLine("  " + line);
                    }
                    if (result.ExecutedNotebookPath is { } nbOut) stdout.WriteLine($"  executed notebook: {nbOut}");
                    if (result.HtmlPath is { } htmlOut) stdout.WriteLine($"  html: {htmlOut}");
                    if (result.ExitCode == 130) return 130;
                    if (result.ExitCode != 0) exit = 1;
                }
                return exit;

            case "html":
                if (notebooks.Count != 1)
                {
                    stderr.WriteLine($"error: html takes one notebook\n\n{Usage}");
                    return 2;
                }
                try
                {
                    var nb = Notebook.Load(notebooks[0]);
                    var target = output ?? Path.ChangeExtension(notebooks[0], ".html");
                    NotebookHtmlExporter.Write(nb, target, new NotebookHtmlOptions
                    {
                        FallbackTitle = Path.GetFileNameWithoutExtension(notebooks[0]),
                        PageHeadHtml = pageHeadHtml,
                    });
                    stdout.WriteLine($"html: {target}");
                    return 0;
                }
                catch (Exception e) when (e is NotebookFormatException or IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine("error: " + e.Message);
                    return 1;
                }

            default:
                stderr.WriteLine($"error: unknown command '{verb}'\n\n{Usage}");
                return 2;
        }
    }

    private static void WriteProgress(TextWriter stdout, NotebookProgress p)
    {
        if (p.Stage == NotebookProgressStage.CellStarted) return;
        var what = p.IsInjectedParameters ? "injected parameters" : $"code cell {p.CodeCellNumber}";
        var status = p.Stage == NotebookProgressStage.CellCompleted ? "ok" : "FAILED";
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{p.Step}/{p.TotalSteps}] {what}: {status} {p.CellDuration.TotalSeconds:F2} s  {p.Preview}"));
    }

    /// <summary>Reports synchronously on the runner's thread, so lines appear in order.</summary>
    private sealed class SyncProgress(Action<NotebookProgress> report) : IProgress<NotebookProgress>
    {
        public void Report(NotebookProgress value) => report(value);
    }
}
