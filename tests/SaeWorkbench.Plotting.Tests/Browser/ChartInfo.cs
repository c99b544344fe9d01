using System.Text.Json;

namespace SaeWorkbench.Tests.Browser;

/// <summary>
/// What one plotly chart (<c>.js-plotly-plot</c>) drew, counted in its SVG: per trace of each kind, in trace order.
/// </summary>
/// <param name="Key">The workbench figure key (<c>data-saewb-figure</c>), or null for other plotly charts.</param>
/// <param name="State">The workbench draw state: rendered, error, ... (null for other charts).</param>
/// <param name="DataTraces">Traces plotly.js holds (<c>gd.data.length</c>).</param>
/// <param name="Subplots">Cartesian subplots drawn (<c>.cartesianlayer &gt; .subplot</c>).</param>
/// <param name="Scatter">Per scatter trace: marker points, line paths, error bars.</param>
/// <param name="Bars">Per bar or histogram trace: bars and error bars.</param>
/// <param name="Boxes">Per box trace: boxes and sample points.</param>
/// <param name="Heatmaps">Per heatmap trace: raster images.</param>
/// <param name="LegendItems">Legend entries.</param>
/// <param name="Annotations">Annotations (including subplot titles).</param>
/// <param name="ColorBars">Colour bars.</param>
/// <param name="Width">Width of the chart's SVG in CSS px.</param>
/// <param name="Height">Height of the chart's SVG in CSS px.</param>
public sealed record ChartInfo(
    string? Key,
    string? State,
    int DataTraces,
    int Subplots,
    IReadOnlyList<ScatterTraceInfo> Scatter,
    IReadOnlyList<BarTraceInfo> Bars,
    IReadOnlyList<BoxTraceInfo> Boxes,
    IReadOnlyList<HeatmapTraceInfo> Heatmaps,
    int LegendItems,
    int Annotations,
    int ColorBars,
    double Width,
    double Height)
{
    /// <summary>Trace groups drawn in the SVG, over all kinds.</summary>
    public int SvgTraces => Scatter.Count + Bars.Count + Boxes.Count + Heatmaps.Count;

    internal static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    internal const string InspectScript = """
        (function () {
          function n(root, sel) { return root.querySelectorAll(sel).length; }
          function each(root, sel, f) { return Array.prototype.map.call(root.querySelectorAll(sel), f); }
          return Array.prototype.map.call(document.querySelectorAll(".js-plotly-plot"), function (gd) {
            var svg = gd.querySelector("svg.main-svg");
            var box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
            return {
              key: gd.getAttribute("data-saewb-figure"),
              state: gd.getAttribute("data-saewb-state"),
              dataTraces: (gd.data || []).length,
              subplots: n(gd, ".cartesianlayer > .subplot"),
              scatter: each(gd, ".scatterlayer > .trace", function (t) {
                return { points: n(t, ".points > path.point"), lines: n(t, ".lines > path.js-line"), errorBars: n(t, ".errorbar") }; }),
              bars: each(gd, ".barlayer > .trace", function (t) {
                return { bars: n(t, ".points > .point"), errorBars: n(t, ".errorbar") }; }),
              boxes: each(gd, ".boxlayer > .trace", function (t) {
                return { boxes: n(t, "path.box"), points: n(t, ".points > path.point") }; }),
              heatmaps: each(gd, ".heatmaplayer > .hm", function (t) { return { images: n(t, "image") }; }),
              legendItems: n(gd, ".legend .traces"),
              annotations: n(gd, ".annotation"),
              colorBars: n(gd, ".colorbar"),
              width: box.width,
              height: box.height
            };
          });
        })()
        """;
}

/// <summary>A scatter trace's SVG: marker points, line paths, error bars.</summary>
public sealed record ScatterTraceInfo(int Points, int Lines, int ErrorBars);

/// <summary>A bar or histogram trace's SVG: bars and error bars.</summary>
public sealed record BarTraceInfo(int Bars, int ErrorBars);

/// <summary>A box trace's SVG: boxes and sample points.</summary>
public sealed record BoxTraceInfo(int Boxes, int Points);

/// <summary>A heatmap trace's SVG: raster images (plotly.js draws a heatmap as one image).</summary>
public sealed record HeatmapTraceInfo(int Images);
