using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.AutoIdentifiers;
using Markdig.Extensions.Mathematics;
using Markdig.Helpers;
using Markdig.Parsers;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Renders the notebooks' markdown (and text/markdown outputs) to HTML with Markdig, CommonMark-compliant, with the
/// extensions notebook prose uses: pipe tables, heading ids (GitHub's style, for anchors) and LaTeX math
/// (<c>$...$</c>, <c>$$...$$</c>, kept as text in <c>span.math</c> / <c>div.math</c> and not parsed for emphasis).
/// <para>Math: a span's TeX passes through unchanged (no emphasis from <c>_</c> or <c>*</c>, no backslash escapes), with
/// only <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c> and <c>"</c> HTML-escaped, inside <c>&lt;span class="math"&gt;\(...\)&lt;/span&gt;</c>
/// (inline <c>$...$</c>), <c>&lt;span class="math"&gt;\[...\]&lt;/span&gt;</c> (<c>$$...$$</c> within a line: display math, as in Jupyter) or
/// <c>&lt;div class="math"&gt;\[...\]&lt;/div&gt;</c> (a <c>$$</c> block), which is where the exported page's MathJax
/// (<see cref="MathJaxJs"/>) typesets it. The dollar rule (Markdig's, as Pandoc's): an inline span opens at a <c>$</c>
/// followed by a non-space and closes at the next <c>$</c> preceded by a non-space and not followed by a digit, so
/// "costs $5 and $6" stays text; write <c>\$</c> for a literal dollar that would otherwise open math. <c>\(...\)</c>
/// within a paragraph is inline math too (as in Jupyter), rendered like <c>$...$</c>; <c>\\(</c> is a backslash and a
/// parenthesis.</para>
/// <para>Safety, for pages that inline the notebook's own HTML outputs next to its prose: raw HTML in markdown is
/// shown as text, never passed through (Markdig's <c>DisableHtml</c>); link and image targets are kept only for http,
/// https, mailto and relative URLs (images also for base64 <c>data:image/png|jpeg|gif|webp</c>); any other scheme
/// (<c>javascript:</c>, <c>data:text/html</c>, ...) drops the link and keeps its text.</para>
/// </summary>
public static partial class Markdown
{
    private static readonly MarkdownPipeline Pipeline = BuildPipeline();

    private static MarkdownPipeline BuildPipeline()
    {
        var builder = new MarkdownPipelineBuilder()
            .DisableHtml()
            .UsePipeTables()
            .UseAutoIdentifiers(AutoIdentifierOptions.GitHub)
            .UseMathematics();
        builder.InlineParsers.Insert(0, new ParenthesisMathParser()); // before CommonMark's backslash escapes
        return builder.Build();
    }

    /// <summary>Markdig's inline math renderer, except that <c>$$...$$</c> within a line is display math (<c>\[...\]</c>), as in Jupyter.</summary>
    private sealed class MathInlineRenderer : HtmlObjectRenderer<MathInline>
    {
        protected override void Write(HtmlRenderer renderer, MathInline obj)
        {
            bool display = obj.DelimiterCount >= 2;
            renderer.Write("<span").WriteAttributes(obj).Write(display ? ">\\[" : ">\\(");
            renderer.WriteEscape(ref obj.Content);
            renderer.Write(display ? "\\]</span>" : "\\)</span>");
        }
    }

    /// <summary><c>\(...\)</c> as inline math (a <see cref="MathInline"/>, rendered like <c>$...$</c>), closed within its paragraph.</summary>
    private sealed class ParenthesisMathParser : InlineParser
    {
        public ParenthesisMathParser() => OpeningCharacters = ['\\'];

        public override bool Match(InlineProcessor processor, ref StringSlice slice)
        {
            if (slice.PeekChar() != '(') return false;
            var text = slice.Text;
            int contentStart = slice.Start + 2;
            if (contentStart > slice.End) return false;
            int close = text.IndexOf("\\)", contentStart, slice.End - contentStart + 1, StringComparison.Ordinal);
            if (close < 0 || close + 1 > slice.End) return false;
            int start = processor.GetSourcePosition(slice.Start, out int line, out int column);
            var math = new MathInline
            {
                Delimiter = '$',
                DelimiterCount = 1,
                Content = new StringSlice(text, contentStart, close - 1),
                Span = new SourceSpan(start, start + (close + 1 - slice.Start)),
                Line = line,
                Column = column,
            };
            math.GetAttributes().AddClass("math");
            processor.Inline = math;
            slice.Start = close + 2;
            return true;
        }
    }

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
        renderer.ObjectRenderers.Replace<HtmlMathInlineRenderer>(new MathInlineRenderer());
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

    /// <summary>Whether <paramref name="markdown"/> has a math span or block (what <see cref="ToHtml"/> wraps in <c>.math</c>).</summary>
    public static bool HasMath(string markdown)
    {
        if (string.IsNullOrEmpty(markdown) || !(markdown.Contains('$') || markdown.Contains("\\(", StringComparison.Ordinal))) return false;
        var document = Markdig.Markdown.Parse(markdown, Pipeline);
        return document.Descendants<MathBlock>().Any() || document.Descendants<MathInline>().Any();
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
