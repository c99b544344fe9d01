using System.Text.RegularExpressions;

namespace SaeWorkbench.Notebooks.Tests;

/// <summary>
/// What the runner gets from running on .NET Interactive's C# kernel: NuGet references with their kernel extensions,
/// figures through the kernel's formatter (plotly.js once per notebook and page), DataFrame tables, and a clean,
/// reproducible executed notebook.
/// </summary>
public class KernelFeatureTests
{
    [Fact]
    public async Task A_nuget_reference_loads_the_package_and_its_interactive_extension_so_a_DataFrame_shows_as_a_table()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("nuget.ipynb"),
            Nb.Code("#r \"nuget: Microsoft.Data.Analysis, 0.24.0\""),
            Nb.Code("""
                using Microsoft.Data.Analysis;
                var df = new DataFrame(new Int32DataFrameColumn("n", new[] { 7, 8 }), new StringDataFrameColumn("name", new[] { "seven", "eight" }));
                df
                """));
        var result = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("out"), WriteHtml = false });
        Assert.True(result.Succeeded, result.Error?.ToString());
        var cells = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!));
        var table = Nb.Text(Assert.IsType<ExecuteResultOutput>(cells[1].Outputs.Last()), "text/html")!;
        Assert.Contains("<table", table);
        Assert.Contains("seven", table);
        Assert.Contains("eight", table);
        Assert.Contains("<th", table);
    }

    [Fact]
    public async Task Figures_display_through_the_kernel_formatter_with_plotly_js_once_per_notebook_and_page()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("figs.ipynb"),
            Nb.Code("""
                using SaeWorkbench.Plotting;
                var fig = new Figure(new Scatter { X = new double[] { 1, 2, 3 }, Y = new double[] { 3, 1, 2 } });
                display(fig);
                display(new Figure(new Bar { X = new[] { "a", "b" }, Y = new double[] { 1, 2 } }));
                """),
            Nb.Code("fig"));
        var result = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("out") });
        Assert.True(result.Succeeded, result.Error?.ToString());

        var text = File.ReadAllText(result.ExecutedNotebookPath!);
        var cells = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!));
        var figures = cells.SelectMany(c => c.Outputs).OfType<DisplayDataOutput>().ToList();
        Assert.Equal(3, figures.Count);
        Assert.All(figures, f => Assert.Contains("data-saewb-figure=", Nb.Text(f, "text/html")));
        Assert.All(figures, f => Assert.StartsWith("Figure", Nb.Text(f, "text/plain"))); // the formatter's plain summary
        Assert.Equal(1, Count(text, "data-saewb-plotly="));   // the notebook carries plotly.js once, in front of the first figure
        Assert.Contains("data-saewb-plotly=", Nb.Text(figures[0], "text/html"));
        Assert.Equal(1, Count(text, "(function (define, module, exports, require) {"));

        var page = File.ReadAllText(result.HtmlPath!);
        Assert.Equal(1, Count(page, "data-saewb-plotly="));
        Assert.Equal(3, Count(page, "class=\"saewb-figure\""));
    }

    [Fact]
    public async Task Result_tables_from_the_workbench_show_as_HTML_tables_without_any_reference_in_the_notebook()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("tables.ipynb"), Nb.Code("""
            using SaeWorkbench.Experiments;
            using SaeWorkbench.Tables;
            new[] { new StepTiming("harvest", 1.5), new StepTiming("train", 4.25) }.ToDataFrame()
            """));
        var result = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("out"), WriteHtml = false });
        Assert.True(result.Succeeded, result.Error?.ToString());
        var html = Nb.Text(Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!))[0].Outputs.Single(), "text/html")!;
        Assert.Contains("<table", html);
        Assert.Contains("harvest", html);
        Assert.Contains("4.25", html);
    }

    [Fact]
    public async Task The_executed_notebook_is_clean_and_the_same_on_every_run()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("clean.ipynb"),
            Nb.Code("var steps = 3;", "parameters"),
            Nb.Code("Console.WriteLine($\"steps {steps}\");\ndisplay(HTML(\"<b>x</b>\"));\nsteps * 2"));
        var first = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("a"), Parameters = new Dictionary<string, string> { ["steps"] = "5" } });
        var second = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("b"), Parameters = new Dictionary<string, string> { ["steps"] = "5" } });
        Assert.True(first.Succeeded && second.Succeeded, first.Error?.ToString() ?? second.Error?.ToString());

        var a = File.ReadAllText(first.ExecutedNotebookPath!);
        Assert.Equal(a, File.ReadAllText(second.ExecutedNotebookPath!));
        Assert.Equal(File.ReadAllText(first.HtmlPath!), File.ReadAllText(second.HtmlPath!));
        Assert.DoesNotContain("\"execution\"", a);                                        // no Jupyter timestamps
        Assert.DoesNotContain("duration", a);
        Assert.DoesNotMatch(new Regex(@"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"), a);    // no machine addresses
        Assert.DoesNotContain("probeAddresses", a);
        Assert.Contains("steps 5", a);
        Assert.Contains("\"10\"", a);
        Nb.AssertValidNbformat(first.ExecutedNotebookPath!);
    }

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;
}
