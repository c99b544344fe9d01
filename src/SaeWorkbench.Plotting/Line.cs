using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>The line of a scatter trace (plotly <c>scatter.line</c>).</summary>
public sealed class Line
{
    private double? width;

    /// <summary>Colour (plotly <c>line.color</c>).</summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }

    /// <summary>Width in px, at least 0 (plotly <c>line.width</c>; default 2).</summary>
    [JsonPropertyName("width")] public double? Width { get => width; set => width = Validate.AtLeast(value, 0, "line.width"); }

    /// <summary>Dash style (plotly <c>line.dash</c>).</summary>
    [JsonPropertyName("dash")] public LineDash? Dash { get; set; }

    /// <summary>How points are joined (plotly <c>line.shape</c>).</summary>
    [JsonPropertyName("shape")] public LineShape? Shape { get; set; }
}
