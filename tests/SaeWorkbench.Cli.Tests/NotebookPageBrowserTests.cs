using System.Diagnostics;
using System.Text.Json.Nodes;
using SaeWorkbench.Cli;
using SaeWorkbench.Tests.Browser;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// Notebook pages in headless Chromium (Playwright): one exported by `sae notebooks run` (the in-process kernel), and
/// one made the way a Jupyter user makes it, through the stock .NET Interactive kernel and Debian's nbconvert. Both open
/// with no console errors, and each chart's SVG holds the traces and points it should.
/// </summary>
public class NotebookPageBrowserTests
{
    /// <summary>A notebook with a markdown cell, a displayed scatter of 5 points and console output, and a bar chart of 3 bars as the cell's value.</summary>
    private static string ChartsNotebook(string? reference)
    {
        static JsonObject Code(string id, string source) => new()
        {
            ["cell_type"] = "code", ["id"] = id, ["metadata"] = new JsonObject(), ["execution_count"] = null, ["outputs"] = new JsonArray(), ["source"] = source,
        };
        var nb = new JsonObject
        {
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp", ["display_name"] = ".NET (C#)", ["language"] = "C#" },
                ["language_info"] = new JsonObject { ["name"] = "C#" },
            },
            ["cells"] = new JsonArray(
                new JsonObject { ["cell_type"] = "markdown", ["id"] = "m0", ["metadata"] = new JsonObject(), ["source"] = "# Two charts\nA scatter of 5 points and a bar chart of 3 bars." },
                Code("c1", (reference is null ? "" : $"#r \"{reference}\"\n") + """
                    using SaeWorkbench.Plotting;
                    display(new Figure(new Scatter { X = new double[] { 1, 2, 3, 4, 5 }, Y = new double[] { 2, 3, 1, 5, 4 }, Mode = ScatterMode.Markers }));
                    Console.WriteLine("drawn");
                    """),
                Code("c2", """new Figure(new Bar { X = new[] { "a", "b", "c" }, Y = new double[] { 3, 1, 2 } })""")),
        };
        return nb.ToJsonString();
    }

    [Fact]
    public async Task An_exported_notebook_page_renders_its_charts_without_console_errors()
    {
        var dir = Directory.CreateTempSubdirectory("saewb-nbpage-").FullName;
        try
        {
            var nb = Path.Combine(dir, "charts.ipynb");
            File.WriteAllText(nb, ChartsNotebook(null));
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await SaeCli.RunAsync(new[] { "notebooks", "run", nb, "-o", dir, "--quiet" }, stdout, stderr);
            Assert.True(code == 0, stdout.ToString() + stderr);

            await AssertChartsDrawAsync(Path.Combine(dir, "charts.html"), "notebook-page.png");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// The notebook runs unchanged outside our runner: `jupyter nbconvert --to notebook --execute` through the stock kernel
    /// (dotnet-interactive 1.0.712001, registered by environment/setup.sh), then `--to html` with Debian's template, which
    /// loads require.js — the page the figures' inlined plotly.js must survive.
    /// </summary>
    [Fact]
    public async Task A_notebook_runs_in_the_stock_kernel_through_nbconvert_and_its_html_export_draws_the_charts()
    {
        const string jupyter = "/usr/bin/jupyter";
        Assert.True(File.Exists(jupyter), $"{jupyter} is missing: run `bash environment/setup.sh` (it installs Debian's jupyter-nbconvert and python3-nbclient)");
        var dir = Directory.CreateTempSubdirectory("saewb-nbconvert-").FullName;
        try
        {
            var core = Path.Combine(AppContext.BaseDirectory, "SaeWorkbench.dll");
            File.WriteAllText(Path.Combine(dir, "charts.ipynb"), ChartsNotebook(core));

            var clock = Stopwatch.StartNew();
            await Run(jupyter, dir, "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=120", "charts.ipynb", "--output", "executed.ipynb");
            var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "executed.ipynb")))!;
            var outputs = executed["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? []).ToList();
            string Html(JsonNode? o) => o?["data"]?["text/html"] is JsonArray a ? string.Concat(a.Select(l => (string?)l)) : (string?)o?["data"]?["text/html"] ?? "";
            Assert.Equal(2, outputs.Count(o => Html(o).Contains("data-saewb-figure=", StringComparison.Ordinal)));
            Assert.Contains(outputs, o => (string?)o!["output_type"] == "stream" && o["text"]!.ToJsonString().Contains("drawn", StringComparison.Ordinal));
            Assert.DoesNotContain(outputs, o => (string?)o!["output_type"] == "error");

            await Run(jupyter, dir, "nbconvert", "--to", "html", "executed.ipynb", "--output", "executed.html");
            var page = Path.Combine(dir, "executed.html");
            Assert.Contains("require", File.ReadAllText(page)); // Debian's template loads require.js: the case the wrapping is for
            await AssertChartsDrawAsync(page, "nbconvert-page.png", StockPageNoise);
            Console.WriteLine($"nbconvert execute + html + browser: {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// Failed loads on an nbconvert page that are not the notebook's: the stock kernel's first output is its bootstrap
    /// script, which probes the kernel's HTTP port (<c>/discovery</c>, then <c>resources/dotnet-interactive.js</c>) and
    /// finds nothing once the kernel has exited; Debian's HTML template points at libjs-mathjax, which setup.sh does not
    /// install (the notebook has no math). Every other error still fails the test.
    /// </summary>
    private static readonly string[] StockPageNoise = ["/discovery", "resources/dotnet-interactive.js", "/usr/share/javascript/mathjax/"];

    private static async Task AssertChartsDrawAsync(string page, string screenshot, string[]? ignoredLoads = null)
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        await using var tab = await browser.OpenAsync(page);
        Assert.Equal(2, await tab.WaitForFiguresAsync(TimeSpan.FromSeconds(30)));
        var charts = await tab.InspectChartsAsync();
        Assert.Equal(2, charts.Count);
        Assert.All(charts, c => Assert.Equal("rendered", c.State));
        Assert.Equal(5, Assert.Single(charts[0].Scatter).Points);
        Assert.Equal(3, Assert.Single(charts[1].Bars).Bars);
        var errors = tab.Errors.Where(e => !(ignoredLoads ?? []).Any(url => e.Contains(url, StringComparison.Ordinal) &&
            (e.StartsWith("failed to load ", StringComparison.Ordinal) || e.StartsWith("console.error: Failed to load resource", StringComparison.Ordinal)))).ToList();
        Assert.True(errors.Count == 0, $"{page} logged errors:\n{string.Join("\n", errors)}");
        var shot = await tab.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "artifacts", "browser", screenshot));
        Console.WriteLine($"screenshot: {shot}");
    }

    /// <summary>Runs a command in <paramref name="dir"/> with ~/.dotnet/tools on PATH (the kernelspec runs `dotnet interactive`).</summary>
    internal static async Task Run(string exe, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");
        psi.Environment["PATH"] = (Environment.GetEnvironmentVariable("PATH") ?? "") + Path.PathSeparator + tools;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw new TimeoutException($"{exe} {string.Join(' ', args)} ran over 3 minutes"); }
        var err = await stderr;
        Assert.True(p.ExitCode == 0,
            $"`{exe} {string.Join(' ', args)}` exited with {p.ExitCode} (is the .NET kernel registered? run `bash environment/setup.sh`):\n" +
            string.Join("\n", (await stdout + err).Split('\n').TakeLast(30)));
    }
}
