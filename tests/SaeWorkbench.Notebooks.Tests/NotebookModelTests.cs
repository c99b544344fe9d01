using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks.Tests;

public class NotebookModelTests
{
    // As VS Code Polyglot Notebooks writes a C# notebook (nbformat 4.4, no cell ids), with outputs of every kind.
    private const string PolyglotNotebook = """
        {
         "cells": [
          {
           "cell_type": "markdown",
           "metadata": {},
           "source": [
            "# Title\n",
            "Some *text*."
           ]
          },
          {
           "cell_type": "code",
           "execution_count": 3,
           "metadata": {
            "dotnet_interactive": { "language": "csharp" },
            "polyglot_notebook": { "kernelName": "csharp" },
            "tags": ["parameters"]
           },
           "outputs": [
            { "name": "stdout", "output_type": "stream", "text": ["line 1\n", "line 2\n"] },
            { "data": { "text/html": ["<b>x</b>"], "text/plain": "x" }, "metadata": {}, "output_type": "display_data" },
            { "data": { "text/plain": ["42"], "application/json": {"a": [1, 2]} }, "execution_count": 3, "metadata": {}, "output_type": "execute_result" },
            { "ename": "System.Exception", "evalue": "boom", "output_type": "error", "traceback": ["at A", "at B"] },
            { "output_type": "some_future_output", "payload": 7 }
           ],
           "source": "var scale = \"default\";\nscale"
          }
         ],
         "metadata": {
          "kernelspec": { "display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp" },
          "language_info": { "name": "polyglot-notebook" },
          "polyglot_notebook": { "kernelInfo": { "defaultKernelName": "csharp", "items": [ { "aliases": [], "name": "csharp" } ] } }
         },
         "nbformat": 4,
         "nbformat_minor": 4
        }
        """;

    [Fact]
    public void Reads_polyglot_notebook_with_every_output_kind()
    {
        var nb = Notebook.Parse(PolyglotNotebook, "poly.ipynb");
        Assert.Equal(4, nb.FormatMinor);
        Assert.Equal(".net-csharp", (string?)nb.Metadata["kernelspec"]!["name"]);
        Assert.Equal("csharp", nb.DefaultKernelName);
        Assert.Equal(2, nb.Cells.Count);
        Assert.Equal("# Title\nSome *text*.", nb.Cells[0].Source);
        var code = nb.Cells[1];
        Assert.Equal("var scale = \"default\";\nscale", code.Source);
        Assert.Equal("csharp", code.Language);
        Assert.True(code.HasTag("parameters"));
        Assert.Equal(3, code.ExecutionCount);
        Assert.Equal(5, code.Outputs.Count);
        var stream = Assert.IsType<StreamOutput>(code.Outputs[0]);
        Assert.Equal(("stdout", "line 1\nline 2\n"), (stream.Name, stream.Text));
        Assert.Equal("<b>x</b>", Nb.Text(code.Outputs[1], "text/html"));
        var result = Assert.IsType<ExecuteResultOutput>(code.Outputs[2]);
        Assert.Equal(3, result.ExecutionCount);
        Assert.Equal("42", result.Data.GetText("text/plain"));
        Assert.Equal(2, result.Data["application/json"]!["a"]!.AsArray().Count);
        var error = Assert.IsType<ErrorOutput>(code.Outputs[3]);
        Assert.Equal(("System.Exception", "boom"), (error.EName, error.EValue));
        Assert.Equal(["at A", "at B"], error.Traceback);
        Assert.Equal("some_future_output", Assert.IsType<UnknownOutput>(code.Outputs[4]).OutputType);
    }

    [Fact]
    public void Round_trip_keeps_everything_and_is_stable()
    {
        var nb = Notebook.Parse(PolyglotNotebook, "poly.ipynb");
        var once = nb.ToJson();
        var twice = Notebook.Parse(once, "once").ToJson();
        Assert.Equal(once, twice);
        Assert.True(JsonNode.DeepEquals(Normalise(JsonNode.Parse(PolyglotNotebook)!), Normalise(JsonNode.Parse(once)!)),
            "the written notebook differs from the read one beyond multi-line string layout:\n" + once);
        // Jupyter's layout: one-space indent, multi-line strings as arrays of lines
        Assert.Contains("\n \"cells\": [", once);
        Assert.Contains("\"var scale = \\\"default\\\";\\n\",", once);
        Assert.Empty(NotebookSchema.Validate(once));
    }

    /// <summary>Joins every multi-line string array (source, text, text mime data, traceback excluded) so layouts compare equal.</summary>
    private static JsonNode Normalise(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (k, v) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (v is JsonArray a && k is "source" or "text" or "text/html" or "text/plain" && a.All(x => x is JsonValue))
                        copy[k] = string.Concat(a.Select(x => (string?)x));
                    else copy[k] = v is null ? null : Normalise(v);
                }
                return copy;
            case JsonArray arr:
                return new JsonArray(arr.Select(x => x is null ? null : Normalise(x)).ToArray());
            default:
                return node.DeepClone();
        }
    }

    [Fact]
    public void New_cells_get_ids_in_nbformat_4_5_and_validate()
    {
        var nb = Notebook.CreateCSharp();
        nb.Add(NotebookCell.Markdown("# A"));
        nb.Add(NotebookCell.Code("1 + 1"));
        Assert.All(nb.Cells, c => Assert.Matches("^[a-zA-Z0-9-_]{1,64}$", c.Id!));
        Assert.NotEqual(nb.Cells[0].Id, nb.Cells[1].Id);
        Assert.Empty(NotebookSchema.Validate(nb.ToJson()));
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("[]", "top level is not a JSON object")]
    [InlineData("""{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": []}""", "nbformat 3 is not supported")]
    [InlineData("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}""", "missing array 'cells'")]
    [InlineData("""{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": 5, "metadata": {}}]}""", "cell 0 'source' is not a string")]
    public void Bad_files_give_an_error_naming_the_file(string json, string expected)
    {
        var e = Assert.Throws<NotebookFormatException>(() => Notebook.Parse(json, "bad/file.ipynb"));
        Assert.StartsWith("bad/file.ipynb: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Save_is_atomic_and_refuses_an_invalid_notebook_without_touching_the_old_file()
    {
        using var dir = new TempDir();
        var path = dir.File("n.ipynb");
        var nb = Notebook.CreateCSharp();
        nb.Add(NotebookCell.Code("var x = 1;"));
        nb.Save(path);
        var before = File.ReadAllBytes(path);

        nb.Cells[0].Id = "not a valid id!"; // spaces and '!' are outside nbformat's id pattern
        nb.Cells[0].Source = "changed";
        var e = Assert.Throws<NotebookFormatException>(() => nb.Save(path));
        Assert.Contains("$.cells[0].id", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["n.ipynb"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        nb.Cells[0].Id = "fixed-id";
        nb.Save(path);
        Assert.Equal("changed", Notebook.Load(path).Cells[0].Source);
        Assert.Equal(["n.ipynb"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no temporary file left
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Notebook.Load("/no/such/dir/x.ipynb"));
        Assert.Contains("/no/such/dir/x.ipynb", e.Message);
    }
}
