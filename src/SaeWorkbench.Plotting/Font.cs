using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>Text style (plotly <c>font</c>, wherever text is drawn).</summary>
public sealed class Font
{
    private double? size;

    /// <summary>CSS font family list (plotly <c>font.family</c>), e.g. <c>"Arial, sans-serif"</c>.</summary>
    [JsonPropertyName("family")] public string? Family { get; set; }

    /// <summary>Size in px, at least 1 (plotly <c>font.size</c>).</summary>
    [JsonPropertyName("size")] public double? Size { get => size; set => size = Validate.AtLeast(value, 1, "font.size"); }

    /// <summary>Colour (plotly <c>font.color</c>).</summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }
}
