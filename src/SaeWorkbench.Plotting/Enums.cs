namespace SaeWorkbench.Plotting;

// The enumerated values of plotly.js attributes used by the figure model, one enum per attribute kind. Each member
// carries the exact plotly.js value; the tests check every value against plotly.js's plot schema.

/// <summary>What a scatter trace draws (plotly <c>scatter.mode</c>, a flag list).</summary>
public enum ScatterMode
{
    /// <summary><c>"lines"</c></summary>
    [PlotlyValue("lines")] Lines,

    /// <summary><c>"markers"</c></summary>
    [PlotlyValue("markers")] Markers,

    /// <summary><c>"lines+markers"</c></summary>
    [PlotlyValue("lines+markers")] LinesMarkers,

    /// <summary><c>"text"</c>: the <c>text</c> values at the points.</summary>
    [PlotlyValue("text")] Text,

    /// <summary><c>"markers+text"</c></summary>
    [PlotlyValue("markers+text")] MarkersText,

    /// <summary><c>"lines+text"</c></summary>
    [PlotlyValue("lines+text")] LinesText,

    /// <summary><c>"lines+markers+text"</c></summary>
    [PlotlyValue("lines+markers+text")] LinesMarkersText,

    /// <summary><c>"none"</c>: nothing (error bars or fills only).</summary>
    [PlotlyValue("none")] None,
}

/// <summary>Line dash style (plotly <c>line.dash</c>).</summary>
public enum LineDash
{
    /// <summary><c>"solid"</c></summary>
    [PlotlyValue("solid")] Solid,

    /// <summary><c>"dot"</c></summary>
    [PlotlyValue("dot")] Dot,

    /// <summary><c>"dash"</c></summary>
    [PlotlyValue("dash")] Dash,

    /// <summary><c>"longdash"</c></summary>
    [PlotlyValue("longdash")] LongDash,

    /// <summary><c>"dashdot"</c></summary>
    [PlotlyValue("dashdot")] DashDot,

    /// <summary><c>"longdashdot"</c></summary>
    [PlotlyValue("longdashdot")] LongDashDot,
}

/// <summary>How a line joins its points (plotly <c>line.shape</c>).</summary>
public enum LineShape
{
    /// <summary><c>"linear"</c>: straight segments.</summary>
    [PlotlyValue("linear")] Linear,

    /// <summary><c>"spline"</c>: smoothed.</summary>
    [PlotlyValue("spline")] Spline,

    /// <summary><c>"hv"</c>: steps, horizontal then vertical.</summary>
    [PlotlyValue("hv")] Hv,

    /// <summary><c>"vh"</c>: steps, vertical then horizontal.</summary>
    [PlotlyValue("vh")] Vh,

    /// <summary><c>"hvh"</c>: steps centred on the points.</summary>
    [PlotlyValue("hvh")] Hvh,

    /// <summary><c>"vhv"</c></summary>
    [PlotlyValue("vhv")] Vhv,
}

/// <summary>Area fill of a scatter trace (plotly <c>scatter.fill</c>).</summary>
public enum Fill
{
    /// <summary><c>"none"</c></summary>
    [PlotlyValue("none")] None,

    /// <summary><c>"tozeroy"</c>: down to y = 0.</summary>
    [PlotlyValue("tozeroy")] ToZeroY,

    /// <summary><c>"tozerox"</c>: across to x = 0.</summary>
    [PlotlyValue("tozerox")] ToZeroX,

    /// <summary><c>"tonexty"</c>: to the previous trace, vertically (bands between two lines).</summary>
    [PlotlyValue("tonexty")] ToNextY,

    /// <summary><c>"tonextx"</c>: to the previous trace, horizontally.</summary>
    [PlotlyValue("tonextx")] ToNextX,

    /// <summary><c>"toself"</c>: the closed shape of the points.</summary>
    [PlotlyValue("toself")] ToSelf,

