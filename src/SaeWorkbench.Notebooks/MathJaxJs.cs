using System.Text.RegularExpressions;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// MathJax 3 (<c>es5/tex-svg-full.js</c>: TeX input with every extension, SVG output with its fonts as paths), which typesets
/// the LaTeX in notebook pages' markdown offline. It is embedded in SaeWorkbench.Notebooks.dll at build time from
/// <c>environment/node_modules/mathjax/es5/tex-svg-full.js</c>, which <c>environment/setup.sh</c> installs from npm at the
/// version pinned in <c>environment/package.json</c> (MathJax 3, not 4, whose fonts load at run time). If the DLL was
/// built without it, pages show the TeX source in place of rendered math (still readable) and nothing fails.
/// </summary>
public static partial class MathJaxJs
{
    /// <summary>Name of the embedded resource.</summary>
    public const string ResourceName = "SaeWorkbench.Notebooks.mathjax.tex-svg-full.js";

    private static readonly Lazy<string?> source = new(Load);

    /// <summary>The library's JavaScript text, or null when it was not embedded (see the type's remarks).</summary>
    public static string? Source => source.Value;

    /// <summary>Whether MathJax is embedded.</summary>
    public static bool IsAvailable => Source is not null;

    /// <summary>The MathJax version, from the library's text (e.g. <c>"3.2.2"</c>), or null when it is not embedded.</summary>
    public static string? Version => Source is { } s && VersionPattern().Match(s) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>
    /// MathJax's configuration. <see cref="Markdown"/> wraps each math span in <c>span.math</c> (<c>\(...\)</c>) or
    /// <c>div.math</c> / <c>span.math</c> (<c>\[...\]</c>); MathJax typesets only inside elements of class <c>math</c>
    /// (the page's <c>main</c> is ignored), so a <c>$</c> or <c>\(</c> in code, outputs or plain prose is never touched.
    /// </summary>
    public const string Configuration =
        "window.MathJax = {\n" +
        "  tex: { inlineMath: [['\\\\(', '\\\\)']], displayMath: [['\\\\[', '\\\\]']], processEscapes: false },\n" +
        "  svg: { fontCache: 'global' },\n" +
        "  options: { ignoreHtmlClass: 'notebook', processHtmlClass: 'math' },\n" +
        "  startup: { typeset: true }\n" +
        "};";

    /// <summary>
    /// The two <c>&lt;script&gt;</c> elements for a page's <c>&lt;head&gt;</c> (configuration, then MathJax inlined), or
    /// <c>""</c> when MathJax is not embedded. About 2.3 MB; include it once, on pages that have math.
    /// </summary>
    public static string ScriptElements() => inlineSafe.Value is { } js
        ? $"<script>\n{Configuration}\n</script>\n<script data-saewb-mathjax=\"{Version}\">\n{js}\n</script>"
        : "";

    private static readonly Lazy<string?> inlineSafe = new(() =>
    {
        if (Source is not { } js) return null;
        // An HTML parser ends a script at "</script"; "\/" means "/" in JavaScript strings and regular expressions.
        js = js.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
        // "<!--" followed later by "<script" would keep "</script>" from ending the element; MathJax 3.2.2 has neither.
        if (js.Contains("<!--", StringComparison.Ordinal) && js.Contains("<script", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(
                $"MathJax {Version} contains both \"<!--\" and \"<script\", so it cannot be inlined in a <script> element safely.");
        return js;
    });

    private static string? Load()
    {
        using var s = typeof(MathJaxJs).Assembly.GetManifestResourceStream(ResourceName);
        if (s is null) return null;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    [GeneratedRegex(@"VERSION\s*=\s*""(\d+\.\d+\.\d+)""")]
    private static partial Regex VersionPattern();
}
