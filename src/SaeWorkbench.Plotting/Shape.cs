using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A line, rectangle or ellipse drawn on the figure (one item of plotly <c>layout.shapes</c>), e.g. a reference line
/// y = x or a shaded band. Coordinates are in the units named by <see cref="XRef"/> and <see cref="YRef"/>.
/// </summary>
public sealed class Shape
{
    private double? opacity;

    /// <summary>Kind (plotly <c>shape.type</c>).</summary>
    [JsonPropertyName("type")] public ShapeType? Type { get; set; }

    /// <summary>Start x (plotly <c>shape.x0</c>).</summary>
    [JsonPropertyName("x0")] public double? X0 { get; set; }

    /// <summary>End x (plotly <c>shape.x1</c>).</summary>
    [JsonPropertyName("x1")] public double? X1 { get; set; }

    /// <summary>Start y (plotly <c>shape.y0</c>).</summary>
    [JsonPropertyName("y0")] public double? Y0 { get; set; }

    /// <summary>End y (plotly <c>shape.y1</c>).</summary>
    [JsonPropertyName("y1")] public double? Y1 { get; set; }

    /// <summary>What x0/x1 are measured in: <c>"x"</c>, <c>"x2"</c>, <c>"paper"</c>, <c>"x domain"</c> (plotly <c>shape.xref</c>).</summary>
    [JsonPropertyName("xref")] public string? XRef { get; set; }

    /// <summary>What y0/y1 are measured in (plotly <c>shape.yref</c>).</summary>
    [JsonPropertyName("yref")] public string? YRef { get; set; }

    /// <summary>Outline (plotly <c>shape.line</c>).</summary>
    [JsonPropertyName("line")] public ShapeLine? Line { get; set; }

    /// <summary>Fill colour of a rectangle or ellipse (plotly <c>shape.fillcolor</c>).</summary>
    [JsonPropertyName("fillcolor")] public Color? FillColor { get; set; }

    /// <summary>Opacity in [0, 1] (plotly <c>shape.opacity</c>).</summary>
    [JsonPropertyName("opacity")] public double? Opacity { get => opacity; set => opacity = Validate.InRange(value, 0, 1, "shape.opacity"); }

    /// <summary>Above or below the traces (plotly <c>shape.layer</c>).</summary>
    [JsonPropertyName("layer")] public ShapeLayer? Layer { get; set; }
}
