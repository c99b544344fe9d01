using SaeWorkbench.Plotting;
using Browser = SaeWorkbench.Tests.Browser;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// Figures that use every trace type and the layout features of the model, each with what its SVG must hold once
/// plotly.js has drawn it. Shared by the schema tests and the browser tests.
/// </summary>
public static class SampleFigures
{
    /// <summary>A figure and the SVG it must produce.</summary>
    public sealed record Sample(string Name, Figure Figure, Action<Browser.ChartInfo> Expect);

    /// <summary>All samples.</summary>
    public static IReadOnlyList<Sample> All() => [ScatterSample(), HistogramSample(), BarsSample(), HeatmapSample(), BoxesSample(), FacetsSample()];

    /// <summary>Three scatter traces (lines+markers with error bars and hover text; markers with a colour scale and a
    /// gap; a dashed line) on a log x axis, with a legend, an annotation and a reference line.</summary>
    public static Sample ScatterSample()
    {
        double[] l0 = [4, 8, 16, 32, 64];
        var fig = new Figure(
            new Scatter
            {
                Name = "TopK", X = l0, Y = new[] { 0.30, 0.21, 0.15, 0.11, 0.08 }, Mode = ScatterMode.LinesMarkers,
                ErrorY = new ErrorBar { Array = new[] { 0.02, 0.015, 0.01, 0.01, 0.005 } },
                Text = new[] { "k=4", "k=8", "k=16", "k=32", "k=64" },
                HoverTemplate = "L0 %{x}<br>MSE %{y:.3f}<br>%{text}<extra></extra>",
                Marker = new Marker { Size = 8, Symbol = "diamond" }, Line = new Line { Width = 2, Shape = LineShape.Spline },
            },
            new Scatter
            {
                Name = "ReLU (L1)", X = new[] { 5.0, 11, 23, 50 }, Y = new[] { 0.33, double.NaN, 0.19, 0.14 }, Mode = ScatterMode.Markers,
                Marker = new Marker
                {
                    Size = new[] { 6.0, 9, 12, 15 }, Color = new[] { 1e-3, 3e-3, 1e-2, 3e-2 }, Colorscale = Colorscale.Viridis,
                    ShowScale = true, ColorBar = new ColorBar { Title = "L1 coeff", X = 1.15 },
                },
                HoverText = new[] { "a", "b", "c", "d" },
            },
            new Scatter
            {
                Name = "floor", X = new[] { 4.0, 8, 16, 32, 64, 100 }, Y = new[] { 0.05, 0.05, 0.05, 0.05, 0.05, 0.05 },
                Mode = ScatterMode.Lines, Line = new Line { Dash = LineDash.Dash, Color = "gray" }, Opacity = 0.8,
            })
        {
            Layout =
            {
                Title = "Normalized MSE vs L0 <i>(scatter)</i>", Width = 900, Height = 480,
                XAxis = new Axis { Title = "L0 (active latents)", Type = AxisType.Log, ExponentFormat = ExponentFormat.Power },
                YAxis = new Axis { Title = "normalized MSE", RangeMode = RangeMode.ToZero },
                Legend = new Legend { X = 0.99, Y = 0.99, XAnchor = XAnchor.Right, YAnchor = YAnchor.Top, BgColor = "rgba(255,255,255,0.7)" },
                HoverMode = HoverMode.Closest,
            },
        };
        fig.Layout.Annotations.Add(new Annotation { Text = "k = 32", X = Math.Log10(32), Y = 0.11, ShowArrow = true, ArrowHead = 2, Ax = 20, Ay = -30 });
        fig.Layout.Shapes.Add(new Shape { Type = ShapeType.Line, XRef = "paper", X0 = 0, X1 = 1, Y0 = 0.1, Y1 = 0.1, Line = new ShapeLine { Dash = LineDash.Dot, Color = "red" } });
        return new Sample("scatter", fig, c =>
        {
            Assert.Equal(3, c.DataTraces);
            Assert.Equal(3, c.Scatter.Count);
            Assert.Equal(new Browser.ScatterTraceInfo(5, 1, 5), c.Scatter[0]);
            Assert.Equal(new Browser.ScatterTraceInfo(3, 0, 0), c.Scatter[1]); // the NaN point is a gap
            Assert.Equal(new Browser.ScatterTraceInfo(0, 1, 0), c.Scatter[2]);
            Assert.Equal(3, c.LegendItems);
            Assert.Equal(1, c.ColorBars);
            Assert.Equal(1, c.Annotations);
            Assert.Equal(900, c.Width, 0.5);
            Assert.Equal(480, c.Height, 0.5);
        });
    }

