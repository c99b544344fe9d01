using System.Text;

namespace SaeWorkbench.Notebooks;

/// <summary>HTML escaping used by the markdown renderer, the HTML export and the display formatter.</summary>
public static class HtmlText
{
    /// <summary>
    /// Escapes text for use in HTML element content and in double- or single-quoted attribute values:
    /// <c>&amp; &lt; &gt; " '</c> become entities; everything else is left as is.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            string? entity = text[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => null,
            };
            if (entity is null)
            {
                sb?.Append(text[i]);
                continue;
            }
            sb ??= new StringBuilder(text.Length + 16).Append(text, 0, i);
            sb.Append(entity);
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>Appends <paramref name="text"/> escaped (see <see cref="Escape"/>).</summary>
    public static StringBuilder AppendEscaped(this StringBuilder sb, string? text) => sb.Append(Escape(text));

    /// <summary>Removes ANSI terminal escape sequences (colour codes in tracebacks).</summary>
    public static string StripAnsi(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"\x1B\[[0-9;?]*[ -/]*[@-~]", "");
}
