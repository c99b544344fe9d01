using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>Exact histogram bins (plotly <c>histogram.xbins</c>, <c>ybins</c>): edges start, start + size, ... up to end.</summary>
public sealed class Bins
{
    /// <summary>First bin edge (plotly <c>xbins.start</c>).</summary>
    [JsonPropertyName("start")] public double? Start { get; set; }

    /// <summary>Last bin edge (plotly <c>xbins.end</c>).</summary>
    [JsonPropertyName("end")] public double? End { get; set; }

    /// <summary>Bin width, &gt; 0 (plotly <c>xbins.size</c>).</summary>
    [JsonPropertyName("size")] public double? Size { get; set; }

    internal void Check(string where, string attribute)
    {
        Validate.Finite(Start, $"{attribute}.start");
        Validate.Finite(End, $"{attribute}.end");
        if (Size is { } s && !(s > 0 && double.IsFinite(s)))
            throw new InvalidOperationException($"{where}: {attribute}.size = {Validate.Format(s)} is not allowed; it must be finite and > 0.");
        if (Start is { } a && End is { } b && !(a < b))
            throw new InvalidOperationException($"{where}: {attribute}.start = {Validate.Format(a)} must be below {attribute}.end = {Validate.Format(b)}.");
    }
}
