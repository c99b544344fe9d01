using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.AutoIdentifiers;
using Markdig.Renderers;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Renders the notebooks' markdown (and text/markdown outputs) to HTML with Markdig, CommonMark-compliant, with the
/// extensions notebook prose uses: pipe tables, heading ids (GitHub's style, for anchors) and LaTeX math
/// (<c>$...$</c>, <c>$$...$$</c>, kept as text in <c>span.math</c> / <c>div.math</c> and not parsed for emphasis).
/// <para>Safety, for pages that inline the notebook's own HTML outputs next to its prose: raw HTML in markdown is
/// shown as text, never passed through (Markdig's <c>DisableHtml</c>); link and image targets are kept only for http,
/// https, mailto and relative URLs (images also for base64 <c>data:image/png|jpeg|gif|webp</c>); any other scheme
/// (<c>javascript:</c>, <c>data:text/html</c>, ...) drops the link and keeps its text.</para>
/// </summary>
public static partial class Markdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseAutoIdentifiers(AutoIdentifierOptions.GitHub)
        .UseMathematics()
        .Build();

    /// <summary>Renders markdown to an HTML fragment (no surrounding element).</summary>
    public static string ToHtml(string markdown)
    {
        var document = Markdig.Markdown.Parse(markdown ?? "", Pipeline);
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (IsSafe(link.Url, link.IsImage)) continue;
            // Keep the link's text (an image's alt text) in its place, without the link.
            var child = link.FirstChild;
            while (child is not null)
            {
                var next = child.NextSibling;
                child.Remove();
                link.InsertBefore(child);
                child = next;
            }
            link.Remove();
        }
        foreach (var autolink in document.Descendants<AutolinkInline>().ToList())
        {
            if (autolink.IsEmail || IsSafe(autolink.Url, image: false)) continue;
            autolink.ReplaceBy(new LiteralInline(autolink.Url));
        }
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

    private static bool IsSafe(string? url, bool image)
    {
        if (string.IsNullOrEmpty(url)) return true;
        var trimmed = url.Trim();
        var scheme = UrlScheme().Match(trimmed);
        if (!scheme.Success) return !trimmed.Any(char.IsControl); // relative
        return scheme.Groups[1].Value.ToLowerInvariant() switch
        {
            "http" or "https" or "mailto" => true,
            "data" => image && SafeDataImage().IsMatch(trimmed),
            _ => false,
        };
    }

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.\-]*):")]
    private static partial Regex UrlScheme();

    [GeneratedRegex(@"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$")]
    private static partial Regex SafeDataImage();
}
