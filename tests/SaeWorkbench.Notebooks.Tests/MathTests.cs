namespace SaeWorkbench.Notebooks.Tests;

/// <summary>LaTeX math in markdown: passed through to the page unchanged, and MathJax in the page head once when there is math.</summary>
public class MathTests
{
    private static string R(string md) => Markdown.ToHtml(md).TrimEnd('\n');

    [Theory]
    // markdown, the TeX exactly as it must reach the page (only <, >, & and " HTML-escaped), the delimiters around it
    [InlineData("a $x_i * y_j * z_k$ b", "x_i * y_j * z_k", "<span class=\"math\">\\(", "\\)</span>")]
    [InlineData("a $\\hat{x}_{ij} = \\sum_k \\alpha_k\\, d_k \\\\ \\{1,2\\}$ b", "\\hat{x}_{ij} = \\sum_k \\alpha_k\\, d_k \\\\ \\{1,2\\}", "<span class=\"math\">\\(", "\\)</span>")]
    [InlineData("a $a<b>c \\& d$ b", "a&lt;b&gt;c \\&amp; d", "<span class=\"math\">\\(", "\\)</span>")]
    [InlineData("a $__x__ **y**$ b", "__x__ **y**", "<span class=\"math\">\\(", "\\)</span>")]
    [InlineData("a $$f_1 * g_2 < h$$ b", "f_1 * g_2 &lt; h", "<span class=\"math\">\\[", "\\]</span>")]
    [InlineData("$$\n\\mathcal{L} = \\|x - \\hat{x}\\|_2^2 + \\lambda_1 \\|f\\|_1, \\quad a*b*c < d\n$$", "\\mathcal{L} = \\|x - \\hat{x}\\|_2^2 + \\lambda_1 \\|f\\|_1, \\quad a*b*c &lt; d", "<div class=\"math\">\n\\[\n", "\n\\]</div>")]
    [InlineData("a \\(x_i * y_j < \\frac{1}{2}\\) b", "x_i * y_j &lt; \\frac{1}{2}", "<span class=\"math\">\\(", "\\)</span>")]
    public void Math_passes_through_unchanged(string md, string tex, string open, string close)
    {
        var html = R(md);
        Assert.Contains(open + tex + close, html);
        Assert.DoesNotContain("<em>", html);
        Assert.DoesNotContain("<strong>", html);
        Assert.True(Markdown.HasMath(md));
    }

    [Fact]
    public void Text_around_math_is_still_markdown()
    {
        var html = R("*em* $a_1 * b_2$ and __strong__ \\(c_1 * d_2\\) `code $x$` \\\\(not math) x < y");
        Assert.Equal("<p><em>em</em> <span class=\"math\">\\(a_1 * b_2\\)</span> and <strong>strong</strong> "
            + "<span class=\"math\">\\(c_1 * d_2\\)</span> <code>code $x$</code> \\(not math) x &lt; y</p>", html);
    }

    [Theory]
    [InlineData("costs $5 and $6")]
    [InlineData("an escaped \\$x\\$ pair")]
    [InlineData("`$x$` in code")]
    [InlineData("an open \\( with no close")]
    [InlineData("no math at all")]
    public void Not_math(string md)
    {
        Assert.DoesNotContain("class=\"math\"", R(md));
        Assert.False(Markdown.HasMath(md));
    }

    private static Notebook Nb(params NotebookCell[] cells)
    {
        var nb = Notebook.CreateCSharp();
        foreach (var c in cells) nb.Add(c);
        return nb;
    }

    [Fact]
    public void A_page_with_math_gets_MathJax_once_and_a_page_without_gets_none()
    {
        Assert.True(MathJaxJs.IsAvailable, "MathJax is not embedded: run `bash environment/setup.sh`, then rebuild");
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "environment", "package-lock.json"))) dir = dir.Parent!;
        using var lockFile = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "environment", "package-lock.json")));
        var pinned = lockFile.RootElement.GetProperty("packages").GetProperty("node_modules/mathjax").GetProperty("version").GetString();
        Assert.Equal("3", pinned!.Split('.')[0]); // MathJax 4 loads its fonts at run time: not offline
        Assert.Equal(pinned, MathJaxJs.Version);
        var page = NotebookHtmlExporter.Render(Nb(
            NotebookCell.Markdown("# T\nInline $x_i$ and\n\n$$\ny = \\sum_i x_i\n$$"),
            NotebookCell.Code("var cost = $\"{1}\";"),
            NotebookCell.Markdown("more $k$")));
        int head = page.IndexOf("</head>", StringComparison.Ordinal);
        Assert.Equal(1, Count(page, $"data-saewb-mathjax=\"{pinned}\""));
        Assert.Equal(1, Count(page, "window.MathJax = {"));
        Assert.True(page.IndexOf("window.MathJax = {", StringComparison.Ordinal) < page.IndexOf("data-saewb-mathjax", StringComparison.Ordinal));
        Assert.True(page.IndexOf("data-saewb-mathjax", StringComparison.Ordinal) < head);
        Assert.Equal(3, Count(page[head..], "class=\"math\""));
        var inlined = page[page.IndexOf("data-saewb-mathjax", StringComparison.Ordinal)..head];
        Assert.Equal(1, Count(inlined, "</script"));            // the element's own end tag only
        Assert.True(inlined.Length > MathJaxJs.Source!.Length - 1000);

        var plain = NotebookHtmlExporter.Render(Nb(NotebookCell.Markdown("# T\ncosts $5 and $6"), NotebookCell.Code("Console.WriteLine($\"{x}\");")));
        Assert.DoesNotContain("MathJax", plain);
        Assert.DoesNotContain("MathJax", NotebookHtmlExporter.Render(Nb(NotebookCell.Markdown("$x$")), new NotebookHtmlOptions { TypesetMath = false }));
    }

    private static int Count(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
