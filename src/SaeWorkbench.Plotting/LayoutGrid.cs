using System.Text.Json.Serialization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// plotly.js's own subplot grid (plotly <c>layout.grid</c>): plotly.js computes the axis domains for
/// <see cref="Rows"/> x <see cref="Columns"/> cells. <see cref="Figure.Subplots"/> lays out axes itself instead
/// (it also places cell titles); use this when the traces already name their axes.
/// </summary>
public sealed class LayoutGrid
{
    private int? rows, columns;
    private double? xGap, yGap;

    /// <summary>Number of rows, at least 1 (plotly <c>grid.rows</c>).</summary>
    [JsonPropertyName("rows")] public int? Rows { get => rows; set => rows = Validate.AtLeast(value, 1, "grid.rows"); }

    /// <summary>Number of columns, at least 1 (plotly <c>grid.columns</c>).</summary>
    [JsonPropertyName("columns")] public int? Columns { get => columns; set => columns = Validate.AtLeast(value, 1, "grid.columns"); }

    /// <summary>Axes per cell or shared per row and column (plotly <c>grid.pattern</c>).</summary>
    [JsonPropertyName("pattern")] public GridPattern? Pattern { get; set; }

    /// <summary>Whether row 1 is at the top (plotly <c>grid.roworder</c>).</summary>
    [JsonPropertyName("roworder")] public GridRowOrder? RowOrder { get; set; }

    /// <summary>Horizontal gap as a fraction of a cell width, in [0, 1] (plotly <c>grid.xgap</c>).</summary>
    [JsonPropertyName("xgap")] public double? XGap { get => xGap; set => xGap = Validate.InRange(value, 0, 1, "grid.xgap"); }

    /// <summary>Vertical gap as a fraction of a cell height, in [0, 1] (plotly <c>grid.ygap</c>).</summary>
    [JsonPropertyName("ygap")] public double? YGap { get => yGap; set => yGap = Validate.InRange(value, 0, 1, "grid.ygap"); }
}
