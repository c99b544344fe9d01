using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks.Tests;

// Stands in for SaeWorkbench.Plotting.IHtmlDisplayable: the runner matches the interface by name.
public interface IHtmlDisplayable
{
    string ToHtmlFragment();
}

public sealed class FakeFigure(int traces) : IHtmlDisplayable
{
    public string ToHtmlFragment() => $"<div class=\"plotly-figure\" data-traces=\"{traces}\"></div><script>Plotly.newPlot()</script>";
    public override string ToString() => $"Figure ({traces} traces)";
}

public class DisplayTests
{
    [Fact]
    public void Formats_like_dotnet_interactive()
    {
        Assert.Equal("[ 1, 2, 3 ]", DisplayFormatter.ToPlainText(new[] { 1, 2, 3 }));
        Assert.Equal("[ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, ... (more) ]", DisplayFormatter.ToPlainText(Enumerable.Range(0, 100)));
        Assert.Equal("{ \"a\": 1 }", DisplayFormatter.ToPlainText(new Dictionary<string, int> { ["a"] = 1 }));
        Assert.Equal("1.5", DisplayFormatter.ToPlainText(1.5));
        Assert.Equal("True", DisplayFormatter.ToPlainText(true));
        Assert.Equal("Plain { A = 2, Names = [ \"x\" ] }", DisplayFormatter.ToPlainText(new Plain()));
        Assert.Equal("<null>", DisplayFormatter.ToPlainText(null));

        var (data, metadata) = DisplayFormatter.Format("<b>not html</b>");
        Assert.Equal(["text/plain"], data.Keys);
        Assert.Empty(metadata);
        (data, _) = DisplayFormatter.Format(new HtmlString("<b>html</b>"));
        Assert.Equal(["text/html"], data.Keys);
        (data, _) = DisplayFormatter.Format(7, ["text/plain"]);
        Assert.Equal(["text/plain"], data.Keys);
        Assert.Throws<ArgumentException>(() => DisplayFormatter.Format(7, ["image/png"]));
    }

    private sealed class Plain
    {
        public int A => 2;
        public string[] Names => ["x"];
    }

    [Fact]
    public void Html_displayable_objects_are_found_by_interface_name_and_flagged_for_the_page_head()
    {
        var (data, metadata) = DisplayFormatter.Format(new FakeFigure(2));
        Assert.Equal(new FakeFigure(2).ToHtmlFragment(), data.GetText("text/html"));
        Assert.Equal("Figure (2 traces)", data.GetText("text/plain"));
        Assert.True((bool)metadata["saewb"]!["needs_page_head"]!);
    }

