using System.Globalization;
using System.Net;
using System.Text;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// Readable forms of N2G explanations (Gao et al. 2024, §4.3) for notebooks and reports: a pattern as text,
/// <c>^ the [*] cat</c> ("^" the start anchor, "[*]" a one-token wildcard, tokens decoded and trimmed, whitespace-only
/// tokens shown as ␣ ⏎ ⇥), and an explanation as a list of its distinct patterns, most examples first, in text or as an
/// HTML snippet with inline styles (every token in its own box, its exact text kept).
/// </summary>
public static class N2gRendering
{
    /// <summary>One pattern as text, e.g. <c>^ the [*] cat</c>.</summary>
    public static string PatternText(IReadOnlyList<int> tokens, bool startAnchored, Func<int, string> decode)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var parts = new List<string>(tokens.Count + 1);
        if (startAnchored) parts.Add("^");
        foreach (var tok in tokens) parts.Add(tok == N2gTrie.AnyToken ? "[*]" : TokenText(decode(tok)));
        return string.Join(" ", parts);
    }

    /// <summary>One example's pattern as text.</summary>
    public static string PatternText(N2gPattern pattern, Func<int, string> decode) => PatternText(pattern.Tokens, pattern.StartAnchored, decode);

    /// <summary>
    /// An explanation as text: a header line (latent, examples, patterns, and the score when given) and one line per
    /// distinct pattern, at most <paramref name="maxPatterns"/>: examples that gave it, the activation its leaf stores, the pattern.
    /// </summary>
    public static string ToText(N2gExplanation explanation, Func<int, string> decode, N2gScore? score = null, int maxPatterns = 20)
    {
        var sb = new StringBuilder();
        sb.Append(Header(explanation, score)).Append('\n');
        var leaves = SortedLeaves(explanation);
        foreach (var (pattern, anchored, value, examples) in leaves.Take(maxPatterns))
            sb.Append(CultureInfo.InvariantCulture, $"  x{examples,-3} {value,8:G4}  {PatternText(pattern, anchored, decode)}\n");
        if (leaves.Count > maxPatterns) sb.Append(CultureInfo.InvariantCulture, $"  ... {leaves.Count - maxPatterns} more patterns\n");
        return sb.ToString();
    }

    /// <summary>An explanation as an HTML snippet (a <c>&lt;div&gt;</c> with a table of its distinct patterns).</summary>
    public static string ToHtml(N2gExplanation explanation, Func<int, string> decode, N2gScore? score = null, int maxPatterns = 20)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var sb = new StringBuilder();
        sb.Append("<div class=\"n2g-explanation\" style=\"font-family:sans-serif;font-size:13px;margin:4px 0\">");
        sb.Append("<div style=\"margin-bottom:4px\">").Append(WebUtility.HtmlEncode(Header(explanation, score))).Append("</div>");
        var leaves = SortedLeaves(explanation);
        sb.Append("<table style=\"border-collapse:collapse\"><tr>")
          .Append("<th style=\"text-align:right;padding:1px 8px\">examples</th>")
          .Append("<th style=\"text-align:right;padding:1px 8px\">activation</th>")
          .Append("<th style=\"text-align:left;padding:1px 8px\">pattern</th></tr>");
        foreach (var (pattern, anchored, value, examples) in leaves.Take(maxPatterns))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td style=\"text-align:right;padding:1px 8px\">{examples}</td>");
            sb.Append(CultureInfo.InvariantCulture, $"<td style=\"text-align:right;padding:1px 8px\">{value:G4}</td><td style=\"padding:1px 8px\">");
            if (anchored) sb.Append("<span title=\"start of sequence\" style=\"font-weight:bold;margin-right:2px\">^</span>");
            foreach (var tok in pattern)
            {
                if (tok == N2gTrie.AnyToken)
                    sb.Append("<span title=\"any one token\" style=\"color:#6b7280;border:1px dashed #9ca3af;border-radius:3px;padding:0 3px;margin:0 1px\">*</span>");
                else
                    sb.Append(CultureInfo.InvariantCulture, $"<span title=\"token {tok}\" style=\"background:#fde68a;border-radius:3px;padding:0 2px;margin:0 1px;white-space:pre;font-family:monospace\">")
                      .Append(WebUtility.HtmlEncode(VisibleLineBreaks(decode(tok)))).Append("</span>");
            }
            sb.Append("</td></tr>");
        }
        sb.Append("</table>");
        if (leaves.Count > maxPatterns)
            sb.Append(CultureInfo.InvariantCulture, $"<div style=\"color:#6b7280\">... {leaves.Count - maxPatterns} more patterns</div>");
        sb.Append("</div>");
        return sb.ToString();
    }

    private static string Header(N2gExplanation e, N2gScore? score)
    {
        var s = e.Stats;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"latent {e.LatentId}: {s.TopExamples + s.RandomExamples} examples ({s.TopExamples} top, {s.RandomExamples} random), {s.DistinctPatterns} patterns, {s.StartAnchored} anchored, max act {s.MaxActivation:G4}");
        if (score is not null)
            text += string.Create(CultureInfo.InvariantCulture, $"; precision {score.Precision:F3}, recall {score.Recall:F3} on {score.Tokens} held-out tokens");
        return text;
    }

    private static List<(int[] Pattern, bool StartAnchored, float Value, int Examples)> SortedLeaves(N2gExplanation e) =>
        e.Trie.Leaves().OrderByDescending(l => l.Examples).ThenByDescending(l => l.Value).ToList();

    private static string TokenText(string s)
    {
        if (s.Length > 0 && string.IsNullOrWhiteSpace(s))
            return s.Replace(" ", "␣").Replace("\n", "⏎").Replace("\r", "").Replace("\t", "⇥");
        var trimmed = s.Trim();
        return trimmed.Length == 0 ? "∅" : VisibleLineBreaks(trimmed);
    }

    private static string VisibleLineBreaks(string s) => s.Replace("\r", "").Replace("\n", "⏎").Replace("\t", "⇥");
}

/// <summary>An explanation shown in a notebook: HTML through <see cref="IHtmlDisplayable"/>, text through ToString.</summary>
public sealed class N2gExplanationView(N2gExplanation explanation, Func<int, string> decode, N2gScore? score = null, int maxPatterns = 20) : IHtmlDisplayable
{
    public string ToHtmlFragment() => N2gRendering.ToHtml(explanation, decode, score, maxPatterns);

    public override string ToString() => N2gRendering.ToText(explanation, decode, score, maxPatterns);
}
