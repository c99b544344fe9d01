using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// Everything about a figure that is not data (plotly <c>layout</c>): title, size, axes, legend, annotations,
/// shapes, bar and box grouping.
/// </summary>
public sealed class Layout
{
    private int? width, height;
    private double? barGap, barGroupGap;

    /// <summary>Figure title (plotly <c>layout.title</c>). Made from a string: <c>Title = "MSE vs L0"</c>.</summary>
    [JsonPropertyName("title")] public PlotTitle? Title { get; set; }

    /// <summary>Width in px, at least 10 (plotly <c>layout.width</c>); unset: the width of the container.</summary>
    [JsonPropertyName("width")] public int? Width { get => width; set => width = Validate.AtLeast(value, 10, "layout.width"); }

    /// <summary>Height in px, at least 10 (plotly <c>layout.height</c>); unset: 450.</summary>
    [JsonPropertyName("height")] public int? Height { get => height; set => height = Validate.AtLeast(value, 10, "layout.height"); }

    /// <summary>The first x axis (plotly <c>layout.xaxis</c>, referenced by traces as <c>"x"</c>).</summary>
    [JsonPropertyName("xaxis")] public Axis? XAxis { get; set; }

    /// <summary>The first y axis (plotly <c>layout.yaxis</c>, referenced by traces as <c>"y"</c>).</summary>
    [JsonPropertyName("yaxis")] public Axis? YAxis { get; set; }

    /// <summary>
    /// Further x axes by number, from 2: <c>XAxes[2]</c> is plotly <c>layout.xaxis2</c>, which traces reference as
    /// <c>"x2"</c>. <see cref="Figure.Subplots"/> fills these.
    /// </summary>
    [JsonIgnore] public SortedDictionary<int, Axis> XAxes { get; } = new();

    /// <summary>Further y axes by number, from 2: <c>YAxes[2]</c> is plotly <c>layout.yaxis2</c> (<c>"y2"</c>).</summary>
    [JsonIgnore] public SortedDictionary<int, Axis> YAxes { get; } = new();

    /// <summary>Whether the legend shows (plotly <c>layout.showlegend</c>; default: when there are 2 or more traces).</summary>
    [JsonPropertyName("showlegend")] public bool? ShowLegend { get; set; }

    /// <summary>Legend position and style (plotly <c>layout.legend</c>).</summary>
    [JsonPropertyName("legend")] public Legend? Legend { get; set; }

    /// <summary>Space around the plot area (plotly <c>layout.margin</c>).</summary>
    [JsonPropertyName("margin")] public Margin? Margin { get; set; }

    /// <summary>Default text style (plotly <c>layout.font</c>).</summary>
    [JsonPropertyName("font")] public Font? Font { get; set; }

    /// <summary>Text labels on the figure (plotly <c>layout.annotations</c>).</summary>
    [JsonIgnore] public List<Annotation> Annotations { get; } = [];

    /// <summary>Lines, rectangles and ellipses on the figure (plotly <c>layout.shapes</c>).</summary>
    [JsonIgnore] public List<Shape> Shapes { get; } = [];

    /// <summary>How bars of several traces share a position (plotly <c>layout.barmode</c>; default group).</summary>
    [JsonPropertyName("barmode")] public BarMode? BarMode { get; set; }

    /// <summary>Gap between bars of neighbouring positions, as a fraction of the position width, in [0, 1] (plotly <c>layout.bargap</c>).</summary>
    [JsonPropertyName("bargap")] public double? BarGap { get => barGap; set => barGap = Validate.InRange(value, 0, 1, "layout.bargap"); }

    /// <summary>Gap between bars of one position, in [0, 1] (plotly <c>layout.bargroupgap</c>).</summary>
    [JsonPropertyName("bargroupgap")] public double? BarGroupGap { get => barGroupGap; set => barGroupGap = Validate.InRange(value, 0, 1, "layout.bargroupgap"); }

    /// <summary>How boxes of several traces share a position (plotly <c>layout.boxmode</c>; default overlay).</summary>
    [JsonPropertyName("boxmode")] public BoxMode? BoxMode { get; set; }

    /// <summary>plotly.js's own subplot grid (plotly <c>layout.grid</c>).</summary>
    [JsonPropertyName("grid")] public LayoutGrid? Grid { get; set; }

    /// <summary>What hovering shows (plotly <c>layout.hovermode</c>).</summary>
    [JsonPropertyName("hovermode")] public HoverMode? HoverMode { get; set; }

    /// <summary>Background of the whole figure (plotly <c>layout.paper_bgcolor</c>).</summary>
    [JsonPropertyName("paper_bgcolor")] public Color? PaperBgColor { get; set; }

    /// <summary>Background of the plot area (plotly <c>layout.plot_bgcolor</c>).</summary>
    [JsonPropertyName("plot_bgcolor")] public Color? PlotBgColor { get; set; }

    /// <summary>
    /// Further layout attributes by their plotly.js name, for what the typed model lacks (e.g.
    /// <c>Extra["hoverlabel"] = new { bgcolor = "white" }</c>). Values are written with their runtime type.
    /// A name that the typed model also writes is an error.
    /// </summary>
    [JsonIgnore] public Dictionary<string, object?> Extra { get; } = new(StringComparer.Ordinal);

    /// <summary>The axis a trace refers to as <paramref name="reference"/> (<c>"x"</c>, <c>"y3"</c>), made if missing.</summary>
    public Axis AxisFor(string reference)
    {
        var (isX, n) = AxisRef.Parse(reference);
        if (n == 1)
        {
            if (isX) return XAxis ??= new Axis();
            return YAxis ??= new Axis();
        }
        var map = isX ? XAxes : YAxes;
        if (!map.TryGetValue(n, out var axis)) map[n] = axis = new Axis();
        return axis;
    }

    [JsonPropertyName("annotations"), JsonInclude]
    private List<Annotation>? AnnotationsJson => Annotations.Count == 0 ? null : Annotations;

    [JsonPropertyName("shapes"), JsonInclude]
    private List<Shape>? ShapesJson => Shapes.Count == 0 ? null : Shapes;

    [JsonExtensionData, JsonInclude]
    private Dictionary<string, object?>? ExtensionJson
    {
        get
        {
            if (XAxes.Count == 0 && YAxes.Count == 0 && Extra.Count == 0) return null;
            var d = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in Extra)
            {
                if (TypedNames.Contains(k) || AxisRef.IsNumberedAxisName(k))
                    throw new InvalidOperationException($"layout.Extra[\"{k}\"]: '{k}' is a typed layout property; set it there (XAxes/YAxes for numbered axes).");
                d[k] = v;
            }
            AddAxes(d, "xaxis", XAxes);
            AddAxes(d, "yaxis", YAxes);
            return d;
        }
    }

    private static void AddAxes(Dictionary<string, object?> d, string prefix, SortedDictionary<int, Axis> axes)
    {
        foreach (var (n, axis) in axes)
        {
            if (n < 2)
                throw new InvalidOperationException($"layout.{(prefix == "xaxis" ? "XAxes" : "YAxes")}[{n}]: numbered axes start at 2; axis 1 is layout.{(prefix == "xaxis" ? "XAxis" : "YAxis")}.");
            d[prefix + n] = axis ?? throw new InvalidOperationException($"layout.{prefix}{n} is null.");
        }
    }

    private static readonly HashSet<string> TypedNames = typeof(Layout).GetProperties(
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
        .Select(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).Cast<JsonPropertyNameAttribute>().FirstOrDefault()?.Name)
        .OfType<string>()
        .ToHashSet(StringComparer.Ordinal);
}
