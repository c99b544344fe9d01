namespace SaeWorkbench.Notebooks.Tests;

public class MarkdownTests
{
    private static string R(string md) => Markdown.ToHtml(md).TrimEnd('\n');

    [Theory]
    [InlineData("# Title", "<h1 id=\"title\">Title</h1>")]
    [InlineData("### Three ###", "<h3 id=\"three\">Three</h3>")]
    [InlineData("Setext\n===", "<h1 id=\"setext\">Setext</h1>")]
    [InlineData("Setext two\n---", "<h2 id=\"setext-two\">Setext two</h2>")]
    [InlineData("one\ntwo\n\nthree", "<p>one\ntwo</p>\n<p>three</p>")]
    [InlineData("*em* and **strong** and _em_ and __strong__", "<p><em>em</em> and <strong>strong</strong> and <em>em</em> and <strong>strong</strong></p>")]
    [InlineData("***both***", "<p><em><strong>both</strong></em></p>")]
    [InlineData("latents_BN and x_hat_BD stay", "<p>latents_BN and x_hat_BD stay</p>")]
    [InlineData("2 * 3 * 4", "<p>2 * 3 * 4</p>")]
    [InlineData("use `x < y && z` here", "<p>use <code>x &lt; y &amp;&amp; z</code> here</p>")]
    [InlineData("``a ` b``", "<p><code>a ` b</code></p>")]
    [InlineData("```csharp\nvar x = a < b;\n```", "<pre><code class=\"language-csharp\">var x = a &lt; b;\n</code></pre>")]
    [InlineData("    indented <code>\n    two", "<pre><code>indented &lt;code&gt;\ntwo\n</code></pre>")]
    [InlineData("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>")]
    [InlineData("3. c\n4. d", "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>")]
    [InlineData("- a\n\n- b", "<ul>\n<li><p>a</p>\n</li>\n<li><p>b</p>\n</li>\n</ul>")]
    [InlineData("1. one\n   still one\n2. two", "<ol>\n<li>one\nstill one</li>\n<li>two</li>\n</ol>")]
    [InlineData("- a\n  - nested\n- b", "<ul>\n<li>a\n<ul>\n<li>nested</li>\n</ul>\n</li>\n<li>b</li>\n</ul>")]
    [InlineData("[the paper](https://arxiv.org/abs/2406.04093 \"Gao et al.\")", "<p><a href=\"https://arxiv.org/abs/2406.04093\" title=\"Gao et al.\">the paper</a></p>")]
    [InlineData("[section](#training)", "<p><a href=\"#training\">section</a></p>")]
    [InlineData("<https://example.org/a?b=1&c=2>", "<p><a href=\"https://example.org/a?b=1&amp;c=2\">https://example.org/a?b=1&amp;c=2</a></p>")]
    [InlineData("> quoted *text*", "<blockquote>\n<p>quoted <em>text</em></p>\n</blockquote>")]
    [InlineData("---", "<hr />")]
    [InlineData("a  \nb", "<p>a<br />\nb</p>")]
    [InlineData("\\*not em\\*", "<p>*not em*</p>")]
    public void Renders_the_commonmark_subset(string md, string html) => Assert.Equal(html, R(md));

    [Fact]
    public void Renders_pipe_tables_with_alignment()
    {
        var html = R("| a | b |\n|:--|--:|\n| 1 | `x|y` |");
        Assert.StartsWith("<table>", html);
        Assert.Contains("<th style=\"text-align: left;\">a</th>", html.Replace("text-align: left\"", "text-align: left;\""));
        Assert.Contains("<code>x|y</code></td>", html);
        Assert.Contains("text-align: right", html);
    }

    [Theory]
    [InlineData("the loss $\\mathcal{L} = \\|x - \\hat{x}\\|_2^2 + \\lambda \\|f\\|_1$ is", "\\mathcal{L} = \\|x - \\hat{x}\\|_2^2 + \\lambda \\|f\\|_1")]
    [InlineData("$a_1 * b_2 * c$", "a_1 * b_2 * c")]
    [InlineData("$$\nE = \\sum_i f_i(x) d_i\n$$", "E = \\sum_i f_i(x) d_i")]
    [InlineData("inline $$x<y$$ display", "x&lt;y")]
    public void Leaves_latex_math_as_text_without_emphasis(string md, string tex)
    {
        var html = R(md);
        Assert.Contains("class=\"math\"", html);
        Assert.Contains(tex, html);
        Assert.DoesNotContain("<em>", html);
    }

    [Fact]
    public void Dollar_amounts_are_not_math() => Assert.Equal("<p>costs $5 and $6</p>", R("costs $5 and $6"));

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("text <img src=x onerror=alert(1)> more")]
    [InlineData("# <script>alert(1)</script>")]
    [InlineData("- <script>alert(1)</script>")]
    [InlineData("> <iframe src=\"https://evil\"></iframe>")]
    [InlineData("*<script>alert(1)</script>*")]
    [InlineData("[<script>x</script>](https://ok)")]
    [InlineData("| <script> |\n|---|\n| <b> |")]
    public void Escapes_raw_html(string md)
    {
        var html = Markdown.ToHtml(md);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("&lt;", html);
    }

    [Fact]
    public void Script_in_markdown_text_is_escaped_exactly()
    {
        Assert.Equal("<p>a &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; b</p>", R("a <script>alert(\"x\")</script> b"));
    }

    [Theory]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JavaScript:alert(1))")]
    [InlineData("[click](java\tscript:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("[click](vbscript:msgbox)")]
    [InlineData("![img](javascript:alert(1))")]
    public void Drops_links_with_unsafe_schemes_but_keeps_their_text(string md)
    {
        var html = Markdown.ToHtml(md);
        Assert.DoesNotContain("href", html);
        Assert.DoesNotContain("src=", html);
        Assert.Contains(md.StartsWith('!') ? "img" : "click", html);
    }

    [Fact]
    public void Attribute_values_cannot_break_out()
    {
        var html = R("[x](https://a.example/\"onmouseover=\"alert(1) \"t\\\"itle\")");
        Assert.DoesNotContain("\"onmouseover", html);
        Assert.Contains("&quot;", html);
        var img = R("![a\"b](data:image/png;base64,iVBORw0KGgo=)");
        Assert.Equal("<p><img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"a&quot;b\" /></p>", img);
    }

    [Fact]
    public void Heading_ids_are_unique()
    {
        Assert.Equal("<h2 id=\"results\">Results</h2>\n<h2 id=\"results-1\">Results</h2>", R("## Results\n## Results"));
    }
}