    /// <summary><c>"tonext"</c>: to the previous trace.</summary>
    [PlotlyValue("tonext")] ToNext,
}

/// <summary>Axis scale (plotly <c>layout.xaxis.type</c>).</summary>
public enum AxisType
{
    /// <summary><c>"-"</c>: plotly.js guesses from the data.</summary>
    [PlotlyValue("-")] Auto,

    /// <summary><c>"linear"</c></summary>
    [PlotlyValue("linear")] Linear,

    /// <summary><c>"log"</c>: base-10 logarithmic; <see cref="Axis.Range"/> is then given in log10 units.</summary>
    [PlotlyValue("log")] Log,

    /// <summary><c>"date"</c></summary>
    [PlotlyValue("date")] Date,

    /// <summary><c>"category"</c></summary>
    [PlotlyValue("category")] Category,
}

/// <summary>Whether an axis range follows the data (plotly <c>layout.xaxis.autorange</c>).</summary>
public enum AutoRange
{
    /// <summary><c>true</c>: fit the data.</summary>
    [PlotlyValue(true)] Auto,

    /// <summary><c>false</c>: use <see cref="Axis.Range"/>.</summary>
    [PlotlyValue(false)] Fixed,

    /// <summary><c>"reversed"</c>: fit the data, drawn high to low.</summary>
    [PlotlyValue("reversed")] Reversed,
}

/// <summary>How an auto range treats zero (plotly <c>layout.xaxis.rangemode</c>).</summary>
public enum RangeMode
{
    /// <summary><c>"normal"</c></summary>
    [PlotlyValue("normal")] Normal,

    /// <summary><c>"tozero"</c>: the range includes 0.</summary>
    [PlotlyValue("tozero")] ToZero,

    /// <summary><c>"nonnegative"</c>: the range starts at 0 or above.</summary>
    [PlotlyValue("nonnegative")] NonNegative,
}

/// <summary>Tick marks (plotly <c>layout.xaxis.ticks</c>).</summary>
public enum Ticks
{
    /// <summary><c>"outside"</c></summary>
    [PlotlyValue("outside")] Outside,

    /// <summary><c>"inside"</c></summary>
    [PlotlyValue("inside")] Inside,

    /// <summary><c>""</c>: no tick marks.</summary>
    [PlotlyValue("")] None,
}

/// <summary>How tick labels show exponents (plotly <c>exponentformat</c>).</summary>
public enum ExponentFormat
{
    /// <summary><c>"none"</c>: 1000000</summary>
    [PlotlyValue("none")] None,

    /// <summary><c>"e"</c>: 1e+6</summary>
    [PlotlyValue("e")] LowerE,

    /// <summary><c>"E"</c>: 1E+6</summary>
    [PlotlyValue("E")] UpperE,

    /// <summary><c>"power"</c>: 10^6 (readable on log axes)</summary>
    [PlotlyValue("power")] Power,

    /// <summary><c>"SI"</c>: 1M</summary>
    [PlotlyValue("SI")] SI,

    /// <summary><c>"B"</c>: 1M, and 1B for a billion (plotly's default)</summary>
    [PlotlyValue("B")] B,
}

/// <summary>Which side of the plot an axis sits on (plotly <c>layout.xaxis.side</c>).</summary>
public enum AxisSide
{
    /// <summary><c>"top"</c></summary>
    [PlotlyValue("top")] Top,

    /// <summary><c>"bottom"</c></summary>
    [PlotlyValue("bottom")] Bottom,

    /// <summary><c>"left"</c></summary>
    [PlotlyValue("left")] Left,

    /// <summary><c>"right"</c></summary>
    [PlotlyValue("right")] Right,
}

/// <summary>Vertical or horizontal (plotly <c>orientation</c> of bars, boxes, histograms, legends, colour bars).</summary>
public enum Orientation
{
    /// <summary><c>"v"</c></summary>
    [PlotlyValue("v")] Vertical,

