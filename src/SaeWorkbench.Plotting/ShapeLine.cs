using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>The outline of a shape (plotly <c>layout.shapes[].line</c>).</summary>
public sealed class ShapeLine
{
    private double? width;

    /// <summary>Colour (plotly <c>shape.line.color</c>).</summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }

    /// <summary>Width in px, at least 0 (plotly <c>shape.line.width</c>).</summary>
    [JsonPropertyName("width")] public double? Width { get => width; set => width = Validate.AtLeast(value, 0, "shape.line.width"); }

    /// <summary>Dash style (plotly <c>shape.line.dash</c>).</summary>
    [JsonPropertyName("dash")] public LineDash? Dash { get; set; }
}
