using System.Text.Json.Nodes;
using SaeWorkbench.Cli;
using SaeWorkbench.Cli.Commands;
using SaeWorkbench.Tests.Browser;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>The artifact cache the notebook tests share (keyed by config, so runs of the suite may reuse it too).</summary>
internal static class TestArtifacts
{
    public static string Root { get; } = Init();

    private static string Init()
    {
        var root = Path.Combine(Path.GetTempPath(), "saewb-test-artifacts");
        // Notebooks run in this process and the stock kernel's child processes find it through the environment.
        Environment.SetEnvironmentVariable("SAEWB_ARTIFACTS", root);
        return root;
    }

    public static string Repository()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (Directory.Exists(Path.Combine(dir, "notebooks")) && Directory.Exists(Path.Combine(dir, "data", "builtin-lm"))) return dir;
        throw new DirectoryNotFoundException("the repository (notebooks/ and data/builtin-lm/) was not found above the test folder");
    }
}

/// <summary>`sae reproduce --scale smoke` on the built-in model, notebooks included, run once; the tests read its output.</summary>
public sealed class SmokeSuiteFixture : IDisposable
{
    public SmokeSuiteFixture()
    {
        Root = Directory.CreateTempSubdirectory("saewb-suite-").FullName;
        OutDirectory = Path.Combine(Root, "out");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (ExitCode, Stdout, Stderr) = Sae(["reproduce", "--scale", "smoke", "--out", OutDirectory, "--artifacts", TestArtifacts.Root,
            "--notebooks", Path.Combine(TestArtifacts.Repository(), "notebooks")]);
        Seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"sae reproduce --scale smoke with every notebook: {Seconds:F0} s");
    }

    public static (int, string, string) Sae(string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = SaeCli.RunAsync(args, o, e).GetAwaiter().GetResult();
        return (code, o.ToString(), e.ToString());
    }

    public string Root { get; }
    public string OutDirectory { get; }
    public int ExitCode { get; }
    public string Stdout { get; }
    public string Stderr { get; }
    public double Seconds { get; }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); }
        catch (IOException) { }
    }
}

/// <summary>
/// The notebooks of notebooks/ at the smoke scale (issue 14), as `sae reproduce` runs them: each runs to the end, its
/// assertion cell included, so a notebook that stops showing its result fails; the index links every page with its
/// one-line result; a second run resumes (keeps every passed notebook); the pages render in Chromium. The first two
/// notebooks also run unchanged through the stock .NET Interactive kernel with Jupyter's nbconvert.
/// </summary>
public class NotebooksSmokeTests(SmokeSuiteFixture suite) : IClassFixture<SmokeSuiteFixture>
{
    private static IReadOnlyList<string> Names() =>
        NotebookSuite.Notebooks(Path.Combine(TestArtifacts.Repository(), "notebooks")).Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList();

    [Fact]
    public void EveryNotebookPassesItsChecksAtTheSmokeScale()
    {
        Assert.True(suite.ExitCode == 0, $"sae reproduce --scale smoke failed:\n{suite.Stderr}\n{suite.Stdout[Math.Max(0, suite.Stdout.Length - 20000)..]}");
        var pages = Path.Combine(suite.OutDirectory, "notebooks");
        foreach (var name in Names())
        {
            Assert.True(File.Exists(Path.Combine(pages, name + ".html")), $"{name}.html is missing");
            var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(pages, name + ".ipynb")))!;
            var outputs = executed["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? []).ToList();
            Assert.DoesNotContain(outputs, o => (string?)o!["output_type"] == "error");
            Assert.NotNull(NotebookSuite.OkLine(Path.Combine(pages, name + ".ipynb")));   // the checks' closing line
        }
        var index = File.ReadAllText(Path.Combine(suite.OutDirectory, NotebookSuite.IndexFile));
        foreach (var name in Names()) Assert.Contains($"href=\"notebooks/{name}.html\"", index);
        Assert.Contains("href=\"report.html\"", index);
        Assert.DoesNotContain("class=\"fail\"", index);
    }

    [Fact]
    public void ASecondRunResumesKeepingEveryPassedNotebook()
    {
        Assert.True(suite.ExitCode == 0, suite.Stderr);
        var (code, stdout, stderr) = SmokeSuiteFixture.Sae(["reproduce", "--scale", "smoke", "--out", suite.OutDirectory, "--artifacts", TestArtifacts.Root,
            "--notebooks", Path.Combine(TestArtifacts.Repository(), "notebooks")]);
        Assert.True(code == 0, stderr + stdout);
        Assert.DoesNotContain("running at scale", stdout);
        Assert.Equal(Names().Count, stdout.Split("passed in an earlier run for this config; kept").Length - 1);
        // Every step of the experiments came from the cache.
        Assert.Equal(Experiments.Reproduction.Steps.Count, stdout.Split("  read from ").Length - 1);
    }

    [Fact]
    public async Task TheIndexAndEveryNotebookPageRenderWithoutConsoleErrors()
    {
        Assert.True(suite.ExitCode == 0, suite.Stderr);
        await using var browser = await HeadlessChromium.LaunchAsync();
        await using (var index = await browser.OpenAsync(Path.Combine(suite.OutDirectory, NotebookSuite.IndexFile)))
        {
            var links = (await index.EvaluateAsync("document.querySelectorAll(\"a[href^='notebooks/'][href$='.html']\").length")).GetInt32();
            Assert.Equal(Names().Count, links);
            Assert.Empty(index.Errors);
        }
        foreach (var name in Names())
        {
            var html = Path.Combine(suite.OutDirectory, "notebooks", name + ".html");
            var expected = File.ReadAllText(html).Split("class=\"saewb-figure\"").Length - 1;   // one per figure
            await using var tab = await browser.OpenAsync(html);
            if (expected > 0) Assert.Equal(expected, await tab.WaitForFiguresAsync(TimeSpan.FromSeconds(60)));
            var charts = await tab.InspectChartsAsync();
            Assert.All(charts, c => Assert.Equal("rendered", c.State));
            Assert.True(tab.Errors.Count == 0, $"{name}.html logged errors:\n{string.Join("\n", tab.Errors)}");
        }
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
        _ = TestArtifacts.Root;   // the kernel's process finds the shared cache through SAEWB_ARTIFACTS
        var folder = Path.Combine(TestArtifacts.Repository(), "notebooks");
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