    /// <summary><c>"h"</c></summary>
    [PlotlyValue("h")] Horizontal,
}

/// <summary>Horizontal anchor of a legend, title or annotation (plotly <c>xanchor</c>).</summary>
public enum XAnchor
{
    /// <summary><c>"auto"</c></summary>
    [PlotlyValue("auto")] Auto,

    /// <summary><c>"left"</c></summary>
    [PlotlyValue("left")] Left,

    /// <summary><c>"center"</c></summary>
    [PlotlyValue("center")] Center,

    /// <summary><c>"right"</c></summary>
    [PlotlyValue("right")] Right,
}

/// <summary>Vertical anchor of a legend, title or annotation (plotly <c>yanchor</c>).</summary>
public enum YAnchor
{
    /// <summary><c>"auto"</c></summary>
    [PlotlyValue("auto")] Auto,

    /// <summary><c>"top"</c></summary>
    [PlotlyValue("top")] Top,

    /// <summary><c>"middle"</c></summary>
    [PlotlyValue("middle")] Middle,

    /// <summary><c>"bottom"</c></summary>
    [PlotlyValue("bottom")] Bottom,
}

/// <summary>Whether a trace is drawn (plotly <c>visible</c>).</summary>
public enum Visibility
{
    /// <summary><c>true</c></summary>
    [PlotlyValue(true)] Visible,

    /// <summary><c>false</c>: not drawn, not in the legend.</summary>
    [PlotlyValue(false)] Hidden,

    /// <summary><c>"legendonly"</c>: in the legend, drawn when clicked.</summary>
    [PlotlyValue("legendonly")] LegendOnly,
}

/// <summary>What the height of a histogram bar means (plotly <c>histogram.histnorm</c>).</summary>
public enum HistNorm
{
    /// <summary><c>""</c>: the count (or the <see cref="HistFunc"/> value) in the bin.</summary>
    [PlotlyValue("")] Count,

    /// <summary><c>"percent"</c>: percent of all samples.</summary>
    [PlotlyValue("percent")] Percent,

    /// <summary><c>"probability"</c>: fraction of all samples (bars sum to 1).</summary>
    [PlotlyValue("probability")] Probability,

    /// <summary><c>"density"</c>: count divided by the bin width.</summary>
    [PlotlyValue("density")] Density,

    /// <summary><c>"probability density"</c>: fraction divided by the bin width (the area is 1).</summary>
    [PlotlyValue("probability density")] ProbabilityDensity,
}

/// <summary>How a histogram aggregates values in a bin (plotly <c>histogram.histfunc</c>).</summary>
public enum HistFunc
{
    /// <summary><c>"count"</c></summary>
    [PlotlyValue("count")] Count,

    /// <summary><c>"sum"</c></summary>
    [PlotlyValue("sum")] Sum,

    /// <summary><c>"avg"</c></summary>
    [PlotlyValue("avg")] Avg,

    /// <summary><c>"min"</c></summary>
    [PlotlyValue("min")] Min,

    /// <summary><c>"max"</c></summary>
    [PlotlyValue("max")] Max,
}

/// <summary>Direction of a cumulative histogram (plotly <c>histogram.cumulative.direction</c>).</summary>
public enum CumulativeDirection
{
    /// <summary><c>"increasing"</c>: from the left.</summary>
    [PlotlyValue("increasing")] Increasing,

    /// <summary><c>"decreasing"</c>: from the right (a survival function).</summary>
    [PlotlyValue("decreasing")] Decreasing,
}

/// <summary>How bars of several traces share a position (plotly <c>layout.barmode</c>).</summary>
public enum BarMode
{
    /// <summary><c>"group"</c>: side by side.</summary>
    [PlotlyValue("group")] Group,

    /// <summary><c>"stack"</c>: on top of each other.</summary>
    [PlotlyValue("stack")] Stack,

