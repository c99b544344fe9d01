using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A plotly.js colour attribute (<c>color</c>, <c>bgcolor</c>, ...): one CSS colour (<c>"#1f77b4"</c>,
/// <c>"steelblue"</c>, <c>"rgba(0,0,0,0.5)"</c>); or, for <c>marker.color</c>, one CSS colour per point, or one
/// number per point that the marker's <c>colorscale</c> maps to a colour. Made implicitly from a string, a string
/// array (per-point colours) or a number array (values for the colour scale).
/// </summary>
[JsonConverter(typeof(PlotlyValueConverter<Color>))]
public sealed class Color : IPlotlyJsonValue
{
    private readonly string? css;
    private readonly string[]? perPoint;
    private readonly double[]? values;

    private Color(string? css, string[]? perPoint, double[]? values)
    {
        this.css = css;
        this.perPoint = perPoint;
        this.values = values;
    }

    /// <summary>One CSS colour.</summary>
    public static Color Css(string css)
    {
        if (string.IsNullOrWhiteSpace(css)) throw new ArgumentException("color: a CSS colour must not be empty.", nameof(css));
        return new Color(css, null, null);
    }

    /// <summary><c>rgb(r,g,b)</c>.</summary>
    public static Color Rgb(byte r, byte g, byte b) => new($"rgb({r},{g},{b})", null, null);

    /// <summary><c>rgba(r,g,b,a)</c>, <paramref name="alpha"/> in [0, 1].</summary>
    public static Color Rgba(byte r, byte g, byte b, double alpha)
    {
        Validate.InRange(alpha, 0, 1, "color alpha");
        return new Color($"rgba({r},{g},{b},{alpha.ToString("R", CultureInfo.InvariantCulture)})", null, null);
    }

    /// <summary>One CSS colour per point.</summary>
    public static Color PerPoint(IEnumerable<string> css) => new(null, (css ?? throw new ArgumentNullException(nameof(css))).ToArray(), null);

    /// <summary>One number per point, mapped to a colour through the marker's <c>colorscale</c> (NaN is written as null).</summary>
    public static Color Values(IEnumerable<double> values) => new(null, null, (values ?? throw new ArgumentNullException(nameof(values))).ToArray());

    /// <summary>The plotly.js default colour sequence (its <c>colorway</c>), for colouring traces by index.</summary>
    public static IReadOnlyList<string> Palette { get; } =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>The <paramref name="index"/>-th colour of <see cref="Palette"/>, cycling.</summary>
    public static Color FromPalette(int index) => Css(Palette[((index % Palette.Count) + Palette.Count) % Palette.Count]);

    /// <summary>Whether this holds one colour or value per point.</summary>
    public bool IsArray => css is null;

    /// <summary>Number of per-point values, or 1 for a single colour.</summary>
    public int Count => perPoint?.Length ?? values?.Length ?? 1;

#pragma warning disable CS1591 // the conversions are described on the type
    public static implicit operator Color(string css) => Css(css);
    public static implicit operator Color(string[] css) => PerPoint(css);
    public static implicit operator Color(double[] values) => Values(values);
    public static implicit operator Color(float[] values) => Values(values.Select(v => (double)v));
    public static implicit operator Color(int[] values) => Values(values.Select(v => (double)v));
#pragma warning restore CS1591

    /// <inheritdoc />
    public override string ToString() => css ?? (perPoint is not null ? $"{perPoint.Length} colours" : $"{values!.Length} values");

    void IPlotlyJsonValue.WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        if (css is not null)
        {
            writer.WriteStringValue(css);
            return;
        }
        writer.WriteStartArray();
        if (perPoint is not null)
            foreach (var c in perPoint) writer.WriteStringValue(c);
        else
            foreach (var v in values!) PlotlyJson.WriteNumberOrNull(writer, v);
        writer.WriteEndArray();
    }
}
