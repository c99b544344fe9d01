using System.Reflection;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Plotting;

/// <summary>
/// The plotly.js library that renders figures, available offline. It is embedded in SaeWorkbench.Plotting.dll at build time
/// from <c>environment/node_modules/plotly.js-dist-min/plotly.min.js</c>, which <c>environment/setup.sh</c> installs
/// from npm at the version pinned in <c>environment/package.json</c>; so it travels with the DLL into tests,
/// single-file publishes and notebooks that <c>#r</c> the DLL. If the DLL was built without it, the environment
/// variable <c>SAEWB_PLOTLY_JS</c> may name a plotly.min.js file instead.
/// </summary>
public static partial class PlotlyJs
{
    /// <summary>Name of the embedded resource.</summary>
    public const string ResourceName = "SaeWorkbench.Plotting.plotly.min.js";

    /// <summary>Environment variable naming a plotly.min.js, used only when none is embedded.</summary>
    public const string PathVariable = "SAEWB_PLOTLY_JS";

    private static readonly Lazy<string> source = new(Load);

    /// <summary>The library's JavaScript text.</summary>
    /// <exception cref="InvalidOperationException">plotly.js is neither embedded nor named by <see cref="PathVariable"/>;
    /// the message says to run <c>environment/setup.sh</c> and rebuild.</exception>
    public static string Source => source.Value;

    /// <summary>The plotly.js version, from the library's header comment (e.g. <c>"4.1.2"</c>).</summary>
    public static string Version
    {
        get
        {
            var m = VersionPattern().Match(Source.Length > 400 ? Source[..400] : Source);
            return m.Success ? m.Groups[1].Value : "unknown";
        }
    }

    /// <summary>Whether plotly.js can be loaded (embedded, or named by <see cref="PathVariable"/>).</summary>
    public static bool IsAvailable
    {
        get
        {
            try
            {
                _ = Source;
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// A <c>&lt;script&gt;</c> element holding plotly.js, for a page's <c>&lt;head&gt;</c>: include it once per page
    /// that embeds figure fragments (<see cref="IHtmlDisplayable.ToHtmlFragment"/>).
    /// </summary>
    public static string ScriptElement() => $"<script data-saewb-plotly=\"{Version}\">\n{InlineSafe}\n</script>";

    /// <summary>
    /// The library text, safe inside a <c>&lt;script&gt;</c> element, and wrapped in a function whose parameters
    /// <c>define</c>, <c>module</c>, <c>exports</c> and <c>require</c> are undefined: pages that load require.js
    /// (Jupyter's classic front end, Debian's nbconvert HTML template) would otherwise turn plotly.js into an
    /// anonymous AMD module ("Mismatched anonymous define()") or hide <c>window.Plotly</c>. Inside the wrapper
    /// plotly.js takes its global path and sets <c>window.Plotly</c>.
    /// </summary>
    internal static string InlineSafe => inlineSafe.Value;

    /// <summary>The opening line of the wrapper around the inlined library (see <see cref="InlineSafe"/>).</summary>
    internal const string ModuleShieldOpen = "(function (define, module, exports, require) {";

    /// <summary>The closing line of the wrapper around the inlined library.</summary>
    internal const string ModuleShieldClose = "}).call(window);";

    /// <summary>Whether <paramref name="html"/> holds a figure fragment (from <see cref="IHtmlDisplayable.ToHtmlFragment"/> or a formatter).</summary>
    public static bool IsFigureHtml(string html) => html.Contains("data-saewb-figure=\"", StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="html"/> without the copies of plotly.js that <see cref="PlotlyJsInclusion.Inline"/> puts into
    /// figure fragments, for hosts that include <see cref="ScriptElement"/> once per page instead.
    /// </summary>
    public static string RemoveInlineCopies(string html) => InlineCopy().Replace(html, "");

    [GeneratedRegex("<script data-saewb-plotly=\"[^\"]*\">.*?</script>\n?", RegexOptions.Singleline)]
    private static partial Regex InlineCopy();

    private static readonly Lazy<string> inlineSafe = new(() =>
    {
        var js = Source;
        // An HTML parser ends a script at "</script"; "\/" means "/" in JavaScript strings and regular expressions.
        js = js.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
        // "<!--" followed later by "<script" would switch the HTML parser into a mode where "</script>" no longer
        // ends the element. plotly.js has no "<script"; refuse, rather than break pages, if a future version does.
        if (js.Contains("<!--", StringComparison.Ordinal) && js.Contains("<script", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(
                $"plotly.js {Version} contains both \"<!--\" and \"<script\", so it cannot be inlined in a <script> element safely.");
        return ModuleShieldOpen + "\n" + js + "\n" + ModuleShieldClose;
    });

    private static string Load()
    {
        var asm = typeof(PlotlyJs).Assembly;
        using (var s = asm.GetManifestResourceStream(ResourceName))
        {
            if (s is not null)
            {
                using var r = new StreamReader(s);
                return r.ReadToEnd();
            }
        }

        var path = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(path))
        {
            if (!File.Exists(path))
                throw new InvalidOperationException($"{PathVariable} = '{path}', but no such file exists; point it at a plotly.min.js.");
            return File.ReadAllText(path);
        }

        var dll = Path.GetFileName(asm.Location) is { Length: > 0 } f ? f : "SaeWorkbench.Plotting.dll"; // Location is "" in a single-file app
        throw new InvalidOperationException(
            $"plotly.js is not embedded in {dll}: " +
            "environment/node_modules/plotly.js-dist-min/plotly.min.js was missing when the library was built. " +
            "Run `bash environment/setup.sh` in the repository (it installs plotly.js from npm), then rebuild; " +
            $"or set {PathVariable} to the path of a plotly.min.js.");
    }

    [GeneratedRegex(@"plotly\.js v(\d+\.\d+\.\d+\S*)")]
    private static partial Regex VersionPattern();
}
