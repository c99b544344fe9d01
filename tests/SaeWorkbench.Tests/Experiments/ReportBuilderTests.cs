using System.Text.Json;
using SaeWorkbench.Experiments;
using Xunit;

namespace SaeWorkbench.Tests.Experiments;

/// <summary>The report page and results.json from partial results (what a notebook that ran some steps has).</summary>
public class ReportBuilderTests
{
    private static ReproductionResults Partial() => new()
    {
        Config = ReproduceConfig.Quick,
        Command = "sae reproduce --quick",
        Started = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Machine = "test machine",
        Harvest = new HarvestResult(1000, 16, 3, 128, 2, 1, 12345, "PerTokenUnitNorm", "(x - mean) / ||x - mean||", 3.5, double.NaN, 3.5, 1.0, 0.5,
            [3.5, double.NaN]),
        Timings = [new StepTiming("harvest", 1.5), new StepTiming("SAE training", 2.5)],
    };

    [Fact]
    public void OnlyTheSectionsOfStepsThatRanAppearAndPlotlyIsInlinedOnce()
    {
        var html = ReportBuilder.Html(Partial());
        Assert.Contains("<section id=\"harvest\">", html);
        Assert.Contains("<section id=\"timing\">", html);
        foreach (var absent in new[] { "subject", "architectures", "scaling", "progressive", "probes", "n2g", "ablation", "refinement", "geometry" })
            Assert.DoesNotContain($"<section id=\"{absent}\">", html);
        Assert.Equal(1, html.Split("data-saewb-plotly").Length - 1);
        Assert.Contains("<b>4.0</b>", html);                           // total seconds, 1.5 + 2.5
        Assert.Contains("3.5 (– / 3.5)", html);                        // NaN shown as a dash, never as "NaN"
        Assert.DoesNotContain(">NaN<", html);
        Assert.Contains("sae reproduce --quick", html);
    }

    [Fact]
    public void ResultsJsonHoldsEveryNumberWithNaNAsAString()
    {
        var json = ReportBuilder.Json(Partial());
        using var doc = JsonDocument.Parse(json);
        var h = doc.RootElement.GetProperty("Harvest");
        Assert.Equal("NaN", h.GetProperty("MeanNormFirstPosition").GetString());
        Assert.Equal(12345, h.GetProperty("TokensPerSecond").GetDouble());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("Training").ValueKind);
        Assert.Equal(4.0, doc.RootElement.GetProperty("TotalSeconds").GetDouble());
        Assert.Equal("PerTokenUnitNorm", doc.RootElement.GetProperty("Config").GetProperty("Normalization").GetString());
        Assert.Equal(ReproduceConfig.Quick.MainK, doc.RootElement.GetProperty("Config").GetProperty("MainK").GetInt64());
    }

    [Fact]
    public void WriteIsAtomicAndLeavesNoTemporaryFiles()
    {
        var dir = Directory.CreateTempSubdirectory("saewb-report-").FullName;
        try
        {
            var page = ReportBuilder.Write(Partial(), Path.Combine(dir, "nested", "out"));
            Assert.Equal(Path.Combine(dir, "nested", "out", "report.html"), page);
            Assert.Equal(new[] { "report.html", "results.json" }, Directory.GetFiles(Path.GetDirectoryName(page)!).Select(Path.GetFileName).Order().ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }
}
