using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Runs the C# code cells of a .ipynb notebook in order on .NET Interactive's C# kernel, in-process (the
/// kernel VS Code Polyglot Notebooks and Jupyter's .NET kernel run), and writes the executed notebook and a
/// standalone HTML page. See README.md next to this file.
/// <para>Each cell is sent to the kernel as a <c>SubmitCode</c> command, so cells can do whatever they can do
/// there: state across cells, <c>#r "path.dll"</c> and <c>#r "nuget:..."</c>, <c>using</c>, <c>await</c>,
/// <c>display(...)</c>, <c>HTML(...)</c>, a trailing expression whose value is shown, Console output. The
/// kernel's display events become the cell's outputs by MIME type (stream, display_data, execute_result).
/// Figures display through their .NET Interactive formatter; the runner keeps one copy of plotly.js per
/// notebook and per page.</para>
/// <para>The first failing cell (compile error or exception) stops the run. The error names the
/// notebook, the cell (1-based among code cells, and its index among all cells), the line in the
/// cell and the message; the executed notebook is still written with the error as that cell's
/// output, and the result's <see cref="NotebookRunResult.ExitCode"/> is non-zero.</para>
/// </summary>
public static partial class NotebookRunner
{
    /// <summary>Namespaces every cell imports beyond .NET Interactive's own defaults (which lack System.IO).</summary>
    public static readonly IReadOnlyList<string> DefaultImports = ["System.IO"];

    /// <summary>
    /// The workbench assemblies referenced by default when found next to the runner: the research core where the
    /// host ships it (the CLI does), and the figures library the runner itself uses; the managed assemblies they
    /// reference from the same folder (the core's tensor engine, whichever that is) are referenced with them.
    /// </summary>
    public static readonly IReadOnlyList<string> WorkbenchAssemblyNames = ["SaeWorkbench.dll", "SaeWorkbench.Plotting.dll"];

    private static readonly SemaphoreSlim WorkingDirectoryGate = new(1, 1);

    /// <summary>
    /// Runs the notebook at <paramref name="notebookPath"/> and writes its outputs (see
    /// <see cref="NotebookRunOptions"/>). Never throws for a problem in the notebook: the result
    /// carries the error; throws only for misuse (null path) or a cancelled token before the start.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(string notebookPath, NotebookRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notebookPath);
        options ??= new NotebookRunOptions();
        cancellationToken.ThrowIfCancellationRequested();
        var run = new Run(Path.GetFullPath(notebookPath), options, cancellationToken);
        if (!options.SetWorkingDirectory) return await run.ExecuteAsync().ConfigureAwait(false);

