using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// The JSON settings that turn the figure model into plotly.js JSON: unset (null) attributes are left out, so plotly.js
/// applies its own defaults; enums are written as the values in their <see cref="PlotlyValueAttribute"/>; text is
/// escaped minimally (quotes, backslashes, control characters) so files stay readable. <see cref="ForScript"/> makes
/// the JSON safe inside an HTML <c>&lt;script&gt;</c>. The model is written, never read back.
/// </summary>
public static class PlotlyJson
{
    /// <summary>Compact output (what HTML pages embed).</summary>
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    /// <summary>Indented output (what <see cref="Figure.WriteJson"/> writes, for people and diffs).</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var o = new JsonSerializerOptions
        {
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // ForScript escapes what HTML needs
            IgnoreReadOnlyProperties = false,
        };
        o.Converters.Add(new PlotlyEnumConverterFactory());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>
    /// JSON text made safe to embed in an HTML <c>&lt;script&gt;</c>: <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, U+2028
    /// and U+2029 become <c>\uXXXX</c> escapes. Outside strings JSON has none of these characters, so the result is
    /// the same JSON value.
    /// </summary>
    public static string ForScript(string json) =>
        json.Replace("<", "\\u003c", StringComparison.Ordinal)
            .Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal)
            .Replace("\u2028", "\\u2028", StringComparison.Ordinal)
            .Replace("\u2029", "\\u2029", StringComparison.Ordinal);

    /// <summary>Writes a double as JSON: NaN and infinities become <c>null</c>, which plotly.js draws as a gap.</summary>
    internal static void WriteNumberOrNull(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }

    /// <summary>Writes a float as JSON (shortest float text, so 0.1f is written as 0.1): NaN and infinities become <c>null</c>.</summary>
    internal static void WriteNumberOrNull(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }
}

/// <summary>A value of the figure model that writes its own plotly.js JSON (a data array, a colour, a colour scale...).</summary>
internal interface IPlotlyJsonValue
{
    void WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options);
}

/// <summary>Writes an <see cref="IPlotlyJsonValue"/>.</summary>
internal sealed class PlotlyValueConverter<T> : JsonConverter<T> where T : IPlotlyJsonValue
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException($"{typeof(T).Name}: the figure model is written to plotly.js JSON, not read from it.");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => value.WriteJson(writer, options);
}

/// <summary>Writes enums of the figure model as the plotly.js values named by <see cref="PlotlyValueAttribute"/>.</summary>
internal sealed class PlotlyEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsEnum && typeToConvert.Assembly == typeof(PlotlyEnumConverterFactory).Assembly;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(PlotlyEnumConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class PlotlyEnumConverter<TEnum> : JsonConverter<TEnum> where TEnum : struct, Enum
    {
        private static readonly IReadOnlyDictionary<TEnum, object> Values = typeof(TEnum)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(
                f => (TEnum)f.GetValue(null)!,
                f => f.GetCustomAttribute<PlotlyValueAttribute>()?.Value ??
                     throw new InvalidOperationException($"{typeof(TEnum).Name}.{f.Name} has no [PlotlyValue]."));

        public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException($"{typeof(TEnum).Name}: the figure model is written to plotly.js JSON, not read from it.");

        public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options)
        {
            if (!Values.TryGetValue(value, out var v))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{value} is not a member of {typeof(TEnum).Name}.");
            if (v is bool b) writer.WriteBooleanValue(b);
            else writer.WriteStringValue((string)v);
        }
    }
}
