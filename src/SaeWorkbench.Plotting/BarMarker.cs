using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>The fill and outline of bars (plotly <c>bar.marker</c>, <c>histogram.marker</c>).</summary>
public sealed class BarMarker
{
    private double? opacity;

    /// <summary>
    /// One colour, one colour per bar, or one number per bar mapped through <see cref="Colorscale"/>
    /// (plotly <c>marker.color</c>).
    /// </summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }

    /// <summary>The colour scale for numeric <see cref="Color"/> values (plotly <c>marker.colorscale</c>).</summary>
    [JsonPropertyName("colorscale")] public Colorscale? Colorscale { get; set; }

    /// <summary>The value mapped to the low end of the scale (plotly <c>marker.cmin</c>).</summary>
    [JsonPropertyName("cmin")] public double? CMin { get; set; }

    /// <summary>The value mapped to the high end of the scale (plotly <c>marker.cmax</c>).</summary>
    [JsonPropertyName("cmax")] public double? CMax { get; set; }

    /// <summary>Whether to draw the colour bar (plotly <c>marker.showscale</c>).</summary>
    [JsonPropertyName("showscale")] public bool? ShowScale { get; set; }

    /// <summary>Reverse the colour scale (plotly <c>marker.reversescale</c>).</summary>
    [JsonPropertyName("reversescale")] public bool? ReverseScale { get; set; }

    /// <summary>The colour bar (plotly <c>marker.colorbar</c>).</summary>
    [JsonPropertyName("colorbar")] public ColorBar? ColorBar { get; set; }

    /// <summary>Opacity in [0, 1] (plotly <c>marker.opacity</c>).</summary>
    [JsonPropertyName("opacity")] public double? Opacity { get => opacity; set => opacity = Validate.InRange(value, 0, 1, "marker.opacity"); }

    /// <summary>Bar outline (plotly <c>marker.line</c>).</summary>
    [JsonPropertyName("line")] public Stroke? Line { get; set; }
}
