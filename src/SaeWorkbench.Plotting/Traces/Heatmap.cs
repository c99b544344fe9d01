using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A grid of coloured cells (plotly trace type <c>heatmap</c>): <see cref="Z"/>[row][column] is drawn at
/// (<see cref="X"/>[column], <see cref="Y"/>[row]). Row 0 is at the bottom unless the y axis is reversed
/// (<see cref="AutoRange.Reversed"/>), as in a matrix picture.
/// </summary>
public sealed class Heatmap : Trace
{
    private double? xGap, yGap;

    /// <summary>An empty heatmap trace.</summary>
    public Heatmap() : base("heatmap") { }

    /// <summary>Cell values, [row][column] (plotly <c>heatmap.z</c>).</summary>
    [JsonPropertyName("z")] public DataMatrix? Z { get; set; }

    /// <summary>Column positions or labels: one per column (centres) or one more (edges) (plotly <c>heatmap.x</c>).</summary>
    [JsonPropertyName("x")] public DataArray? X { get; set; }

    /// <summary>Row positions or labels: one per row (centres) or one more (edges) (plotly <c>heatmap.y</c>).</summary>
    [JsonPropertyName("y")] public DataArray? Y { get; set; }

    /// <summary>Colour scale (plotly <c>heatmap.colorscale</c>).</summary>
    [JsonPropertyName("colorscale")] public Colorscale? Colorscale { get; set; }

    /// <summary>The value at the low end of the scale (plotly <c>heatmap.zmin</c>).</summary>
    [JsonPropertyName("zmin")] public double? ZMin { get; set; }

    /// <summary>The value at the high end of the scale (plotly <c>heatmap.zmax</c>).</summary>
    [JsonPropertyName("zmax")] public double? ZMax { get; set; }

    /// <summary>The value at the middle of the scale, for diverging scales such as <see cref="Colorscale.RdBu"/> (plotly <c>heatmap.zmid</c>).</summary>
    [JsonPropertyName("zmid")] public double? ZMid { get; set; }

    /// <summary>Whether to draw the colour bar (plotly <c>heatmap.showscale</c>; default true).</summary>
    [JsonPropertyName("showscale")] public bool? ShowScale { get; set; }

    /// <summary>Reverse the colour scale (plotly <c>heatmap.reversescale</c>).</summary>
    [JsonPropertyName("reversescale")] public bool? ReverseScale { get; set; }

    /// <summary>The colour bar (plotly <c>heatmap.colorbar</c>).</summary>
    [JsonPropertyName("colorbar")] public ColorBar? ColorBar { get; set; }

    /// <summary>Smoothing (plotly <c>heatmap.zsmooth</c>).</summary>
    [JsonPropertyName("zsmooth")] public ZSmooth? ZSmooth { get; set; }

    /// <summary>Horizontal gap between cells in px, at least 0 (plotly <c>heatmap.xgap</c>).</summary>
    [JsonPropertyName("xgap")] public double? XGap { get => xGap; set => xGap = Validate.AtLeast(value, 0, "heatmap.xgap"); }

    /// <summary>Vertical gap between cells in px, at least 0 (plotly <c>heatmap.ygap</c>).</summary>
    [JsonPropertyName("ygap")] public double? YGap { get => yGap; set => yGap = Validate.AtLeast(value, 0, "heatmap.ygap"); }

    /// <summary>Whether empty (NaN) cells show a hover label (plotly <c>heatmap.hoverongaps</c>; default true).</summary>
    [JsonPropertyName("hoverongaps")] public bool? HoverOnGaps { get; set; }

    /// <summary>Number of cells.</summary>
    protected override int CountPoints() => Z is null ? 0 : Z.Rows * Z.Columns;

    /// <inheritdoc />
    protected internal override void Check(string where)
    {
        if (Z is null) throw new InvalidOperationException($"{where}: z is not set; a heatmap needs its cell values.");
        if (X is { } x && x.Count != Z.Columns && x.Count != Z.Columns + 1)
            throw new InvalidOperationException($"{where}: x has {x.Count} values but z has {Z.Columns} columns; give one per column or one more (edges).");
        if (Y is { } y && y.Count != Z.Rows && y.Count != Z.Rows + 1)
            throw new InvalidOperationException($"{where}: y has {y.Count} values but z has {Z.Rows} rows; give one per row or one more (edges).");
        if (ZMin is { } lo && ZMax is { } hi && !(lo < hi))
            throw new InvalidOperationException($"{where}: zmin = {Validate.Format(lo)} must be below zmax = {Validate.Format(hi)}.");
        if (CustomData is not null)
            throw new InvalidOperationException($"{where}: customdata on a heatmap must be 2-D like z; use HoverTemplate with %{{z}} or Extra[\"customdata\"].");
    }
}
