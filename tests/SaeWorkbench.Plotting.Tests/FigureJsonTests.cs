using System.Text.Json;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>The plotly.js JSON of the figure model: exact output, omitted defaults, gaps, checks with clear messages.</summary>
public sealed class FigureJsonTests
{
    [Fact]
    public void A_small_figure_writes_exactly_the_plotly_json_expected()
    {
        var fig = new Figure(new Scatter { Name = "TopK", X = new[] { 1.0, 2 }, Y = new[] { 0.5, 0.25 }, Mode = ScatterMode.LinesMarkers })
        {
            Layout = { Title = "MSE", XAxis = new Axis { Title = "L0", Type = AxisType.Log } },
        };

        Assert.Equal(
            """{"data":[{"type":"scatter","name":"TopK","x":[1,2],"y":[0.5,0.25],"mode":"lines+markers"}],"layout":{"title":{"text":"MSE"},"xaxis":{"title":{"text":"L0"},"type":"log"}},"config":{"responsive":true,"displaylogo":false}}""",
            fig.ToJson());
    }

    [Fact]
    public void Unset_attributes_are_left_out_so_plotly_js_defaults_apply()
    {
        Assert.Equal("""{"data":[{"type":"histogram","x":[1]}],"layout":{},"config":{"responsive":true,"displaylogo":false}}""",
            new Figure(new Histogram { X = new[] { 1.0 } }).ToJson());
    }

    [Fact]
    public void Nan_and_infinities_become_null_gaps_and_floats_keep_their_short_form()
    {
        var fig = new Figure(
            new Scatter { X = new[] { 0.1f, 0.2f, 0.3f }, Y = new[] { 1.0, double.NaN, double.PositiveInfinity } },
            new Heatmap { Z = new float[,] { { 0.1f, float.NaN } } });

        using var doc = JsonDocument.Parse(fig.ToJson());
        var data = doc.RootElement.GetProperty("data");

        Assert.Equal("[0.1,0.2,0.3]", data[0].GetProperty("x").GetRawText());
        Assert.Equal("[1,null,null]", data[0].GetProperty("y").GetRawText());
        Assert.Equal("[[0.1,null]]", data[1].GetProperty("z").GetRawText());
    }

    [Fact]
    public void Enums_write_plotly_values_including_booleans()
    {
        var fig = new Figure(
            new Box { Y = new[] { 1.0 }, BoxPoints = BoxPoints.None, BoxMean = BoxMean.MeanAndSd, Visible = Visibility.LegendOnly },
            new Histogram { X = new[] { 1.0 }, HistNorm = HistNorm.Count, Visible = Visibility.Visible },
            new Heatmap { Z = new double[,] { { 1 } }, ZSmooth = ZSmooth.None })
        {
            Layout = { HoverMode = HoverMode.XUnified, YAxis = new Axis { AutoRange = AutoRange.Reversed, Ticks = Ticks.None } },
            Config = { DisplayModeBar = ModeBarDisplay.Never },
        };

        using var doc = JsonDocument.Parse(fig.ToJson());
        var r = doc.RootElement;

        Assert.Equal(JsonValueKind.False, r.GetProperty("data")[0].GetProperty("boxpoints").ValueKind);
        Assert.Equal("sd", r.GetProperty("data")[0].GetProperty("boxmean").GetString());
        Assert.Equal("legendonly", r.GetProperty("data")[0].GetProperty("visible").GetString());
        Assert.Equal("", r.GetProperty("data")[1].GetProperty("histnorm").GetString());
        Assert.Equal(JsonValueKind.True, r.GetProperty("data")[1].GetProperty("visible").ValueKind);
        Assert.Equal(JsonValueKind.False, r.GetProperty("data")[2].GetProperty("zsmooth").ValueKind);
        Assert.Equal("x unified", r.GetProperty("layout").GetProperty("hovermode").GetString());
        Assert.Equal("reversed", r.GetProperty("layout").GetProperty("yaxis").GetProperty("autorange").GetString());
        Assert.Equal("", r.GetProperty("layout").GetProperty("yaxis").GetProperty("ticks").GetString());
        Assert.Equal(JsonValueKind.False, r.GetProperty("config").GetProperty("displayModeBar").ValueKind);
    }

