using System.Text;

namespace SaeWorkbench.Notebooks;

/// <summary>The outcome of <see cref="NotebookRunner.RunAsync"/>.</summary>
/// <param name="NotebookPath">The notebook that was run (full path).</param>
/// <param name="Error">Why the run stopped, or null when every cell ran.</param>
/// <param name="Cells">The cells that were executed, in order (the failing one last).</param>
/// <param name="TotalCodeCells">Code cells the run would execute when nothing fails (including an injected parameters cell).</param>
/// <param name="Duration">Wall time of the whole run, outputs included.</param>
/// <param name="ExecutedNotebookPath">Where the executed notebook was written, or null.</param>
/// <param name="HtmlPath">Where the HTML page was written, or null.</param>
/// <param name="Parameters">The parameter values that were injected.</param>
public sealed record NotebookRunResult(
    string NotebookPath,
    NotebookError? Error,
    IReadOnlyList<CellRunResult> Cells,
    int TotalCodeCells,
    TimeSpan Duration,
    string? ExecutedNotebookPath,
    string? HtmlPath,
    IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>Whether every code cell ran without error and the outputs were written.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Process exit code for a command line: 0 success, 130 cancelled, 1 any other failure.</summary>
    public int ExitCode => Error is null ? 0 : Error.Kind == NotebookErrorKind.Cancelled ? 130 : 1;
}

/// <summary>One executed code cell.</summary>
/// <param name="CodeCellNumber">1-based number among the source notebook's code cells (injected parameters cell: that of the parameters cell).</param>
/// <param name="CellIndex">0-based index among all cells of the source notebook (injected: that of the parameters cell).</param>
/// <param name="IsInjectedParameters">Whether the runner injected this cell with the given parameters.</param>
/// <param name="ExecutionCount">The prompt number written into the executed notebook.</param>
/// <param name="CompileDuration">Time spent compiling the cell.</param>
/// <param name="RunDuration">Time spent running it.</param>
/// <param name="Succeeded">Whether it compiled and ran without error.</param>
public sealed record CellRunResult(
    int CodeCellNumber,
    int CellIndex,
    bool IsInjectedParameters,
    int ExecutionCount,
    TimeSpan CompileDuration,
    TimeSpan RunDuration,
    bool Succeeded)
{
    /// <summary>Compile plus run time.</summary>
    public TimeSpan Duration => CompileDuration + RunDuration;
}

/// <summary>What stopped a run.</summary>
public enum NotebookErrorKind
{
    /// <summary>The notebook file is missing or is not an nbformat 4 notebook.</summary>
    Load,
    /// <summary>A parameter is unknown, has a value its variable's type cannot take, or the notebook has no parameters cell.</summary>
    Parameters,
    /// <summary>A cell is in a language the runner does not run (it holds only .NET Interactive's C# kernel).</summary>
    Unsupported,
    /// <summary>A cell does not compile.</summary>
    Compile,
    /// <summary>A cell threw.</summary>
    Runtime,
    /// <summary>The run was cancelled.</summary>
    Cancelled,
    /// <summary>The executed notebook or the HTML page could not be written.</summary>
    Output,
}

/// <summary>
/// Why a run stopped, located: the notebook, the cell (1-based among code cells and 0-based among
/// all cells), the line within the cell (1-based) and the compiler's or the exception's message.
/// <see cref="ToString"/> gives one line such as
/// <c>notebooks/01.ipynb: code cell 3 (cell index 5), line 2: error CS0103: The name 'y' does not exist in the current context</c>.
/// </summary>
/// <param name="Kind">What kind of failure.</param>
/// <param name="NotebookPath">The notebook.</param>
/// <param name="CodeCellNumber">1-based number of the failing cell among the source notebook's code cells, or null when no cell is involved.</param>
/// <param name="CellIndex">0-based index of the failing cell among all cells of the source notebook, or null.</param>
/// <param name="InInjectedParameters">Whether the failure is in the cell the runner injected after the parameters cell.</param>
/// <param name="Line">1-based line within the cell, or null when unknown.</param>
/// <param name="Column">1-based column within the line, or null when unknown.</param>
/// <param name="Message">The compiler's message (with its id, e.g. <c>error CS0103: ...</c>), or the exception's type and message.</param>
/// <param name="ExceptionType">The exception's full type name for runtime errors, else null.</param>
/// <param name="Details">Further lines: every compiler error, or the exception's stack trace.</param>
public sealed record NotebookError(
    NotebookErrorKind Kind,
    string NotebookPath,
    int? CodeCellNumber,
    int? CellIndex,
    bool InInjectedParameters,
    int? Line,
    int? Column,
    string Message,
    string? ExceptionType,
    IReadOnlyList<string> Details)
{
    /// <summary>One line naming the notebook, the cell, the line and the message.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(NotebookPath);
        if (CodeCellNumber is int n)
        {
            sb.Append(": ");
            if (InInjectedParameters) sb.Append("injected parameters cell after ");
            sb.Append("code cell ").Append(n);
            if (CellIndex is int i) sb.Append(" (cell index ").Append(i).Append(')');
            if (Line is int l)
            {
                sb.Append(", line ").Append(l);
                if (Column is int c) sb.Append(", column ").Append(c);
            }
        }
        sb.Append(": ").Append(Message);
        return sb.ToString();
    }
}
