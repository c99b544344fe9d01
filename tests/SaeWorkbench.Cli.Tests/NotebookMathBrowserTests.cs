using System.Text.Json;
using SaeWorkbench.Cli;
using SaeWorkbench.Notebooks;
using SaeWorkbench.Tests.Browser;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// LaTeX in notebook pages, in headless Chromium: the page's inlined MathJax (offline, no network) typesets every math
/// span of the markdown, and nothing else, with no console errors.
/// </summary>
public class NotebookMathBrowserTests
{
    /// <summary>
    /// Waits for MathJax's first typesetting, then reports: math spans in the markdown, MathJax's containers (in the
    /// markdown and elsewhere), TeX errors, rendered SVGs without size, and the markdown's text outside math.
    /// </summary>
    private const string InspectMath = """
        (window.MathJax && MathJax.startup && MathJax.startup.promise ? MathJax.startup.promise : Promise.reject(new Error('MathJax is not on the page')))
          .then(function () {
            var md = document.querySelectorAll('section.cell.markdown');
            var spans = 0, inMarkdown = 0, text = '';
            md.forEach(function (s) {
              spans += s.querySelectorAll('.math').length;
              inMarkdown += s.querySelectorAll('mjx-container').length;
              var copy = s.cloneNode(true);
              copy.querySelectorAll('mjx-container').forEach(function (c) { c.remove(); });
              text += copy.textContent + '\n';
            });
            var all = document.querySelectorAll('mjx-container');
            var empty = Array.prototype.filter.call(all, function (c) { var svg = c.querySelector('svg'); return !svg || svg.getBoundingClientRect().width <= 0; }).length;
            return { spans: spans, containers: all.length, inMarkdown: inMarkdown,
                     display: document.querySelectorAll('mjx-container[display="true"]').length,
                     errors: document.querySelectorAll('[data-mjx-error], mjx-merror').length, empty: empty, text: text,
                     outputs: Array.prototype.map.call(document.querySelectorAll('.outputs'), function (o) { return o.textContent; }).join('\n') };
          })
        """;

    private sealed record MathReport(int Spans, int Containers, int InMarkdown, int Display, int Errors, int Empty, string Text, string Outputs);

    private static async Task<MathReport> InspectAsync(BrowserPage tab) =>
        JsonSerializer.Deserialize<MathReport>((await tab.EvaluateAsync(InspectMath)).GetRawText(), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    [Fact]
    public async Task An_exported_notebook_page_typesets_its_math_offline_without_console_errors()
    {
        var dir = Directory.CreateTempSubdirectory("saewb-nbmath-").FullName;
        try
        {
            var nb = Notebook.CreateCSharp();
            nb.Add(NotebookCell.Markdown("# Math\nInline $x_i * y_j$, with a less-than $a < b \\,\\&\\, c$ and parentheses \\(\\hat{x} = W_{dec} z\\), *emphasis* outside."));
            nb.Add(NotebookCell.Markdown("A display block:\n\n$$\n\\mathcal{L} = \\|x - \\hat{x}\\|_2^2 + \\lambda \\sum_i f_i(x)\\, \\|d_i\\|_2\n$$\n\nand one within a line: $$z = \\mathrm{TopK}\\big(W_{enc}(x - b_{pre})\\big)$$"));
            nb.Add(NotebookCell.Markdown("Prices are no math: costs $5 and $6."));
            nb.Add(NotebookCell.Code("Console.WriteLine(\"printed $x_1$ and \\\\(y\\\\) stay text\");"));
            var path = Path.Combine(dir, "math.ipynb");
            nb.Save(path);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await SaeCli.RunAsync(new[] { "notebooks", "run", path, "-o", dir, "--quiet" }, stdout, stderr);
            Assert.True(code == 0, stdout.ToString() + stderr);
            var page = Path.Combine(dir, "math.html");
            Console.WriteLine($"page with math: {new FileInfo(page).Length / 1e6:0.00} MB");

            await using var browser = await HeadlessChromium.LaunchAsync();
            await using var tab = await browser.OpenAsync(page);
            var r = await InspectAsync(tab);
            Assert.Equal(5, r.Spans);          // $x_i * y_j$, $a < b ...$, \(...\), the $$ block, the $$ within a line
            Assert.Equal(r.Spans, r.InMarkdown);
            Assert.Equal(r.Spans, r.Containers); // the printed $x_1$ and \(y\) are not typeset
            Assert.Equal(2, r.Display);
            Assert.Equal(0, r.Errors);
            Assert.Equal(0, r.Empty);
            Assert.Contains("costs $5 and $6.", r.Text);
            Assert.Equal(2, r.Text.Count(c => c == '$'));   // only the prices' dollars are left in the markdown's text
            Assert.DoesNotContain("\\(", r.Text);
            Assert.DoesNotContain("\\[", r.Text);
            Assert.Contains("emphasis", r.Text);
            Assert.Contains("printed $x_1$ and \\(y\\) stay text", r.Outputs);
            Assert.True(tab.Errors.Count == 0, $"{page} logged errors:\n{string.Join("\n", tab.Errors)}");
            var shot = await tab.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "artifacts", "browser", "notebook-math.png"));
            Console.WriteLine($"screenshot: {shot}");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The repository's notebooks: every math span of their markdown typesets without a TeX error (pages exported unexecuted).</summary>
    [Fact]
    public async Task The_repository_notebooks_math_typesets_without_errors()
    {
        var dir = Directory.CreateTempSubdirectory("saewb-nbmath-repo-").FullName;
        try
        {
            await using var browser = await HeadlessChromium.LaunchAsync();
            int pages = 0;
            foreach (var file in Directory.GetFiles(Path.Combine(TestArtifacts.Repository(), "notebooks"), "*.ipynb").Order())
            {
                var nb = Notebook.Load(file);
                if (!NotebookHtmlExporter.HasMath(nb)) continue;
                var page = Path.Combine(dir, Path.GetFileNameWithoutExtension(file) + ".html");
                NotebookHtmlExporter.Write(nb, page);
                await using var tab = await browser.OpenAsync(page);
                var r = await InspectAsync(tab);
                Assert.True(r.Spans > 0, file);
                Assert.True(r.Spans == r.InMarkdown && r.Spans == r.Containers, $"{file}: {r.Spans} math spans, {r.Containers} typeset");
                Assert.True(r.Errors == 0, $"{file}: {r.Errors} TeX error(s)");
                Assert.True(r.Empty == 0, $"{file}: {r.Empty} empty formula(s)");
                Assert.True(tab.Errors.Count == 0, $"{file} logged errors:\n{string.Join("\n", tab.Errors)}");
                pages++;
            }
            Assert.True(pages > 0, "no notebook has math");
            Console.WriteLine($"{pages} notebook pages with math typeset");
        }
        finally { Directory.Delete(dir, true); }
    }
}
