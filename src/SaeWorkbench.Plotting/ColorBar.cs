using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>The colour bar beside a colour scale (plotly <c>marker.colorbar</c>, <c>heatmap.colorbar</c>).</summary>
public sealed class ColorBar
{
    private double? thickness;
    private double? len;

    /// <summary>Title (plotly <c>colorbar.title</c>).</summary>
    [JsonPropertyName("title")] public Title? Title { get; set; }

    /// <summary>Thickness in px, at least 0 (plotly <c>colorbar.thickness</c>; default 30).</summary>
    [JsonPropertyName("thickness")] public double? Thickness { get => thickness; set => thickness = Validate.AtLeast(value, 0, "colorbar.thickness"); }

    /// <summary>Length as a fraction of the plot height, at least 0 (plotly <c>colorbar.len</c>; default 1).</summary>
    [JsonPropertyName("len")] public double? Len { get => len; set => len = Validate.AtLeast(value, 0, "colorbar.len"); }

    /// <summary>Horizontal position, as a fraction of the plot width (plotly <c>colorbar.x</c>).</summary>
    [JsonPropertyName("x")] public double? X { get; set; }

    /// <summary>Vertical position, as a fraction of the plot height (plotly <c>colorbar.y</c>).</summary>
    [JsonPropertyName("y")] public double? Y { get; set; }

    /// <summary>Orientation (plotly <c>colorbar.orientation</c>).</summary>
    [JsonPropertyName("orientation")] public Orientation? Orientation { get; set; }

    /// <summary>d3-format rule for tick labels, e.g. <c>".2f"</c>, <c>".0%"</c> (plotly <c>colorbar.tickformat</c>).</summary>
    [JsonPropertyName("tickformat")] public string? TickFormat { get; set; }

    /// <summary>How exponents are shown (plotly <c>colorbar.exponentformat</c>).</summary>
    [JsonPropertyName("exponentformat")] public ExponentFormat? ExponentFormat { get; set; }

    /// <summary>Tick positions (plotly <c>colorbar.tickvals</c>).</summary>
    [JsonPropertyName("tickvals")] public DataArray? TickVals { get; set; }

    /// <summary>Tick labels for <see cref="TickVals"/> (plotly <c>colorbar.ticktext</c>).</summary>
    [JsonPropertyName("ticktext")] public DataArray? TickText { get; set; }
}