    [Fact]
    public void Categories_dates_colours_and_colour_scales_are_written_as_plotly_reads_them()
    {
        var fig = new Figure(
            new Bar { X = new[] { "TopK", "ReLU" }, Y = new[] { 1, 2 }, Marker = new BarMarker { Color = new[] { "red", "#00ff00" } } },
            new Scatter
            {
                X = new[] { new DateTime(2024, 1, 2, 3, 4, 5), new DateTime(2024, 1, 2, 3, 4, 5, 250) }, Y = new[] { 1L, 2L },
                Marker = new Marker { Color = new[] { 0.0, 1.0 }, Colorscale = Colorscale.FromStops((0, "white"), (1, "rgb(255,0,0)")), Size = 7 },
            });

        using var doc = JsonDocument.Parse(fig.ToJson());
        var data = doc.RootElement.GetProperty("data");

        Assert.Equal("""["TopK","ReLU"]""", data[0].GetProperty("x").GetRawText());
        Assert.Equal("""["red","#00ff00"]""", data[0].GetProperty("marker").GetProperty("color").GetRawText());
        Assert.Equal("""["2024-01-02 03:04:05","2024-01-02 03:04:05.25"]""", data[1].GetProperty("x").GetRawText());
        Assert.Equal("""[[0,"white"],[1,"rgb(255,0,0)"]]""", data[1].GetProperty("marker").GetProperty("colorscale").GetRawText());
        Assert.Equal("7", data[1].GetProperty("marker").GetProperty("size").GetRawText());
    }

