using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// An attribute that plotly.js takes either as one value for every point or as one value per point (its
/// <c>arrayOk</c> attributes, such as <c>text</c> and <c>marker.size</c>). Made implicitly from a value or from an
/// array or list: <c>Size = 8</c>, <c>Size = sizes</c>. Arrays are copied. Non-finite numbers are written as
/// <c>null</c> (plotly.js then uses its default for that point).
/// </summary>
/// <typeparam name="T"><see cref="double"/> or <see cref="string"/>.</typeparam>
[JsonConverter(typeof(OneOrManyConverterFactory))]
public sealed class OneOrMany<T> : IPlotlyJsonValue
{
    private readonly T? one;
    private readonly T[]? many;

    private OneOrMany(T? one, T[]? many)
    {
        if (typeof(T) != typeof(double) && typeof(T) != typeof(string))
            throw new NotSupportedException($"OneOrMany<{typeof(T).Name}> is not supported; use double or string.");
        this.one = one;
        this.many = many;
    }

    /// <summary>One value for every point.</summary>
    public static OneOrMany<T> One(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    /// <summary>One value per point.</summary>
    public static OneOrMany<T> Many(IEnumerable<T> values) => new(default, (values ?? throw new ArgumentNullException(nameof(values))).ToArray());

    /// <summary>Whether this holds one value per point.</summary>
    public bool IsArray => many is not null;

    /// <summary>Number of per-point values, or 1 for a single value.</summary>
    public int Count => many?.Length ?? 1;

    /// <summary>The single value, or every per-point value.</summary>
    public IReadOnlyList<T> Values => many ?? [one!];

#pragma warning disable CS1591 // the conversions are described on the type
    public static implicit operator OneOrMany<T>(T value) => One(value);
    public static implicit operator OneOrMany<T>(T[] values) => Many(values);
    public static implicit operator OneOrMany<T>(List<T> values) => Many(values);
#pragma warning restore CS1591

    void IPlotlyJsonValue.WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        if (many is null)
        {
            WriteOne(writer, one!);
            return;
        }
        writer.WriteStartArray();
        foreach (var v in many) WriteOne(writer, v);
        writer.WriteEndArray();
    }

    private static void WriteOne(Utf8JsonWriter writer, T v)
    {
        switch (v)
        {
            case double d: PlotlyJson.WriteNumberOrNull(writer, d); break;
            case string s: writer.WriteStringValue(s); break;
            default: writer.WriteNullValue(); break;
        }
    }
}

/// <summary>Writes any <see cref="OneOrMany{T}"/>.</summary>
internal sealed class OneOrManyConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(OneOrMany<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(PlotlyValueConverter<>).MakeGenericType(typeToConvert))!;
}
