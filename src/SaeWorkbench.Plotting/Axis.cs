using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A cartesian axis (plotly <c>layout.xaxis</c>, <c>layout.yaxis</c>, and <c>layout.xaxis2</c> ... for subplots).
/// </summary>
public sealed class Axis
{
    private double[]? range;
    private double[]? domain;
    private int? nticks;
    private double? scaleRatio;

    /// <summary>Axis title (plotly <c>xaxis.title</c>).</summary>
    [JsonPropertyName("title")] public Title? Title { get; set; }

    /// <summary>Scale (plotly <c>xaxis.type</c>): <see cref="AxisType.Log"/> for log axes.</summary>
    [JsonPropertyName("type")] public AxisType? Type { get; set; }

    /// <summary>
    /// Visible range [low, high] (plotly <c>xaxis.range</c>). On a log axis plotly.js takes log10 values:
    /// use <see cref="LogRange"/> to give the range in data units.
    /// </summary>
    [JsonPropertyName("range")]
    public double[]? Range
    {
        get => range;
        set
        {
            if (value is not null && (value.Length != 2 || !double.IsFinite(value[0]) || !double.IsFinite(value[1])))
                throw new ArgumentException($"xaxis.range = [{string.Join(", ", value.Select(Validate.Format))}] is not allowed; give two finite numbers [low, high].", nameof(Range));
            range = value?.ToArray();
        }
    }

    /// <summary>Whether the range follows the data (plotly <c>xaxis.autorange</c>).</summary>
    [JsonPropertyName("autorange")] public AutoRange? AutoRange { get; set; }

    /// <summary>How an automatic range treats zero (plotly <c>xaxis.rangemode</c>).</summary>
    [JsonPropertyName("rangemode")] public RangeMode? RangeMode { get; set; }

    /// <summary>
    /// The part of the figure the axis spans, [start, end] as fractions in [0, 1] with start &lt; end
    /// (plotly <c>xaxis.domain</c>); how subplots are laid out.
    /// </summary>
    [JsonPropertyName("domain")]
    public double[]? Domain
    {
        get => domain;
        set
        {
            if (value is not null && (value.Length != 2 || !(value[0] >= 0 && value[0] < value[1] && value[1] <= 1)))
                throw new ArgumentException($"xaxis.domain = [{string.Join(", ", value.Select(Validate.Format))}] is not allowed; give [start, end] with 0 <= start < end <= 1.", nameof(Domain));
            domain = value?.ToArray();
        }
    }

    /// <summary>The axis this one is drawn against, e.g. <c>"y2"</c> for <c>xaxis2</c>, or <c>"free"</c> (plotly <c>xaxis.anchor</c>).</summary>
    [JsonPropertyName("anchor")] public string? Anchor { get; set; }

    /// <summary>Another axis whose range this one shares (zooming one zooms both), e.g. <c>"x"</c> (plotly <c>xaxis.matches</c>).</summary>
    [JsonPropertyName("matches")] public string? Matches { get; set; }

    /// <summary>An axis this one keeps a fixed scale ratio to, e.g. <c>"x"</c> for square cells (plotly <c>yaxis.scaleanchor</c>).</summary>
    [JsonPropertyName("scaleanchor")] public string? ScaleAnchor { get; set; }

    /// <summary>Units of this axis per unit of <see cref="ScaleAnchor"/>, at least 0 (plotly <c>yaxis.scaleratio</c>).</summary>
    [JsonPropertyName("scaleratio")] public double? ScaleRatio { get => scaleRatio; set => scaleRatio = Validate.AtLeast(value, 0, "yaxis.scaleratio"); }

    /// <summary>An axis this one is drawn over, for a second y scale on the same plot, e.g. <c>"y"</c> (plotly <c>yaxis.overlaying</c>).</summary>
    [JsonPropertyName("overlaying")] public string? Overlaying { get; set; }

    /// <summary>Side of the plot (plotly <c>xaxis.side</c>).</summary>
    [JsonPropertyName("side")] public AxisSide? Side { get; set; }

    /// <summary>Whether the axis is drawn (plotly <c>xaxis.visible</c>).</summary>
    [JsonPropertyName("visible")] public bool? Visible { get; set; }

    /// <summary>Grid lines (plotly <c>xaxis.showgrid</c>).</summary>
    [JsonPropertyName("showgrid")] public bool? ShowGrid { get; set; }

    /// <summary>Grid line colour (plotly <c>xaxis.gridcolor</c>).</summary>
    [JsonPropertyName("gridcolor")] public Color? GridColor { get; set; }

    /// <summary>A line at 0 (plotly <c>xaxis.zeroline</c>).</summary>
    [JsonPropertyName("zeroline")] public bool? ZeroLine { get; set; }

    /// <summary>The axis line (plotly <c>xaxis.showline</c>).</summary>
    [JsonPropertyName("showline")] public bool? ShowLine { get; set; }

    /// <summary>Tick marks (plotly <c>xaxis.ticks</c>).</summary>
    [JsonPropertyName("ticks")] public Ticks? Ticks { get; set; }

    /// <summary>Tick labels (plotly <c>xaxis.showticklabels</c>).</summary>
    [JsonPropertyName("showticklabels")] public bool? ShowTickLabels { get; set; }

    /// <summary>d3-format rule for tick labels, e.g. <c>".1e"</c>, <c>".0%"</c>, <c>"~s"</c> (plotly <c>xaxis.tickformat</c>).</summary>
    [JsonPropertyName("tickformat")] public string? TickFormat { get; set; }

    /// <summary>How exponents are shown; <see cref="ExponentFormat.Power"/> suits log axes (plotly <c>xaxis.exponentformat</c>).</summary>
    [JsonPropertyName("exponentformat")] public ExponentFormat? ExponentFormat { get; set; }

    /// <summary>Tick label angle in degrees (plotly <c>xaxis.tickangle</c>).</summary>
    [JsonPropertyName("tickangle")] public double? TickAngle { get; set; }

    /// <summary>Most ticks to draw, at least 0; 0 lets plotly.js choose (plotly <c>xaxis.nticks</c>).</summary>
    [JsonPropertyName("nticks")] public int? NTicks { get => nticks; set => nticks = Validate.AtLeast(value, 0, "xaxis.nticks"); }

    /// <summary>Tick positions (plotly <c>xaxis.tickvals</c>; plotly.js then uses tickmode "array").</summary>
    [JsonPropertyName("tickvals")] public DataArray? TickVals { get; set; }

    /// <summary>Labels for <see cref="TickVals"/> (plotly <c>xaxis.ticktext</c>).</summary>
    [JsonPropertyName("ticktext")] public DataArray? TickText { get; set; }

    /// <summary>Disables zoom and pan along this axis (plotly <c>xaxis.fixedrange</c>).</summary>
    [JsonPropertyName("fixedrange")] public bool? FixedRange { get; set; }

    /// <summary>
    /// A <see cref="Range"/> for a log axis, from data units: [log10(<paramref name="low"/>), log10(<paramref name="high"/>)].
    /// </summary>
    public static double[] LogRange(double low, double high)
    {
        if (!(low > 0) || !(high > 0) || !double.IsFinite(low) || !double.IsFinite(high))
            throw new ArgumentOutOfRangeException(nameof(low), $"log axis range [{Validate.Format(low)}, {Validate.Format(high)}] is not allowed; both ends must be finite and > 0.");
        return [Math.Log10(low), Math.Log10(high)];
    }
}
