using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// One data series of a figure (an item of plotly <c>data</c>). The attributes here are common to every trace type;
/// each subclass (<see cref="Scatter"/>, <see cref="Histogram"/>, <see cref="Bar"/>, <see cref="Heatmap"/>,
/// <see cref="Box"/>) adds its own. Unset (null) attributes are left out of the JSON, so plotly.js's defaults apply.
/// </summary>
public abstract class Trace
{
    private double? opacity;
    private string? xAxis, yAxis;

    /// <summary>Makes a trace of plotly.js type <paramref name="type"/> (plotly <c>type</c>).</summary>
    protected Trace(string type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        Type = type;
    }

    /// <summary>The plotly.js trace type, e.g. <c>"scatter"</c> (plotly <c>type</c>).</summary>
    [JsonPropertyName("type"), JsonPropertyOrder(-2)] public string Type { get; }

    /// <summary>Name in the legend and hover label (plotly <c>name</c>).</summary>
    [JsonPropertyName("name"), JsonPropertyOrder(-1)] public string? Name { get; set; }

    /// <summary>Whether the trace has a legend item (plotly <c>showlegend</c>).</summary>
    [JsonPropertyName("showlegend")] public bool? ShowLegend { get; set; }

    /// <summary>Traces with the same group toggle together in the legend (plotly <c>legendgroup</c>).</summary>
    [JsonPropertyName("legendgroup")] public string? LegendGroup { get; set; }

    /// <summary>Opacity of the whole trace, in [0, 1] (plotly <c>opacity</c>).</summary>
    [JsonPropertyName("opacity")] public double? Opacity { get => opacity; set => opacity = Validate.InRange(value, 0, 1, $"{Type}.opacity"); }

    /// <summary>Whether the trace is drawn (plotly <c>visible</c>).</summary>
    [JsonPropertyName("visible")] public Visibility? Visible { get; set; }

    /// <summary>
    /// The x axis the trace is drawn against: <c>"x"</c> (default), <c>"x2"</c>, ... (plotly <c>xaxis</c>);
    /// see <see cref="AxisRef.X"/> and <see cref="Figure.Add(Trace, int, int)"/>.
    /// </summary>
    [JsonPropertyName("xaxis")] public string? XAxis { get => xAxis; set => xAxis = CheckAxis(value, x: true); }

    /// <summary>The y axis the trace is drawn against: <c>"y"</c> (default), <c>"y2"</c>, ... (plotly <c>yaxis</c>).</summary>
    [JsonPropertyName("yaxis")] public string? YAxis { get => yAxis; set => yAxis = CheckAxis(value, x: false); }

    /// <summary>What the hover label shows: flags joined by '+' from x, y, z, text, name, or "all", "none", "skip" (plotly <c>hoverinfo</c>).</summary>
    [JsonPropertyName("hoverinfo")] public string? HoverInfo { get; set; }

    /// <summary>
    /// Template of the hover label, e.g. <c>"L0 %{x}&lt;br&gt;MSE %{y:.3f}&lt;extra&gt;&lt;/extra&gt;"</c>
    /// (plotly <c>hovertemplate</c>).
    /// </summary>
    [JsonPropertyName("hovertemplate")] public string? HoverTemplate { get; set; }

    /// <summary>Extra per-point values that <see cref="HoverTemplate"/> can show as <c>%{customdata}</c> (plotly <c>customdata</c>).</summary>
    [JsonPropertyName("customdata")] public DataArray? CustomData { get; set; }

    /// <summary>
    /// Further attributes by their plotly.js name, for what the typed model lacks (e.g.
    /// <c>Extra["hoverlabel"] = new { bgcolor = "white" }</c>); written with their runtime type. A name that the
    /// typed model also writes is an error.
    /// </summary>
    [JsonIgnore] public Dictionary<string, object?> Extra { get; } = new(StringComparer.Ordinal);

    /// <summary>Number of points (data rows) the trace draws, for checking per-point arrays.</summary>
    [JsonIgnore] public int PointCount => CountPoints();

    /// <summary>Counts the points (data rows) of the trace: what <see cref="PointCount"/> returns.</summary>
    protected abstract int CountPoints();

    /// <summary>
    /// Checks the trace as a whole before it is written (lengths of per-point arrays, required data), throwing
    /// <see cref="InvalidOperationException"/> with a message that starts with <paramref name="where"/>
    /// (e.g. <c>data[2] (scatter 'TopK')</c>).
    /// </summary>
    protected internal virtual void Check(string where)
    {
        CheckCount(where, "customdata", CustomData?.Count);
    }

    /// <summary>Throws unless <paramref name="count"/> is null or equals <see cref="PointCount"/>.</summary>
    protected void CheckCount(string where, string attribute, int? count)
    {
        if (count is { } c && c != PointCount)
            throw new InvalidOperationException($"{where}: {attribute} has {c} values but the trace has {PointCount} points; give one per point.");
    }

    /// <summary>Like <see cref="CheckCount(string, string, int?)"/>, for attributes that take one value or one per point.</summary>
    protected void CheckCount<T>(string where, string attribute, OneOrMany<T>? value) =>
        CheckCount(where, attribute, value is { IsArray: true } ? value.Count : null);

    /// <summary>Like <see cref="CheckCount(string, string, int?)"/>, for colours given one per point.</summary>
    protected void CheckCount(string where, string attribute, Color? color) =>
        CheckCount(where, attribute, color is { IsArray: true } ? color.Count : null);

    /// <summary>Describes the trace for messages: <c>scatter 'TopK'</c>.</summary>
    public override string ToString() => Name is null ? Type : $"{Type} '{Name}'";

    [JsonExtensionData, JsonInclude]
    private Dictionary<string, object?>? ExtensionJson
    {
        get
        {
            if (Extra.Count == 0) return null;
            var typed = TypedNames(GetType());
            foreach (var k in Extra.Keys)
                if (typed.Contains(k))
                    throw new InvalidOperationException($"{this}: Extra[\"{k}\"]: '{k}' is a typed property of {GetType().Name}; set it there.");
            return Extra;
        }
    }

    private static HashSet<string> TypedNames(Type t) => t.GetProperties(
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
        .Select(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), true).Cast<JsonPropertyNameAttribute>().FirstOrDefault()?.Name)
        .OfType<string>()
        .ToHashSet(StringComparer.Ordinal);

    private string? CheckAxis(string? value, bool x)
    {
        if (value is null) return null;
        var attribute = x ? "xaxis" : "yaxis";
        bool isX;
        try
        {
            (isX, _) = AxisRef.Parse(value);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"{Type}.{attribute} = '{value}' is not an axis reference; use {(x ? "\"x\", \"x2\", ..." : "\"y\", \"y2\", ...")}.", attribute);
        }
        if (isX != x)
            throw new ArgumentException($"{Type}.{attribute} = '{value}' names a{(x ? " y" : "n x")} axis; use {(x ? "\"x\", \"x2\", ..." : "\"y\", \"y2\", ...")}.", attribute);
        return value;
    }
}
