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

/// <summary>The download button's image settings (plotly config <c>toImageButtonOptions</c>).</summary>
public sealed class ImageExportOptions
{
    private double? width, height, scale;

    /// <summary>Image format; <see cref="ImageFormat.Svg"/> for papers (plotly <c>toImageButtonOptions.format</c>).</summary>
    [JsonPropertyName("format")] public ImageFormat? Format { get; set; }

    /// <summary>File name without extension (plotly <c>toImageButtonOptions.filename</c>).</summary>
    [JsonPropertyName("filename")] public string? Filename { get; set; }

    /// <summary>Width in px, at least 1 (plotly <c>toImageButtonOptions.width</c>; default: the chart's).</summary>
    [JsonPropertyName("width")] public double? Width { get => width; set => width = Validate.AtLeast(value, 1, "toImageButtonOptions.width"); }

    /// <summary>Height in px, at least 1 (plotly <c>toImageButtonOptions.height</c>).</summary>
    [JsonPropertyName("height")] public double? Height { get => height; set => height = Validate.AtLeast(value, 1, "toImageButtonOptions.height"); }

    /// <summary>Scale factor for everything (text, lines), at least 0 (plotly <c>toImageButtonOptions.scale</c>).</summary>
    [JsonPropertyName("scale")] public double? Scale { get => scale; set => scale = Validate.AtLeast(value, 0, "toImageButtonOptions.scale"); }
}