    [Fact]
    public void Data_is_copied_when_assigned_so_later_changes_to_the_source_do_not_leak_in()
    {
        var y = new[] { 1.0, 2.0 };
        var fig = new Figure(new Scatter { Y = y });
        y[0] = 99;

        Assert.Contains("\"y\":[1,2]", fig.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Data_arrays_come_from_arrays_lists_sequences_and_spans()
    {
        float[] f = [0.5f, 1.5f];
        DataArray[] arrays =
        [
            f, new List<double> { 0.5, 1.5 }, DataArray.From(Enumerable.Range(0, 2).Select(i => i + 0.5)),
            DataArray.From(f.AsSpan()), DataArray.From(new[] { 0.5, 1.5 }.AsSpan()),
        ];

        Assert.All(arrays, a => Assert.Equal("""{"type":"scatter","y":[0.5,1.5]}""", JsonSerializer.Serialize(new Scatter { Y = a }, PlotlyJson.Compact)));
        Assert.Equal("[0,1,2]", JsonSerializer.Serialize(DataArray.Range(3), PlotlyJson.Compact));
        Assert.Equal(DataKind.String, ((DataArray)new[] { "a" }).Kind);
    }

    [Fact]
    public void Numbered_axes_are_written_as_xaxis2_and_referenced_as_x2()
    {
        var fig = new Figure(new Scatter { Y = new[] { 1.0 }, XAxis = AxisRef.X(2), YAxis = AxisRef.Y(2) });
        fig.Layout.XAxes[2] = new Axis { Domain = [0.5, 1], Anchor = "y2" };
        fig.Layout.YAxis = new Axis { Title = "left" };
        fig.Layout.AxisFor("y2").Overlaying = "y";

        using var doc = JsonDocument.Parse(fig.ToJson());
        var layout = doc.RootElement.GetProperty("layout");

        Assert.Equal("x2", doc.RootElement.GetProperty("data")[0].GetProperty("xaxis").GetString());
        Assert.Equal("[0.5,1]", layout.GetProperty("xaxis2").GetProperty("domain").GetRawText());
        Assert.Equal("y", layout.GetProperty("yaxis2").GetProperty("overlaying").GetString());
        Assert.Equal("left", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Subplots_lay_out_a_grid_of_axes_by_domain_with_titles_and_shared_axes()
    {
        var fig = Figure.Subplots(2, 3, ["a", null, "c"], sharedY: true, horizontalSpacing: 0.1, verticalSpacing: 0.2);
        fig.Add(new Scatter { Y = new[] { 1.0 } }, row: 2, column: 2);

        Assert.Equal("x5", fig.Data[0].XAxis);
        Assert.Equal("y5", fig.Data[0].YAxis);
        // columns: width (1 - 2 * 0.1) / 3 = 0.2667; rows: height (1 - 0.2) / 2 = 0.4, row 1 on top
        Assert.Equal([0.0, 0.2666666667], fig.XAxisAt(1, 1).Domain!);
        Assert.Equal([0.3666666667, 0.6333333333], fig.XAxisAt(2, 2).Domain!);
        Assert.Equal([0.6, 1.0], fig.YAxisAt(1, 3).Domain!);
        Assert.Equal([0.0, 0.4], fig.YAxisAt(2, 3).Domain!);
        Assert.Equal("y5", fig.XAxisAt(2, 2).Anchor);
        Assert.Equal("x5", fig.YAxisAt(2, 2).Anchor);
        Assert.Equal("y", fig.YAxisAt(2, 2).Matches);
        Assert.False(fig.YAxisAt(2, 2).ShowTickLabels);
        Assert.Null(fig.YAxisAt(2, 1).ShowTickLabels);
        Assert.Equal(["a", "c"], fig.Layout.Annotations.Select(a => a.Text));
        Assert.Equal(0.8 / 3 * 2.5 + 0.2, fig.Layout.Annotations[1].X!.Value, 9); // centre of column 3
    }

    [Fact]
    public void Subplot_positions_and_grids_are_checked()
    {
        var fig = Figure.Subplots(1, 2);

        Assert.Contains("column = 3 is outside the grid's columns [1, 2]",
            Assert.Throws<ArgumentOutOfRangeException>(() => fig.Add(new Scatter(), 1, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("no subplot grid", Assert.Throws<InvalidOperationException>(() => new Figure().XAxisAt(1, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("rows = 0", Assert.Throws<ArgumentOutOfRangeException>(() => Figure.Subplots(0, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("horizontalSpacing = 0.6", Assert.Throws<ArgumentOutOfRangeException>(() => Figure.Subplots(1, 3, horizontalSpacing: 0.6)).Message, StringComparison.Ordinal);
        Assert.Contains("titles has 3 entries", Assert.Throws<ArgumentException>(() => Figure.Subplots(1, 2, ["a", "b", "c"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_out_of_plotly_ranges_are_refused_when_set_with_the_attribute_value_and_range_named()
    {
        Assert.Contains("scatter.opacity = 1.5 is outside the allowed range [0, 1]",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Scatter { Opacity = 1.5 }).Message, StringComparison.Ordinal);
        Assert.Contains("layout.width = 5 is not allowed; it must be >= 10",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Layout { Width = 5 }).Message, StringComparison.Ordinal);
        Assert.Contains("marker.size[1] = -2",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Marker { Size = new[] { 1.0, -2 } }).Message, StringComparison.Ordinal);
        Assert.Contains("xaxis.domain = [0.5, 0.2]",
            Assert.Throws<ArgumentException>(() => new Axis { Domain = [0.5, 0.2] }).Message, StringComparison.Ordinal);
        Assert.Contains("xaxis.range = [1]", Assert.Throws<ArgumentException>(() => new Axis { Range = [1] }).Message, StringComparison.Ordinal);
        Assert.Contains("scatter.xaxis = 'y2' names a y axis",
            Assert.Throws<ArgumentException>(() => new Scatter { XAxis = "y2" }).Message, StringComparison.Ordinal);
        Assert.Contains("colorscale = 'viridis' is not a plotly.js scale",
            Assert.Throws<ArgumentException>(() => (Colorscale)"viridis").Message, StringComparison.Ordinal);
        Assert.Contains("stops must start at 0 and end at 1",
            Assert.Throws<ArgumentException>(() => Colorscale.FromStops((0.1, "red"), (1, "blue"))).Message, StringComparison.Ordinal);
        Assert.Contains("box.jitter = 2", Assert.Throws<ArgumentOutOfRangeException>(() => new Box { Jitter = 2 }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Traces_are_checked_as_a_whole_when_written_with_the_trace_and_attribute_named()
    {
        static string Fails(Trace t) => Assert.Throws<InvalidOperationException>(() => new Figure(new Scatter { Y = new[] { 1.0 } }, t).ToJson()).Message;

        Assert.Equal("data[1] (scatter 'a'): x has 3 values but y has 2; they must match.",
            Fails(new Scatter { Name = "a", X = new[] { 1.0, 2, 3 }, Y = new[] { 1.0, 2 } }));
        Assert.Contains("data[1] (scatter).error_y.array has 1 values but the trace has 2 points",
            Fails(new Scatter { Y = new[] { 1.0, 2 }, ErrorY = new ErrorBar { Array = new[] { 0.1 } } }), StringComparison.Ordinal);
        Assert.Contains("data[1] (bar): text has 3 values but the trace has 2 points",
            Fails(new Bar { X = new[] { "a", "b" }, Y = new[] { 1.0, 2 }, Text = new[] { "1", "2", "3" } }), StringComparison.Ordinal);
        Assert.Contains("data[1] (heatmap): x has 5 values but z has 3 columns",
            Fails(new Heatmap { Z = new double[,] { { 1, 2, 3 } }, X = new[] { 1.0, 2, 3, 4, 5 } }), StringComparison.Ordinal);
        Assert.Contains("data[1] (heatmap): z is not set", Fails(new Heatmap()), StringComparison.Ordinal);
        Assert.Contains("data[1] (histogram): neither x nor y is set", Fails(new Histogram()), StringComparison.Ordinal);
        Assert.Contains("both x and y are set without histfunc",
            Fails(new Histogram { X = new[] { 1.0 }, Y = new[] { 2.0 } }), StringComparison.Ordinal);
        Assert.Contains("xbins.size = 0 is not allowed",
            Fails(new Histogram { X = new[] { 1.0 }, XBins = new Bins { Size = 0 } }), StringComparison.Ordinal);
        Assert.Contains("precomputed boxes need q1, median and q3 together",
            Fails(new Box { Q1 = new[] { 1.0 }, Median = new[] { 2.0 } }), StringComparison.Ordinal);
        Assert.Contains("data[1] (scatter).error_x.type is \"data\" but error_x.array is not set",
            Fails(new Scatter { Y = new[] { 1.0 }, ErrorX = new ErrorBar { Type = ErrorType.Data } }), StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_attributes_are_written_but_may_not_shadow_typed_ones()
    {
        var trace = new Scatter { Y = new[] { 1.0 } };
        trace.Extra["hoverlabel"] = new { bgcolor = "white" };
        var fig = new Figure(trace);
        fig.Layout.Extra["uirevision"] = 1;

        Assert.Contains("\"hoverlabel\":{\"bgcolor\":\"white\"}", fig.ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"uirevision\":1", fig.ToJson(), StringComparison.Ordinal);

        trace.Extra["mode"] = "lines";
        Assert.Contains("Extra[\"mode\"]: 'mode' is a typed property of Scatter",
            Assert.Throws<InvalidOperationException>(() => fig.ToJson()).Message, StringComparison.Ordinal);
        trace.Extra.Remove("mode");
        fig.Layout.Extra["xaxis3"] = new { };
        Assert.Contains("layout.Extra[\"xaxis3\"]", Assert.Throws<InvalidOperationException>(() => fig.ToJson()).Message, StringComparison.Ordinal);
        fig.Layout.Extra.Remove("xaxis3");
        fig.Layout.XAxes[1] = new Axis();
        Assert.Contains("numbered axes start at 2", Assert.Throws<InvalidOperationException>(() => fig.ToJson()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_range_is_given_in_data_units_and_written_in_log10_units()
    {
        Assert.Equal([-3.0, 2.0], Axis.LogRange(1e-3, 100).Select(v => Math.Round(v, 12)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Axis.LogRange(0, 1));
    }

    [Fact]
    public void The_same_figure_always_writes_the_same_json_and_html()
    {
        var a = SampleFigures.FacetsSample().Figure;
        var b = SampleFigures.FacetsSample().Figure;

        Assert.Equal(a.ToJson(), b.ToJson());
        Assert.Equal(a.ToHtmlFragment(), b.ToHtmlFragment());
        Assert.Equal(a.ToJson(indented: true), JsonSerializer.Serialize(JsonDocument.Parse(a.ToJson()).RootElement, PlotlyJson.Indented));
    }

    [Fact]
    public void A_page_title_drops_plotly_text_markup()
    {
        var html = new Figure(new Scatter()) { Layout = { Title = "MSE <i>vs</i> L0<br>(TopK)" } }.ToHtml();

        Assert.Contains("<title>MSE vs L0(TopK)</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_summarises_the_figure()
    {
        var fig = new Figure(new Scatter { Name = "TopK" }, new Bar()) { Layout = { Title = "MSE" } };

        Assert.Equal("Figure 'MSE': 2 traces (scatter 'TopK', bar)", fig.ToString());
    }
}
