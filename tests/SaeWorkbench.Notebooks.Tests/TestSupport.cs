global using Xunit;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks.Tests;

/// <summary>A temporary folder removed at the end of the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "saewb-nb-tests", Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class Nb
{
    /// <summary>Writes a C# notebook (nbformat 4.5, .NET Interactive metadata) with the given cells.</summary>
    public static string Write(string path, params NotebookCell[] cells)
    {
        var nb = Notebook.CreateCSharp();
        foreach (var c in cells) nb.Add(c);
        nb.Save(path);
        return path;
    }

    public static NotebookCell Code(string source, params string[] tags)
    {
        var cell = NotebookCell.Code(source);
        foreach (var t in tags) cell.AddTag(t);
        return cell;
    }

    public static NotebookCell Md(string source) => NotebookCell.Markdown(source);

    /// <summary>Code cells of a notebook, in order.</summary>
    public static List<NotebookCell> CodeCells(Notebook nb) => nb.Cells.Where(c => c.IsCode).ToList();

    public static string? Text(NotebookOutput o, string mime) => (o as DisplayDataOutput)?.Data.GetText(mime);

    /// <summary>Validates the file's JSON with the nbformat 4 checker and fails the test with the problems.</summary>
    public static void AssertValidNbformat(string path)
    {
        var problems = NotebookSchema.Validate(JsonNode.Parse(System.IO.File.ReadAllText(path)));
        Assert.True(problems.Count == 0, "nbformat problems: " + string.Join("; ", problems));
    }
}
