using System.Text;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// A small, safe renderer for the CommonMark subset that notebook prose uses.
/// <para>Blocks: ATX (<c>#</c>..<c>######</c>) and setext headings (with ids for anchors),
/// paragraphs, fenced (<c>```</c>, <c>~~~</c>) and indented code blocks, bullet and ordered lists
/// (nested, tight or loose), block quotes, thematic breaks, GitHub-style pipe tables and display
/// math blocks (<c>$$ ... $$</c>).</para>
/// <para>Inlines: <c>*em*</c>, <c>_em_</c> (not inside words, so <c>latents_BN</c> stays as written),
/// <c>**strong**</c>, <c>__strong__</c>, code spans, links <c>[text](url "title")</c>, images,
/// autolinks <c>&lt;https://...&gt;</c>, backslash escapes, hard line breaks, and LaTeX math
/// <c>$...$</c> / <c>$$...$$</c>, which is left as text (in a <c>span.math</c>) and not parsed for emphasis.</para>
/// <para>Safety: every character of the source is HTML-escaped; raw HTML in markdown is shown as
/// text, never passed through. Link and image targets are kept only for http, https, mailto and
/// relative URLs (images also for base64 <c>data:image/png|jpeg|gif|webp</c>); any other scheme
/// (<c>javascript:</c>, <c>data:text/html</c>, ...) drops the link and keeps its text.</para>
/// </summary>
public static partial class Markdown
{
    /// <summary>Renders markdown to an HTML fragment (no surrounding element).</summary>
    public static string ToHtml(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n').Select(ExpandTabs).ToList();
        var sb = new StringBuilder();
        new Renderer().Blocks(lines, sb, tight: false);
        return sb.ToString();
    }

