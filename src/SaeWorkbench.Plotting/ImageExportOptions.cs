using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

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
