using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A text label placed on the figure (one item of plotly <c>layout.annotations</c>). Positions are in data units
/// of the axes named by <see cref="XRef"/> and <see cref="YRef"/>, or fractions of the figure with <c>"paper"</c>.
/// </summary>
public sealed class Annotation
{
    private int? arrowHead;
    private double? opacity;

    /// <summary>The text; plotly.js's HTML subset is allowed (plotly <c>annotation.text</c>).</summary>
    [JsonPropertyName("text")] public string? Text { get; set; }

    /// <summary>Horizontal position (plotly <c>annotation.x</c>).</summary>
    [JsonPropertyName("x")] public double? X { get; set; }

    /// <summary>Vertical position (plotly <c>annotation.y</c>).</summary>
    [JsonPropertyName("y")] public double? Y { get; set; }

    /// <summary>What <see cref="X"/> is measured in: <c>"paper"</c>, <c>"x"</c>, <c>"x2"</c>, <c>"x2 domain"</c> (plotly <c>annotation.xref</c>).</summary>
    [JsonPropertyName("xref")] public string? XRef { get; set; }

    /// <summary>What <see cref="Y"/> is measured in: <c>"paper"</c>, <c>"y"</c>, <c>"y2"</c>, <c>"y2 domain"</c> (plotly <c>annotation.yref</c>).</summary>
    [JsonPropertyName("yref")] public string? YRef { get; set; }

    /// <summary>Which point of the text box sits at <see cref="X"/> (plotly <c>annotation.xanchor</c>).</summary>
    [JsonPropertyName("xanchor")] public XAnchor? XAnchor { get; set; }

    /// <summary>Which point of the text box sits at <see cref="Y"/> (plotly <c>annotation.yanchor</c>).</summary>
    [JsonPropertyName("yanchor")] public YAnchor? YAnchor { get; set; }

    /// <summary>Whether an arrow points from the text to (x, y) (plotly <c>annotation.showarrow</c>; default true).</summary>
    [JsonPropertyName("showarrow")] public bool? ShowArrow { get; set; }

    /// <summary>Arrow head style, 0 to 8 (plotly <c>annotation.arrowhead</c>).</summary>
    [JsonPropertyName("arrowhead")]
    public int? ArrowHead
    {
        get => arrowHead;
        set => arrowHead = value is { } v && (v < 0 || v > 8)
            ? throw new ArgumentOutOfRangeException(nameof(ArrowHead), v, $"annotation.arrowhead = {v} is outside the allowed range [0, 8].")
            : value;
    }

    /// <summary>Arrow tail offset from (x, y) in px, horizontal (plotly <c>annotation.ax</c>).</summary>
    [JsonPropertyName("ax")] public double? Ax { get; set; }

    /// <summary>Arrow tail offset from (x, y) in px, vertical, positive down (plotly <c>annotation.ay</c>).</summary>
    [JsonPropertyName("ay")] public double? Ay { get; set; }

    /// <summary>Text style (plotly <c>annotation.font</c>).</summary>
    [JsonPropertyName("font")] public Font? Font { get; set; }

    /// <summary>Background colour (plotly <c>annotation.bgcolor</c>).</summary>
    [JsonPropertyName("bgcolor")] public Color? BgColor { get; set; }

    /// <summary>Opacity in [0, 1] (plotly <c>annotation.opacity</c>).</summary>
    [JsonPropertyName("opacity")] public double? Opacity { get => opacity; set => opacity = Validate.InRange(value, 0, 1, "annotation.opacity"); }

    /// <summary>Text angle in degrees (plotly <c>annotation.textangle</c>).</summary>
    [JsonPropertyName("textangle")] public double? TextAngle { get; set; }
}
