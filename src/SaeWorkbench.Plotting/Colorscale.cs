using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A plotly.js <c>colorscale</c>: a named scale (<see cref="Viridis"/>, <see cref="RdBu"/>, ...) or stops from 0 to 1.
/// Made implicitly from the name of one of plotly.js's built-in scales.
/// </summary>
[JsonConverter(typeof(PlotlyValueConverter<Colorscale>))]
public sealed class Colorscale : IPlotlyJsonValue
{
    /// <summary>The scale names plotly.js knows (its <c>colorscale</c> attribute accepts these strings).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "Blackbody", "Bluered", "Blues", "Cividis", "Earth", "Electric", "Greens", "Greys", "Hot", "Jet", "Picnic",
        "Portland", "Rainbow", "RdBu", "Reds", "Viridis", "YlGnBu", "YlOrRd",
    ];

    private readonly string? name;
    private readonly (double At, string Color)[]? stops;

    private Colorscale(string? name, (double, string)[]? stops)
    {
        this.name = name;
        this.stops = stops;
    }

    /// <summary>A built-in scale by name (one of <see cref="Names"/>, case as listed).</summary>
    public static Colorscale Named(string name)
    {
        if (!Names.Contains(name, StringComparer.Ordinal))
            throw new ArgumentException($"colorscale = '{name}' is not a plotly.js scale; use one of {string.Join(", ", Names)}, or stops.", nameof(name));
        return new Colorscale(name, null);
    }

    /// <summary>
    /// A scale from stops: positions rising from 0 (first stop) to 1 (last stop), each with a CSS colour.
    /// </summary>
    public static Colorscale FromStops(params (double At, string Color)[] stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        if (stops.Length < 2) throw new ArgumentException($"colorscale: {stops.Length} stops given; at least 2 are needed (at 0 and at 1).", nameof(stops));
        if (stops[0].At != 0 || stops[^1].At != 1)
            throw new ArgumentException($"colorscale: stops must start at 0 and end at 1 (got {stops[0].At} and {stops[^1].At}).", nameof(stops));
        for (var i = 1; i < stops.Length; i++)
            if (!(stops[i].At >= stops[i - 1].At))
                throw new ArgumentException($"colorscale: stop {i} at {stops[i].At} comes before stop {i - 1} at {stops[i - 1].At}; positions must not decrease.", nameof(stops));
        foreach (var s in stops)
            if (string.IsNullOrWhiteSpace(s.Color)) throw new ArgumentException("colorscale: a stop has an empty colour.", nameof(stops));
        return new Colorscale(null, stops.ToArray());
    }

#pragma warning disable CS1591 // named scales, as plotly.js names them
    public static Colorscale Viridis => Named("Viridis");
    public static Colorscale Cividis => Named("Cividis");
    public static Colorscale RdBu => Named("RdBu");
    public static Colorscale Blues => Named("Blues");
    public static Colorscale Reds => Named("Reds");
    public static Colorscale Greys => Named("Greys");
    public static Colorscale Hot => Named("Hot");
    public static Colorscale YlGnBu => Named("YlGnBu");
    public static Colorscale YlOrRd => Named("YlOrRd");

    public static implicit operator Colorscale(string name) => Named(name);
#pragma warning restore CS1591

    /// <inheritdoc />
    public override string ToString() => name ?? $"{stops!.Length} stops";

    void IPlotlyJsonValue.WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        if (name is not null)
        {
            writer.WriteStringValue(name);
            return;
        }
        writer.WriteStartArray();
        foreach (var (at, color) in stops!)
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(at);
            writer.WriteStringValue(color);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }
}
