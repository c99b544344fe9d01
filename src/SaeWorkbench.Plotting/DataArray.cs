using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// One column of data for a trace (plotly's <c>data_array</c>: <c>x</c>, <c>y</c>, <c>customdata</c>, error-bar
/// arrays): numbers, category names or dates. The values are copied when the array is made, so changing the source
/// afterwards does not change the figure. NaN and infinities are written as <c>null</c>, which plotly.js shows as a
/// gap. Made implicitly from arrays and lists: <c>X = new[] { 1.0, 2.0 }</c>, <c>X = new[] { "TopK", "ReLU" }</c>;
/// from any other sequence or span with <see cref="From(IEnumerable{double})"/> and its overloads (e.g. the values
/// of a tensor: <c>X = t.ToArray&lt;float&gt;()</c>).
/// </summary>
[JsonConverter(typeof(PlotlyValueConverter<DataArray>))]
public sealed class DataArray : IPlotlyJsonValue
{
    private const string DateFormat = "yyyy-MM-dd HH:mm:ss.FFFFFF";
    private readonly Action<Utf8JsonWriter> write;

    private DataArray(int count, DataKind kind, Action<Utf8JsonWriter> write)
    {
        Count = count;
        Kind = kind;
        this.write = write;
    }

    /// <summary>Number of values.</summary>
    public int Count { get; }

    /// <summary>What the values are.</summary>
    public DataKind Kind { get; }

    /// <summary>Numbers (NaN and infinities become gaps).</summary>
    public static DataArray From(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = values.ToArray();
        return new DataArray(a.Length, DataKind.Number, w => { foreach (var v in a) PlotlyJson.WriteNumberOrNull(w, v); });
    }

    /// <summary>Numbers, written with float precision (0.1f as 0.1).</summary>
    public static DataArray From(IEnumerable<float> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = values.ToArray();
        return new DataArray(a.Length, DataKind.Number, w => { foreach (var v in a) PlotlyJson.WriteNumberOrNull(w, v); });
    }

    /// <summary>Numbers from a span (copied).</summary>
    public static DataArray From(ReadOnlySpan<double> values) => From((IEnumerable<double>)values.ToArray());

    /// <summary>Numbers from a span (copied), written with float precision.</summary>
    public static DataArray From(ReadOnlySpan<float> values) => From((IEnumerable<float>)values.ToArray());

    /// <summary>Numbers with missing values (null becomes a gap).</summary>
    public static DataArray From(IEnumerable<double?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = values.ToArray();
        return new DataArray(a.Length, DataKind.Number, w =>
        {
            foreach (var v in a)
            {
                if (v is { } d) PlotlyJson.WriteNumberOrNull(w, d);
                else w.WriteNullValue();
            }
        });
    }

    /// <summary>Integers.</summary>
    public static DataArray From(IEnumerable<int> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = values.ToArray();
        return new DataArray(a.Length, DataKind.Number, w => { foreach (var v in a) w.WriteNumberValue(v); });
    }

    /// <summary>Integers.</summary>
    public static DataArray From(IEnumerable<long> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = values.ToArray();
        return new DataArray(a.Length, DataKind.Number, w => { foreach (var v in a) w.WriteNumberValue(v); });
    }

    /// <summary>Category names or per-point text (null becomes a gap).</summary>
    public static DataArray From(IEnumerable<string?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = values.ToArray();
        return new DataArray(a.Length, DataKind.String, w =>
        {
            foreach (var v in a)
            {
                if (v is null) w.WriteNullValue();
                else w.WriteStringValue(v);
            }
        });
    }

    /// <summary>Dates, written as plotly.js date strings (<c>yyyy-MM-dd HH:mm:ss.ffffff</c>, no time zone).</summary>
    public static DataArray From(IEnumerable<DateTime> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = values.ToArray();
        return new DataArray(a.Length, DataKind.Date, w =>
        {
            foreach (var v in a) w.WriteStringValue(v.ToString(DateFormat, CultureInfo.InvariantCulture));
        });
    }

    /// <summary>0, 1, ..., <paramref name="count"/> - 1 (a step axis).</summary>
    public static DataArray Range(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return From(Enumerable.Range(0, count));
    }

#pragma warning disable CS1591 // the conversions are described on the type
    public static implicit operator DataArray(double[] values) => From(values);
    public static implicit operator DataArray(float[] values) => From(values);
    public static implicit operator DataArray(double?[] values) => From(values);
    public static implicit operator DataArray(int[] values) => From(values);
    public static implicit operator DataArray(long[] values) => From(values);
    public static implicit operator DataArray(string[] values) => From(values);
    public static implicit operator DataArray(DateTime[] values) => From(values);
    public static implicit operator DataArray(List<double> values) => From(values);
    public static implicit operator DataArray(List<float> values) => From(values);
    public static implicit operator DataArray(List<int> values) => From(values);
    public static implicit operator DataArray(List<long> values) => From(values);
    public static implicit operator DataArray(List<string> values) => From(values);
#pragma warning restore CS1591

    void IPlotlyJsonValue.WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        write(writer);
        writer.WriteEndArray();
    }
}

/// <summary>What a <see cref="DataArray"/> holds.</summary>
public enum DataKind
{
    /// <summary>Numbers.</summary>
    Number,

    /// <summary>Strings: category names or text.</summary>
    String,

    /// <summary>Dates.</summary>
    Date,
}