    [Fact]
    public async Task Figures_render_in_the_executed_notebook_and_the_page_gets_its_head_once()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("figures.ipynb"),
            Nb.Md("# Figures"),
            Nb.Code("""
                public interface IHtmlDisplayable { string ToHtmlFragment(); }
                public class Fig(int n) : IHtmlDisplayable
                {
                    public string ToHtmlFragment() => $"<div class=\"fig\" id=\"fig-{n}\"></div>";
                    public override string ToString() => $"Fig {n}";
                }
                var handle = display(new Fig(0));
                handle.Update(new Fig(1));
                """),
            Nb.Code("new Fig(2)"));
        int headCalls = 0;
        const string head = "<script>/* PLOTLY-JS-MARKER */</script>";
        var options = new NotebookRunOptions
        {
            OutputDirectory = dir.File("out"),
            PageHeadHtml = () => { headCalls++; return head; },
            EmbedPageHeadInNotebook = true,
        };
        var result = await NotebookRunner.RunAsync(path, options);
        Assert.True(result.Succeeded, result.Error?.ToString());

        var cells = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!));
        var shown = Assert.IsType<DisplayDataOutput>(Assert.Single(cells[0].Outputs));
        Assert.Equal(head + "\n<div class=\"fig\" id=\"fig-1\"></div>", shown.Data.GetText("text/html")); // updated in place; head embedded once
        Assert.Equal("Fig 1", shown.Data.GetText("text/plain"));
        var returned = Assert.IsType<ExecuteResultOutput>(Assert.Single(cells[1].Outputs));
        Assert.Equal("<div class=\"fig\" id=\"fig-2\"></div>", returned.Data.GetText("text/html"));
        Assert.True((bool)returned.Metadata["saewb"]!["needs_page_head"]!);

        var html = File.ReadAllText(result.HtmlPath!);
        Assert.Equal(1, CountOf(html, "PLOTLY-JS-MARKER"));
        Assert.True(html.IndexOf("PLOTLY-JS-MARKER", StringComparison.Ordinal) < html.IndexOf("</head>", StringComparison.Ordinal));
        Assert.Contains("<div class=\"fig\" id=\"fig-1\"></div>", html);
        Assert.Contains("<div class=\"fig\" id=\"fig-2\"></div>", html);
        Assert.Equal(2, headCalls); // once for the page, once for the notebook
    }

    [Fact]
    public void Page_head_only_when_an_output_needs_it_unless_asked()
    {
        var nb = Notebook.CreateCSharp();
        var cell = nb.Add(NotebookCell.Code("1"));
        cell.Outputs.Add(new ExecuteResultOutput(new MimeBundle().WithText("text/plain", "1"), 1));
        var withHead = new NotebookHtmlOptions { PageHeadHtml = () => "<script>HEAD</script>" };
        Assert.DoesNotContain("HEAD", NotebookHtmlExporter.Render(nb, withHead));
        Assert.Contains("HEAD", NotebookHtmlExporter.Render(nb, withHead with { IncludePageHead = PageHeadInclusion.Always }));

        cell.Outputs.Add(new DisplayDataOutput(new MimeBundle().WithText("text/html", "<div>fig</div>"),
            new JsonObject { ["saewb"] = new JsonObject { ["needs_page_head"] = true } }));
        Assert.Equal(1, CountOf(NotebookHtmlExporter.Render(nb, withHead), "HEAD"));
        Assert.DoesNotContain("HEAD", NotebookHtmlExporter.Render(nb, withHead with { IncludePageHead = PageHeadInclusion.Never }));
    }

    [Fact]
    public void Html_export_escapes_markdown_sources_and_text_outputs()
    {
        var nb = Notebook.CreateCSharp();
        nb.Add(NotebookCell.Markdown("# Title <script>alert('md')</script>\n\n[x](javascript:alert(1)) and <img src=x onerror=alert(1)>"));
        var code = nb.Add(NotebookCell.Code("var s = \"<script>alert('src')</script>\";"));
        code.ExecutionCount = 1;
        code.Outputs.Add(new StreamOutput("stdout", "<script>alert('out')</script>"));
        code.Outputs.Add(new ExecuteResultOutput(new MimeBundle().WithText("text/plain", "<b>plain</b>"), 1));
        code.Outputs.Add(new ErrorOutput("E<x>", "\u001b[31m<script>bad</script>\u001b[0m", ["\u001b[1mat <here>\u001b[0m"]));
        var html = NotebookHtmlExporter.Render(nb);

        Assert.Equal(0, CountOf(html, "<script")); // no script at all: the page has no head seam and no html outputs
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("javascript:", html);
        Assert.DoesNotContain("<b>plain</b>", html);
        Assert.DoesNotContain("\u001b", html);
        Assert.Contains("&lt;script&gt;alert(&#39;md&#39;)&lt;/script&gt;", html);
        Assert.Contains("&lt;script&gt;alert(&#39;src&#39;)&lt;/script&gt;", html);
        Assert.Contains("<pre class=\"output stream stdout\">&lt;script&gt;alert(&#39;out&#39;)&lt;/script&gt;</pre>", html);
        Assert.Contains("E&lt;x&gt;: &lt;script&gt;bad&lt;/script&gt;\nat &lt;here&gt;", html);
        Assert.Contains("<title>Title &lt;script&gt;alert(&#39;md&#39;)&lt;/script&gt;</title>", html);
    }

    private static int CountOf(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
