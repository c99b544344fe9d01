namespace SaeWorkbench.Notebooks;

/// <summary>A notebook file that is not a valid nbformat 4 notebook; the message names the file.</summary>
public sealed class NotebookFormatException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    /// <summary>The file (or other source name) that was read.</summary>
    public string Path { get; } = path;
    /// <summary>What is wrong, without the path.</summary>
    public string Problem { get; } = problem;
}
