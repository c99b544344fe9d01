using SaeWorkbench.Plotting;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// Figures display as interactive charts in .NET Interactive (VS Code Polyglot Notebooks, Jupyter) through a
/// formatter found by convention, and in the workbench's own runner through <see cref="IHtmlDisplayable"/>.
/// </summary>
public sealed class InteractiveFormatterTests
{
    [Fact]
    public void Dotnet_interactive_finds_an_html_and_a_plain_text_formatter_for_Figure_and_prefers_html()
    {
        var (formatters, preferred) = DotNetInteractiveConvention.Discover(typeof(Figure));

        Assert.Equal(["text/html"], preferred);
        Assert.Equal(["text/html", "text/plain"], formatters.Select(f => f.MimeType).Order());
        Assert.All(formatters, f => Assert.Equal(typeof(Figure), f.Type));
    }

    [Fact]
    public void The_html_formatter_writes_a_fragment_that_carries_plotly_js_so_each_output_renders_alone()
    {
        var fig = SampleFigures.BarsSample().Figure;

        var html = DotNetInteractiveConvention.Format(fig, "text/html");

        Assert.NotNull(html);
        Assert.Equal(fig.ToHtml(fullPage: false, PlotlyJsInclusion.Inline), html);
        Assert.Contains("if (typeof window.Plotly === \"undefined\")", html, StringComparison.Ordinal);
        Assert.Contains("data-saewb-figure=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", html, StringComparison.Ordinal);
        Assert.Equal(fig.ToString(), DotNetInteractiveConvention.Format(fig, "text/plain"));
    }

    [Fact]
    public void The_formatters_decline_other_objects()
    {
        var (formatters, _) = DotNetInteractiveConvention.Discover(typeof(Figure));
        using var w = new StringWriter();

        Assert.All(formatters, f => Assert.False(f.Format("not a figure", w)));
        Assert.Equal("", w.ToString());
    }

    [Fact]
    public void The_convention_attribute_cannot_clash_with_the_real_one_in_a_notebook()
    {
        var attr = typeof(Figure).GetCustomAttributes(true).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute").GetType();

        Assert.False(attr.IsPublic); // `using Microsoft.DotNet.Interactive.Formatting;` in a notebook stays unambiguous
        Assert.NotEqual("Microsoft.DotNet.Interactive.Formatting", attr.Namespace);
        Assert.DoesNotContain(typeof(Figure).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("Microsoft.DotNet.Interactive", StringComparison.Ordinal));
    }

    [Fact]
    public void The_workbench_runner_gets_a_fragment_that_relies_on_the_page_for_plotly_js()
    {
        IHtmlDisplayable shown = SampleFigures.HeatmapSample().Figure;

        var html = shown.ToHtmlFragment();

        Assert.DoesNotContain("data-saewb-plotly", html, StringComparison.Ordinal);
        Assert.True(html.Length < 10_000, $"a fragment without plotly.js should be small, got {html.Length} characters");
        Assert.StartsWith("<div class=\"saewb-figure\"", html, StringComparison.Ordinal);
    }
}
