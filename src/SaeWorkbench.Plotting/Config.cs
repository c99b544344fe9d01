using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// How the chart behaves in the page (plotly.js <c>config</c>, the third argument of <c>Plotly.newPlot</c>). A new
/// <see cref="Figure"/> starts with <c>responsive: true</c> and <c>displaylogo: false</c>.
/// </summary>
public sealed class Config
{
    /// <summary>Resize the chart with its container (plotly config <c>responsive</c>).</summary>
    [JsonPropertyName("responsive")] public bool? Responsive { get; set; }

    /// <summary>Show the plotly logo in the mode bar (plotly config <c>displaylogo</c>).</summary>
    [JsonPropertyName("displaylogo")] public bool? DisplayLogo { get; set; }

    /// <summary>When the mode bar shows (plotly config <c>displayModeBar</c>).</summary>
    [JsonPropertyName("displayModeBar")] public ModeBarDisplay? DisplayModeBar { get; set; }

    /// <summary>A picture without any interaction (plotly config <c>staticPlot</c>).</summary>
    [JsonPropertyName("staticPlot")] public bool? StaticPlot { get; set; }

    /// <summary>Zoom with the mouse wheel (plotly config <c>scrollZoom</c>).</summary>
    [JsonPropertyName("scrollZoom")] public bool? ScrollZoom { get; set; }

    /// <summary>What the mode bar's download button saves (plotly config <c>toImageButtonOptions</c>).</summary>
    [JsonPropertyName("toImageButtonOptions")] public ImageExportOptions? ToImageButtonOptions { get; set; }
}
