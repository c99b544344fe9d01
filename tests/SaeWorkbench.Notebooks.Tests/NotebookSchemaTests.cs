using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks.Tests;

public class NotebookSchemaTests
{
    private static JsonObject Valid() => JsonNode.Parse("""
        {
         "cells": [
          { "cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# hi" },
          { "cell_type": "code", "id": "c1", "execution_count": 1, "metadata": { "tags": ["parameters"] }, "source": ["x\n", "y"],
            "outputs": [
              { "output_type": "stream", "name": "stdout", "text": "a" },
              { "output_type": "display_data", "data": { "text/html": ["<b>", "</b>"], "application/vnd.plotly.v1+json": {"data": []} }, "metadata": {} },
              { "output_type": "execute_result", "data": { "text/plain": "1" }, "metadata": {}, "execution_count": 1 },
              { "output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"] }
            ] },
          { "cell_type": "raw", "id": "r1", "metadata": { "format": "text/html" }, "source": "" }
         ],
         "metadata": { "kernelspec": { "name": ".net-csharp", "display_name": ".NET (C#)" }, "language_info": { "name": "C#" } },
         "nbformat": 4,
         "nbformat_minor": 5
        }
        """)!.AsObject();

    [Fact]
    public void Accepts_a_valid_notebook() => Assert.Empty(NotebookSchema.Validate(Valid()));

    public static TheoryData<string, Action<JsonObject>, string> Breakages => new()
    {
        { "no cells", nb => nb.Remove("cells"), "$.cells: required property is missing" },
        { "extra top-level key", nb => nb["extra"] = 1, "$.extra: property is not allowed here" },
        { "nbformat 3", nb => nb["nbformat"] = 3, "$.nbformat: must be the integer 4" },
        { "kernelspec without display_name", nb => nb["metadata"]!["kernelspec"]!.AsObject().Remove("display_name"), "$.metadata.kernelspec.display_name: required" },
        { "code cell without outputs", nb => Cell(nb, 1).Remove("outputs"), "$.cells[1].outputs: required property is missing" },
        { "code cell without execution_count", nb => Cell(nb, 1).Remove("execution_count"), "$.cells[1].execution_count: required" },
        { "negative execution_count", nb => Cell(nb, 1)["execution_count"] = -1, "$.cells[1].execution_count: must be an integer >= 0 or null" },
        { "string execution_count", nb => Cell(nb, 1)["execution_count"] = "1", "$.cells[1].execution_count: must be an integer" },
        { "missing id in 4.5", nb => Cell(nb, 0).Remove("id"), "$.cells[0].id: required property is missing" },
        { "bad id", nb => Cell(nb, 0)["id"] = "a b", "$.cells[0].id: 'a b' must be 1-64 characters" },
        { "duplicate id", nb => Cell(nb, 2)["id"] = "m1", "$.cells[2].id: 'm1' is not unique" },
        { "id in 4.4", nb => nb["nbformat_minor"] = 4, "cell ids are not allowed before nbformat 4.5" },
        { "outputs on markdown", nb => Cell(nb, 0)["outputs"] = new JsonArray(), "$.cells[0].outputs: property is not allowed here" },
        { "source as number", nb => Cell(nb, 0)["source"] = 3, "$.cells[0].source: must be a string or an array of strings" },
        { "tags with comma", nb => Cell(nb, 1)["metadata"]!["tags"] = new JsonArray("a,b"), "tag 'a,b' must be non-empty without commas" },
        { "stream without name", nb => Output(nb, 0).Remove("name"), "$.cells[1].outputs[0].name: required" },
        { "display_data without metadata", nb => Output(nb, 1).Remove("metadata"), "$.cells[1].outputs[1].metadata: required" },
        { "text/html as number", nb => Output(nb, 1)["data"]!["text/html"] = 5, "['text/html']: must be a string or an array of strings" },
        { "execute_result without execution_count", nb => Output(nb, 2).Remove("execution_count"), "$.cells[1].outputs[2].execution_count: required" },
        { "display_data with execution_count", nb => Output(nb, 1)["execution_count"] = 1, "$.cells[1].outputs[1].execution_count: property is not allowed" },
        { "traceback of numbers", nb => Output(nb, 3)["traceback"] = new JsonArray(1), "traceback: must be an array of strings" },
        { "output without type", nb => Output(nb, 3).Remove("output_type"), "$.cells[1].outputs[3].output_type: required" },
    };

    private static JsonObject Cell(JsonObject nb, int i) => nb["cells"]![i]!.AsObject();
    private static JsonObject Output(JsonObject nb, int i) => Cell(nb, 1)["outputs"]![i]!.AsObject();

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Rejects(string what, Action<JsonObject> breakIt, string expected)
    {
        var nb = Valid();
        breakIt(nb);
        var problems = NotebookSchema.Validate(nb);
        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)),
            $"{what}: expected a problem containing \"{expected}\", got: {string.Join("; ", problems)}");
    }

    [Fact]
    public void Unknown_output_and_cell_types_from_later_versions_are_allowed()
    {
        var nb = Valid();
        Cell(nb, 1)["outputs"]!.AsArray().Add(new JsonObject { ["output_type"] = "future", ["x"] = 1 });
        nb["cells"]!.AsArray().Add(new JsonObject { ["cell_type"] = "future_cell", ["metadata"] = new JsonObject() });
        Assert.Empty(NotebookSchema.Validate(nb));
    }
}
