using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A histogram that plotly.js bins itself from raw samples (plotly trace type <c>histogram</c>): give
/// <see cref="X"/> for vertical bars (or <see cref="Y"/> for horizontal ones), and optionally the bin count or the
/// exact bins and a normalisation. For bins computed elsewhere use a <see cref="Bar"/> trace.
/// </summary>
public sealed class Histogram : Trace
{
    private int? nbinsX, nbinsY;

    /// <summary>An empty histogram trace.</summary>
    public Histogram() : base("histogram") { }

    /// <summary>Samples binned along x (plotly <c>histogram.x</c>).</summary>
    [JsonPropertyName("x")] public DataArray? X { get; set; }

    /// <summary>Samples binned along y (plotly <c>histogram.y</c>), or with <see cref="HistFunc"/> the values aggregated per x bin.</summary>
    [JsonPropertyName("y")] public DataArray? Y { get; set; }

    /// <summary>Most x bins, at least 0; 0 lets plotly.js choose; the exact count is rounded to nice bin edges (plotly <c>histogram.nbinsx</c>).</summary>
    [JsonPropertyName("nbinsx")] public int? NBinsX { get => nbinsX; set => nbinsX = Validate.AtLeast(value, 0, "histogram.nbinsx"); }

    /// <summary>Most y bins, at least 0 (plotly <c>histogram.nbinsy</c>).</summary>
    [JsonPropertyName("nbinsy")] public int? NBinsY { get => nbinsY; set => nbinsY = Validate.AtLeast(value, 0, "histogram.nbinsy"); }

    /// <summary>Exact x bins (plotly <c>histogram.xbins</c>); overrides <see cref="NBinsX"/>.</summary>
    [JsonPropertyName("xbins")] public Bins? XBins { get; set; }

    /// <summary>Exact y bins (plotly <c>histogram.ybins</c>).</summary>
    [JsonPropertyName("ybins")] public Bins? YBins { get; set; }

    /// <summary>What the bar height means (plotly <c>histogram.histnorm</c>).</summary>
    [JsonPropertyName("histnorm")] public HistNorm? HistNorm { get; set; }

    /// <summary>How values in a bin are aggregated (plotly <c>histogram.histfunc</c>; default count).</summary>
    [JsonPropertyName("histfunc")] public HistFunc? HistFunc { get; set; }

    /// <summary>Cumulative histogram (plotly <c>histogram.cumulative</c>).</summary>
    [JsonPropertyName("cumulative")] public Cumulative? Cumulative { get; set; }

    /// <summary>Bar direction (plotly <c>histogram.orientation</c>).</summary>
    [JsonPropertyName("orientation")] public Orientation? Orientation { get; set; }

    /// <summary>Bar fill and outline (plotly <c>histogram.marker</c>).</summary>
    [JsonPropertyName("marker")] public BarMarker? Marker { get; set; }

    /// <inheritdoc />
    protected override int CountPoints() => X?.Count ?? Y?.Count ?? 0;

    /// <inheritdoc />
    protected internal override void Check(string where)
    {
        base.Check(where);
        if (X is null && Y is null)
            throw new InvalidOperationException($"{where}: neither x nor y is set; give the samples to bin.");
        if (X is not null && Y is not null && X.Count != Y.Count)
            throw new InvalidOperationException($"{where}: x has {X.Count} values but y has {Y.Count}; they must match.");
        if (X is not null && Y is not null && HistFunc is null)
            throw new InvalidOperationException($"{where}: both x and y are set without histfunc; give one of them, or set HistFunc to aggregate y per x bin.");
        XBins?.Check(where, "xbins");
        YBins?.Check(where, "ybins");
    }
}
