using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// Points and lines (plotly trace type <c>scatter</c>): a curve, a scatter of markers, or both, with optional error
/// bars, hover text and per-point marker size and colour.
/// </summary>
/// <example><code>
/// new Scatter { X = l0, Y = mse, Mode = ScatterMode.LinesMarkers, Name = "TopK", ErrorY = new ErrorBar { Array = sem } }
/// </code></example>
public sealed class Scatter : Trace
{
    /// <summary>An empty scatter trace.</summary>
    public Scatter() : base("scatter") { }

    /// <summary>x values (plotly <c>scatter.x</c>); unset: 0, 1, 2, ....</summary>
    [JsonPropertyName("x")] public DataArray? X { get; set; }

    /// <summary>y values (plotly <c>scatter.y</c>).</summary>
    [JsonPropertyName("y")] public DataArray? Y { get; set; }

    /// <summary>Lines, markers or both (plotly <c>scatter.mode</c>; default lines+markers under 20 points, else lines).</summary>
    [JsonPropertyName("mode")] public ScatterMode? Mode { get; set; }

    /// <summary>Text per point (or for all), shown on hover, and at the points in a <c>text</c> mode (plotly <c>scatter.text</c>).</summary>
    [JsonPropertyName("text")] public OneOrMany<string>? Text { get; set; }

    /// <summary>Hover-only text per point, overriding <see cref="Text"/> in the hover label (plotly <c>scatter.hovertext</c>).</summary>
    [JsonPropertyName("hovertext")] public OneOrMany<string>? HoverText { get; set; }

    /// <summary>Markers (plotly <c>scatter.marker</c>).</summary>
    [JsonPropertyName("marker")] public Marker? Marker { get; set; }

    /// <summary>Line (plotly <c>scatter.line</c>).</summary>
    [JsonPropertyName("line")] public Line? Line { get; set; }

    /// <summary>Horizontal error bars (plotly <c>scatter.error_x</c>).</summary>
    [JsonPropertyName("error_x")] public ErrorBar? ErrorX { get; set; }

    /// <summary>Vertical error bars (plotly <c>scatter.error_y</c>).</summary>
    [JsonPropertyName("error_y")] public ErrorBar? ErrorY { get; set; }

    /// <summary>Area fill (plotly <c>scatter.fill</c>), e.g. <see cref="Plotting.Fill.ToNextY"/> for a band between two traces.</summary>
    [JsonPropertyName("fill")] public Fill? Fill { get; set; }

    /// <summary>Fill colour (plotly <c>scatter.fillcolor</c>).</summary>
    [JsonPropertyName("fillcolor")] public Color? FillColor { get; set; }

    /// <summary>Whether the line bridges missing (NaN) values (plotly <c>scatter.connectgaps</c>; default false).</summary>
    [JsonPropertyName("connectgaps")] public bool? ConnectGaps { get; set; }

    /// <inheritdoc />
    protected override int CountPoints() => Y?.Count ?? X?.Count ?? 0;

    /// <inheritdoc />
    protected internal override void Check(string where)
    {
        base.Check(where);
        if (X is not null && Y is not null && X.Count != Y.Count)
            throw new InvalidOperationException($"{where}: x has {X.Count} values but y has {Y.Count}; they must match.");
        CheckCount(where, "text", Text);
        CheckCount(where, "hovertext", HoverText);
        CheckCount(where, "marker.size", Marker?.Size);
        CheckCount(where, "marker.color", Marker?.Color);
        CheckCount(where, "marker.symbol", Marker?.Symbol);
        ErrorX?.Check(where, "error_x", PointCount);
        ErrorY?.Check(where, "error_y", PointCount);
    }
}
