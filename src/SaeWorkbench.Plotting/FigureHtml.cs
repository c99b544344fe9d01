using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Plotting;

/// <summary>
/// The HTML of figures: a fragment (a <c>&lt;div&gt;</c> and the script that draws the figure into it with
/// <c>Plotly.newPlot</c>) and whole pages of one or several figures.
/// </summary>
internal static partial class FigureHtml
{
    /// <summary>
    /// A fragment. Its script finds its own <c>&lt;div&gt;</c> (the element before it, or else the first not yet
    /// claimed <c>&lt;div&gt;</c> with the same key), so fragments need no page-unique ids and the same figure may
    /// appear twice on a page; the key is a hash of the figure JSON, so the HTML of a figure is deterministic. The
    /// div's <c>data-saewb-state</c> goes waiting, drawing, rendered (or error), which tests and tools can wait on.
    /// </summary>
    public static string Fragment(string figureJson, int? width, int? height, PlotlyJsInclusion plotlyJs)
    {
        var key = "f" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(figureJson)))[..16];
        var w = width is { } pw ? pw.ToString(CultureInfo.InvariantCulture) + "px" : "100%";
        var h = (height ?? 450).ToString(CultureInfo.InvariantCulture) + "px";
        var sb = new StringBuilder(figureJson.Length + 2048);
        if (plotlyJs == PlotlyJsInclusion.Inline)
        {
            sb.Append("<script data-saewb-plotly=\"").Append(PlotlyJs.Version).Append("\">\nif (typeof window.Plotly === \"undefined\") {\n")
              .Append(PlotlyJs.InlineSafe)
              .Append("\n}\n</script>\n");
        }
        sb.Append("<div class=\"saewb-figure\" data-saewb-figure=\"").Append(key).Append("\" style=\"width:").Append(w)
          .Append(";height:").Append(h).Append("\"></div>\n");
        sb.Append("<script>\n(function () {\n  var key = \"").Append(key).Append("\";\n  var spec = ").Append(PlotlyJson.ForScript(figureJson)).Append(";\n");
        sb.Append(DrawScript);
        sb.Append("})();\n</script>");
        return sb.ToString();
    }

    // The part of the fragment script after `key` and `spec`; ES5 so that old notebook front ends run it too.
    private const string DrawScript = """
          var me = document.currentScript;
          function findDiv() {
            var d = me && me.previousElementSibling;
            if (d && d.getAttribute("data-saewb-figure") === key && !d.hasAttribute("data-saewb-state")) return d;
            var all = document.querySelectorAll("div[data-saewb-figure='" + key + "']");
            for (var i = 0; i < all.length; i++) if (!all[i].hasAttribute("data-saewb-state")) return all[i];
            return null;
          }
          var div = findDiv();
          if (!div) { console.error("SaeWorkbench figure " + key + ": its <div> is not on the page."); return; }
          div.setAttribute("data-saewb-state", "waiting");
          function draw() {
            if (typeof window.Plotly === "undefined") {
              div.setAttribute("data-saewb-state", "error");
              div.textContent = "This chart needs plotly.js, which this page does not include.";
              console.error("SaeWorkbench figure " + key + ": plotly.js is not on this page; include PlotlyJs.ScriptElement() once, " +
                "or render the figure with PlotlyJsInclusion.Inline.");
              return;
            }
            div.setAttribute("data-saewb-state", "drawing");
            window.Plotly.newPlot(div, spec.data, spec.layout, spec.config).then(
              function () { div.setAttribute("data-saewb-state", "rendered"); },
              function (e) { div.setAttribute("data-saewb-state", "error"); console.error("SaeWorkbench figure " + key + ": " + e); });
          }
          if (typeof window.Plotly !== "undefined" || document.readyState === "complete") draw();
          else window.addEventListener("load", draw);

        """;

    /// <summary>A self-contained page: plotly.js once in the head, then the fragments in order.</summary>
    public static string Page(string title, IEnumerable<string> fragments)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<title>").Append(WebUtility.HtmlEncode(Tags().Replace(title, ""))).Append("</title>\n")
          .Append("<style>body { margin: 0; padding: 12px; font-family: sans-serif; } .saewb-figure { margin-bottom: 12px; }</style>\n")
          .Append(PlotlyJs.ScriptElement()).Append("\n</head>\n<body>\n");
        foreach (var f in fragments) sb.Append(f).Append('\n');
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    // plotly.js's text markup (<b>, <i>, <br>, <sup>) has no place in a page title.
    [GeneratedRegex("</?[A-Za-z][^<>]*>")]
    private static partial Regex Tags();
}
