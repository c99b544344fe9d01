using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Runs the C# code cells of a .ipynb notebook in order with Roslyn scripting — each cell a
/// submission that continues the previous one's state (variables, types, usings, references) — and
/// writes the executed notebook and a standalone HTML page. See README.md next to this file.
/// <para>In cells: <c>#r "path.dll"</c> (relative to the notebook's folder, or absolute), <c>#load</c>,
/// <c>using</c>, top-level statements and declarations, <c>await</c>, a trailing expression whose value
/// is shown (an execute_result), <c>display(value)</c> and <c>HTML(markup)</c> (<see cref="NotebookKernel"/>),
/// and Console output (captured per cell as stdout/stderr stream outputs). Default imports are
/// .NET Interactive's (System, System.Text, System.Collections, System.Collections.Generic,
/// System.Threading.Tasks, System.Linq) plus System.IO; default references are the whole .NET shared
/// framework and the workbench's core assemblies next to the runner.</para>
/// <para>Not supported, with a message naming the cell and line: <c>#r "nuget:..."</c> and <c>#i</c>
/// (no NuGet at run time), .NET Interactive magic commands (<c>#!time</c>, <c>#!fsharp</c>, ...; a
/// leading <c>#!csharp</c> is accepted) and cells in another language.</para>
/// <para>The first failing cell (compile error or exception) stops the run. The error names the
/// notebook, the cell (1-based among code cells, and its index among all cells), the line in the
/// cell and the message; the executed notebook is still written with the error as that cell's
/// output, and the result's <see cref="NotebookRunResult.ExitCode"/> is non-zero. An exception in a
/// cell never escapes into the host. (A stack overflow, or an exception on a thread the cell started
/// and left unobserved, ends a .NET process whatever the host does.)</para>
/// </summary>
public static partial class NotebookRunner
{
    /// <summary>Namespaces every cell imports (.NET Interactive's defaults, plus System.IO).</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq", "System.IO"];

    /// <summary>The workbench assemblies referenced by default when found next to the runner.</summary>
    public static readonly IReadOnlyList<string> WorkbenchAssemblyNames = ["SaeWorkbench.dll", "TorchSharp.dll"];

    private static readonly SemaphoreSlim WorkingDirectoryGate = new(1, 1);

    private static readonly Lazy<ImmutableArray<MetadataReference>> FrameworkReferences = new(() =>
    {
        var dir = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (string.IsNullOrEmpty(dir))
            throw new InvalidOperationException(
                "the notebook runner needs the .NET framework assemblies as files; in a single-file publish, set IncludeAllContentForSelfExtract=true");
        return [.. Directory.EnumerateFiles(dir, "*.dll")
            .Where(p => Path.GetFileName(p) is var n && (n.StartsWith("System.", StringComparison.Ordinal) || n is "mscorlib.dll" or "netstandard.dll" or "Microsoft.CSharp.dll" or "Microsoft.VisualBasic.Core.dll" or "Microsoft.Win32.Primitives.dll"))
            .Where(IsManagedAssembly)
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            return pe.HasMetadata && System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe).IsAssembly;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

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

    [GeneratedRegex(@"^\s*#r\s+""\s*nuget\s*:", RegexOptions.IgnoreCase)]
    private static partial Regex NugetReference();
    [GeneratedRegex(@"^\s*#i\s")]
    private static partial Regex SourceDirective();
    [GeneratedRegex(@"^\s*#!\s*(\S*)")]
    private static partial Regex MagicCommand();
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

            // The executed notebook: a copy without outputs, without an earlier run's injected cell.
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
                var p = new PlannedCell(cell, codeNumber, i, false);
                planned.Add(p);
                if (parametersCell is null && cell.HasTag(NotebookParameters.ParametersTag)) parametersCell = p;
            }
            _executed = executed;
            _totalSteps = planned.Count + (options.Parameters.Count > 0 ? 1 : 0);

            // Check parameters and every cell before running anything, so a mistake fails in milliseconds.
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
                var problem = CheckSupported(p.Cell, defaultLanguage);
                if (problem is not null)
                {
                    var error = new NotebookError(NotebookErrorKind.Unsupported, NotebookPath, p.CodeCellNumber, p.CellIndex, false,
                        problem.Value.Line, null, problem.Value.Message, null, []);
                    p.Cell.Outputs.Add(new ErrorOutput("UnsupportedInNotebookRunner", problem.Value.Message, [error.ToString()]));
                    return WriteAndFinish(error);
                }
            }