    /// <summary><c>"overlay"</c>: over each other (use opacity).</summary>
    [PlotlyValue("overlay")] Overlay,

    /// <summary><c>"relative"</c>: stacked, negatives below zero.</summary>
    [PlotlyValue("relative")] Relative,
}

/// <summary>How boxes of several traces share a position (plotly <c>layout.boxmode</c>).</summary>
public enum BoxMode
{
    /// <summary><c>"group"</c>: side by side.</summary>
    [PlotlyValue("group")] Group,

    /// <summary><c>"overlay"</c>: over each other.</summary>
    [PlotlyValue("overlay")] Overlay,
}

/// <summary>Where bar text is drawn (plotly <c>bar.textposition</c>).</summary>
public enum BarTextPosition
{
    /// <summary><c>"inside"</c></summary>
    [PlotlyValue("inside")] Inside,

    /// <summary><c>"outside"</c></summary>
    [PlotlyValue("outside")] Outside,

    /// <summary><c>"auto"</c></summary>
    [PlotlyValue("auto")] Auto,

    /// <summary><c>"none"</c></summary>
    [PlotlyValue("none")] None,
}

/// <summary>Which sample points a box plot draws (plotly <c>box.boxpoints</c>).</summary>
public enum BoxPoints
{
    /// <summary><c>"all"</c></summary>
    [PlotlyValue("all")] All,

    /// <summary><c>"outliers"</c>: points beyond the whiskers.</summary>
    [PlotlyValue("outliers")] Outliers,

    /// <summary><c>"suspectedoutliers"</c>: outliers, with those beyond 4 Q1 - 3 Q3 highlighted.</summary>
    [PlotlyValue("suspectedoutliers")] SuspectedOutliers,

    /// <summary><c>false</c>: no points.</summary>
    [PlotlyValue(false)] None,
}

/// <summary>Whether a box plot marks the mean (plotly <c>box.boxmean</c>).</summary>
public enum BoxMean
{
    /// <summary><c>false</c></summary>
    [PlotlyValue(false)] None,

    /// <summary><c>true</c>: a dashed line at the mean.</summary>
    [PlotlyValue(true)] Mean,

    /// <summary><c>"sd"</c>: the mean and a diamond of one standard deviation.</summary>
    [PlotlyValue("sd")] MeanAndSd,
}

/// <summary>What an error bar's length means (plotly <c>error_y.type</c>).</summary>
public enum ErrorType
{
    /// <summary><c>"data"</c>: per-point lengths from <see cref="ErrorBar.Array"/> (and <see cref="ErrorBar.ArrayMinus"/>).</summary>
    [PlotlyValue("data")] Data,

    /// <summary><c>"percent"</c>: <see cref="ErrorBar.Value"/> percent of each value.</summary>
    [PlotlyValue("percent")] Percent,

    /// <summary><c>"constant"</c>: <see cref="ErrorBar.Value"/> for every point.</summary>
    [PlotlyValue("constant")] Constant,

    /// <summary><c>"sqrt"</c>: the square root of each value (Poisson counts).</summary>
    [PlotlyValue("sqrt")] Sqrt,
}

/// <summary>Heatmap smoothing (plotly <c>heatmap.zsmooth</c>).</summary>
public enum ZSmooth
{
    /// <summary><c>false</c>: one flat cell per value.</summary>
    [PlotlyValue(false)] None,

    /// <summary><c>"fast"</c></summary>
    [PlotlyValue("fast")] Fast,

    /// <summary><c>"best"</c>: bilinear.</summary>
    [PlotlyValue("best")] Best,
}

/// <summary>What hovering shows (plotly <c>layout.hovermode</c>).</summary>
public enum HoverMode
{
    /// <summary><c>"closest"</c>: the nearest point.</summary>
    [PlotlyValue("closest")] Closest,

    /// <summary><c>"x"</c>: every trace at the hovered x.</summary>
    [PlotlyValue("x")] X,

