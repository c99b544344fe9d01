using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// Error bars (plotly <c>error_x</c>, <c>error_y</c>). For per-point lengths set <see cref="Array"/> (and
/// <see cref="ArrayMinus"/> for asymmetric bars): <c>new ErrorBar { Array = sem }</c>; plotly.js then takes <see cref="Type"/>
/// as <c>"data"</c> unless it is set.
/// </summary>
public sealed class ErrorBar
{
    private double? value;
    private double? valueMinus;
    private double? thickness;
    private double? width;

    /// <summary>What the length means (plotly <c>error_y.type</c>): <see cref="ErrorType.Data"/> when <see cref="Array"/> is set.</summary>
    [JsonPropertyName("type")] public ErrorType? Type { get; set; }

    /// <summary>Per-point length above (or right of) each point, in data units (plotly <c>error_y.array</c>).</summary>
    [JsonPropertyName("array")] public DataArray? Array { get; set; }

    /// <summary>Per-point length below (or left of) each point (plotly <c>error_y.arrayminus</c>); sets <see cref="Symmetric"/> false when given.</summary>
    [JsonPropertyName("arrayminus")] public DataArray? ArrayMinus { get; set; }

    /// <summary>Length for <see cref="ErrorType.Percent"/> (percent) or <see cref="ErrorType.Constant"/> (data units), at least 0 (plotly <c>error_y.value</c>).</summary>
    [JsonPropertyName("value")] public double? Value { get => value; set => this.value = Validate.AtLeast(value, 0, "error_y.value"); }

    /// <summary>Length below, for asymmetric percent or constant bars, at least 0 (plotly <c>error_y.valueminus</c>).</summary>
    [JsonPropertyName("valueminus")] public double? ValueMinus { get => valueMinus; set => valueMinus = Validate.AtLeast(value, 0, "error_y.valueminus"); }

    /// <summary>Whether the bar is the same length both ways (plotly <c>error_y.symmetric</c>).</summary>
    [JsonPropertyName("symmetric")] public bool? Symmetric { get; set; }

    /// <summary>Whether the bars are drawn (plotly <c>error_y.visible</c>; true when any length is given).</summary>
    [JsonPropertyName("visible")] public bool? Visible { get; set; }

    /// <summary>Colour (plotly <c>error_y.color</c>).</summary>
    [JsonPropertyName("color")] public Color? Color { get; set; }

    /// <summary>Line thickness in px, at least 0 (plotly <c>error_y.thickness</c>; default 2).</summary>
    [JsonPropertyName("thickness")] public double? Thickness { get => thickness; set => thickness = Validate.AtLeast(value, 0, "error_y.thickness"); }

    /// <summary>Width of the cross-bar in px, at least 0 (plotly <c>error_y.width</c>).</summary>
    [JsonPropertyName("width")] public double? Width { get => width; set => width = Validate.AtLeast(value, 0, "error_y.width"); }

    /// <summary>Checks the lengths against the number of points of the trace; <paramref name="attribute"/> is "error_x" or "error_y".</summary>
    internal void Check(string trace, string attribute, int points)
    {
        if (Array is { } a && a.Count != points)
            throw new InvalidOperationException($"{trace}.{attribute}.array has {a.Count} values but the trace has {points} points; give one length per point.");
        if (ArrayMinus is { } m && m.Count != points)
            throw new InvalidOperationException($"{trace}.{attribute}.arrayminus has {m.Count} values but the trace has {points} points; give one length per point.");
        if (Type == ErrorType.Data && Array is null)
            throw new InvalidOperationException($"{trace}.{attribute}.type is \"data\" but {attribute}.array is not set.");
        if (Array is not null && Type is { } t && t != ErrorType.Data)
            throw new InvalidOperationException($"{trace}.{attribute}.array is set but {attribute}.type is {t}; per-point lengths need type Data.");
    }
}
