using System.Text.Json.Nodes;
using SaeWorkbench.Cli;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// The notebooks of notebooks/ at the smoke scale (issue 14): each runs to the end on our runner (`sae notebooks run -p
/// scale=smoke`), every assertion cell included, so a notebook that stops showing its result fails; the first ones also
/// run unchanged through the stock .NET Interactive kernel with Jupyter's nbconvert.
/// </summary>
public class NotebooksSmokeTests
{
    private static string Repository()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (Directory.Exists(Path.Combine(dir, "notebooks")) && Directory.Exists(Path.Combine(dir, "data", "builtin-lm"))) return dir;
        throw new DirectoryNotFoundException("the repository (notebooks/ and data/builtin-lm/) was not found above the test folder");
    }

    public static TheoryData<string> Notebooks() =>
        new(Directory.GetFiles(Path.Combine(Repository(), "notebooks"), "*.ipynb").Where(p => !Path.GetFileName(p).StartsWith(".ci-")).Order()
            .Select(Path.GetFileName).OfType<string>());

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task EveryNotebookRunsToItsChecksAtTheSmokeScale(string notebook)
    {
        var dir = Directory.CreateTempSubdirectory("saewb-nbsmoke-").FullName;
        try
        {
            var o = new StringWriter();
            var e = new StringWriter();
            var code = await SaeCli.RunAsync(["notebooks", "run", Path.Combine(Repository(), "notebooks", notebook), "-o", dir, "-p", "scale=smoke"], o, e);
            Assert.True(code == 0, $"{notebook} failed at the smoke scale:\n{o}\n{e}");
            Assert.True(File.Exists(Path.Combine(dir, Path.ChangeExtension(notebook, ".html"))));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// Notebooks 1 and 2 in Jupyter's way: a copy beside it with the smoke scale set in its parameters cell and its #r pointing
    /// at this build, executed by `jupyter nbconvert --execute` on the stock kernel (registered by environment/setup.sh).
    /// </summary>
    [Theory]
    [InlineData("01_quick_start.ipynb")]
    [InlineData("02_topk_vs_jumprelu.ipynb")]
    public async Task TheFirstNotebooksRunInTheStockKernel(string notebook)
    {
        var folder = Path.Combine(Repository(), "notebooks");
        var copy = Path.Combine(folder, ".ci-" + notebook);
        var nb = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, notebook)))!;
        foreach (var cell in nb["cells"]!.AsArray())
        {
            if ((string?)cell!["cell_type"] != "code") continue;
            var source = string.Concat(cell["source"]!.AsArray().Select(l => (string?)l));
            if (cell["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true)
                source = System.Text.RegularExpressions.Regex.Replace(source, "var scale = \"[a-z]+\";", "var scale = \"smoke\";");
            source = source.Replace("../src/SaeWorkbench/bin/Release/net10.0/SaeWorkbench.dll", Path.Combine(AppContext.BaseDirectory, "SaeWorkbench.dll"));
            cell["source"] = source;
        }
        File.WriteAllText(copy, nb.ToJsonString());
        var executed = Path.Combine(folder, ".ci-executed-" + notebook);
        try
        {
            await NotebookPageBrowserTests.Run("/usr/bin/jupyter", folder, "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=300",
                Path.GetFileName(copy), "--output", Path.GetFileName(executed));
            var outputs = JsonNode.Parse(File.ReadAllText(executed))!["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? []).ToList();
            Assert.DoesNotContain(outputs, o => (string?)o!["output_type"] == "error");
            Assert.Contains(outputs, o => (string?)o!["output_type"] == "stream" && o["text"]!.ToJsonString().Contains("ok: ", StringComparison.Ordinal));   // the checks' closing line
        }
        finally
        {
            File.Delete(copy);
            if (File.Exists(executed)) File.Delete(executed);
        }
    }
}
