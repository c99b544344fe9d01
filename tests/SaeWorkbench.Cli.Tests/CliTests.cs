using System.Text.Json.Nodes;
using SaeWorkbench.Cli;
using SaeWorkbench.Training;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

public class CliTests
{
    private static async Task<(int code, string stdout, string stderr)> Sae(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await SaeCli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task InfoReportsLibtorchBlasAndThreads()
    {
        var (code, stdout, _) = await Sae("info");
        Assert.Equal(0, code);
        Assert.Matches(@"libtorch\s+2\.10\.\d+.*TorchSharp", stdout);
        Assert.Matches(@"BLAS\s+MKL .*Math Kernel Library", stdout);   // TorchSharp's CPU libtorch carries MKL
        Assert.Contains($"intra-op {Environment.ProcessorCount}", stdout);
        Assert.Matches(@"OpenMP \d+", stdout);
        Assert.Contains("CUDA          not available", stdout);
    }

    [Fact]
    public async Task AnUnknownCommandIsAUsageError()
    {
        var (code, _, stderr) = await Sae("trian");
        Assert.NotEqual(0, code);
        Assert.Contains("trian", stderr);
    }

    private static string WriteNotebook(string dir, string name, params string[] cells)
    {
        var nb = new JsonObject
        {
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp", ["display_name"] = ".NET (C#)", ["language"] = "C#" },
                ["language_info"] = new JsonObject { ["name"] = "C#" },
            },
            ["cells"] = new JsonArray(cells.Select((c, i) => (JsonNode)new JsonObject
            {
                ["cell_type"] = "code",
                ["id"] = $"c{i}",
                ["metadata"] = new JsonObject(),
                ["execution_count"] = null,
                ["outputs"] = new JsonArray(),
                ["source"] = c,
            }).ToArray()),
        };
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, nb.ToJsonString());
        return path;
    }

    [Fact]
    public async Task NotebooksRunWritesTheExecutedNotebookAndAPageWithPlotlyOnce()
    {
        var dir = Directory.CreateTempSubdirectory("saewb-cli-").FullName;
        try
        {
            var nb = WriteNotebook(dir, "fig.ipynb",
                "using SaeWorkbench.Plotting;\nvar fig = new Figure(new Scatter { X = new double[] { 1, 2, 3 }, Y = new double[] { 3, 1, 2 } });",
                "display(fig);\ndisplay(fig);");
            var (code, stdout, stderr) = await Sae("notebooks", "run", nb, "-o", Path.Combine(dir, "out"), "--quiet");
            Assert.True(code == 0, stdout + stderr);
            var html = File.ReadAllText(Path.Combine(dir, "out", "fig.html"));
            // plotly.js is included once per page however many charts it shows.
            Assert.Equal(1, html.Split("data-saewb-plotly").Length - 1);
            Assert.Contains("Plotly.", html);
            Assert.True(File.Exists(Path.Combine(dir, "out", "fig.ipynb")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task AFailingCellGivesItsNumberAndMessageAndExitCodeOne()
    {
        var dir = Directory.CreateTempSubdirectory("saewb-cli-").FullName;
        try
        {
            var nb = WriteNotebook(dir, "bad.ipynb", "var x = 1;", "throw new InvalidOperationException(\"probe failed\");");
            var (code, stdout, stderr) = await Sae("notebooks", "run", nb, "-o", Path.Combine(dir, "out"));
            Assert.Equal(1, code);
            var all = stdout + stderr;
            Assert.Contains("code cell 2", all);
            Assert.Contains("probe failed", all);
        }
        finally { Directory.Delete(dir, true); }
    }
}

public class JsonConfigTests
{
    /// <summary>A config record like the trainer's: fields validated with messages naming them.</summary>
    public sealed record SampleConfig(int k, double lr, string activation = "topk") : IValidatedConfig
    {
        public void Validate()
        {
            if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be > 0");
            if (activation is not ("topk" or "jumprelu" or "relu"))
                throw new ArgumentException($"activation '{activation}' is not one of: topk, jumprelu, relu", nameof(activation));
        }
    }

    [Fact]
    public void LoadsAValidConfig()
    {
        var c = JsonConfig.Parse<SampleConfig>("{ \"k\": 32, \"lr\": 1e-4, // comment\n }", "cfg.json");
        Assert.Equal(new SampleConfig(32, 1e-4), c);
    }

    [Fact]
    public void AnUnknownFieldIsNamed()
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Parse<SampleConfig>("{ \"k\": 32, \"lr\": 1e-4, \"kk\": 3 }", "cfg.json"));
        Assert.StartsWith("cfg.json:", e.Message);
        Assert.Contains("kk", e.Message);
    }

    [Fact]
    public void AWrongTypeNamesTheField()
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Parse<SampleConfig>("{ \"k\": \"many\", \"lr\": 1e-4 }", "cfg.json"));
        Assert.Contains("$.k", e.Message);
    }

    [Fact]
    public void AMissingRequiredFieldIsNamed()
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Parse<SampleConfig>("{ \"k\": 4 }", "cfg.json"));
        Assert.Contains("lr", e.Message);
    }

    [Fact]
    public void ValidationNamesFieldValueAndRange()
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Parse<SampleConfig>("{ \"k\": -1, \"lr\": 1e-4 }", "cfg.json"));
        Assert.Contains("k", e.Message);
        Assert.Contains("-1", e.Message);
        Assert.Contains("> 0", e.Message);
        var e2 = Assert.Throws<ConfigException>(() => JsonConfig.Parse<SampleConfig>("{ \"k\": 1, \"lr\": 1, \"activation\": \"gelu\" }", "cfg.json"));
        Assert.Contains("activation 'gelu' is not one of", e2.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Load<SampleConfig>("/nonexistent/cfg.json"));
        Assert.Contains("/nonexistent/cfg.json", e.Message);
    }
}

public class TrainingProgressViewTests
{
    private static TrainingProgress Report(long step, long tokens) => new("topk-k32", step, 100, tokens, 409_600, 12_345,
        new Dictionary<string, double> { ["mse"] = 0.1234, ["aux_k"] = 0.05 }, 32, 0.0125, 1e-4, TimeSpan.FromSeconds(83));

    [Fact]
    public void ALineShowsThroughputLossesL0AndDeadFraction()
    {
        var line = TrainingProgressView.FormatLine(Report(10, 40960));
        Assert.Equal("topk-k32 step 10/100 | 12.3k tok/s | mse 0.1234 aux_k 0.05 | L0 32.0 | dead 1.2% | lr 0.0001 | 00:01:23", line);
    }

    [Fact]
    public async Task PlainLinesAreThrottledButTheLastReportIsAlwaysShown()
    {
        var output = new StringWriter();
        var view = new TrainingProgressView(output, interactive: false) { LineInterval = TimeSpan.FromHours(1) };
        var result = await view.RunAsync(p =>
        {
            for (var s = 1; s <= 100; s++) p.Report(Report(s, s * 4096));
            return Task.FromResult(42);
        });
        Assert.Equal(42, result);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("step 1/100", lines[0]);
        Assert.Contains("step 100/100", lines[1]);
    }

    [Fact]
    public async Task LiveBarsRunTheWorkAndShowTheLastReport()
    {
        var output = new StringWriter();
        var view = new TrainingProgressView(output, interactive: true);
        var result = await view.RunAsync(p =>
        {
            p.Report(Report(50, 204_800));
            p.Report(Report(100, 409_600));
            return Task.FromResult("done");
        });
        Assert.Equal("done", result);
        Assert.Contains("step 100/100", output.ToString());
    }
}
