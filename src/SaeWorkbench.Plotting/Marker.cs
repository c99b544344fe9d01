using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>The markers of a scatter trace (plotly <c>scatter.marker</c>).</summary>
public sealed class Marker
{
    private OneOrMany<double>? size;
    private double? opacity;

    /// <summary>
    /// Diameter in px, one for all points or one per point (plotly <c>marker.size</c>; default 6). Values must be
    /// at least 0.
    /// </summary>
    [JsonPropertyName("size")]
    public OneOrMany<double>? Size
    {
        get => size;
        set => size = Validate.NonNegative(value, "marker.size");
    }

    /// <summary>
    /// One colour, one colour per point, or one number per point mapped through <see cref="Colorscale"/>
    /// (plotly <c>marker.color</c>).
    /// </summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }

    /// <summary>The colour scale for numeric <see cref="Color"/> values (plotly <c>marker.colorscale</c>).</summary>
    [JsonPropertyName("colorscale")] public Colorscale? Colorscale { get; set; }

    /// <summary>The value mapped to the low end of the scale (plotly <c>marker.cmin</c>; default: the data minimum).</summary>
    [JsonPropertyName("cmin")] public double? CMin { get; set; }

    /// <summary>The value mapped to the high end of the scale (plotly <c>marker.cmax</c>).</summary>
    [JsonPropertyName("cmax")] public double? CMax { get; set; }

    /// <summary>The value mapped to the middle of the scale, for diverging scales (plotly <c>marker.cmid</c>).</summary>
    [JsonPropertyName("cmid")] public double? CMid { get; set; }

    /// <summary>Whether to draw the colour bar (plotly <c>marker.showscale</c>).</summary>
    [JsonPropertyName("showscale")] public bool? ShowScale { get; set; }

    /// <summary>Reverse the colour scale (plotly <c>marker.reversescale</c>).</summary>
    [JsonPropertyName("reversescale")] public bool? ReverseScale { get; set; }

    /// <summary>The colour bar (plotly <c>marker.colorbar</c>).</summary>
    [JsonPropertyName("colorbar")] public ColorBar? ColorBar { get; set; }

    /// <summary>
    /// Symbol name, one or per point (plotly <c>marker.symbol</c>): <c>"circle"</c>, <c>"square"</c>,
    /// <c>"diamond"</c>, <c>"cross"</c>, <c>"x"</c>, <c>"triangle-up"</c>, <c>"star"</c>, with <c>"-open"</c> for
    /// hollow variants.
    /// </summary>
    [JsonPropertyName("symbol")] public OneOrMany<string>? Symbol { get; set; }

    /// <summary>Opacity in [0, 1] (plotly <c>marker.opacity</c>).</summary>
    [JsonPropertyName("opacity")] public double? Opacity { get => opacity; set => opacity = Validate.InRange(value, 0, 1, "marker.opacity"); }

    /// <summary>Marker outline (plotly <c>marker.line</c>).</summary>
    [JsonPropertyName("line")] public Stroke? Line { get; set; }
}
