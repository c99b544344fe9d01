using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// Bars (plotly trace type <c>bar</c>): one bar per (x, y), vertical by default; categories on x are made from
/// strings. Several bar traces are grouped, stacked or overlaid by <see cref="Layout.BarMode"/>.
/// </summary>
public sealed class Bar : Trace
{
    private OneOrMany<double>? width;

    /// <summary>An empty bar trace.</summary>
    public Bar() : base("bar") { }

    /// <summary>Positions or categories (plotly <c>bar.x</c>); bar lengths when horizontal.</summary>
    [JsonPropertyName("x")] public DataArray? X { get; set; }

    /// <summary>Bar lengths (plotly <c>bar.y</c>); positions or categories when horizontal.</summary>
    [JsonPropertyName("y")] public DataArray? Y { get; set; }

    /// <summary>Bar direction (plotly <c>bar.orientation</c>).</summary>
    [JsonPropertyName("orientation")] public Orientation? Orientation { get; set; }

    /// <summary>Text per bar (or for all), drawn on the bars and shown on hover (plotly <c>bar.text</c>).</summary>
    [JsonPropertyName("text")] public OneOrMany<string>? Text { get; set; }

    /// <summary>Where <see cref="Text"/> is drawn (plotly <c>bar.textposition</c>).</summary>
    [JsonPropertyName("textposition")] public BarTextPosition? TextPosition { get; set; }

    /// <summary>Hover-only text per bar (plotly <c>bar.hovertext</c>).</summary>
    [JsonPropertyName("hovertext")] public OneOrMany<string>? HoverText { get; set; }

    /// <summary>Bar fill and outline (plotly <c>bar.marker</c>).</summary>
    [JsonPropertyName("marker")] public BarMarker? Marker { get; set; }

    /// <summary>Horizontal error bars (plotly <c>bar.error_x</c>).</summary>
    [JsonPropertyName("error_x")] public ErrorBar? ErrorX { get; set; }

    /// <summary>Vertical error bars (plotly <c>bar.error_y</c>).</summary>
    [JsonPropertyName("error_y")] public ErrorBar? ErrorY { get; set; }

    /// <summary>Bar width in x units, one or per bar, at least 0 (plotly <c>bar.width</c>).</summary>
    [JsonPropertyName("width")] public OneOrMany<double>? Width { get => width; set => width = Validate.NonNegative(value, "bar.width"); }

    /// <summary>Bars of traces in the same offset group share a slot in group mode (plotly <c>bar.offsetgroup</c>).</summary>
    [JsonPropertyName("offsetgroup")] public string? OffsetGroup { get; set; }

    /// <inheritdoc />
    protected override int CountPoints() => Orientation == Plotting.Orientation.Horizontal ? X?.Count ?? Y?.Count ?? 0 : Y?.Count ?? X?.Count ?? 0;

    /// <inheritdoc />
    protected internal override void Check(string where)
    {
        base.Check(where);
        if (X is not null && Y is not null && X.Count != Y.Count)
            throw new InvalidOperationException($"{where}: x has {X.Count} values but y has {Y.Count}; they must match.");
        CheckCount(where, "text", Text);
        CheckCount(where, "hovertext", HoverText);
        CheckCount(where, "width", Width);
        CheckCount(where, "marker.color", Marker?.Color);
        ErrorX?.Check(where, "error_x", PointCount);
        ErrorY?.Check(where, "error_y", PointCount);
    }
}
