using SaeWorkbench.Saes;
using SaeWorkbench.IO;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Experiments;

/// <summary>
/// The browsable report of a reproduction: one self-contained HTML page (plotly.js inlined once in its head, every figure
/// a fragment drawn from the figure model; it renders offline) with one section per experiment, each with what the paper
/// found, what this run measured, a figure and a table; and results.json holding every number of the page. Both are
/// written atomically (temporary file, then rename). The page is made from <see cref="ReproductionResults"/> alone, so a
/// notebook that ran some steps can render what it has: sections whose step did not run are left out. Each section is
/// written by its experiment (<see cref="Experiment.Section"/>): what the paper found, what this run measured (numbers from
/// the results only), a figure and a table; the helpers below are what they share.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The page's file name.</summary>
    public const string PageFileName = "report.html";

    /// <summary>The results file's name.</summary>
    public const string ResultsFileName = "results.json";

    /// <summary>How results.json is written: indented, enums as names, NaN and infinities as strings ("NaN").</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Writes report.html and results.json into <paramref name="outDirectory"/> (created if needed), atomically.
    /// Returns the page's path.</summary>
    public static string Write(ReproductionResults results, string outDirectory)
    {
        ArgumentNullException.ThrowIfNull(results);
        Directory.CreateDirectory(outDirectory);
        var json = Json(results);
        var html = Html(results);
        AtomicFile.WriteAllText(Path.Combine(outDirectory, ResultsFileName), json);
        var page = Path.Combine(outDirectory, PageFileName);
        AtomicFile.WriteAllText(page, html);
        return page;
    }

    /// <summary>results.json: every number of the report.</summary>
    public static string Json(ReproductionResults results) => JsonSerializer.Serialize(results, JsonOptions) + "\n";

    /// <summary>The report page.</summary>
    public static string Html(ReproductionResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sections = Reproduction.Steps.Select(s => (s.Id, s.Title, Body: s.Section(r))).Where(s => s.Body is not null)
            .Append(("timing", "Timing and configuration", TimingSection(r))).ToList();

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<title>SaeWorkbench reproduction: ").Append(E(r.Subject?.ModelId ?? "")).Append("</title>\n")
          .Append("<style>\n").Append(Css).Append("</style>\n")
          .Append(PlotlyJs.ScriptElement()).Append("\n</head>\n<body>\n<main>\n");
        sb.Append("<h1>Scaling and evaluating sparse autoencoders: a reproduction</h1>\n");
        sb.Append("<p class=\"lead\">").Append(Lead(r)).Append("</p>\n");
        sb.Append("<nav><ol>");
        foreach (var (id, title, _) in sections) sb.Append("<li><a href=\"#").Append(id).Append("\">").Append(E(title)).Append("</a></li>");
        sb.Append("</ol></nav>\n");
        var number = 0;
        foreach (var (id, title, body) in sections)
        {
            number++;
            sb.Append("<section id=\"").Append(id).Append("\">\n<h2>").Append(number).Append(". ").Append(E(title)).Append("</h2>\n")
              .Append(body).Append("\n</section>\n");
        }
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private const string Css = """
        body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2937; background: #fafafa; }
        main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; background: #fff; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; }
        h2 { border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; margin-top: 2em; }
        h3 { font-size: 1.05em; margin-top: 1.4em; }
        p { line-height: 1.5; }
        p.lead { color: #374151; }
        p.paper { border-left: 3px solid #93c5fd; padding-left: 10px; color: #374151; }
        p.measured { border-left: 3px solid #86efac; padding-left: 10px; }
        nav ol { columns: 2; font-size: 0.95em; }
        table { border-collapse: collapse; margin: 10px 0 18px; font-size: 0.9em; }
        th, td { padding: 3px 10px; border-bottom: 1px solid #e5e7eb; text-align: right; vertical-align: top; }
        th { background: #f3f4f6; }
        td.l, th.l { text-align: left; }
        .note { color: #6b7280; font-size: 0.9em; }
        pre { background: #f3f4f6; padding: 8px; overflow-x: auto; font-size: 0.85em; }
        .saewb-figure { margin: 8px 0 12px; }
        .showcase { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 8px 24px; }
        .showcase > div { overflow-x: auto; }
        """;

    private static string Lead(ReproductionResults r)
    {
        var s = r.Subject;
        var t = r.Training;
        var sb = new StringBuilder();
        sb.Append("The experiments of Gao et al. 2024 (TopK SAEs) and of the JumpReLU and Gated SAE papers, run by <code>")
          .Append(E(string.IsNullOrEmpty(r.Command) ? "sae reproduce" : r.Command)).Append("</code>");
        if (s is not null)
            sb.Append(Inv($" on {E(s.ModelId)} ({s.Layers} layers, d_model {s.DModel}) at <code>{E(s.Hook)}</code>"));
        if (t is not null)
            sb.Append(Inv($": {t.Runs.Count} SAEs trained from one pass of {t.TokensPerRun:N0} tokens"));
        sb.Append(Inv($", in {Duration(r.TotalSeconds)} on {E(r.Machine)}, started {r.Started:yyyy-MM-dd HH:mm}. "));
        sb.Append("Every number comes from this run (results.json beside this page holds them all); paper findings are quoted for comparison. ");
        sb.Append("Normalized MSE is the mean squared error over the error of always predicting the mean activation (the fraction of variance unexplained), measured on held-out test tokens.");
        return sb.ToString();
    }

    // ---- timing ------------------------------------------------------------------------------------------

    private static string TimingSection(ReproductionResults r)
    {
        var sb = new StringBuilder();
        sb.Append("<p>Wall time of every step on this machine (").Append(E(r.Machine)).Append(").</p>\n");
        var fig = new Figure(new Bar
        {
            Y = r.Timings.Select(t => t.Step).Reverse().ToArray(), X = r.Timings.Select(t => t.Seconds).Reverse().ToArray(), Orientation = Orientation.Horizontal,
            Marker = new BarMarker { Color = "#2563eb" },
        })
        { Layout = BaseLayout("Wall time per step (s)", 60 + 28 * Math.Max(3, r.Timings.Count)) };
        fig.Layout.Margin = new Margin { L = 240, R = 20, T = 50, B = 40 };
        sb.Append(Fig(fig));
        sb.Append(Table(["step", "seconds"], r.Timings.Select(t => (IReadOnlyList<string>)[E(t.Step), N(t.Seconds, "F1")])
            .Append(["<b>total</b>", "<b>" + N(r.TotalSeconds, "F1") + "</b>"])));
        sb.Append("<h3>Configuration</h3>\n<pre>").Append(E(System.Text.Json.JsonSerializer.Serialize(r.Config, JsonOptions))).Append("</pre>\n");
        return sb.ToString();
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    internal static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    internal static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>A number for the page: "–" for NaN or null.</summary>
    internal static string N(double? v, string format = "G4") =>
        v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "–";

    internal static string Pct(double? v, int digits = 1) =>
        v is { } x && double.IsFinite(x) ? (100 * x).ToString("F" + digits, CultureInfo.InvariantCulture) + "%" : "–";

    internal static string Duration(double seconds) => seconds < 90
        ? seconds.ToString("F0", CultureInfo.InvariantCulture) + " s"
        : (seconds / 60).ToString("F1", CultureInfo.InvariantCulture) + " min";

    /// <summary>An HTML table; cells are already HTML (use <see cref="E"/> on text). The first column is left-aligned.</summary>
    internal static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, int leftColumns = 1)
    {
        var sb = new StringBuilder("<table>\n<tr>");
        for (var i = 0; i < headers.Count; i++) sb.Append(i < leftColumns ? "<th class=\"l\">" : "<th>").Append(headers[i]).Append("</th>");
        sb.Append("</tr>\n");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            for (var i = 0; i < row.Count; i++) sb.Append(i < leftColumns ? "<td class=\"l\">" : "<td>").Append(row[i]).Append("</td>");
            sb.Append("</tr>\n");
        }
        return sb.Append("</table>\n").ToString();
    }

    internal static string Paper(string html) => "<p class=\"paper\"><b>Paper.</b> " + html + "</p>\n";

    internal static string Measured(string html) => "<p class=\"measured\"><b>This run.</b> " + html + "</p>\n";

    internal static string Note(string html) => "<p class=\"note\">" + html + "</p>\n";

    internal static string Fig(Figure f) => f.ToHtmlFragment() + "\n";

    /// <summary>A consistent colour per architecture (its place in <see cref="SaeRegistry.All"/>); null, the residual
    /// stream, has its own.</summary>
    internal static Color FamilyColor(SaeArchitecture? architecture) =>
        Color.FromPalette(architecture is null ? 7 : SaeRegistry.All.ToList().IndexOf(architecture) is var i and >= 0 ? i : 9);

    internal static Layout BaseLayout(string title, int height = 420) => new()
    {
        Title = title,
        Height = height,
        Margin = new Margin { L = 60, R = 20, T = 50, B = 50 },
    };
}
