using System.Collections;
using System.Reflection;
using Microsoft.Data.Analysis;
using SaeWorkbench.Saes;

namespace SaeWorkbench.Tables;

/// <summary>
/// Builds a <see cref="DataFrame"/> (Microsoft.Data.Analysis) from records: one row per record, one column per
/// public property, in declaration order (computed properties too, e.g. <c>ExplainedVariance</c>).
/// <list type="bullet">
/// <item>Numbers keep their type (int, long, ulong, float, double, ...; a nullable one gives a column with nulls),
/// bool stays bool; strings, enums and chars become string columns; a <see cref="TimeSpan"/> becomes a double column of
/// seconds named <c>Name_s</c>; a <see cref="DateTimeOffset"/> or <see cref="DateTime"/> an ISO 8601 string.</item>
/// <item>A property that holds another record is flattened into its columns, prefixed <c>Property.</c>
/// (e.g. <c>Sae.DeltaLoss</c>), two levels deep; a null record gives nulls.</item>
/// <item>A string-keyed dictionary of numbers gives a column per key (<c>Property.key</c>, the union over the rows).</item>
/// <item>Arrays, lists and other collections are left out: tables hold one value per cell. Their rows are tables of
/// their own (see <see cref="ResultTables"/>).</item>
/// </list>
/// Reflection-based, so a record gains columns when it gains properties.
/// </summary>
public static class Table
{
    private const int MaxDepth = 2;

    /// <summary>One row per record of <paramref name="rows"/>.</summary>
    public static DataFrame FromRecords<T>(IEnumerable<T> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        var columns = new List<DataFrameColumn>();
        AddColumns(typeof(T), "", list.Select(r => (object?)r).ToList(), columns, 0);
        return new DataFrame(columns);
    }

    /// <summary>A table of one row: <paramref name="record"/>.</summary>
    public static DataFrame FromRecord<T>(T record) => FromRecords([record]);

    private static void AddColumns(Type type, string prefix, List<object?> values, List<DataFrameColumn> columns, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
                     .OrderBy(p => p.MetadataToken))
        {
            var name = prefix + property.Name;
            var cells = values.Select(v => v is null ? null : property.GetValue(v)).ToList();
            var column = ScalarColumn(property.PropertyType, name, cells);
            if (column is not null)
            {
                columns.Add(column);
                continue;
            }
            if (NumberDictionary(property.PropertyType))
            {
                var keys = cells.OfType<IEnumerable<KeyValuePair<string, double>>>().SelectMany(d => d.Select(kv => kv.Key)).Distinct().ToList();
                foreach (var key in keys)
                    columns.Add(new DoubleDataFrameColumn(name + "." + key,
                        cells.Select(c => c is IEnumerable<KeyValuePair<string, double>> d && d.FirstOrDefault(kv => kv.Key == key) is { Key: not null } kv ? kv.Value : (double?)null)));
                continue;
            }
            if (depth < MaxDepth && IsRecordLike(property.PropertyType))
                AddColumns(property.PropertyType, name + ".", cells, columns, depth + 1);
        }
    }

    private static bool NumberDictionary(Type t) => typeof(IEnumerable<KeyValuePair<string, double>>).IsAssignableFrom(t);

    private static bool IsRecordLike(Type t) =>
        t.IsClass && t != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(t) && t.Namespace?.StartsWith("SaeWorkbench", StringComparison.Ordinal) == true;

    private static DataFrameColumn? ScalarColumn(Type declared, string name, List<object?> cells)
    {
        var t = Nullable.GetUnderlyingType(declared) ?? declared;
        IEnumerable<TV?> As<TV>() where TV : struct => cells.Select(c => c is null ? (TV?)null : (TV)c);
        if (t == typeof(double)) return new DoubleDataFrameColumn(name, As<double>());
        if (t == typeof(float)) return new SingleDataFrameColumn(name, As<float>());
        if (t == typeof(int)) return new Int32DataFrameColumn(name, As<int>());
        if (t == typeof(long)) return new Int64DataFrameColumn(name, As<long>());
        if (t == typeof(ulong)) return new UInt64DataFrameColumn(name, As<ulong>());
        if (t == typeof(uint)) return new UInt32DataFrameColumn(name, As<uint>());
        if (t == typeof(short)) return new Int16DataFrameColumn(name, As<short>());
        if (t == typeof(byte)) return new ByteDataFrameColumn(name, As<byte>());
        if (t == typeof(decimal)) return new DecimalDataFrameColumn(name, As<decimal>());
        if (t == typeof(bool)) return new BooleanDataFrameColumn(name, As<bool>());
        if (t == typeof(TimeSpan)) return new DoubleDataFrameColumn(name + "_s", cells.Select(c => c is TimeSpan s ? s.TotalSeconds : (double?)null));
        if (t == typeof(string) || t.IsEnum || t == typeof(char)) return new StringDataFrameColumn(name, cells.Select(c => c?.ToString()));
        if (t == typeof(SaeArchitecture)) return new StringDataFrameColumn(name, cells.Select(c => (c as SaeArchitecture)?.Name));
        if (t == typeof(DateTimeOffset)) return new StringDataFrameColumn(name, cells.Select(c => c is DateTimeOffset d ? d.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : null));
        if (t == typeof(DateTime)) return new StringDataFrameColumn(name, cells.Select(c => c is DateTime d ? d.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : null));
        return null;
    }
}