    /// <summary><c>"y"</c>: every trace at the hovered y.</summary>
    [PlotlyValue("y")] Y,

    /// <summary><c>"x unified"</c>: one box for every trace at the hovered x.</summary>
    [PlotlyValue("x unified")] XUnified,

    /// <summary><c>"y unified"</c></summary>
    [PlotlyValue("y unified")] YUnified,

    /// <summary><c>false</c>: no hover labels.</summary>
    [PlotlyValue(false)] None,
}

/// <summary>Order of legend items (plotly <c>layout.legend.traceorder</c>).</summary>
public enum LegendTraceOrder
{
    /// <summary><c>"normal"</c>: trace order.</summary>
    [PlotlyValue("normal")] Normal,

    /// <summary><c>"reversed"</c></summary>
    [PlotlyValue("reversed")] Reversed,

    /// <summary><c>"grouped"</c>: by legend group.</summary>
    [PlotlyValue("grouped")] Grouped,

    /// <summary><c>"reversed+grouped"</c></summary>
    [PlotlyValue("reversed+grouped")] ReversedGrouped,
}

/// <summary>Kind of layout shape (plotly <c>layout.shapes[].type</c>).</summary>
public enum ShapeType
{
    /// <summary><c>"line"</c>: from (x0, y0) to (x1, y1).</summary>
    [PlotlyValue("line")] Line,

    /// <summary><c>"rect"</c>: the rectangle with corners (x0, y0) and (x1, y1).</summary>
    [PlotlyValue("rect")] Rect,

    /// <summary><c>"circle"</c>: the ellipse in that rectangle.</summary>
    [PlotlyValue("circle")] Circle,
}

/// <summary>Whether a shape is drawn above or below the traces (plotly <c>layout.shapes[].layer</c>).</summary>
public enum ShapeLayer
{
    /// <summary><c>"above"</c></summary>
    [PlotlyValue("above")] Above,

    /// <summary><c>"below"</c></summary>
    [PlotlyValue("below")] Below,
}

/// <summary>How a facet grid assigns axes (plotly <c>layout.grid.pattern</c>).</summary>
public enum GridPattern
{
    /// <summary><c>"independent"</c>: each cell has its own x and y axis (x, x2, x3 ...).</summary>
    [PlotlyValue("independent")] Independent,

    /// <summary><c>"coupled"</c>: one x axis per column, one y axis per row.</summary>
    [PlotlyValue("coupled")] Coupled,
}

/// <summary>Row order of a layout grid (plotly <c>layout.grid.roworder</c>).</summary>
public enum GridRowOrder
{
    /// <summary><c>"top to bottom"</c></summary>
    [PlotlyValue("top to bottom")] TopToBottom,

    /// <summary><c>"bottom to top"</c></summary>
    [PlotlyValue("bottom to top")] BottomToTop,
}

/// <summary>When the mode bar (zoom, pan, download buttons) shows (plotly config <c>displayModeBar</c>).</summary>
public enum ModeBarDisplay
{
    /// <summary><c>"hover"</c>: while the pointer is over the chart.</summary>
    [PlotlyValue("hover")] OnHover,

    /// <summary><c>true</c></summary>
    [PlotlyValue(true)] Always,

    /// <summary><c>false</c></summary>
    [PlotlyValue(false)] Never,
}

/// <summary>Format of the mode bar's download button (plotly config <c>toImageButtonOptions.format</c>).</summary>
public enum ImageFormat
{
    /// <summary><c>"png"</c></summary>
    [PlotlyValue("png")] Png,

    /// <summary><c>"svg"</c>: vector, for papers.</summary>
    [PlotlyValue("svg")] Svg,

    /// <summary><c>"jpeg"</c></summary>
    [PlotlyValue("jpeg")] Jpeg,

    /// <summary><c>"webp"</c></summary>
    [PlotlyValue("webp")] Webp,
}