    /// <summary>Two overlaid histograms with exact bins (counts and probability).</summary>
    public static Sample HistogramSample()
    {
        var fig = new Figure(
            new Histogram
            {
                Name = "counts", X = new[] { 0.5, 1.5, 1.5, 2.5, 2.5, 2.5, 3.5, 4.5 }, XBins = new Bins { Start = 0, End = 5, Size = 1 },
                Opacity = 0.6, Marker = new BarMarker { Color = "#1f77b4", Line = new Stroke { Color = "black", Width = 1 } },
            },
            new Histogram
            {
                Name = "probability", X = new[] { 0.2, 0.4, 1.1, 2.2, 3.3, 3.4, 4.9 }, XBins = new Bins { Start = 0, End = 5, Size = 1 },
                HistNorm = HistNorm.Probability, Opacity = 0.6, Cumulative = new Cumulative { Enabled = false },
            },
            new Histogram { Name = "nbins", X = new[] { 1.0, 2, 2, 3, 3, 3 }, NBinsX = 3, Visible = Visibility.LegendOnly })
        {
            Layout = { Title = "Histogram", BarMode = BarMode.Overlay, BarGap = 0.05, XAxis = new Axis { Title = "value" }, YAxis = new Axis { Title = "count" } },
        };
        return new Sample("histogram", fig, c =>
        {
            Assert.Equal(3, c.DataTraces);
            Assert.Equal(2, c.Bars.Count); // the legend-only trace is not drawn
            Assert.Equal(5, c.Bars[0].Bars);
            Assert.Equal(5, c.Bars[1].Bars);
            Assert.Equal(3, c.LegendItems);
        });
    }

    /// <summary>Grouped bars over categories, with text and error bars.</summary>
    public static Sample BarsSample()
    {
        string[] arch = ["TopK", "ReLU", "JumpReLU", "Gated"];
        var fig = new Figure(
            new Bar
            {
                Name = "dead %", X = arch, Y = new[] { 0.1, 12.0, 3.2, 4.1 }, Text = new[] { "0.1", "12", "3.2", "4.1" },
                TextPosition = BarTextPosition.Outside, ErrorY = new ErrorBar { Type = ErrorType.Constant, Value = 0.5 },
            },
            new Bar { Name = "dense %", X = arch, Y = new[] { 0.0, 1.5, 0.7, 0.9 }, Marker = new BarMarker { Color = new[] { "#d62728", "#9467bd", "#8c564b", "#e377c2" } } },
            new Bar { Name = "horizontal", Y = arch, X = new[] { 1.0, 2, 3, 4 }, Orientation = Orientation.Horizontal, Visible = Visibility.Hidden })
        {
            Layout = { Title = "Latent health", BarMode = BarMode.Group, YAxis = new Axis { Title = "% of latents" }, ShowLegend = true },
        };
        return new Sample("bar", fig, c =>
        {
            Assert.Equal(3, c.DataTraces);
            Assert.Equal(2, c.Bars.Count); // the hidden trace is not drawn
            Assert.Equal(new Browser.BarTraceInfo(4, 4), c.Bars[0]);
            Assert.Equal(new Browser.BarTraceInfo(4, 0), c.Bars[1]);
            Assert.Equal(2, c.LegendItems);
        });
    }