    private static string ExpandTabs(string line)
    {
        if (!line.Contains('\t')) return line;
        var sb = new StringBuilder();
        foreach (var c in line)
        {
            if (c == '\t') sb.Append(' ', 4 - sb.Length % 4);
            else sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^(#{1,6})(?:[ ]+(.*?))?(?:[ ]+#+)?[ ]*$")]
    private static partial Regex AtxHeading();
    [GeneratedRegex(@"^([-*_])[ ]*(?:\1[ ]*){2,}$")]
    private static partial Regex ThematicBreak();
    [GeneratedRegex(@"^(`{3,}|~{3,})[ ]*([^ ]*).*$")]
    private static partial Regex FenceOpen();
    [GeneratedRegex(@"^([-*+]|(\d{1,9})([.)]))( +|$)")]
    private static partial Regex ListMarker();
    [GeneratedRegex(@"^\|?[ ]*:?-+:?[ ]*(\|[ ]*:?-+:?[ ]*)*\|?[ ]*$")]
    private static partial Regex TableDelimiter();
    [GeneratedRegex(@"^=+[ ]*$")]
    private static partial Regex SetextH1();
    [GeneratedRegex(@"^-+[ ]*$")]
    private static partial Regex SetextH2();
    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.\-]*):")]
    private static partial Regex UrlScheme();
    [GeneratedRegex(@"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$")]
    private static partial Regex SafeDataImage();
    [GeneratedRegex(@"^<((?:https?://|mailto:)[^\s<>]*)>")]
    private static partial Regex AutoLink();

    private static int Indent(string line)
    {
        int n = 0;
        while (n < line.Length && line[n] == ' ') n++;
        return n;
    }

    private static bool IsBlank(string line) => line.Trim().Length == 0;

    private static string StripIndent(string line, int n)
    {
        int k = 0;
        while (k < n && k < line.Length && line[k] == ' ') k++;
        return line[k..];
    }

    private sealed class Renderer
    {
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

        // ------------------------------------------------------------------ blocks

        public void Blocks(List<string> lines, StringBuilder sb, bool tight)
        {
            int i = 0;
            while (i < lines.Count)
            {
                var line = lines[i];
                if (IsBlank(line)) { i++; continue; }
                int indent = Indent(line);
                if (indent >= 4)
                {
                    i = IndentedCode(lines, i, sb);
                    continue;
                }
                var t = line[indent..];
                Match m;
                if ((m = FenceOpen().Match(t)).Success && !(m.Groups[1].Value[0] == '`' && t[m.Groups[1].Length..].Contains('`')))
                {
                    i = FencedCode(lines, i, indent, m, sb);
                    continue;
                }
                if (t.StartsWith("$$", StringComparison.Ordinal))
                {
                    i = DisplayMath(lines, i, sb);
                    continue;
                }
                if ((m = AtxHeading().Match(t)).Success)
                {
                    Heading(m.Groups[1].Length, m.Groups[2].Value, sb);
                    i++;
                    continue;
                }
                if (ThematicBreak().IsMatch(t))
                {
                    sb.Append("<hr />\n");
                    i++;
                    continue;
                }
                if (t.StartsWith('>'))
                {
                    i = BlockQuote(lines, i, sb);
                    continue;
                }
                if (ListMarker().IsMatch(t))
                {
                    i = List(lines, i, sb);
                    continue;
                }
                if (i + 1 < lines.Count && t.Contains('|') && TableDelimiter().IsMatch(lines[i + 1].Trim())
                    && SplitRow(t).Count == SplitRow(lines[i + 1].Trim()).Count)
                {
                    i = Table(lines, i, sb);
                    continue;
                }
                i = Paragraph(lines, i, sb, tight);
            }
        }

        private static bool StartsBlock(string line, bool interruptingParagraph)
        {
            if (IsBlank(line)) return true;
            int indent = Indent(line);
            if (indent >= 4) return !interruptingParagraph;
            var t = line[indent..];
            if (FenceOpen().IsMatch(t) || t.StartsWith("$$", StringComparison.Ordinal) || AtxHeading().IsMatch(t)
                || ThematicBreak().IsMatch(t) || t.StartsWith('>'))
                return true;
            var m = ListMarker().Match(t);
            if (!m.Success) return false;
            if (!interruptingParagraph) return true;
            // CommonMark: a list can interrupt a paragraph only if the item is not empty and an ordered one starts at 1.
            bool empty = t.Length == m.Length;
            return !empty && (!m.Groups[2].Success || m.Groups[2].Value == "1");
        }

        private int IndentedCode(List<string> lines, int i, StringBuilder sb)
        {
            var code = new List<string>();
            while (i < lines.Count && (IsBlank(lines[i]) || Indent(lines[i]) >= 4))
            {
                code.Add(IsBlank(lines[i]) ? "" : lines[i][4..]);
                i++;
            }
            while (code.Count > 0 && code[^1].Length == 0) code.RemoveAt(code.Count - 1);
            sb.Append("<pre><code>").AppendEscaped(string.Join("\n", code)).Append("\n</code></pre>\n");
            return i;
        }

        private static int FencedCode(List<string> lines, int i, int indent, Match open, StringBuilder sb)
        {
            var fence = open.Groups[1].Value;
            var lang = open.Groups[2].Value;
            var code = new List<string>();
            i++;
            while (i < lines.Count)
            {
                var l = lines[i];
                int ind = Indent(l);
                if (ind < 4)
                {
                    var tt = l[ind..].TrimEnd();
                    if (tt.Length >= fence.Length && tt.All(c => c == fence[0])) { i++; break; }
                }
                code.Add(StripIndent(l, indent));
                i++;
            }
            sb.Append("<pre><code");
            if (lang.Length > 0) sb.Append(" class=\"language-").AppendEscaped(lang).Append('"');
            sb.Append('>').AppendEscaped(string.Join("\n", code));
            if (code.Count > 0) sb.Append('\n');
            sb.Append("</code></pre>\n");
            return i;
        }

        private static int DisplayMath(List<string> lines, int i, StringBuilder sb)
        {
            var first = lines[i].Trim();
            var math = new List<string> { first };
            bool closedOnFirst = first.Length >= 4 && first.EndsWith("$$", StringComparison.Ordinal);
            i++;
            if (!closedOnFirst)
            {
                while (i < lines.Count)
                {
                    math.Add(lines[i]);
                    i++;
                    if (lines[i - 1].TrimEnd().EndsWith("$$", StringComparison.Ordinal)) break;
                }
            }
            sb.Append("<div class=\"math display\">").AppendEscaped(string.Join("\n", math)).Append("</div>\n");
            return i;
        }

        private void Heading(int level, string text, StringBuilder sb)
        {
            var id = UniqueId(text);
            sb.Append("<h").Append(level).Append(" id=\"").Append(id).Append("\">")
              .Append(Inline(text.Trim(), links: true)).Append("</h").Append(level).Append(">\n");
        }

        private string UniqueId(string text)
        {
            var slug = new StringBuilder();
            foreach (var c in text.ToLowerInvariant())
            {
                if (c is >= 'a' and <= 'z' or >= '0' and <= '9') slug.Append(c);
                else if (slug.Length > 0 && slug[^1] != '-') slug.Append('-');
            }
            var baseId = slug.ToString().Trim('-');
            if (baseId.Length == 0) baseId = "section";
            var id = baseId;
            for (int k = 1; !_ids.Add(id); k++) id = $"{baseId}-{k}";
            return id;
        }

        private int BlockQuote(List<string> lines, int i, StringBuilder sb)
        {
            var inner = new List<string>();
            bool lastWasText = false;
            while (i < lines.Count)
            {
                var l = lines[i];
                int ind = Indent(l);
                if (ind < 4 && l[ind..].StartsWith('>'))
                {
                    var rest = l[(ind + 1)..];
                    if (rest.StartsWith(' ')) rest = rest[1..];
                    inner.Add(rest);
                    lastWasText = !IsBlank(rest);
                    i++;
                }
                else if (lastWasText && !StartsBlock(l, interruptingParagraph: true))
                {
                    inner.Add(l); // lazy continuation of a paragraph
                    i++;
                }
                else break;
            }
            sb.Append("<blockquote>\n");
            Blocks(inner, sb, tight: false);
            sb.Append("</blockquote>\n");
            return i;
        }

        private int List(List<string> lines, int i, StringBuilder sb)
        {
            var first = ListMarker().Match(lines[i][Indent(lines[i])..]);
            bool ordered = first.Groups[2].Success;
            char kind = ordered ? first.Groups[3].Value[0] : first.Groups[1].Value[0];
            int start = ordered ? int.Parse(first.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 1;

            var items = new List<List<string>>();
            bool loose = false;
            while (i < lines.Count)
            {
                var l = lines[i];
                int ind = Indent(l);
                if (ind >= 4) break;
                var m = ListMarker().Match(l[ind..]);
                if (!m.Success) break;
                bool itemOrdered = m.Groups[2].Success;
                char itemKind = itemOrdered ? m.Groups[3].Value[0] : m.Groups[1].Value[0];
                if (itemOrdered != ordered || itemKind != kind) break;

                int spaces = m.Groups[4].Length;
                int markerWidth = m.Groups[1].Length;
                int contentIndent = ind + markerWidth + (spaces is >= 1 and <= 4 ? spaces : 1);
                // content after the marker; more than 4 spaces means the item starts with indented code
                var item = new List<string> { spaces == 0 ? "" : l[Math.Min(l.Length, contentIndent)..] };
                i++;
                bool lastWasText = !IsBlank(item[0]);
                bool sawBlank = false;
                while (i < lines.Count)
                {
                    var c = lines[i];
                    if (IsBlank(c))
                    {
                        sawBlank = true;
                        item.Add("");
                        lastWasText = false;
                        i++;
                        continue;
                    }
                    int ci = Indent(c);
                    if (ci >= contentIndent)
                    {
                        if (sawBlank) loose |= item.Skip(1).Any(x => x.Length > 0) || !IsBlank(item[0]);
                        item.Add(c[contentIndent..]);
                        lastWasText = true;
                        sawBlank = false;
                        i++;
                        continue;
                    }
                    if (ci < 4 && ListMarker().IsMatch(c[ci..])) break; // the next item (of this list or another)
                    if (!sawBlank && lastWasText && !StartsBlock(c, interruptingParagraph: true))
                    {
                        item.Add(c.TrimStart()); // lazy continuation
                        i++;
                        continue;
                    }
                    break;
                }
                // trailing blank lines belong between items: they make the list loose if another item follows
                int trailing = 0;
                while (item.Count > 1 && item[^1].Length == 0) { item.RemoveAt(item.Count - 1); trailing++; }
                items.Add(item);
                if (trailing > 0)
                {
                    if (i < lines.Count && Indent(lines[i]) < 4 && ListMarker().Match(lines[i][Indent(lines[i])..]) is { Success: true } next
                        && next.Groups[2].Success == ordered
                        && (ordered ? next.Groups[3].Value[0] : next.Groups[1].Value[0]) == kind)
                        loose = true;
                    else break;
                }
            }

            if (ordered)
            {
                sb.Append("<ol");
                if (start != 1) sb.Append(" start=\"").Append(start).Append('"');
                sb.Append(">\n");
            }
            else sb.Append("<ul>\n");
            foreach (var item in items)
            {
                sb.Append("<li>");
                var inner = new StringBuilder();
                Blocks(item, inner, tight: !loose);
                var html = inner.ToString();
                sb.Append(loose ? "\n" + html : html.TrimEnd('\n'));
                sb.Append("</li>\n");
            }
            sb.Append(ordered ? "</ol>\n" : "</ul>\n");
            return i;
        }

        private static List<string> SplitRow(string row)
        {
            var t = row.Trim();
            if (t.StartsWith('|')) t = t[1..];
            if (t.EndsWith('|') && !t.EndsWith("\\|", StringComparison.Ordinal)) t = t[..^1];
            var cells = new List<string>();
            var cur = new StringBuilder();
            bool inCode = false;
            for (int k = 0; k < t.Length; k++)
            {
                char c = t[k];
                if (c == '\\' && k + 1 < t.Length && t[k + 1] == '|') { cur.Append('|'); k++; continue; }
                if (c == '`') inCode = !inCode;
                if (c == '|' && !inCode) { cells.Add(cur.ToString().Trim()); cur.Clear(); continue; }
                cur.Append(c);
            }
            cells.Add(cur.ToString().Trim());
            return cells;
        }

        private int Table(List<string> lines, int i, StringBuilder sb)
        {
            var header = SplitRow(lines[i]);
            var align = SplitRow(lines[i + 1]).Select(d =>
                d.StartsWith(':') && d.EndsWith(':') ? "center" : d.EndsWith(':') ? "right" : d.StartsWith(':') ? "left" : null).ToList();
            i += 2;
            sb.Append("<table>\n<thead>\n<tr>");
            for (int k = 0; k < header.Count; k++) Cell("th", header[k], align[k], sb);
            sb.Append("</tr>\n</thead>\n");
            bool body = false;
            while (i < lines.Count && !IsBlank(lines[i]) && lines[i].Contains('|') && !StartsBlock(lines[i], interruptingParagraph: true))
            {
                if (!body) { sb.Append("<tbody>\n"); body = true; }
                var row = SplitRow(lines[i]);
                sb.Append("<tr>");
                for (int k = 0; k < header.Count; k++) Cell("td", k < row.Count ? row[k] : "", align[k], sb);
                sb.Append("</tr>\n");
                i++;
            }
            if (body) sb.Append("</tbody>\n");
            sb.Append("</table>\n");
            return i;
        }

        private void Cell(string tag, string text, string? align, StringBuilder sb)
        {
            sb.Append('<').Append(tag);
            if (align is not null) sb.Append(" style=\"text-align: ").Append(align).Append('"');
            sb.Append('>').Append(Inline(text, links: true)).Append("</").Append(tag).Append('>');
        }

        private int Paragraph(List<string> lines, int i, StringBuilder sb, bool tight)
        {
            var para = new List<string> { lines[i].TrimStart() };
            i++;
            while (i < lines.Count)
            {
                var l = lines[i];
                int ind = Indent(l);
                if (ind < 4 && SetextH1().IsMatch(l[ind..]))
                {
                    Heading(1, string.Join("\n", para).Trim(), sb);
                    return i + 1;
                }
                if (ind < 4 && SetextH2().IsMatch(l[ind..]))
                {
                    Heading(2, string.Join("\n", para).Trim(), sb);
                    return i + 1;
                }
                if (StartsBlock(l, interruptingParagraph: true)) break;
                if (i + 1 < lines.Count && l.Contains('|') && TableDelimiter().IsMatch(lines[i + 1].Trim())) break;
                para.Add(l.TrimStart());
                i++;
            }
            var text = string.Join("\n", para).TrimEnd();
            if (tight) sb.Append(Inline(text, links: true)).Append('\n');
            else sb.Append("<p>").Append(Inline(text, links: true)).Append("</p>\n");
            return i;
        }

        // ------------------------------------------------------------------ inlines

        private static bool IsAsciiPunctuation(char c) => c is >= '!' and <= '/' or >= ':' and <= '@' or >= '[' and <= '`' or >= '{' and <= '~';

        public string Inline(string s, bool links)
        {
            var sb = new StringBuilder(s.Length + 16);
            int i = 0;
            while (i < s.Length)
            {
                char c = s[i];
                switch (c)
                {
                    case '\\':
                        if (i + 1 < s.Length && s[i + 1] == '\n') { sb.Append("<br />\n"); i += 2; }
                        else if (i + 1 < s.Length && IsAsciiPunctuation(s[i + 1])) { sb.AppendEscaped(s[i + 1].ToString()); i += 2; }
                        else { sb.Append('\\'); i++; }
                        continue;
                    case '`':
                        {
                            int n = Run(s, i, '`');
                            int close = FindCodeClose(s, i + n, n);
                            if (close < 0) { sb.Append(s, i, n); i += n; continue; }
                            var code = s[(i + n)..close].Replace('\n', ' ');
                            if (code.Length >= 2 && code[0] == ' ' && code[^1] == ' ' && code.Trim().Length > 0) code = code[1..^1];
                            sb.Append("<code>").AppendEscaped(code).Append("</code>");
                            i = close + n;
                            continue;
                        }
                    case '$':
                        {
                            int end = FindMathEnd(s, i);
                            if (end < 0) { sb.Append('$'); i++; continue; }
                            bool display = s[i + 1] == '$';
                            sb.Append("<span class=\"math ").Append(display ? "display" : "inline").Append("\">")
                              .AppendEscaped(s[i..end]).Append("</span>");
                            i = end;
                            continue;
                        }
                    case '!' when links && i + 1 < s.Length && s[i + 1] == '[':
                        if (TryLink(s, i + 1, out var alt, out var src, out var imgTitle, out int imgEnd))
                        {
                            var safe = SafeUrl(src, image: true);
                            if (safe is null) sb.AppendEscaped(alt);
                            else
                            {
                                sb.Append("<img src=\"").AppendEscaped(safe).Append("\" alt=\"").AppendEscaped(alt).Append('"');
                                if (imgTitle is not null) sb.Append(" title=\"").AppendEscaped(imgTitle).Append('"');
                                sb.Append(" />");
                            }
                            i = imgEnd;
                            continue;
                        }
                        sb.Append('!');
                        i++;
                        continue;
                    case '[' when links:
                        if (TryLink(s, i, out var text, out var href, out var title, out int linkEnd))
                        {
                            var safe = SafeUrl(href, image: false);
                            if (safe is null) sb.Append(Inline(text, links: false));
                            else
                            {
                                sb.Append("<a href=\"").AppendEscaped(safe).Append('"');
                                if (title is not null) sb.Append(" title=\"").AppendEscaped(title).Append('"');
                                sb.Append('>').Append(Inline(text, links: false)).Append("</a>");
                            }
                            i = linkEnd;
                            continue;
                        }
                        sb.Append("[");
                        i++;
                        continue;
                    case '<':
                        {
                            var m = links ? AutoLink().Match(s[i..]) : Match.Empty;
                            if (m.Success)
                            {
                                var url = m.Groups[1].Value;
                                sb.Append("<a href=\"").AppendEscaped(url).Append("\">").AppendEscaped(url).Append("</a>");
                                i += m.Length;
                            }
                            else { sb.Append("&lt;"); i++; }
                            continue;
                        }
                    case '*' or '_':
                        {
                            int n = Run(s, i, c);
                            if (TryEmphasis(s, i, n, c, out int contentStart, out int contentEnd, out int d, out int after))
                            {
                                var inner = Inline(s[contentStart..contentEnd], links);
                                sb.Append(d == 2 ? "<strong>" : "<em>").Append(inner).Append(d == 2 ? "</strong>" : "</em>");
                                i = after;
                            }
                            else
                            {
                                sb.Append(c, n);
                                i += n;
                            }
                            continue;
                        }
                    case ' ':
                        {
                            int n = Run(s, i, ' ');
                            if (i + n < s.Length && s[i + n] == '\n')
                            {
                                sb.Append(n >= 2 ? "<br />\n" : "\n");
                                i += n + 1;
                            }
                            else { sb.Append(' ', n); i += n; }
                            continue;
                        }
                    default:
                        sb.AppendEscaped(c.ToString());
                        i++;
                        continue;
                }
            }
            return sb.ToString();
        }

        private static int Run(string s, int i, char c)
        {
            int n = 0;
            while (i + n < s.Length && s[i + n] == c) n++;
            return n;
        }

        /// <summary>Index of a closing backtick run of exactly <paramref name="n"/>, or -1.</summary>
        private static int FindCodeClose(string s, int from, int n)
        {
            int j = from;
            while (j < s.Length)
            {
                if (s[j] == '`')
                {
                    int m = Run(s, j, '`');
                    if (m == n) return j;
                    j += m;
                }
                else j++;
            }
            return -1;
        }

        /// <summary>End (exclusive) of a math span starting at <paramref name="i"/> (<c>$x$</c> or <c>$$x$$</c>), or -1.</summary>
        private static int FindMathEnd(string s, int i)
        {
            if (i + 1 < s.Length && s[i + 1] == '$')
            {
                int close = s.IndexOf("$$", i + 2, StringComparison.Ordinal);
                return close > i + 2 ? close + 2 : -1;
            }
            // pandoc's rule: the opening $ is followed by a non-space, the closing $ follows a non-space
            // and is not followed by a digit (so "$5 and $6" stays text)
            if (i + 1 >= s.Length || char.IsWhiteSpace(s[i + 1])) return -1;
            for (int j = i + 1; j < s.Length; j++)
            {
                if (s[j] == '\\') { j++; continue; }
                if (s[j] == '\n' && j + 1 < s.Length && s[j + 1] == '\n') return -1;
                if (s[j] == '$')
                {
                    if (char.IsWhiteSpace(s[j - 1])) return -1;
                    if (j + 1 < s.Length && char.IsDigit(s[j + 1])) return -1;
                    return j + 1;
                }
            }
            return -1;
        }

        /// <summary>
        /// Emphasis opened by the delimiter run s[i..i+n): the element takes d delimiters (2 strong, 1 em)
        /// from the outside of the opening run and of a closing run; the content between keeps the rest
        /// (so <c>***a***</c> is strong around em). Code spans, math and escapes are skipped while searching.
        /// </summary>
        private static bool TryEmphasis(string s, int i, int n, char c, out int contentStart, out int contentEnd, out int d, out int after)
        {
            contentStart = contentEnd = after = 0;
            d = 0;
            int openEnd = i + n;
            bool canOpen = openEnd < s.Length && !char.IsWhiteSpace(s[openEnd])
                           && !(c == '_' && i > 0 && char.IsLetterOrDigit(s[i - 1]));
            if (!canOpen) return false;
            for (d = Math.Min(n, 2); d >= 1; d--)
            {
                int j = openEnd;
                while (j < s.Length)
                {
                    char x = s[j];
                    if (x == '\\') { j += 2; continue; }
                    if (x == '`')
                    {
                        int m = Run(s, j, '`');
                        int close = FindCodeClose(s, j + m, m);
                        j = close < 0 ? j + m : close + m;
                        continue;
                    }
                    if (x == '$')
                    {
                        int end = FindMathEnd(s, j);
                        j = end < 0 ? j + 1 : end;
                        continue;
                    }
                    if (x == c)
                    {
                        int m = Run(s, j, c);
                        bool canClose = m >= d && j > openEnd && !char.IsWhiteSpace(s[j - 1])
                                        && !(c == '_' && j + m < s.Length && char.IsLetterOrDigit(s[j + m]));
                        if (canClose)
                        {
                            contentStart = i + d;
                            contentEnd = j + m - d;
                            after = j + m;
                            return true;
                        }
                        j += m;
                        continue;
                    }
                    j++;
                }
            }
            return false;
        }

        private static bool TryLink(string s, int open, out string text, out string url, out string? title, out int end)
        {
            text = url = "";
            title = null;
            end = 0;
            // matching ']' with nesting, skipping escapes and code spans
            int depth = 0, j = open;
            int close = -1;
            while (j < s.Length)
            {
                char c = s[j];
                if (c == '\\') { j += 2; continue; }
                if (c == '`')
                {
                    int m = Run(s, j, '`');
                    int cc = FindCodeClose(s, j + m, m);
                    j = cc < 0 ? j + m : cc + m;
                    continue;
                }
                if (c == '[') depth++;
                else if (c == ']' && --depth == 0) { close = j; break; }
                j++;
            }
            if (close < 0 || close + 1 >= s.Length || s[close + 1] != '(') return false;
            text = s[(open + 1)..close];
            int k = close + 2;
            while (k < s.Length && s[k] is ' ' or '\n') k++;
            var dest = new StringBuilder();
            if (k < s.Length && s[k] == '<')
            {
                k++;
                while (k < s.Length && s[k] != '>' && s[k] != '\n') dest.Append(s[k++]);
                if (k >= s.Length || s[k] != '>') return false;
                k++;
            }
            else
            {
                int parens = 0;
                while (k < s.Length && !char.IsWhiteSpace(s[k]))
                {
                    if (s[k] == '\\' && k + 1 < s.Length && IsAsciiPunctuation(s[k + 1])) { dest.Append(s[k + 1]); k += 2; continue; }
                    if (s[k] == '(') parens++;
                    else if (s[k] == ')') { if (parens == 0) break; parens--; }
                    dest.Append(s[k++]);
                }
            }
            while (k < s.Length && s[k] is ' ' or '\n') k++;
            if (k < s.Length && s[k] is '"' or '\'' or '(')
            {
                char q = s[k] == '(' ? ')' : s[k];
                var t = new StringBuilder();
                k++;
                while (k < s.Length && s[k] != q)
                {
                    if (s[k] == '\\' && k + 1 < s.Length && IsAsciiPunctuation(s[k + 1])) { t.Append(s[k + 1]); k += 2; continue; }
                    t.Append(s[k++]);
                }
                if (k >= s.Length) return false;
                k++;
                title = t.ToString();
                while (k < s.Length && s[k] is ' ' or '\n') k++;
            }
            if (k >= s.Length || s[k] != ')') return false;
            url = dest.ToString();
            end = k + 1;
            return true;
        }

        private static string? SafeUrl(string url, bool image)
        {
            // browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:")
            var cleaned = new string(url.Where(ch => ch > ' ' && ch != '\u007f').ToArray());
            var m = UrlScheme().Match(cleaned);
            if (!m.Success) return cleaned; // relative: path, #anchor, ?query
            var scheme = m.Groups[1].Value.ToLowerInvariant();
            if (scheme is "http" or "https" or "mailto") return cleaned;
            if (image && scheme == "data" && SafeDataImage().IsMatch(cleaned)) return cleaned;
            return null;
        }
    }
}
