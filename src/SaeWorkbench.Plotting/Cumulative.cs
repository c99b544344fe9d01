using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>Cumulative histogram settings (plotly <c>histogram.cumulative</c>).</summary>
public sealed class Cumulative
{
    /// <summary>Accumulate the bins (plotly <c>cumulative.enabled</c>).</summary>
    [JsonPropertyName("enabled")] public bool? Enabled { get; set; }

    /// <summary>From the left or from the right (plotly <c>cumulative.direction</c>).</summary>
    [JsonPropertyName("direction")] public CumulativeDirection? Direction { get; set; }
}
