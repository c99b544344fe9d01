using System.Diagnostics;
using SaeWorkbench.Plotting;
using SaeWorkbench.Tests.Browser;
using Xunit.Abstractions;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// Figures rendered by plotly.js in headless Chromium (issue 6, part 5): pages open without console errors and each
/// chart's SVG holds the expected traces and points. Screenshots and pages are kept under
/// <see cref="ChromiumFixture.ArtifactsDir"/>.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class BrowserRenderTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    public static TheoryData<string> SampleNames => new(SampleFigures.All().Select(s => s.Name));

    [Theory]
    [MemberData(nameof(SampleNames))]
    public async Task Each_trace_type_renders_its_traces_and_points_without_console_errors(string name)
    {
        var sample = SampleFigures.All().Single(s => s.Name == name);
        var path = Path.Combine(ChromiumFixture.ArtifactsDir, $"figure-{name}.html");
        sample.Figure.WriteHtml(path);

        await using var page = await chromium.Browser.OpenAsync(path);
        var charts = await page.InspectChartsAsync();

        AssertNoErrors(page);
        var chart = Assert.Single(charts);
        Assert.Equal("rendered", chart.State);
        sample.Expect(chart);
        output.WriteLine($"{name}: {chart}");
    }

    [Fact]
    public async Task Several_fragments_share_one_page_with_plotly_js_included_once_and_a_screenshot_is_kept()
    {
        var sw = Stopwatch.StartNew();
        var samples = SampleFigures.All();
        // The same figure twice: the fragments have the same key and must each find their own <div>.
        var figures = samples.Select(s => s.Figure).Append(samples[0].Figure).ToList();
        var html = Figure.ToHtmlPage("All sample figures", figures);
        Assert.Equal(1, Count(html, "data-saewb-plotly=")); // plotly.js once per page
        var path = Path.Combine(ChromiumFixture.ArtifactsDir, "figures.html");
        await File.WriteAllTextAsync(path, html);

        await using var page = await chromium.Browser.OpenAsync(path, width: 1280, height: 900);
        var charts = await page.InspectChartsAsync();
        var shot = await page.ScreenshotAsync(Path.Combine(ChromiumFixture.ArtifactsDir, "figures.png"));

        AssertNoErrors(page);
        Assert.Equal(figures.Count, charts.Count);
        Assert.All(charts, c => Assert.Equal("rendered", c.State));
        for (var i = 0; i < samples.Count; i++) samples[i].Expect(charts[i]);
        samples[0].Expect(charts[^1]);
        Assert.True(new FileInfo(shot).Length > 20_000, $"the screenshot {shot} is suspiciously small");
        output.WriteLine($"screenshot: {shot}");
        output.WriteLine($"page: {path} ({charts.Count} charts, {sw.Elapsed.TotalSeconds:0.0} s)");
        Console.WriteLine($"SaeWorkbench browser test screenshot: {shot}");
    }

    [Fact]
    public async Task Dotnet_interactive_outputs_inline_plotly_js_render_side_by_side_and_load_the_library_once()
    {
        // What .NET Interactive shows for display(figure): the convention formatter's text/html.
        var a = DotNetInteractiveConvention.Format(SampleFigures.HeatmapSample().Figure, "text/html");
        var b = DotNetInteractiveConvention.Format(SampleFigures.BoxesSample().Figure, "text/html");
        var body = $"<div class=\"output\">{a}</div>\n<div class=\"output\">{b}</div>";
        var path = Path.Combine(ChromiumFixture.ArtifactsDir, "inline-fragments.html");
        // A bare page, as a notebook front end gives: no plotly.js of its own. The first fragment defines window.Plotly,
        // the second finds it and skips its copy; count evaluations with a hook on the global.
        await File.WriteAllTextAsync(path,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>window.__plotlySets = 0; (function () { var p; " +
            "Object.defineProperty(window, 'Plotly', { configurable: true, get: function () { return p; }, " +
            "set: function (v) { window.__plotlySets++; p = v; } }); })();</script></head><body>\n" + body + "\n</body></html>");

        await using var page = await chromium.Browser.OpenAsync(path);
        var charts = await page.InspectChartsAsync();

        AssertNoErrors(page);
        Assert.Equal(2, charts.Count);
        Assert.All(charts, c => Assert.Equal("rendered", c.State));
        Assert.Equal(1, (await page.EvaluateAsync("window.__plotlySets")).GetInt32());
    }

    [Fact]
    public async Task Inlined_plotly_js_renders_on_a_page_with_an_AMD_loader_and_leaves_define_and_module_alone()
    {
        // Jupyter's classic front end and Debian's nbconvert HTML template load require.js, so `define` (with .amd) is a
        // global; CommonJS-style `module` globals exist on some pages too. The inlined library must not see them: were it
        // to register as a module, window.Plotly could be missing, and require.js reports "Mismatched anonymous define()".
        var a = DotNetInteractiveConvention.Format(SampleFigures.BarsSample().Figure, "text/html");
        var path = Path.Combine(ChromiumFixture.ArtifactsDir, "amd-loader-page.html");
        await File.WriteAllTextAsync(path,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>window.__defines = 0; " +
            "window.define = function () { window.__defines++; }; window.define.amd = { jQuery: true }; " +
            "window.module = { exports: {} }; window.exports = window.module.exports;</script></head><body>\n" + a + "\n</body></html>");
        await using var page = await chromium.Browser.OpenAsync(path);
        var charts = await page.InspectChartsAsync();
        AssertNoErrors(page);
        Assert.Equal("rendered", Assert.Single(charts).State);
        Assert.Equal(0, (await page.EvaluateAsync("window.__defines")).GetInt32());
        Assert.Equal(0, (await page.EvaluateAsync("Object.keys(window.module.exports).length")).GetInt32());
    }

    [Fact]
    public async Task A_fragment_on_a_page_without_plotly_js_reports_an_error_that_the_helper_sees()
    {
        // The negative case: the browser check must be able to fail.
        var path = Path.Combine(ChromiumFixture.ArtifactsDir, "missing-plotly.html");
        await File.WriteAllTextAsync(path,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n" + SampleFigures.BarsSample().Figure.ToHtmlFragment() + "\n</body></html>");

        await using var page = await chromium.Browser.OpenAsync(path);
        var state = (await page.EvaluateAsync("document.querySelector('[data-saewb-figure]').getAttribute('data-saewb-state')")).GetString();

        Assert.Equal("error", state);
        Assert.Contains(page.Errors, e => e.Contains("plotly.js is not on this page", StringComparison.Ordinal));
        Assert.Empty(await page.InspectChartsAsync());
    }

    [Fact]
    public async Task An_uncaught_script_error_on_a_page_is_reported()
    {
        var path = Path.Combine(ChromiumFixture.ArtifactsDir, "script-error.html");
        await File.WriteAllTextAsync(path, "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>");

        await using var page = await chromium.Browser.OpenAsync(path);

        Assert.Contains(page.Errors, e => e.Contains("undefinedFunction", StringComparison.Ordinal));
    }

    private void AssertNoErrors(BrowserPage page)
    {
        foreach (var w in page.Warnings) output.WriteLine($"warning: {w}");
        Assert.True(page.Errors.Count == 0, $"{page.Path} logged errors:\n{string.Join("\n", page.Errors)}");
    }

    private static int Count(string s, string what)
    {
        var n = 0;
        for (var i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
