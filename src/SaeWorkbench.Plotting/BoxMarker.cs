using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>The sample points drawn beside a box (plotly <c>box.marker</c>; one style for all points).</summary>
public sealed class BoxMarker
{
    private double? size;
    private double? opacity;

    /// <summary>Colour (plotly <c>box.marker.color</c>).</summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }

    /// <summary>Diameter in px, at least 0 (plotly <c>box.marker.size</c>; default 6).</summary>
    [JsonPropertyName("size")] public double? Size { get => size; set => size = Validate.AtLeast(value, 0, "box.marker.size"); }

    /// <summary>Symbol name, e.g. <c>"circle"</c>, <c>"x"</c> (plotly <c>box.marker.symbol</c>).</summary>
    [JsonPropertyName("symbol")] public string? Symbol { get; set; }

    /// <summary>Opacity in [0, 1] (plotly <c>box.marker.opacity</c>).</summary>
    [JsonPropertyName("opacity")] public double? Opacity { get => opacity; set => opacity = Validate.InRange(value, 0, 1, "box.marker.opacity"); }

    /// <summary>Colour of outlier points (plotly <c>box.marker.outliercolor</c>).</summary>
    [JsonPropertyName("outliercolor")] public Color? OutlierColor { get; set; }

    /// <summary>Point outline (plotly <c>box.marker.line</c>).</summary>
    [JsonPropertyName("line")] public Stroke? Line { get; set; }
}
