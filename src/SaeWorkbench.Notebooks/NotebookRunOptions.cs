namespace SaeWorkbench.Notebooks;

/// <summary>How <see cref="NotebookRunner.RunAsync"/> runs a notebook and where it writes the results.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>
    /// Values for the variables of the notebook's parameters cell (the first code cell tagged
    /// <c>parameters</c>), by variable name; the text is converted to the variable's type (string,
    /// bool, integer and floating-point types, decimal, enums). See <see cref="NotebookParameters"/>.
    /// Empty: the notebook runs with the defaults written in the cell.
    /// </summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Folder for the outputs: <c>&lt;name&gt;.ipynb</c> (the executed notebook) and <c>&lt;name&gt;.html</c>.
    /// Null: the notebook's own folder, with the names <c>&lt;name&gt;.executed.ipynb</c> and
    /// <c>&lt;name&gt;.html</c> (the source notebook is never overwritten). An output folder equal to the
    /// notebook's folder also gets the <c>.executed</c> suffix.
    /// </summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Write the executed notebook (default true).</summary>
    public bool WriteNotebook { get; init; } = true;

    /// <summary>Write the standalone HTML page (default true).</summary>
    public bool WriteHtml { get; init; } = true;

    /// <summary>
    /// The seam for what HTML outputs need from the page, such as plotly.js for figures: markup
    /// (typically <c>&lt;script&gt;...plotly.min.js...&lt;/script&gt;</c>) that the HTML export puts once in
    /// the page's head when any output needs it. Called at most once per page and notebook. Null: the
    /// plotly.js embedded in SaeWorkbench.Plotting.dll (<c>PlotlyJs.ScriptElement()</c>). See <see cref="NotebookHtmlOptions.PageHeadHtml"/>.
    /// </summary>
    public Func<string>? PageHeadHtml { get; init; }

    /// <summary>
    /// Put <see cref="PageHeadHtml"/> (plotly.js) once into the executed .ipynb, in front of the first output
    /// that needs it, so that its figures render when it is opened in Jupyter or VS Code, offline (default
    /// true; the figure outputs of .NET Interactive's formatter each carry plotly.js, and the runner keeps one
    /// copy per notebook). False: the notebook holds no plotly.js (smaller; charts render only where the
    /// page has plotly.js already).
    /// </summary>
    public bool EmbedPageHeadInNotebook { get; init; } = true;

    /// <summary>
    /// Reference the workbench's assemblies (<see cref="NotebookRunner.WorkbenchAssemblyNames"/>: SaeWorkbench.dll
    /// and SaeWorkbench.Plotting.dll, found next to the runner, with the assemblies they reference from that folder,
    /// e.g. the core's tensor engine) in every cell, so that notebooks need no <c>#r</c> for them here (default true).
    /// Notebooks that must also run in .NET Interactive still <c>#r</c> them (by a path into a build
    /// folder); the runner then skips those directives — whatever their folder, even one that does not
    /// exist on this machine — and uses its own copies, which are the ones loaded at run time anyway.
    /// False: <c>#r</c> directives are honoured as written.
    /// </summary>
    public bool ReferenceWorkbenchAssemblies { get; init; } = true;

    /// <summary>More assemblies (paths) to reference in every cell.</summary>
    public IReadOnlyList<string> AdditionalReferences { get; init; } = [];

    /// <summary>More namespaces to import in every cell.</summary>
    public IReadOnlyList<string> AdditionalImports { get; init; } = [];

    /// <summary>
    /// Run the cells with the process's current directory set to the notebook's folder, as Jupyter
    /// and VS Code do, so relative file paths in cells mean the same everywhere (default true).
    /// The current directory is process-wide: runs that set it take a process-wide lock, so they
    /// run one at a time; runs that do not set it run concurrently.
    /// </summary>
    public bool SetWorkingDirectory { get; init; } = true;

    /// <summary>
    /// Also write the cells' console output (stdout and stderr) here as it happens, so that a long
    /// cell shows its progress lines on the terminal; it is captured into the notebook either way.
    /// May be the console itself. Null: no echo (default).
    /// </summary>
    public TextWriter? EchoOutput { get; init; }

    /// <summary>Reports each cell's start and end (for progress bars and logs).</summary>
    public IProgress<NotebookProgress>? Progress { get; init; }
}

/// <summary>Where a progress report stands.</summary>
public enum NotebookProgressStage
{
    /// <summary>The cell is about to compile and run.</summary>
    CellStarted,
    /// <summary>The cell ran without error.</summary>
    CellCompleted,
    /// <summary>The cell failed; the run stops.</summary>
    CellFailed,
}

/// <summary>One progress report: a code cell started, completed or failed.</summary>
/// <param name="NotebookPath">The notebook being run.</param>
/// <param name="Stage">What happened.</param>
/// <param name="Step">1-based position of this cell among the cells this run executes (the injected parameters cell counts).</param>
/// <param name="TotalSteps">How many cells this run executes when nothing fails.</param>
/// <param name="CodeCellNumber">1-based number of the cell among the source notebook's code cells (for the injected parameters cell: the parameters cell's number).</param>
/// <param name="CellIndex">0-based index of the cell among all cells of the source notebook.</param>
/// <param name="IsInjectedParameters">Whether this is the cell the runner injected with the given parameters.</param>
/// <param name="Preview">The cell's first non-empty line, shortened.</param>
/// <param name="CellDuration">Time the cell took (zero at start).</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record NotebookProgress(
    string NotebookPath,
    NotebookProgressStage Stage,
    int Step,
    int TotalSteps,
    int CodeCellNumber,
    int CellIndex,
    bool IsInjectedParameters,
    string Preview,
    TimeSpan CellDuration,
    TimeSpan Elapsed);
