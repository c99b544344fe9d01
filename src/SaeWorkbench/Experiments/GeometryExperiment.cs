using System.Globalization;
using System.Text;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Plotting;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;

namespace SaeWorkbench.Experiments;

/// <summary>Decoder geometry: each decoder direction's largest cosine to another, against random directions.</summary>
public sealed class GeometryExperiment() : Experiment("geometry", "Decoder geometry", "decoder geometry")
{
    public override object? ResultIn(ReproductionResults r) => r.Geometry;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Geometry = from.Geometry };

    /// <summary>Decoder geometry (Metrics/Geometry.DecoderMaxCosineSimilarity; a check from public
    /// discussion of SAEs, not from the papers): each decoder direction's
    /// largest cosine similarity to another, against as many Gaussian random directions, for the matched SAE of every family.</summary>
    public override void Run(ReproductionContext c)
    {
        var runs = new List<GeometryRun>();
        foreach (var r in c.MatchedRuns())
        {
            c.Cancellation.ThrowIfCancellationRequested();
            var res = Metrics.Geometry.DecoderMaxCosineSimilarity(r.Sae.W_dec_ND, c.Config.Seed);
            runs.Add(new GeometryRun(r.Id, res.DecoderMean, Median(res.Decoder),
                res.Decoder.Count(c => c > 0.9) / (double)res.Decoder.Length, res.RandomMean, Median(res.Random),
                Bin(res.Decoder), Bin(res.Random)));
            c.Log(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-28} mean max cos {res.DecoderMean:F3} (random directions {res.RandomMean:F3})"));
        }
        var result = new GeometryResult(c.Config.Seed, runs);
        c.Results = c.Results with { Geometry = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Geometry is null) return null;
        var g = r.Geometry!;
        var sb = new StringBuilder();
        var d = r.Subject?.DIn;
        sb.Append(Paper("Plotting each decoder direction's largest cosine similarity to any other against random directions of the same dimension shows that real SAE latents " +
                        "are far less orthogonal than random ones: many come in near-duplicate or split families."));
        sb.Append(Measured(string.Join("; ", g.Runs.Select(x => Inv($"{E(x.Run.Label)}: mean max cosine {N(x.MeanMaxCosine, "F3")}, {Pct(x.FractionAbove09)} above 0.9, against {N(x.RandomMeanMaxCosine, "F3")} for {x.Run.NumLatents:N0} random directions"))) +
            (d is null ? "." : Inv($" in d = {d}."))));
        var fig = new Figure { Layout = BaseLayout("Max cosine similarity of each decoder direction to any other", 420) };
        var main = g.Runs.FirstOrDefault(x => x.Run.Architecture == SaeRegistry.TopK) ?? g.Runs.FirstOrDefault();
        if (main is not null)
        {
            var centers = main.Random.Edges.Take(main.Random.Counts.Length).Select((e, i) => (e + main.Random.Edges[i + 1]) / 2).ToArray();
            fig.Add(new Bar { Name = Inv($"random directions (n = {main.Run.NumLatents:N0})"), X = centers, Y = main.Random.Counts, Marker = new BarMarker { Color = "#9ca3af" }, Opacity = 0.7 });
            foreach (var x in g.Runs)
                fig.Add(new Scatter { Name = x.Run.Label, X = centers, Y = x.Decoder.Counts, Mode = ScatterMode.Lines, Line = new Line { Color = FamilyColor(x.Run.Architecture), Shape = LineShape.Hv } });
        }
        fig.Layout.XAxis = new Axis { Title = "max cosine similarity to another direction", Range = [0, 1] };
        fig.Layout.YAxis = new Axis { Title = "latents per bin of 0.02" };
        fig.Layout.BarMode = BarMode.Overlay;
        fig.Layout.BarGap = 0;
        sb.Append(Fig(fig));
        sb.Append(Table(["architecture", "run", "mean max cos", "median", "> 0.9", "random: mean", "random: median"],
            g.Runs.Select(x => (IReadOnlyList<string>)[E(x.Run.Label), "<code>" + E(x.Run.Name) + "</code>", N(x.MeanMaxCosine, "F3"), N(x.MedianMaxCosine, "F3"), Pct(x.FractionAbove09),
                N(x.RandomMeanMaxCosine, "F3"), N(x.RandomMedianMaxCosine, "F3")]), leftColumns: 2));
        return sb.ToString();
    }

    private static double Median(double[] values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>50 bins of width 0.02 over [0, 1] (values below 0 count in the first bin, 1 in the last).</summary>
    private static HistogramBins Bin(double[] values)
    {
        const int bins = 50;
        var edges = Enumerable.Range(0, bins + 1).Select(i => Math.Round(i / (double)bins, 10)).ToArray();
        var counts = new long[bins];
        foreach (var v in values) counts[Math.Clamp((int)Math.Floor(v * bins), 0, bins - 1)]++;
        return new HistogramBins(edges, counts);
    }
}
