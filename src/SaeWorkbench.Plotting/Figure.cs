using SaeWorkbench.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.Plotting.Interactive;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A plotly.js figure: traces (<see cref="Data"/>), <see cref="Layout"/> and <see cref="Config"/>. It writes the
/// JSON that plotly.js (and other plotly front ends, e.g. Python's <c>plotly.io.from_json</c>) renders, and HTML that
/// renders offline. In a notebook, <c>display(figure)</c> shows the interactive chart: in the workbench's runner
/// through <see cref="IHtmlDisplayable"/>, and in .NET Interactive (VS Code Polyglot Notebooks, Jupyter) through a
/// formatter found by convention (see <see cref="FigureFormatterSource"/>), without a reference to .NET Interactive.
/// </summary>
/// <example><code>
/// var fig = new Figure(new Scatter { X = l0, Y = mse, Mode = ScatterMode.LinesMarkers, Name = "TopK" })
/// {
///     Layout = { Title = "MSE vs L0", XAxis = new Axis { Title = "L0", Type = AxisType.Log }, YAxis = new Axis { Title = "normalized MSE" } },
/// };
/// fig.WriteHtml("mse_vs_l0.html");
/// </code></example>
[TypeFormatterSource(typeof(FigureFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class Figure : IHtmlDisplayable
{
    private int gridRows, gridColumns;

    /// <summary>A figure with the given traces.</summary>
    public Figure(params Trace[] traces)
    {
        ArgumentNullException.ThrowIfNull(traces);
        foreach (var t in traces) Add(t);
    }

    /// <summary>The traces, drawn in order (plotly <c>data</c>).</summary>
    public List<Trace> Data { get; } = [];

    /// <summary>Title, size, axes, legend, annotations (plotly <c>layout</c>).</summary>
    public Layout Layout { get; set; } = new();

    /// <summary>Behaviour in the page (plotly.js <c>config</c>); starts as responsive, without the plotly logo.</summary>
    public Config Config { get; set; } = new() { Responsive = true, DisplayLogo = false };

    /// <summary>Adds a trace; returns this figure.</summary>
    public Figure Add(Trace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        Data.Add(trace);
        return this;
    }

    /// <summary>
    /// Makes a figure of <paramref name="rows"/> x <paramref name="columns"/> subplots (facets), row 1 at the top:
    /// the cell at (row, column) has axes x<i>n</i> and y<i>n</i> with <i>n</i> = (row - 1) * columns + column, laid out
    /// by their domains. Add traces with <see cref="Add(Trace, int, int)"/>; style a cell's axes with
    /// <see cref="XAxisAt"/> and <see cref="YAxisAt"/>.
    /// </summary>
    /// <param name="rows">Rows, 1 to 20.</param>
    /// <param name="columns">Columns, 1 to 20.</param>
    /// <param name="titles">Cell titles in row-major order (at most rows x columns; null or "" for none).</param>
    /// <param name="sharedX">Every x axis follows x1 when zoomed (plotly <c>matches</c>); tick labels only on the bottom row.</param>
    /// <param name="sharedY">Every y axis follows y1 when zoomed; tick labels only in the first column.</param>
    /// <param name="horizontalSpacing">Gap between columns as a fraction of the figure width, in [0, 1); default
    /// 0.2 / columns (as Python plotly's make_subplots).</param>
    /// <param name="verticalSpacing">Gap between rows as a fraction of the figure height, in [0, 1); default 0.3 / rows.</param>
    public static Figure Subplots(
        int rows, int columns, IReadOnlyList<string?>? titles = null, bool sharedX = false, bool sharedY = false,
        double? horizontalSpacing = null, double? verticalSpacing = null)
    {
        if (rows is < 1 or > 20) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows = {rows} is outside the allowed range [1, 20].");
        if (columns is < 1 or > 20) throw new ArgumentOutOfRangeException(nameof(columns), columns, $"columns = {columns} is outside the allowed range [1, 20].");
        var hs = horizontalSpacing ?? 0.2 / columns;
        var vs = verticalSpacing ?? 0.3 / rows;
        if (!(hs >= 0 && hs * (columns - 1) < 1))
            throw new ArgumentOutOfRangeException(nameof(horizontalSpacing), hs,
                $"horizontalSpacing = {Validate.Format(hs)} is not allowed; it must be >= 0 and leave room for {columns} columns (spacing x {columns - 1} < 1).");
        if (!(vs >= 0 && vs * (rows - 1) < 1))
            throw new ArgumentOutOfRangeException(nameof(verticalSpacing), vs,
                $"verticalSpacing = {Validate.Format(vs)} is not allowed; it must be >= 0 and leave room for {rows} rows (spacing x {rows - 1} < 1).");
        if (titles is not null && titles.Count > rows * columns)
            throw new ArgumentException($"titles has {titles.Count} entries but the grid has only {rows * columns} cells.", nameof(titles));

        var fig = new Figure { gridRows = rows, gridColumns = columns };
        var cellW = (1 - hs * (columns - 1)) / columns;
        var cellH = (1 - vs * (rows - 1)) / rows;
        for (var r = 1; r <= rows; r++)
        {
            for (var c = 1; c <= columns; c++)
            {
                var n = (r - 1) * columns + c;
                var x0 = (c - 1) * (cellW + hs);
                var yTop = 1 - (r - 1) * (cellH + vs);
                var x = fig.Layout.AxisFor(AxisRef.X(n));
                var y = fig.Layout.AxisFor(AxisRef.Y(n));
                x.Domain = [Clean(x0), Clean(Math.Min(1, x0 + cellW))];
                y.Domain = [Clean(Math.Max(0, yTop - cellH)), Clean(yTop)];
                x.Anchor = AxisRef.Y(n);
                y.Anchor = AxisRef.X(n);
                if (sharedX && n > 1) x.Matches = "x";
                if (sharedX && r < rows) x.ShowTickLabels = false;
                if (sharedY && n > 1) y.Matches = "y";
                if (sharedY && c > 1) y.ShowTickLabels = false;
                if (titles is not null && n <= titles.Count && !string.IsNullOrEmpty(titles[n - 1]))
                {
                    fig.Layout.Annotations.Add(new Annotation
                    {
                        Text = titles[n - 1], X = Clean(x0 + cellW / 2), Y = Clean(yTop), XRef = "paper", YRef = "paper",
                        XAnchor = XAnchor.Center, YAnchor = YAnchor.Bottom, ShowArrow = false,
                    });
                }
            }
        }
        return fig;

        static double Clean(double v) => Math.Clamp(Math.Round(v, 10), 0, 1);
    }

    /// <summary>Adds a trace to the subplot at (<paramref name="row"/>, <paramref name="column"/>), 1-based; returns this figure.</summary>
    public Figure Add(Trace trace, int row, int column)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var n = Cell(row, column);
        trace.XAxis = AxisRef.X(n);
        trace.YAxis = AxisRef.Y(n);
        return Add(trace);
    }

    /// <summary>The x axis of the subplot at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public Axis XAxisAt(int row, int column) => Layout.AxisFor(AxisRef.X(Cell(row, column)));

    /// <summary>The y axis of the subplot at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public Axis YAxisAt(int row, int column) => Layout.AxisFor(AxisRef.Y(Cell(row, column)));

    private int Cell(int row, int column)
    {
        if (gridRows == 0)
            throw new InvalidOperationException("this figure has no subplot grid; make it with Figure.Subplots(rows, columns).");
        if (row < 1 || row > gridRows)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"row = {row} is outside the grid's rows [1, {gridRows}].");
        if (column < 1 || column > gridColumns)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"column = {column} is outside the grid's columns [1, {gridColumns}].");
        return (row - 1) * gridColumns + column;
    }

    /// <summary>
    /// The plotly.js figure JSON, <c>{"data": [...], "layout": {...}, "config": {...}}</c>. Checks each trace first
    /// (matching lengths of per-point arrays, required data), with messages naming the trace and the attribute.
    /// </summary>
    public string ToJson(bool indented = false)
    {
        if (Layout is null) throw new InvalidOperationException("figure.Layout is null; set a Layout (or leave the default).");
        for (var i = 0; i < Data.Count; i++)
        {
            var t = Data[i] ?? throw new InvalidOperationException($"data[{i}] is null.");
            t.Check($"data[{i}] ({t})");
        }
        var dto = new FigureJson(Data.Cast<object>().ToList(), Layout, Config);
        return JsonSerializer.Serialize(dto, indented ? PlotlyJson.Indented : PlotlyJson.Compact);
    }

    /// <summary>
    /// HTML that renders the figure offline: with <paramref name="fullPage"/> a self-contained page (plotly.js
    /// inlined once in its head); otherwise a fragment for embedding (a <c>&lt;div&gt;</c> and a script), which carries
    /// plotly.js itself or expects the page to include it once, as <paramref name="plotlyJs"/> says.
    /// </summary>
    /// <exception cref="InvalidOperationException">plotly.js is not available: run <c>environment/setup.sh</c> and rebuild.</exception>
    public string ToHtml(bool fullPage = true, PlotlyJsInclusion plotlyJs = PlotlyJsInclusion.Inline)
    {
        if (fullPage)
        {
            if (plotlyJs != PlotlyJsInclusion.Inline)
                throw new ArgumentException("a full page always carries plotly.js; use PlotlyJsInclusion.Inline, or fullPage: false for a fragment.", nameof(plotlyJs));
            return FigureHtml.Page(Layout?.Title?.Text is { Length: > 0 } t ? t : "Figure", [Fragment(PlotlyJsInclusion.PageScript)]);
        }
        return Fragment(plotlyJs);
    }

    /// <summary>A fragment for a page that includes plotly.js once (<see cref="PlotlyJs.ScriptElement"/>).</summary>
    public string ToHtmlFragment() => Fragment(PlotlyJsInclusion.PageScript);

    /// <summary>A self-contained page of several figures, one under another, with plotly.js inlined once.</summary>
    public static string ToHtmlPage(string title, IEnumerable<Figure> figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        return FigureHtml.Page(title, figures.Select(f => (f ?? throw new ArgumentException("figures holds a null figure.", nameof(figures))).ToHtmlFragment()).ToList());
    }

    /// <summary>Writes <see cref="ToJson"/> (indented) to <paramref name="path"/>, atomically (temporary file, then rename).</summary>
    public void WriteJson(string path) => AtomicFile.WriteAllText(path, ToJson(indented: true) + "\n");

    /// <summary>Writes the self-contained page (<see cref="ToHtml"/>) to <paramref name="path"/>, atomically.</summary>
    public void WriteHtml(string path) => AtomicFile.WriteAllText(path, ToHtml(fullPage: true));

    /// <summary>Describes the figure: <c>Figure 'MSE vs L0': 2 traces (scatter 'TopK', scatter 'ReLU')</c>.</summary>
    public override string ToString()
    {
        var title = Layout?.Title?.Text is { Length: > 0 } t ? $" '{t}'" : "";
        return $"Figure{title}: {Data.Count} trace{(Data.Count == 1 ? "" : "s")} ({string.Join(", ", Data)})";
    }

    private string Fragment(PlotlyJsInclusion plotlyJs) => FigureHtml.Fragment(ToJson(), Layout?.Width, Layout?.Height, plotlyJs);

    private sealed record FigureJson(
        [property: JsonPropertyName("data")] List<object> Data,
        [property: JsonPropertyName("layout")] Layout Layout,
        [property: JsonPropertyName("config")] Config? Config);
}
