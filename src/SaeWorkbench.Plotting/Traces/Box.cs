using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A box plot (plotly trace type <c>box</c>): median, quartiles and whiskers of samples, computed by plotly.js from
/// <see cref="Y"/> (vertical) or <see cref="X"/> (horizontal), or drawn from precomputed statistics
/// (<see cref="Q1"/>, <see cref="Median"/>, <see cref="Q3"/>, ...). One trace per box, or several boxes per trace
/// with category positions in <see cref="X"/>.
/// </summary>
public sealed class Box : Trace
{
    private double? jitter, pointPos, whiskerWidth, width;

    /// <summary>An empty box trace.</summary>
    public Box() : base("box") { }

    /// <summary>Samples (vertical box) or positions per sample (plotly <c>box.y</c>).</summary>
    [JsonPropertyName("y")] public DataArray? Y { get; set; }

    /// <summary>Positions or categories per sample (vertical), or samples (horizontal) (plotly <c>box.x</c>).</summary>
    [JsonPropertyName("x")] public DataArray? X { get; set; }

    /// <summary>Direction (plotly <c>box.orientation</c>).</summary>
    [JsonPropertyName("orientation")] public Orientation? Orientation { get; set; }

    /// <summary>Which samples are drawn as points (plotly <c>box.boxpoints</c>; default outliers).</summary>
    [JsonPropertyName("boxpoints")] public BoxPoints? BoxPoints { get; set; }

    /// <summary>Whether the mean (and standard deviation) is marked (plotly <c>box.boxmean</c>).</summary>
    [JsonPropertyName("boxmean")] public BoxMean? BoxMean { get; set; }

    /// <summary>Notches around the median (plotly <c>box.notched</c>).</summary>
    [JsonPropertyName("notched")] public bool? Notched { get; set; }

    /// <summary>Sideways spread of sample points, in [0, 1] (plotly <c>box.jitter</c>).</summary>
    [JsonPropertyName("jitter")] public double? Jitter { get => jitter; set => jitter = Validate.InRange(value, 0, 1, "box.jitter"); }

    /// <summary>Position of sample points relative to the box, in [-2, 2] (plotly <c>box.pointpos</c>).</summary>
    [JsonPropertyName("pointpos")] public double? PointPos { get => pointPos; set => pointPos = Validate.InRange(value, -2, 2, "box.pointpos"); }

    /// <summary>Whisker width relative to the box, in [0, 1] (plotly <c>box.whiskerwidth</c>).</summary>
    [JsonPropertyName("whiskerwidth")] public double? WhiskerWidth { get => whiskerWidth; set => whiskerWidth = Validate.InRange(value, 0, 1, "box.whiskerwidth"); }

    /// <summary>Box width in position units, at least 0; 0 lets plotly.js choose (plotly <c>box.width</c>).</summary>
    [JsonPropertyName("width")] public double? Width { get => width; set => width = Validate.AtLeast(value, 0, "box.width"); }

    /// <summary>Sample points (plotly <c>box.marker</c>).</summary>
    [JsonPropertyName("marker")] public BoxMarker? Marker { get; set; }

    /// <summary>Box outline (plotly <c>box.line</c>).</summary>
    [JsonPropertyName("line")] public Stroke? Line { get; set; }

    /// <summary>Box fill colour (plotly <c>box.fillcolor</c>).</summary>
    [JsonPropertyName("fillcolor")] public Color? FillColor { get; set; }

    /// <summary>Text per sample (or for all), shown on hover (plotly <c>box.text</c>).</summary>
    [JsonPropertyName("text")] public OneOrMany<string>? Text { get; set; }

    /// <summary>Hover-only text per sample (plotly <c>box.hovertext</c>).</summary>
    [JsonPropertyName("hovertext")] public OneOrMany<string>? HoverText { get; set; }

    /// <summary>Precomputed first quartile, one per box (plotly <c>box.q1</c>); with <see cref="Median"/> and <see cref="Q3"/>.</summary>
    [JsonPropertyName("q1")] public DataArray? Q1 { get; set; }

    /// <summary>Precomputed median, one per box (plotly <c>box.median</c>).</summary>
    [JsonPropertyName("median")] public DataArray? Median { get; set; }

    /// <summary>Precomputed third quartile, one per box (plotly <c>box.q3</c>).</summary>
    [JsonPropertyName("q3")] public DataArray? Q3 { get; set; }

    /// <summary>Precomputed lower whisker end, one per box (plotly <c>box.lowerfence</c>).</summary>
    [JsonPropertyName("lowerfence")] public DataArray? LowerFence { get; set; }

    /// <summary>Precomputed upper whisker end, one per box (plotly <c>box.upperfence</c>).</summary>
    [JsonPropertyName("upperfence")] public DataArray? UpperFence { get; set; }

    /// <summary>Precomputed mean, one per box (plotly <c>box.mean</c>).</summary>
    [JsonPropertyName("mean")] public DataArray? Mean { get; set; }

    /// <summary>Precomputed standard deviation, one per box (plotly <c>box.sd</c>).</summary>
    [JsonPropertyName("sd")] public DataArray? SD { get; set; }

    /// <summary>Samples, or boxes when drawn from precomputed statistics.</summary>
    protected override int CountPoints() =>
        Q1 is not null ? Q1.Count : Orientation == Plotting.Orientation.Horizontal ? X?.Count ?? Y?.Count ?? 0 : Y?.Count ?? X?.Count ?? 0;

    /// <inheritdoc />
    protected internal override void Check(string where)
    {
        base.Check(where);
        var stats = new (string Name, DataArray? Values)[]
        {
            ("q1", Q1), ("median", Median), ("q3", Q3), ("lowerfence", LowerFence), ("upperfence", UpperFence), ("mean", Mean), ("sd", SD),
        };
        if (stats.Any(s => s.Values is not null))
        {
            if (Q1 is null || Median is null || Q3 is null)
                throw new InvalidOperationException($"{where}: precomputed boxes need q1, median and q3 together.");
            foreach (var (name, values) in stats)
                if (values is not null && values.Count != Q1.Count)
                    throw new InvalidOperationException($"{where}: {name} has {values.Count} values but q1 has {Q1.Count}; give one per box.");
            return;
        }
        if (X is null && Y is null)
            throw new InvalidOperationException($"{where}: neither x nor y is set; give the samples (or q1, median and q3).");
        if (X is not null && Y is not null && X.Count != Y.Count)
            throw new InvalidOperationException($"{where}: x has {X.Count} values but y has {Y.Count}; they must match.");
        CheckCount(where, "text", Text);
        CheckCount(where, "hovertext", HoverText);
    }
}
