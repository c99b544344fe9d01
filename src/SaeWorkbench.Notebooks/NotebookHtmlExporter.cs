using SaeWorkbench.IO;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Notebooks;

/// <summary>When the HTML export puts <see cref="NotebookHtmlOptions.PageHeadHtml"/> into the page.</summary>
public enum PageHeadInclusion
{
    /// <summary>Only when some output needs it (an output whose metadata has <c>saewb.needs_page_head</c>: a figure).</summary>
    WhenNeeded,
    /// <summary>Always.</summary>
    Always,
    /// <summary>Never.</summary>
    Never,
}

/// <summary>Options of <see cref="NotebookHtmlExporter"/>.</summary>
public sealed record NotebookHtmlOptions
{
    /// <summary>The page title; null: the notebook's metadata title, else its first heading, else <see cref="FallbackTitle"/>.</summary>
    public string? Title { get; init; }

    /// <summary>Title when the notebook has none (usually the file name).</summary>
    public string FallbackTitle { get; init; } = "Notebook";

    /// <summary>
    /// The page-head seam: returns the markup that HTML outputs rely on and that must appear once per
    /// page — for figures, plotly.js inlined (<c>&lt;script&gt;/* plotly.min.js */&lt;/script&gt;</c>) so that
    /// the page works offline. The figure fragments themselves (from
    /// <c>IHtmlDisplayable.ToHtmlFragment()</c>) do not carry plotly.js. Called at most once per page,
    /// and only when <see cref="IncludePageHead"/> says so. The workbench's command line supplies
    /// plotly.js from the npm package <c>plotly.js-dist-min</c>; tests supply a marker.
    /// </summary>
    public Func<string>? PageHeadHtml { get; init; }

    /// <summary>When to include <see cref="PageHeadHtml"/> (default: when an output needs it).</summary>
    public PageHeadInclusion IncludePageHead { get; init; } = PageHeadInclusion.WhenNeeded;

    /// <summary>
    /// Whether a page whose markdown (cells, or text/markdown outputs) has LaTeX math gets MathJax in its head, once:
    /// its configuration and <c>es5/tex-svg-full.js</c> inlined (<see cref="MathJaxJs.ScriptElements"/>, about 2.3 MB),
    /// so that the math is typeset offline. Default true; a no-op when the DLL was built without MathJax.
    /// </summary>
    public bool TypesetMath { get; init; } = true;
}

/// <summary>
/// Writes a whole notebook as one standalone HTML page: markdown cells rendered by
/// <see cref="Markdown"/> (everything escaped), code cells with their prompt number, source (escaped)
/// and outputs — stream text and plain text escaped in <c>&lt;pre&gt;</c>, errors escaped with ANSI
/// colour codes removed, images from base64 data, and text/html outputs (tables, figures) inlined
/// as produced by the notebook's code, as Jupyter shows trusted outputs. The page's head gets the
/// <see cref="NotebookHtmlOptions.PageHeadHtml"/> markup once, so figures render offline, and, when markdown holds
/// math, MathJax once (<see cref="MathJaxJs"/>), which typesets it offline.
/// </summary>
public static partial class NotebookHtmlExporter
{
    /// <summary>The key of the workbench's entry in an output's metadata.</summary>
    public const string MetadataKey = "saewb";
    /// <summary>Flag (under <see cref="MetadataKey"/>) on outputs that need the page head (plotly.js): figures.</summary>
    public const string NeedsPageHeadFlag = "needs_page_head";

    [GeneratedRegex("^[A-Za-z0-9+/=\\s]+$")]
    private static partial Regex Base64();

    /// <summary>Whether any output of <paramref name="notebook"/> needs the page head (a figure).</summary>
    public static bool NeedsPageHead(Notebook notebook) =>
        notebook.Cells.SelectMany(c => c.Outputs).OfType<DisplayDataOutput>().Any(NeedsPageHead);

    internal static bool NeedsPageHead(DisplayDataOutput output) =>
        output.Metadata[MetadataKey] is JsonObject s
        && s[NeedsPageHeadFlag] is JsonValue v && v.TryGetValue(out bool b) && b;