        await WorkingDirectoryGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Path.GetDirectoryName(run.NotebookPath)!;
            return await run.ExecuteAsync().ConfigureAwait(false);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            WorkingDirectoryGate.Release();
        }
    }

    /// <summary>Where the executed notebook and the HTML page go for these options.</summary>
    public static (string Notebook, string Html) OutputPaths(string notebookPath, NotebookRunOptions options)
    {
        var full = Path.GetFullPath(notebookPath);
        var dir = Path.GetDirectoryName(full)!;
        var outDir = options.OutputDirectory is null ? dir : Path.GetFullPath(options.OutputDirectory);
        var name = Path.GetFileNameWithoutExtension(full);
        bool same = string.Equals(Path.TrimEndingDirectorySeparator(outDir), Path.TrimEndingDirectorySeparator(dir), StringComparison.Ordinal);
        return (Path.Combine(outDir, same ? name + ".executed.ipynb" : name + ".ipynb"), Path.Combine(outDir, name + ".html"));
    }

    [GeneratedRegex(@"^\s*#r\s+""([^""]+)""\s*(//.*)?$")]
    private static partial Regex ReferenceDirective();

    /// <summary>A code cell to execute, with where it came from.</summary>
    private sealed record PlannedCell(NotebookCell Cell, int CodeCellNumber, int CellIndex, bool IsInjected);

    private sealed class Run(string notebookPath, NotebookRunOptions options, CancellationToken ct)
    {
        public string NotebookPath { get; } = notebookPath;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<CellRunResult> _cells = [];
        private readonly HashSet<string> _ownWorkbenchAssemblies = new(StringComparer.Ordinal);
        private readonly TextWriter? _echo = options.EchoOutput is null ? null : TextWriter.Synchronized(options.EchoOutput);
        private Notebook? _executed;
        private int _totalSteps;
        private CSharpKernel? _csharp;
        private CompositeKernel? _root;

        public async Task<NotebookRunResult> ExecuteAsync()
        {
            Notebook source;
            try
            {
                source = Notebook.Load(NotebookPath);
            }
            catch (Exception e) when (e is NotebookFormatException or IOException or UnauthorizedAccessException)
            {
                return Result(new NotebookError(NotebookErrorKind.Load, NotebookPath, null, null, false, null, null,
                    e is NotebookFormatException nf ? nf.Problem : e.Message, null, []));
            }

            // The executed notebook: a copy without outputs, timings or an earlier run's injected cell.
            var executed = source.Clone();
            var planned = new List<PlannedCell>();
            int codeNumber = 0;
            PlannedCell? parametersCell = null;
            executed.Cells.Clear();
            var copy = source.Clone();
            for (int i = 0; i < copy.Cells.Count; i++)
            {
                var cell = copy.Cells[i];
                if (cell.IsCode) codeNumber++;
                if (cell.IsCode && cell.HasTag(NotebookParameters.InjectedTag)) continue;
                executed.Cells.Add(cell);
                if (!cell.IsCode) continue;
                cell.Outputs.Clear();
                cell.ExecutionCount = null;
                cell.Metadata.Remove("execution");
                var p = new PlannedCell(cell, codeNumber, i, false);
                planned.Add(p);
                if (parametersCell is null && cell.HasTag(NotebookParameters.ParametersTag)) parametersCell = p;
            }
            _executed = executed;
            _totalSteps = planned.Count + (options.Parameters.Count > 0 ? 1 : 0);

            // Check parameters and every cell's language before running anything, so a mistake fails in milliseconds.
            if (options.Parameters.Count > 0)
            {
                if (parametersCell is null)
                    return Result(new NotebookError(NotebookErrorKind.Parameters, NotebookPath, null, null, false, null, null,
                        $"parameters were given ({string.Join(", ", options.Parameters.Keys)}) but no code cell is tagged '{NotebookParameters.ParametersTag}'; " +
                        "tag the cell that declares them (cell metadata \"tags\": [\"parameters\"])", null, []));
                var declared = NotebookParameters.DeclaredNames(parametersCell.Cell.Source);
                var unknown = options.Parameters.Keys.Where(k => !declared.Contains(k)).ToList();
                if (unknown.Count > 0)
                    return Result(new NotebookError(NotebookErrorKind.Parameters, NotebookPath, parametersCell.CodeCellNumber, parametersCell.CellIndex, false, null, null,
                        $"parameter{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))} not declared in the parameters cell; " +
                        $"it declares: {(declared.Count == 0 ? "nothing" : string.Join(", ", declared))}", null, []));
            }
            var defaultLanguage = executed.DefaultKernelName ?? executed.KernelLanguage;
            foreach (var p in planned)
            {
                var language = p.Cell.Language ?? defaultLanguage;
                if (language is null || IsCSharp(language)) continue;
                var message = $"the cell's language is '{language}'; the notebook runner runs C# cells only (.NET Interactive's C# kernel)";
                var error = new NotebookError(NotebookErrorKind.Unsupported, NotebookPath, p.CodeCellNumber, p.CellIndex, false, null, null, message, null, []);
                p.Cell.Outputs.Add(new ErrorOutput("UnsupportedInNotebookRunner", message, [error.ToString()]));
                return WriteAndFinish(error);
            }

            try
            {
                (_root, _csharp) = InteractiveKernel.Create();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or BadImageFormatException or UnauthorizedAccessException or TypeLoadException)
            {
                return Result(new NotebookError(NotebookErrorKind.Load, NotebookPath, null, null, false, null, null,
                    "could not start .NET Interactive's C# kernel: " + e.Message, null, []));
            }
            using var root = _root;
            using var echo = _echo is null ? null : root.KernelEvents.Subscribe(new EchoObserver(_echo));
            var setup = await SetUpAsync().ConfigureAwait(false);
            if (setup is not null) return WriteAndFinish(setup);

            int executionCount = 0;
            int step = 0;
            for (int k = 0; k < planned.Count; k++)
            {
                var p = planned[k];
                if (ct.IsCancellationRequested) return WriteAndFinish(Cancelled());

                var error = await ExecuteCellAsync(p, ++executionCount, ++step).ConfigureAwait(false);
                if (error is not null) return WriteAndFinish(error);

                if (p == parametersCell && options.Parameters.Count > 0)
                {
                    var injected = BuildInjectedCell(p, out var paramError);
                    if (paramError is not null) return WriteAndFinish(paramError);
                    executed.Cells.Insert(executed.Cells.IndexOf(p.Cell) + 1, injected!.Cell);
                    if (ct.IsCancellationRequested) return WriteAndFinish(Cancelled());
                    error = await ExecuteCellAsync(injected, ++executionCount, ++step).ConfigureAwait(false);
                    if (error is not null) return WriteAndFinish(error);
                }
            }
            return WriteAndFinish(null);
        }

        private static bool IsCSharp(string language) =>
            language.Equals("csharp", StringComparison.OrdinalIgnoreCase) || language.Equals("C#", StringComparison.OrdinalIgnoreCase)
            || language.Equals("c#", StringComparison.OrdinalIgnoreCase) || language.Equals(".net-csharp", StringComparison.OrdinalIgnoreCase);

        /// <summary>References (the workbench, <see cref="NotebookRunOptions.AdditionalReferences"/>) and imports for every cell.</summary>
        private async Task<NotebookError?> SetUpAsync()
        {
            var dir = Path.GetDirectoryName(NotebookPath)!;
            var references = new List<string>();
            if (options.ReferenceWorkbenchAssemblies)
            {
                var location = typeof(Figure).Assembly.Location;
                if (string.IsNullOrEmpty(location))
                    return new NotebookError(NotebookErrorKind.Load, NotebookPath, null, null, false, null, null,
                        "the workbench's assemblies are not files (a single-file publish), so notebooks cannot compile against them; publish the CLI without single-file", null, []);
                var runnerDir = Path.GetDirectoryName(location)!;
                foreach (var name in WorkbenchAssemblyNames)
                {
                    var path = Path.Combine(runnerDir, name);
                    if (!File.Exists(path)) continue;
                    foreach (var dependency in InteractiveKernel.WithDependenciesInFolder(path))
                    {
                        if (_ownWorkbenchAssemblies.Add(Path.GetFileName(dependency))) references.Add(dependency);
                    }
                }
            }
            references.AddRange(options.AdditionalReferences.Select(r => Path.GetFullPath(r, dir)));
            var missing = references.FirstOrDefault(r => !File.Exists(r));
            if (missing is not null)
                return new NotebookError(NotebookErrorKind.Load, NotebookPath, null, null, false, null, null,
                    $"the reference '{missing}' does not exist; check NotebookRunOptions.AdditionalReferences", null, []);
            _csharp!.AddAssemblyReferences(references);

            var usings = string.Join("\n", DefaultImports.Concat(options.AdditionalImports).Select(n => $"using {n};"));
            var result = await _root!.SendAsync(new SubmitCode(usings, InteractiveKernel.CSharpName), ct).ConfigureAwait(false);
            if (result.Events.OfType<CommandFailed>().FirstOrDefault() is { } failed)
                return new NotebookError(NotebookErrorKind.Load, NotebookPath, null, null, false, null, null,
                    "could not import the default namespaces: " + failed.Message, null, []);
            return null;
        }

        private NotebookError Cancelled() =>
            new(NotebookErrorKind.Cancelled, NotebookPath, null, null, false, null, null, "the run was cancelled", null, []);

        /// <summary>
        /// The cell's code as sent to the kernel: a <c>#r</c> of one of the workbench assemblies the runner
        /// already references is blanked (the line stays, so line numbers hold), whatever its folder, so a
        /// notebook that references a build folder for .NET Interactive's sake runs where that folder does not exist.
        /// </summary>
        private string CodeOf(NotebookCell cell)
        {
            if (_ownWorkbenchAssemblies.Count == 0) return cell.Source;
            var lines = cell.Source.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (ReferenceDirective().Match(lines[i]) is { Success: true } r
                    && _ownWorkbenchAssemblies.Contains(Path.GetFileName(r.Groups[1].Value.Trim())))
                    lines[i] = "";
            }
            return string.Join("\n", lines);
        }

        private string CellFilePath(PlannedCell p) =>
            p.IsInjected ? $"{NotebookPath}#injected-parameters" : $"{NotebookPath}#cell-{p.CodeCellNumber}";

        private async Task<NotebookError?> ExecuteCellAsync(PlannedCell p, int executionCount, int step)
        {
            var preview = Preview(p.Cell.Source);
            options.Progress?.Report(new NotebookProgress(NotebookPath, NotebookProgressStage.CellStarted, step, _totalSteps,
                p.CodeCellNumber, p.CellIndex, p.IsInjected, preview, TimeSpan.Zero, _clock.Elapsed));

            var cell = p.Cell;
            cell.ExecutionCount = executionCount;
            var filePath = CellFilePath(p);
            InteractiveKernel.TrySetSourcePath(_csharp!, filePath);

            var clock = Stopwatch.StartNew();
            KernelCommandResult result;
            try
            {
                result = await _root!.SendAsync(new SubmitCode(CodeOf(cell), InteractiveKernel.CSharpName), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Finish(p, cell, clock.Elapsed, false, step, preview);
                return Cancelled();
            }
            var outputs = new CellOutputBuilder(executionCount);
            NotebookError? error = null;
            List<Diagnostic>? compileErrors = null;
            foreach (var e in result.Events)
            {
                switch (e)
                {
                    case DiagnosticsProduced d when d.Diagnostics.Any(x => x.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error):
                        compileErrors = [.. d.Diagnostics.Where(x => x.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)];
                        break;
                    case CommandFailed failed:
                        error = compileErrors is { Count: > 0 } ? CompileError(p, compileErrors)
                            : failed.Exception is { } thrown && thrown.GetType().Name != "CodeSubmissionCompilationErrorException" ? RuntimeError(p, thrown, filePath)
                            : new NotebookError(NotebookErrorKind.Compile, NotebookPath, p.CodeCellNumber, p.CellIndex, p.IsInjected, null, null, failed.Message, null, []);
                        break;
                    default:
                        outputs.Add(e);
                        break;
                }
            }
            cell.Outputs.AddRange(outputs.Outputs);
            if (error is null && ct.IsCancellationRequested && !result.Events.OfType<CommandSucceeded>().Any())
                error = Cancelled();
            if (error is not null)
            {
                if (error.Kind != NotebookErrorKind.Cancelled)
                {
                    var name = error.Kind == NotebookErrorKind.Compile ? "CompilationError" : error.ExceptionType ?? "Exception";
                    var value = error.Message.StartsWith(name + ": ", StringComparison.Ordinal) ? error.Message[(name.Length + 2)..] : error.Message;
                    cell.Outputs.Add(new ErrorOutput(name, value, [error.ToString(), .. error.Details]));
                }
                Finish(p, cell, clock.Elapsed, false, step, preview);
                return error;
            }
            Finish(p, cell, clock.Elapsed, true, step, preview);
            return null;
        }

        private void Finish(PlannedCell p, NotebookCell cell, TimeSpan duration, bool ok, int step, string preview)
        {
            _cells.Add(new CellRunResult(p.CodeCellNumber, p.CellIndex, p.IsInjected, cell.ExecutionCount ?? 0, TimeSpan.Zero, duration, ok));
            options.Progress?.Report(new NotebookProgress(NotebookPath, ok ? NotebookProgressStage.CellCompleted : NotebookProgressStage.CellFailed,
                step, _totalSteps, p.CodeCellNumber, p.CellIndex, p.IsInjected, preview, duration, _clock.Elapsed));
        }

        private NotebookError CompileError(PlannedCell p, List<Diagnostic> errors)
        {
            static string Describe(Diagnostic d) =>
                $"line {d.LinePositionSpan.Start.Line + 1}, column {d.LinePositionSpan.Start.Character + 1}: error {d.Code}: {d.Message}";
            var first = errors[0];
            return new NotebookError(NotebookErrorKind.Compile, NotebookPath, p.CodeCellNumber, p.CellIndex, p.IsInjected,
                first.LinePositionSpan.Start.Line + 1, first.LinePositionSpan.Start.Character + 1,
                $"error {first.Code}: {first.Message}", null, [.. errors.Select(Describe)]);
        }

        private static Exception Unwrap(Exception e)
        {
            while (true)
            {
                if (e is TargetInvocationException { InnerException: { } inner }) e = inner;
                else if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerExceptions[0];
                else return e;
            }
        }

        private NotebookError RuntimeError(PlannedCell p, Exception thrown, string filePath)
        {
            var e = Unwrap(thrown);
            int? line = null;
            // The innermost frame in this cell's code: where it threw, or where it called what threw.
            for (var x = e; x is not null && line is null; x = x.InnerException)
            {
                foreach (var frame in new StackTrace(x, fNeedFileInfo: true).GetFrames())
                {
                    if (frame.GetFileName() == filePath && frame.GetFileLineNumber() > 0)
                    {
                        line = frame.GetFileLineNumber();
                        break;
                    }
                }
            }
            var type = e.GetType().FullName ?? e.GetType().Name;
            return new NotebookError(NotebookErrorKind.Runtime, NotebookPath, p.CodeCellNumber, p.CellIndex, p.IsInjected, line, null,
                $"{type}: {e.Message}", type, Traceback(e, type));
        }

        /// <summary>
        /// The exception's stack trace (and inner exceptions) without its first "Type: message" line,
        /// which the error already states, and without the frames of the scripting machinery.
        /// </summary>
        private static string[] Traceback(Exception e, string type)
        {
            var lines = e.ToString().Replace("\r\n", "\n").Split('\n').ToList();
            int headerLines = $"{type}: {e.Message}".Split('\n').Length;
            if (lines.Count >= headerLines && lines[0].StartsWith(type, StringComparison.Ordinal)) lines.RemoveRange(0, headerLines);
            var kept = new List<string>();
            foreach (var l in lines)
            {
                var t = l.TrimStart();
                if (t.StartsWith("at Microsoft.CodeAnalysis.Scripting.", StringComparison.Ordinal)
                    || t.StartsWith("at System.Runtime.CompilerServices.", StringComparison.Ordinal)
                    || t.StartsWith("at Microsoft.DotNet.Interactive.", StringComparison.Ordinal)
                    || t.StartsWith("at SaeWorkbench.Notebooks.NotebookRunner", StringComparison.Ordinal))
                    continue;
                if (t.StartsWith("--- End of stack trace", StringComparison.Ordinal)
                    && (kept.Count == 0 || kept[^1].TrimStart().StartsWith("--- End of stack trace", StringComparison.Ordinal)))
                    continue;
                kept.Add(l);
            }
            while (kept.Count > 0 && (kept[^1].TrimStart().StartsWith("--- End of stack trace", StringComparison.Ordinal) || kept[^1].Length == 0))
                kept.RemoveAt(kept.Count - 1);
            return [.. kept];
        }


        private PlannedCell? BuildInjectedCell(PlannedCell parametersCell, out NotebookError? error)
        {
            error = null;
            var state = _csharp!.ScriptState;
            var code = new StringBuilder("// Parameters injected by the SaeWorkbench notebook runner.\n");
            foreach (var (name, value) in options.Parameters)
            {
                var variable = state?.GetVariable(name);
                if (variable is null)
                {
                    error = new NotebookError(NotebookErrorKind.Parameters, NotebookPath, parametersCell.CodeCellNumber, parametersCell.CellIndex, false, null, null,
                        $"parameter '{name}' is not a variable after the parameters cell ran; declare it at the top level of the cell", null, []);
                    return null;
                }
                if (variable.IsReadOnly)
                {
                    error = new NotebookError(NotebookErrorKind.Parameters, NotebookPath, parametersCell.CodeCellNumber, parametersCell.CellIndex, false, null, null,
                        $"parameter '{name}' is read-only (const or readonly) in the parameters cell; declare it as a variable", null, []);
                    return null;
                }
                try
                {
                    code.Append(NotebookParameters.Assignment(name, variable.Type, value)).Append('\n');
                }
                catch (FormatException e)
                {
                    error = new NotebookError(NotebookErrorKind.Parameters, NotebookPath, parametersCell.CodeCellNumber, parametersCell.CellIndex, false, null, null,
                        e.Message, null, []);
                    return null;
                }
            }
            var cell = NotebookCell.Code(code.ToString().TrimEnd('\n'));
            cell.AddTag(NotebookParameters.InjectedTag);
            // A fixed id (unless the notebook already uses it), so that the executed notebook is the same on every run.
            if (_executed!.UsesCellIds)
                cell.Id = _executed.Cells.Any(c => c.Id == NotebookParameters.InjectedTag) ? _executed.NewCellId() : NotebookParameters.InjectedTag;
            return new PlannedCell(cell, parametersCell.CodeCellNumber, parametersCell.CellIndex, true);
        }

        private NotebookRunResult WriteAndFinish(NotebookError? error)
        {
            var nb = _executed!;
            var (nbPath, htmlPath) = OutputPaths(NotebookPath, options);
            string? writtenNotebook = null, writtenHtml = null;
            nb.Metadata["saewb_run"] = new JsonObject
            {
                ["parameters"] = new JsonObject(options.Parameters.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
                ["succeeded"] = error is null,
            };
            var pageHead = options.PageHeadHtml ?? PlotlyJs.ScriptElement;
            KeepOnePlotlyJs(nb);
            try
            {
                if (options.WriteHtml)
                {
                    NotebookHtmlExporter.Write(nb, htmlPath, new NotebookHtmlOptions
                    {
                        FallbackTitle = Path.GetFileNameWithoutExtension(NotebookPath),
                        PageHeadHtml = pageHead,
                    });
                    writtenHtml = htmlPath;
                }
                if (options.WriteNotebook)
                {
                    if (options.EmbedPageHeadInNotebook) EmbedPageHead(nb, pageHead());
                    nb.Save(nbPath);
                    writtenNotebook = nbPath;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotebookFormatException or InvalidOperationException)
            {
                error ??= new NotebookError(NotebookErrorKind.Output, NotebookPath, null, null, false, null, null,
                    "could not write the outputs: " + e.Message, null, []);
            }
            return Result(error, writtenNotebook, writtenHtml);
        }

        /// <summary>
        /// Figures displayed through .NET Interactive's formatter each carry plotly.js (so each output renders on its
        /// own in a notebook front end); the run keeps none of those copies and marks the figure outputs instead, so
        /// that the page (and, with <see cref="NotebookRunOptions.EmbedPageHeadInNotebook"/>, the notebook) holds
        /// plotly.js once.
        /// </summary>
        private static void KeepOnePlotlyJs(Notebook nb)
        {
            foreach (var output in nb.Cells.SelectMany(c => c.Outputs).OfType<DisplayDataOutput>())
            {
                if (output.Data.GetText(MimeBundle.TextHtml) is not { } html || !PlotlyJs.IsFigureHtml(html)) continue;
                output.Data.WithText(MimeBundle.TextHtml, PlotlyJs.RemoveInlineCopies(html));
                output.Metadata[NotebookHtmlExporter.MetadataKey] = new JsonObject { [NotebookHtmlExporter.NeedsPageHeadFlag] = true };
            }
        }

        private static void EmbedPageHead(Notebook nb, string head)
        {
            var first = nb.Cells.SelectMany(c => c.Outputs).OfType<DisplayDataOutput>().FirstOrDefault(NotebookHtmlExporter.NeedsPageHead);
            if (first?.Data.GetText(MimeBundle.TextHtml) is { } html) first.Data.WithText(MimeBundle.TextHtml, head + "\n" + html);
        }

        private NotebookRunResult Result(NotebookError? error, string? nbPath = null, string? htmlPath = null) =>
            new(NotebookPath, error, _cells.ToArray(), _totalSteps, _clock.Elapsed, nbPath, htmlPath,
                new Dictionary<string, string>(options.Parameters));

        private static string Preview(string source)
        {
            var line = source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("#!", StringComparison.Ordinal)) ?? "";
            return line.Length <= 60 ? line : line[..57] + "...";
        }
    }

    /// <summary>
    /// Turns the kernel's events for one cell into nbformat outputs, in order: stdout/stderr text (consecutive
    /// writes to one stream merged, as Jupyter does), display_data (an update replaces the output it names),
    /// and the trailing expression's execute_result. Each output gets every MIME type the kernel formatted,
    /// plus text/plain when the kernel gave only HTML.
    /// </summary>
    private sealed class CellOutputBuilder(int executionCount)
    {
        private readonly Dictionary<string, DisplayDataOutput> _byValueId = new(StringComparer.Ordinal);

        public List<NotebookOutput> Outputs { get; } = [];

        public void Add(KernelEvent e)
        {
            switch (e)
            {
                case StandardOutputValueProduced o:
                    Stream(StreamOutput.Stdout, o.FormattedValues);
                    break;
                case StandardErrorValueProduced o:
                    Stream(StreamOutput.Stderr, o.FormattedValues);
                    break;
                case DisplayedValueUpdated u when u.ValueId is { } id && _byValueId.TryGetValue(id, out var shown):
                    shown.Data = Bundle(u.Value, u.FormattedValues);
                    break;
                case ReturnValueProduced r:
                    Outputs.Add(new ExecuteResultOutput(Bundle(r.Value, r.FormattedValues), executionCount));
                    break;
                case DisplayEvent d when e is DisplayedValueProduced or DisplayedValueUpdated:
                    var output = new DisplayDataOutput(Bundle(d.Value, d.FormattedValues));
                    if (d.ValueId is { } valueId) _byValueId[valueId] = output;
                    Outputs.Add(output);
                    break;
            }
        }

        private void Stream(string name, IReadOnlyCollection<FormattedValue> values)
        {
            var text = string.Concat(values.Where(v => v.MimeType == PlainTextFormatter.MimeType).Select(v => v.Value));
            if (text.Length == 0) return;
            if (Outputs.Count > 0 && Outputs[^1] is StreamOutput last && last.Name == name) last.Text += text;
            else Outputs.Add(new StreamOutput(name, text));
        }

        private static MimeBundle Bundle(object? value, IReadOnlyCollection<FormattedValue> formatted)
        {
            var bundle = new MimeBundle();
            foreach (var f in formatted.Where(f => !f.SuppressDisplay))
            {
                if (MimeBundle.IsJsonMimeType(f.MimeType))
                {
                    try { bundle[f.MimeType] = JsonNode.Parse(f.Value); }
                    catch (System.Text.Json.JsonException) { bundle.WithText(f.MimeType, f.Value); }
                }
                else bundle.WithText(f.MimeType, f.Value);
            }
            // text/plain too (nbformat front ends and tools fall back on it), except for markup, which has no plain form.
            if (!bundle.ContainsKey(MimeBundle.TextPlain) && value is not null && value.GetType().GetInterface("Microsoft.AspNetCore.Html.IHtmlContent") is null)
                bundle.WithText(MimeBundle.TextPlain, value.ToDisplayString(PlainTextFormatter.MimeType));
            return bundle;
        }
    }

    /// <summary>Writes the cells' stdout and stderr to <see cref="NotebookRunOptions.EchoOutput"/> as it happens.</summary>
    private sealed class EchoObserver(TextWriter echo) : IObserver<KernelEvent>
    {
        public void OnNext(KernelEvent value)
        {
            if (value is StandardOutputValueProduced or StandardErrorValueProduced)
                foreach (var f in ((DisplayEvent)value).FormattedValues.Where(f => f.MimeType == PlainTextFormatter.MimeType)) echo.Write(f.Value);
        }

        public void OnCompleted() { }

        public void OnError(Exception error) { }
    }
}
