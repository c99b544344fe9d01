using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>The legend (plotly <c>layout.legend</c>). Whether it shows at all is <see cref="Layout.ShowLegend"/>.</summary>
public sealed class Legend
{
    private double? borderWidth;

    /// <summary>Horizontal position as a fraction of the plot width; beyond [0, 1] is outside the plot (plotly <c>legend.x</c>).</summary>
    [JsonPropertyName("x")] public double? X { get; set; }

    /// <summary>Vertical position as a fraction of the plot height (plotly <c>legend.y</c>).</summary>
    [JsonPropertyName("y")] public double? Y { get; set; }

    /// <summary>Which point of the legend sits at <see cref="X"/> (plotly <c>legend.xanchor</c>).</summary>
    [JsonPropertyName("xanchor")] public XAnchor? XAnchor { get; set; }

    /// <summary>Which point of the legend sits at <see cref="Y"/> (plotly <c>legend.yanchor</c>).</summary>
    [JsonPropertyName("yanchor")] public YAnchor? YAnchor { get; set; }

    /// <summary>Items in a column or a row (plotly <c>legend.orientation</c>).</summary>
    [JsonPropertyName("orientation")] public Orientation? Orientation { get; set; }

    /// <summary>Legend title (plotly <c>legend.title</c>).</summary>
    [JsonPropertyName("title")] public Title? Title { get; set; }

    /// <summary>Item order (plotly <c>legend.traceorder</c>).</summary>
    [JsonPropertyName("traceorder")] public LegendTraceOrder? TraceOrder { get; set; }

    /// <summary>Text style (plotly <c>legend.font</c>).</summary>
    [JsonPropertyName("font")] public Font? Font { get; set; }

    /// <summary>Background colour (plotly <c>legend.bgcolor</c>).</summary>
    [JsonPropertyName("bgcolor")] public Color? BgColor { get; set; }

    /// <summary>Border colour (plotly <c>legend.bordercolor</c>).</summary>
    [JsonPropertyName("bordercolor")] public Color? BorderColor { get; set; }

    /// <summary>Border width in px, at least 0 (plotly <c>legend.borderwidth</c>).</summary>
    [JsonPropertyName("borderwidth")] public double? BorderWidth { get => borderWidth; set => borderWidth = Validate.AtLeast(value, 0, "legend.borderwidth"); }
}