    /// <summary>Renders the page.</summary>
    public static string Render(Notebook notebook, NotebookHtmlOptions? options = null)
    {
        options ??= new NotebookHtmlOptions();
        var title = options.Title ?? MetadataTitle(notebook) ?? FirstHeading(notebook) ?? options.FallbackTitle;
        bool includeHead = options.PageHeadHtml is not null && options.IncludePageHead switch
        {
            PageHeadInclusion.Always => true,
            PageHeadInclusion.Never => false,
            _ => NeedsPageHead(notebook),
        };

        bool hasMath = options.TypesetMath && HasMath(notebook);

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n")
          .Append("<meta name=\"generator\" content=\"SaeWorkbench notebook runner\" />\n")
          .Append("<title>").AppendEscaped(title).Append("</title>\n")
          .Append("<style>\n").Append(Css).Append("</style>\n");
        if (includeHead) sb.Append(options.PageHeadHtml!()).Append('\n');
        if (hasMath && MathJaxJs.ScriptElements() is { Length: > 0 } mathJax) sb.Append(mathJax).Append('\n');
        sb.Append("</head>\n<body>\n<main class=\"notebook\">\n");

        for (int i = 0; i < notebook.Cells.Count; i++)
        {
            var cell = notebook.Cells[i];
            var id = cell.Id is { } cid ? "cell-" + HtmlText.Escape(cid) : "cell-" + i;
            switch (cell.CellType)
            {
                case NotebookCell.MarkdownType:
                    sb.Append("<section class=\"cell markdown\" id=\"").Append(id).Append("\">\n")
                      .Append(Markdown.ToHtml(cell.Source))
                      .Append("</section>\n");
                    break;
                case NotebookCell.CodeType:
                    CodeCell(cell, id, sb);
                    break;
                default:
                    sb.Append("<section class=\"cell raw\" id=\"").Append(id).Append("\"><pre>")
                      .AppendEscaped(cell.Source).Append("</pre></section>\n");
                    break;
            }
        }
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// Whether the markdown of <paramref name="notebook"/> (its markdown cells and text/markdown outputs that are shown)
    /// has LaTeX math, as <see cref="Markdown.HasMath"/> finds it.
    /// </summary>
    public static bool HasMath(Notebook notebook) =>
        notebook.Cells.Any(c => c.IsMarkdown && Markdown.HasMath(c.Source))
        || notebook.Cells.Where(c => c.CellType == NotebookCell.CodeType).SelectMany(c => c.Outputs).OfType<DisplayDataOutput>()
            .Any(d => ShownMarkdown(d.Data) is { } md && Markdown.HasMath(md));

    /// <summary>The text/markdown that <see cref="RichData"/> shows for <paramref name="data"/>, if it shows markdown.</summary>
    private static string? ShownMarkdown(MimeBundle data) =>
        data.GetText(MimeBundle.TextHtml) is null && data.GetText(MimeBundle.TextPlain) is null
        && !new[] { "image/png", "image/jpeg", "image/gif" }.Any(m => data.GetText(m) is { } b && Base64().IsMatch(b))
            ? data.GetText("text/markdown") : null;

    /// <summary>Renders the page and writes it atomically (temporary file, then rename).</summary>
    public static void Write(Notebook notebook, string path, NotebookHtmlOptions? options = null) =>
        AtomicFile.WriteAllText(path, Render(notebook, options), createFolder: true);

    private static void CodeCell(NotebookCell cell, string id, StringBuilder sb)
    {
        var tags = cell.Tags;
        sb.Append("<section class=\"cell code");
        if (tags.Contains(NotebookParameters.ParametersTag)) sb.Append(" parameters");
        if (tags.Contains(NotebookParameters.InjectedTag)) sb.Append(" injected-parameters");
        sb.Append("\" id=\"").Append(id).Append("\">\n<div class=\"input\"><div class=\"prompt\">[")
          .Append(cell.ExecutionCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? " ")
          .Append("]:</div><pre class=\"source\"><code class=\"language-csharp\">")
          .AppendEscaped(cell.Source).Append("</code></pre></div>\n");
        if (cell.Outputs.Count > 0)
        {
            sb.Append("<div class=\"outputs\">\n");
            foreach (var output in cell.Outputs) Output(output, sb);
            sb.Append("</div>\n");
        }
        sb.Append("</section>\n");
    }

    private static void Output(NotebookOutput output, StringBuilder sb)
    {
        switch (output)
        {
            case StreamOutput s:
                sb.Append("<pre class=\"output stream ").Append(s.Name == StreamOutput.Stderr ? "stderr" : "stdout").Append("\">")
                  .AppendEscaped(s.Text).Append("</pre>\n");
                break;
            case ErrorOutput e:
                // Jupyter front-ends show the traceback; add "name: value" unless its first line already says it
                var trace = e.Traceback.Select(HtmlText.StripAnsi).Where(t => t.Length > 0).ToList();
                var header = HtmlText.StripAnsi(e.EName + ": " + e.EValue);
                if (trace.Count == 0 || !trace[0].Contains(HtmlText.StripAnsi(e.EValue), StringComparison.Ordinal)) trace.Insert(0, header);
                sb.Append("<pre class=\"output error\">").AppendEscaped(string.Join("\n", trace)).Append("</pre>\n");
                break;
            case DisplayDataOutput d:
                sb.Append("<div class=\"output ").Append(d is ExecuteResultOutput ? "result" : "display").Append("\">");
                RichData(d.Data, sb);
                sb.Append("</div>\n");
                break;
            default:
                break; // unknown output types from later formats are not shown
        }
    }

    private static void RichData(MimeBundle data, StringBuilder sb)
    {
        if (data.GetText(MimeBundle.TextHtml) is { } html)
        {
            sb.Append(html);
            return;
        }
        foreach (var mime in new[] { "image/png", "image/jpeg", "image/gif" })
        {
            if (data.GetText(mime) is { } b64 && Base64().IsMatch(b64))
            {
                sb.Append("<img src=\"data:").Append(mime).Append(";base64,").Append(Regex.Replace(b64, "\\s", "")).Append("\" />");
                return;
            }
        }
        if (data.GetText(MimeBundle.TextPlain) is { } text)
        {
            sb.Append("<pre>").AppendEscaped(text).Append("</pre>");
            return;
        }
        if (data.GetText("text/markdown") is { } md) sb.Append(Markdown.ToHtml(md));
    }

    private static string? MetadataTitle(Notebook nb) =>
        nb.Metadata["title"] is JsonValue v && v.TryGetValue(out string? t) && t.Trim().Length > 0 ? t.Trim() : null;

    private static string? FirstHeading(Notebook nb)
    {
        foreach (var cell in nb.Cells.Where(c => c.IsMarkdown))
            foreach (var line in cell.Source.Split('\n'))
            {
                var m = Regex.Match(line, @"^ {0,3}#{1,6}[ ]+(.*?)[ #]*$");
                if (m.Success && m.Groups[1].Value.Length > 0) return m.Groups[1].Value;
            }
        return null;
    }

    private const string Css = """
        body { margin: 0; background: #fff; color: #1f2328; font: 16px/1.55 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
        main.notebook { max-width: 980px; margin: 0 auto; padding: 24px 32px 64px; }
        .cell { margin: 12px 0; }
        .cell.markdown h1, .cell.markdown h2, .cell.markdown h3 { line-height: 1.25; margin: 1.2em 0 0.5em; }
        .cell.markdown h1 { font-size: 2em; border-bottom: 1px solid #d8dee4; padding-bottom: .3em; }
        .cell.markdown h2 { font-size: 1.5em; border-bottom: 1px solid #d8dee4; padding-bottom: .3em; }
        .cell.markdown code { background: #f3f4f6; padding: .1em .3em; border-radius: 4px; font-size: 90%; }
        .cell.markdown pre code { background: none; padding: 0; }
        .cell.markdown pre { background: #f6f8fa; padding: 12px; border-radius: 6px; overflow-x: auto; }
        .cell.markdown blockquote { margin: 0; padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
        .cell.markdown table { border-collapse: collapse; }
        .cell.markdown th, .cell.markdown td { border: 1px solid #d1d9e0; padding: 4px 10px; }
        .math:has(mjx-container) { white-space: normal; }
        mjx-container[display="true"] { overflow-x: auto; overflow-y: hidden; }
        .math { font-family: "Latin Modern Math", "STIX Two Math", serif; white-space: pre-wrap; }
        div.math.display { margin: .8em 0; text-align: center; }
        .input { display: flex; gap: 8px; }
        .prompt { flex: 0 0 48px; color: #6e7781; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; padding-top: 9px; text-align: right; }
        pre.source { flex: 1; margin: 0; background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 12px; overflow-x: auto; }
        pre, code { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
        .outputs { margin: 4px 0 0 56px; }
        .output { margin: 4px 0; overflow-x: auto; }
        pre.output { margin: 4px 0; white-space: pre-wrap; }
        pre.stderr { background: #fff8e6; }
        pre.error { background: #ffebe9; color: #82071e; padding: 8px; border-radius: 6px; }
        .output pre { margin: 0; white-space: pre-wrap; }
        .cell.injected-parameters pre.source { border-style: dashed; }

        """;
}