            ScriptOptions scriptOptions;
            try
            {
                scriptOptions = BuildScriptOptions();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or BadImageFormatException or UnauthorizedAccessException)
            {
                return Result(new NotebookError(NotebookErrorKind.Load, NotebookPath, null, null, false, null, null,
                    "could not set up the script references: " + e.Message, null, []));
            }

            ScriptState<object>? state = null;
            int executionCount = 0;
            int step = 0;
            for (int k = 0; k < planned.Count; k++)
            {
                var p = planned[k];
                if (ct.IsCancellationRequested) return WriteAndFinish(Cancelled());

                var (newState, error) = await ExecuteCellAsync(p, state, scriptOptions, ++executionCount, ++step).ConfigureAwait(false);
                if (error is not null) return WriteAndFinish(error);
                state = newState;

                if (p == parametersCell && options.Parameters.Count > 0)
                {
                    var injected = BuildInjectedCell(p, state!, out var paramError);
                    if (paramError is not null) return WriteAndFinish(paramError);
                    executed.Cells.Insert(executed.Cells.IndexOf(p.Cell) + 1, injected!.Cell);
                    if (ct.IsCancellationRequested) return WriteAndFinish(Cancelled());
                    (newState, error) = await ExecuteCellAsync(injected, state, scriptOptions, ++executionCount, ++step).ConfigureAwait(false);
                    if (error is not null) return WriteAndFinish(error);
                    state = newState;
                }
            }
            return WriteAndFinish(null);
        }

        private NotebookError Cancelled() =>
            new(NotebookErrorKind.Cancelled, NotebookPath, null, null, false, null, null, "the run was cancelled", null, []);

        private static (int? Line, string Message)? CheckSupported(NotebookCell cell, string? defaultLanguage)
        {
            var language = cell.Language ?? defaultLanguage;
            if (language is not null && !IsCSharp(language))
                return (null, $"the cell's language is '{language}'; the notebook runner runs C# cells only");
            var lines = cell.Source.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (NugetReference().IsMatch(lines[i]))
                    return (i + 1, "#r \"nuget:...\" needs NuGet at run time, which the runner does not use (the workbench runs offline); " +
                                   "reference a built assembly with #r \"path/to/Assembly.dll\" instead");
                if (SourceDirective().IsMatch(lines[i]))
                    return (i + 1, "#i (a NuGet package source) is not supported by the runner; reference a built assembly with #r \"path/to/Assembly.dll\"");
                var m = MagicCommand().Match(lines[i]);
                if (m.Success && !IsCSharp(m.Groups[1].Value))
                    return (i + 1, $"the .NET Interactive magic command '#!{m.Groups[1].Value}' is not supported by the runner; " +
                                   "notebooks may use #r \"path.dll\", using, display(...) and HTML(...)");
            }
            return null;
        }

        private static bool IsCSharp(string language) =>
            language.Trim().ToLowerInvariant() is "csharp" or "c#" or "cs" or ".net-csharp";

        /// <summary>
        /// The cell's code as compiled, with the same line numbers as the cell: a "#!csharp" line
        /// becomes an empty line, and so does a <c>#r</c> of a workbench assembly that the runner
        /// references itself (<see cref="NotebookRunOptions.ReferenceWorkbenchAssemblies"/>): the path
        /// such a directive names is for .NET Interactive (a build folder), may not exist where the
        /// runner runs, and the runner's copy is the one loaded at run time anyway.
        /// </summary>
        private string CodeOf(NotebookCell cell)
        {
            var lines = cell.Source.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (MagicCommand().IsMatch(lines[i])) lines[i] = "";
                else if (ReferenceDirective().Match(lines[i]) is { Success: true } r
                         && _ownWorkbenchAssemblies.Contains(Path.GetFileName(r.Groups[1].Value.Trim())))
                    lines[i] = "";
            }
            return string.Join("\n", lines);
        }

        private ScriptOptions BuildScriptOptions()
        {
            var dir = Path.GetDirectoryName(NotebookPath)!;
            var references = new List<MetadataReference>(FrameworkReferences.Value);
            var runnerAssembly = typeof(NotebookRunner).Assembly;
            if (string.IsNullOrEmpty(runnerAssembly.Location))
                throw new InvalidOperationException("the runner's assemblies are not files (single-file publish); publish with IncludeAllContentForSelfExtract=true");
            references.Add(MetadataReference.CreateFromFile(runnerAssembly.Location));
            if (options.ReferenceWorkbenchAssemblies)
            {
                var runnerDir = Path.GetDirectoryName(runnerAssembly.Location)!;
                foreach (var name in WorkbenchAssemblyNames)
                {
                    var path = Path.Combine(runnerDir, name);
                    if (!File.Exists(path)) continue;
                    references.Add(MetadataReference.CreateFromFile(path));
                    _ownWorkbenchAssemblies.Add(name);
                }
            }
            foreach (var extra in options.AdditionalReferences)
                references.Add(MetadataReference.CreateFromFile(Path.GetFullPath(extra, dir)));

            return ScriptOptions.Default
                .WithReferences(references)
                .WithImports(DefaultImports.Concat(options.AdditionalImports).Append(typeof(NotebookKernel).FullName!))
                .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(dir))
                .WithSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, dir))
                .WithLanguageVersion(LanguageVersion.Latest)
                .WithEmitDebugInformation(true)
                .WithFileEncoding(Encoding.UTF8)
                .WithAllowUnsafe(true);
        }

        private string CellFilePath(PlannedCell p) =>
            p.IsInjected ? $"{NotebookPath}#injected-parameters" : $"{NotebookPath}#cell-{p.CodeCellNumber}";

        private async Task<(ScriptState<object>? State, NotebookError? Error)> ExecuteCellAsync(
            PlannedCell p, ScriptState<object>? previous, ScriptOptions baseOptions, int executionCount, int step)
        {
            var preview = Preview(p.Cell.Source);
            options.Progress?.Report(new NotebookProgress(NotebookPath, NotebookProgressStage.CellStarted, step, _totalSteps,
                p.CodeCellNumber, p.CellIndex, p.IsInjected, preview, TimeSpan.Zero, _clock.Elapsed));

            var started = DateTimeOffset.UtcNow;
            var cell = p.Cell;
            cell.ExecutionCount = executionCount;
            var outputs = new CellOutputs(_echo);
            var filePath = CellFilePath(p);
            var scriptOptions = baseOptions.WithFilePath(filePath);
            var code = CodeOf(cell);

            var compileClock = Stopwatch.StartNew();
            Script<object> script = previous is null
                ? CSharpScript.Create(code, scriptOptions)
                : previous.Script.ContinueWith(code, scriptOptions);
            ImmutableArray<Diagnostic> diagnostics;
            try
            {
                diagnostics = script.Compile(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return (null, Cancelled());
            }
            var compileTime = compileClock.Elapsed;
            var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                var error = CompileError(p, errors);
                cell.Outputs.Add(new ErrorOutput("CompilationError", error.Message, [error.ToString(), .. error.Details]));
                Finish(p, cell, started, compileTime, TimeSpan.Zero, false, step, preview);
                return (null, error);
            }

            var runClock = Stopwatch.StartNew();
            ScriptState<object>? state = null;
            Exception? thrown = null;
            var stdout = new CellStreamWriter(outputs, StreamOutput.Stdout);
            var stderr = new CellStreamWriter(outputs, StreamOutput.Stderr);
            var previousCell = NotebookKernel.Current;
            NotebookKernel.Current = outputs;
            using (ConsoleCapture.Begin(stdout, stderr))
            {
                try
                {
                    state = previous is null
                        ? await script.RunAsync(globals: null, catchException: _ => true, cancellationToken: ct).ConfigureAwait(false)
                        : await script.RunFromAsync(previous, catchException: _ => true, cancellationToken: ct).ConfigureAwait(false);
                    thrown = state.Exception;
                    if (thrown is null && HasTrailingValue(script, filePath))
                    {
                        try
                        {
                            var (data, metadata) = DisplayFormatter.Format(state.ReturnValue);
                            outputs.Add(new ExecuteResultOutput(data, executionCount, metadata));
                        }
                        catch (Exception e)
                        {
                            thrown = e; // a figure whose ToHtmlFragment throws, a ToString that throws, ...
                        }
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    thrown = null;
                    state = null;
                }
                catch (Exception e)
                {
                    thrown = e;
                }
                finally
                {
                    NotebookKernel.Current = previousCell;
                }
            }
            var runTime = runClock.Elapsed;
            cell.Outputs.AddRange(outputs.Seal());

            if (state is null && thrown is null)
            {
                Finish(p, cell, started, compileTime, runTime, false, step, preview);
                return (null, Cancelled());
            }
            if (thrown is not null)
            {
                var error = RuntimeError(p, thrown, filePath);
                cell.Outputs.Add(new ErrorOutput(error.ExceptionType ?? "Exception", Unwrap(thrown).Message, [error.ToString(), .. error.Details]));
                Finish(p, cell, started, compileTime, runTime, false, step, preview);
                return (null, error);
            }
            Finish(p, cell, started, compileTime, runTime, true, step, preview);
            return (state, null);
        }

        private void Finish(PlannedCell p, NotebookCell cell, DateTimeOffset started, TimeSpan compile, TimeSpan run, bool ok, int step, string preview)
        {
            // Jupyter's own timing fields (nbformat: cell metadata "execution"), so tools that read them show durations.
            cell.Metadata["execution"] = new JsonObject
            {
                ["iopub.execute_input"] = started.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                ["shell.execute_reply"] = (started + compile + run).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            };
            _cells.Add(new CellRunResult(p.CodeCellNumber, p.CellIndex, p.IsInjected, cell.ExecutionCount ?? 0, compile, run, ok));
            options.Progress?.Report(new NotebookProgress(NotebookPath, ok ? NotebookProgressStage.CellCompleted : NotebookProgressStage.CellFailed,
                step, _totalSteps, p.CodeCellNumber, p.CellIndex, p.IsInjected, preview, compile + run, _clock.Elapsed));
        }

        private static bool HasTrailingValue(Script script, string filePath)
        {
            var compilation = script.GetCompilation();
            var tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == filePath) ?? compilation.SyntaxTrees.LastOrDefault();
            if (tree is null) return false;
            if (tree.GetCompilationUnitRoot().Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement }
                || !statement.SemicolonToken.IsMissing)
                return false;
            var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
            return type is not null && type.SpecialType != SpecialType.System_Void;
        }

        private NotebookError CompileError(PlannedCell p, List<Diagnostic> errors)
        {
            string Describe(Diagnostic d)
            {
                var span = d.Location.IsInSource ? d.Location.GetLineSpan() : default;
                var where = d.Location.IsInSource
                    ? $"line {span.StartLinePosition.Line + 1}, column {span.StartLinePosition.Character + 1}: "
                    : "";
                return $"{where}error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
            }
            var first = errors[0];
            int? line = null, column = null;
            if (first.Location.IsInSource)
            {
                var span = first.Location.GetLineSpan();
                line = span.StartLinePosition.Line + 1;
                column = span.StartLinePosition.Character + 1;
            }
            return new NotebookError(NotebookErrorKind.Compile, NotebookPath, p.CodeCellNumber, p.CellIndex, p.IsInjected, line, column,
                $"error {first.Id}: {first.GetMessage(CultureInfo.InvariantCulture)}", null, errors.Select(Describe).ToArray());
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


        private PlannedCell? BuildInjectedCell(PlannedCell parametersCell, ScriptState<object> state, out NotebookError? error)
        {
            error = null;
            var code = new StringBuilder("// Parameters injected by the SaeWorkbench notebook runner.\n");
            foreach (var (name, value) in options.Parameters)
            {
                var variable = state.GetVariable(name);
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
            if (_executed!.UsesCellIds) cell.Id = _executed.NewCellId();
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
                ["duration_seconds"] = Math.Round(_clock.Elapsed.TotalSeconds, 3),
            };
            try
            {
                if (options.WriteHtml)
                {
                    NotebookHtmlExporter.Write(nb, htmlPath, new NotebookHtmlOptions
                    {
                        FallbackTitle = Path.GetFileNameWithoutExtension(NotebookPath),
                        PageHeadHtml = options.PageHeadHtml,
                    });
                    writtenHtml = htmlPath;
                }
                if (options.WriteNotebook)
                {
                    if (options.EmbedPageHeadInNotebook && options.PageHeadHtml is not null) EmbedPageHead(nb, options.PageHeadHtml());
                    nb.Save(nbPath);
                    writtenNotebook = nbPath;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotebookFormatException)
            {
                error ??= new NotebookError(NotebookErrorKind.Output, NotebookPath, null, null, false, null, null,
                    "could not write the outputs: " + e.Message, null, []);
            }
            return Result(error, writtenNotebook, writtenHtml);
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
}
