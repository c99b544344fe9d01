using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>Space around the plot area, in px (plotly <c>layout.margin</c>; defaults l 80, r 80, t 100, b 80).</summary>
public sealed class Margin
{
    private double? l, r, t, b, pad;

    /// <summary>Left, at least 0 (plotly <c>margin.l</c>).</summary>
    [JsonPropertyName("l")] public double? L { get => l; set => l = Validate.AtLeast(value, 0, "margin.l"); }

    /// <summary>Right, at least 0 (plotly <c>margin.r</c>).</summary>
    [JsonPropertyName("r")] public double? R { get => r; set => r = Validate.AtLeast(value, 0, "margin.r"); }

    /// <summary>Top, at least 0 (plotly <c>margin.t</c>).</summary>
    [JsonPropertyName("t")] public double? T { get => t; set => t = Validate.AtLeast(value, 0, "margin.t"); }

    /// <summary>Bottom, at least 0 (plotly <c>margin.b</c>).</summary>
    [JsonPropertyName("b")] public double? B { get => b; set => b = Validate.AtLeast(value, 0, "margin.b"); }

    /// <summary>Gap between the plot area and the axis lines, at least 0 (plotly <c>margin.pad</c>).</summary>
    [JsonPropertyName("pad")] public double? Pad { get => pad; set => pad = Validate.AtLeast(value, 0, "margin.pad"); }

    /// <summary>Whether plotly.js may grow the margins to fit legends and labels (plotly <c>margin.autoexpand</c>).</summary>
    [JsonPropertyName("autoexpand")] public bool? AutoExpand { get; set; }
}
