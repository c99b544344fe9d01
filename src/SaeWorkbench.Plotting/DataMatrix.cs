using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// A 2-D grid of numbers for a heatmap's <c>z</c> (plotly's 2-D <c>data_array</c>): row <c>i</c> is drawn at
/// <c>y[i]</c>, column <c>j</c> at <c>x[j]</c>. Copied when made. NaN and infinities are written as <c>null</c>
/// (an empty cell). Made implicitly from <c>double[,]</c>, <c>float[,]</c>, <c>int[,]</c> and jagged arrays.
/// </summary>
[JsonConverter(typeof(PlotlyValueConverter<DataMatrix>))]
public sealed class DataMatrix : IPlotlyJsonValue
{
    private readonly double[][] rows_RC;

    private DataMatrix(double[][] rows)
    {
        rows_RC = rows;
        Columns = rows.Length == 0 ? 0 : rows.Max(r => r.Length);
    }

    /// <summary>Number of rows (y cells).</summary>
    public int Rows => rows_RC.Length;

    /// <summary>Number of columns (x cells) of the longest row.</summary>
    public int Columns { get; }

    /// <summary>The value at row <paramref name="row"/>, column <paramref name="column"/>.</summary>
    public double this[int row, int column] => rows_RC[row][column];

    /// <summary>A grid from rows (they may differ in length; plotly.js pads short rows with gaps).</summary>
    public static DataMatrix FromRows(IEnumerable<IEnumerable<double>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new DataMatrix(rows.Select((r, i) => r?.ToArray() ?? throw new ArgumentNullException(nameof(rows), $"z row {i} is null.")).ToArray());
    }

    /// <summary>A grid from a rectangular array, [row, column].</summary>
    public static DataMatrix From(double[,] z_RC)
    {
        ArgumentNullException.ThrowIfNull(z_RC);
        return new DataMatrix(Copy(z_RC.GetLength(0), z_RC.GetLength(1), (i, j) => z_RC[i, j]));
    }

    /// <summary>A grid from a rectangular array, [row, column].</summary>
    public static DataMatrix From(float[,] z_RC)
    {
        ArgumentNullException.ThrowIfNull(z_RC);
        return new DataMatrix(Copy(z_RC.GetLength(0), z_RC.GetLength(1), (i, j) => Widen(z_RC[i, j])));
    }

    /// <summary>A grid from a rectangular array, [row, column].</summary>
    public static DataMatrix From(int[,] z_RC)
    {
        ArgumentNullException.ThrowIfNull(z_RC);
        return new DataMatrix(Copy(z_RC.GetLength(0), z_RC.GetLength(1), (i, j) => z_RC[i, j]));
    }

    /// <summary>The double nearest the float's shortest decimal text, so 0.1f is written as 0.1, not 0.10000000149011612.</summary>
    private static double Widen(float v) =>
        float.IsFinite(v) ? double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : v;

    private static double[][] Copy(int r, int c, Func<int, int, double> at)
    {
        var rows = new double[r][];
        for (var i = 0; i < r; i++)
        {
            rows[i] = new double[c];
            for (var j = 0; j < c; j++) rows[i][j] = at(i, j);
        }
        return rows;
    }

#pragma warning disable CS1591 // the conversions are described on the type
    public static implicit operator DataMatrix(double[,] z) => From(z);
    public static implicit operator DataMatrix(float[,] z) => From(z);
    public static implicit operator DataMatrix(int[,] z) => From(z);
    public static implicit operator DataMatrix(double[][] z) => FromRows(z);
    public static implicit operator DataMatrix(float[][] z) => FromRows(z.Select(r => r?.Select(Widen)!));
    public static implicit operator DataMatrix(List<double[]> z) => FromRows(z);
#pragma warning restore CS1591

    void IPlotlyJsonValue.WriteJson(Utf8JsonWriter writer, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var row in rows_RC)
        {
            writer.WriteStartArray();
            foreach (var v in row) PlotlyJson.WriteNumberOrNull(writer, v);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }
}
