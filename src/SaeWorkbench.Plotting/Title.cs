using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// The title of an axis, legend or colour bar (plotly <c>title</c>, an object with <c>text</c> since plotly.js 2).
/// Made implicitly from a string: <c>Title = "L0"</c>. The text may use plotly.js's HTML subset (<c>&lt;b&gt;</c>,
/// <c>&lt;i&gt;</c>, <c>&lt;sup&gt;</c>, <c>&lt;sub&gt;</c>, <c>&lt;br&gt;</c>).
/// </summary>
public class Title
{
    /// <summary>The text (plotly <c>title.text</c>).</summary>
    [JsonPropertyName("text")] public string? Text { get; set; }

    /// <summary>Text style (plotly <c>title.font</c>).</summary>
    [JsonPropertyName("font")] public Font? Font { get; set; }

    /// <inheritdoc />
    public override string ToString() => Text ?? "";

#pragma warning disable CS1591 // described on the type
    public static implicit operator Title(string text) => new() { Text = text };
#pragma warning restore CS1591
}

/// <summary>The figure title (plotly <c>layout.title</c>): text, font and position. Made implicitly from a string.</summary>
public sealed class PlotTitle : Title
{
    private double? x;
    private double? y;

    /// <summary>Horizontal position as a fraction of the figure width, in [0, 1] (plotly <c>layout.title.x</c>; default 0.5).</summary>
    [JsonPropertyName("x")] public double? X { get => x; set => x = Validate.InRange(value, 0, 1, "layout.title.x"); }

    /// <summary>Vertical position as a fraction of the figure height, in [0, 1] (plotly <c>layout.title.y</c>).</summary>
    [JsonPropertyName("y")] public double? Y { get => y; set => y = Validate.InRange(value, 0, 1, "layout.title.y"); }

    /// <summary>Which point of the title sits at <see cref="X"/> (plotly <c>layout.title.xanchor</c>).</summary>
    [JsonPropertyName("xanchor")] public XAnchor? XAnchor { get; set; }

    /// <summary>Which point of the title sits at <see cref="Y"/> (plotly <c>layout.title.yanchor</c>).</summary>
    [JsonPropertyName("yanchor")] public YAnchor? YAnchor { get; set; }

#pragma warning disable CS1591 // described on the type
    public static implicit operator PlotTitle(string text) => new() { Text = text };
#pragma warning restore CS1591
}
