using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>An outline: of markers and bars (plotly <c>marker.line</c>) or of a box (plotly <c>box.line</c>).</summary>
public sealed class Stroke
{
    private double? width;

    /// <summary>Colour (plotly <c>line.color</c>).</summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }

    /// <summary>Width in px, at least 0 (plotly <c>line.width</c>).</summary>
    [JsonPropertyName("width")] public double? Width { get => width; set => width = Validate.AtLeast(value, 0, "line.width"); }
}