    /// <summary>A heatmap with labels, a diverging scale and an empty cell.</summary>
    public static Sample HeatmapSample()
    {
        var z = new double[3, 4];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 4; j++) z[i, j] = Math.Sin(i + 0.7 * j);
        z[1, 2] = double.NaN;
        var fig = new Figure(new Heatmap
        {
            Z = z, X = new[] { "a", "b", "c", "d" }, Y = new[] { "layer 0", "layer 1", "layer 2" }, Colorscale = Colorscale.RdBu, ZMid = 0,
            ColorBar = new ColorBar { Title = "cos sim", Thickness = 15 }, XGap = 1, YGap = 1,
            HoverTemplate = "%{x}, %{y}: %{z:.2f}<extra></extra>",
        })
        {
            Layout = { Title = "Heatmap", Width = 600, Height = 400, YAxis = new Axis { AutoRange = AutoRange.Reversed } },
        };
        return new Sample("heatmap", fig, c =>
        {
            Assert.Equal(1, c.DataTraces);
            Assert.Single(c.Heatmaps);
            Assert.Equal(1, c.Heatmaps[0].Images);
            Assert.Equal(1, c.ColorBars);
        });
    }

    /// <summary>Box plots: all points, default (outliers only), and two boxes from precomputed statistics.</summary>
    public static Sample BoxesSample()
    {
        var fig = new Figure(
            new Box { Name = "all points", Y = new[] { 1.0, 2, 2.5, 3, 3.5, 4, 9 }, BoxPoints = BoxPoints.All, Jitter = 0.3, PointPos = -1.8, BoxMean = BoxMean.MeanAndSd },
            new Box { Name = "default", Y = new[] { 2.0, 2.2, 2.4, 2.6, 2.8 }, Marker = new BoxMarker { Color = "green" }, Notched = false },
            new Box
            {
                Name = "precomputed", X = new[] { "run A", "run B" }, Q1 = new[] { 1.0, 2.0 }, Median = new[] { 1.5, 2.6 }, Q3 = new[] { 2.0, 3.1 },
                LowerFence = new[] { 0.5, 1.2 }, UpperFence = new[] { 3.0, 4.0 },
            })
        {
            Layout = { Title = "Boxes", BoxMode = BoxMode.Group },
        };
        return new Sample("box", fig, c =>
        {
            Assert.Equal(3, c.DataTraces);
            Assert.Equal(3, c.Boxes.Count);
            Assert.Equal(new Browser.BoxTraceInfo(1, 7), c.Boxes[0]);
            Assert.Equal(new Browser.BoxTraceInfo(1, 0), c.Boxes[1]);
            Assert.Equal(new Browser.BoxTraceInfo(2, 0), c.Boxes[2]);
        });
    }

    /// <summary>A 2 x 2 facet grid with titles, shared y axes and a log axis: scatter, bar, histogram, heatmap.</summary>
    public static Sample FacetsSample()
    {
        var fig = Figure.Subplots(2, 2, ["MSE", "dead latents", "activation norms", "decoder cosine"], sharedY: false);
        fig.Add(new Scatter { X = new[] { 1.0, 10, 100, 1000 }, Y = new[] { 1.0, 0.5, 0.25, 0.12 }, Mode = ScatterMode.LinesMarkers, Name = "mse" }, 1, 1);
        fig.Add(new Bar { X = new[] { "a", "b", "c" }, Y = new[] { 3.0, 1, 2 }, Name = "dead" }, 1, 2);
        fig.Add(new Histogram { X = new[] { 1.0, 1.2, 2.2, 2.4, 2.6, 3.5 }, XBins = new Bins { Start = 1, End = 4, Size = 1 }, Name = "norms" }, 2, 1);
        fig.Add(new Heatmap { Z = new double[,] { { 1, 0.2 }, { 0.2, 1 } }, Colorscale = Colorscale.Viridis, ShowScale = false, Name = "cos" }, 2, 2);
        fig.XAxisAt(1, 1).Type = AxisType.Log;
        fig.XAxisAt(1, 1).Title = "tokens";
        fig.YAxisAt(1, 1).Type = AxisType.Log;
        fig.Layout.Title = "Facets";
        fig.Layout.Height = 700;
        fig.Layout.ShowLegend = false;
        return new Sample("facets", fig, c =>
        {
            Assert.Equal(4, c.DataTraces);
            Assert.Equal(4, c.Subplots);
            Assert.Equal(4, c.Annotations);
            Assert.Equal(new Browser.ScatterTraceInfo(4, 1, 0), Assert.Single(c.Scatter));
            Assert.Equal(2, c.Bars.Count);
            Assert.Equal(3, c.Bars[0].Bars);
            Assert.Equal(3, c.Bars[1].Bars);
            Assert.Equal(1, Assert.Single(c.Heatmaps).Images);
            Assert.Equal(0, c.LegendItems);
        });
    }
}
