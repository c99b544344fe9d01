using System.Text.Json;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>HTML pages and fragments, the embedded plotly.js, and atomic file writes.</summary>
public sealed class FigureFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("saewb-plot-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void The_embedded_plotly_js_is_the_version_pinned_in_environment_package_lock()
    {
        var lockFile = Path.Combine(RepoRoot(), "environment", "package-lock.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(lockFile));
        var pinned = doc.RootElement.GetProperty("packages").GetProperty("node_modules/plotly.js-dist-min").GetProperty("version").GetString();

        var source = PlotlyJs.Source; // without plotly.js embedded this throws, naming environment/setup.sh

        Assert.True(PlotlyJs.IsAvailable);
        Assert.Equal(pinned, PlotlyJs.Version);
        Assert.True(source.Length > 1_000_000);
        Assert.NotNull(typeof(PlotlyJs).Assembly.GetManifestResourceStream(PlotlyJs.ResourceName)); // embedded, not found on disk
    }

    [Fact]
    public void The_dll_alone_carries_plotly_js_as_when_a_notebook_loads_it_with_hash_r_from_elsewhere()
    {
        var copy = Path.Combine(dir, "SaeWorkbench.Plotting.dll");
        File.Copy(typeof(PlotlyJs).Assembly.Location, copy);
        var alc = new System.Runtime.Loader.AssemblyLoadContext("hash-r", isCollectible: true);
        try
        {
            var asm = alc.LoadFromAssemblyPath(copy);
            var plotlyJs = asm.GetType("SaeWorkbench.Plotting.PlotlyJs", throwOnError: true)!;

            Assert.NotSame(typeof(PlotlyJs).Assembly, asm);
            Assert.Equal(PlotlyJs.Version, plotlyJs.GetProperty("Version")!.GetValue(null));
        }
        finally
        {
            alc.Unload();
        }
    }

    [Fact]
    public void A_full_page_is_self_contained_with_plotly_js_once_and_text_that_cannot_end_a_script()
    {
        var fig = new Figure(new Scatter { Y = new[] { 1.0, 2 }, Name = "</script><script>alert(1)</script>" }) { Layout = { Title = "x < y & <b>z</b>" } };

        var html = fig.ToHtml();

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<title>x &lt; y &amp; z</title>", html, StringComparison.Ordinal);
        Assert.Equal(1, Count(html, "data-saewb-plotly="));
        Assert.Equal(Count(html, "<script"), Count(html, "</script>")); // no text closes a script early
        Assert.Contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html.Replace(PlotlyJs.Source, "", StringComparison.Ordinal), StringComparison.Ordinal); // nothing to fetch
    }

    [Fact]
    public void Fragments_reference_or_inline_plotly_js_as_asked_and_carry_a_key_from_the_figure_json()
    {
        var fig = SampleFigures.BoxesSample().Figure;

        var referenced = fig.ToHtml(fullPage: false, PlotlyJsInclusion.PageScript);
        var inline = fig.ToHtml(fullPage: false, PlotlyJsInclusion.Inline);
        var other = SampleFigures.BarsSample().Figure.ToHtmlFragment();

        Assert.Equal(referenced, fig.ToHtmlFragment());
        Assert.Equal(0, Count(referenced, "data-saewb-plotly"));
        Assert.Equal(1, Count(inline, "data-saewb-plotly"));
        Assert.EndsWith(referenced, inline, StringComparison.Ordinal);
        Assert.Equal(Key(referenced), Key(inline));
        Assert.NotEqual(Key(referenced), Key(other));
        Assert.Throws<ArgumentException>(() => fig.ToHtml(fullPage: true, PlotlyJsInclusion.PageScript));
    }

    [Fact]
    public void WriteHtml_and_WriteJson_write_whole_files_atomically_and_leave_no_temporary_files()
    {
        var fig = SampleFigures.HeatmapSample().Figure;
        var html = Path.Combine(dir, "fig.html");
        var json = Path.Combine(dir, "fig.json");
        File.WriteAllText(json, "old");

        fig.WriteHtml(html);
        fig.WriteJson(json);

        Assert.Equal(fig.ToHtml(), File.ReadAllText(html));
        Assert.Equal(fig.ToJson(), JsonSerializer.Serialize(JsonDocument.Parse(File.ReadAllText(json)).RootElement, PlotlyJson.Compact));
        Assert.Equal(["fig.html", "fig.json"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_failed_write_names_the_file_and_leaves_the_old_file_untouched()
    {
        var json = Path.Combine(dir, "fig.json");
        File.WriteAllText(json, "old");
        var bad = new Figure(new Heatmap()); // no z: the figure check fails before anything is written

        Assert.Throws<InvalidOperationException>(() => bad.WriteJson(json));
        Assert.Equal("old", File.ReadAllText(json));
        var missing = Path.Combine(dir, "no-such-folder", "fig.html");
        Assert.Contains(Path.Combine(dir, "no-such-folder"),
            Assert.Throws<DirectoryNotFoundException>(() => SampleFigures.BarsSample().Figure.WriteHtml(missing)).Message, StringComparison.Ordinal);
        Assert.Equal(["fig.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    private static string Key(string html)
    {
        const string marker = "data-saewb-figure=\"";
        var i = html.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        return html[i..html.IndexOf('"', i)];
    }

    private static int Count(string s, string what)
    {
        var n = 0;
        for (var i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "environment", "package-lock.json"))) return d.FullName;
        throw new DirectoryNotFoundException($"no environment/package-lock.json above {AppContext.BaseDirectory}");
    }
}
