using System.Globalization;
using System.Text;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics;
using SaeWorkbench.Plotting;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>Progressive codes: TopK(k') and JumpReLU(theta) swept at test time; TopK against Multi-TopK (Gao et al. 2024, §5.3).</summary>
public sealed class ProgressiveCodesExperiment() : Experiment("progressive", "Progressive codes", "progressive codes")
{
    public override object? ResultIn(ReproductionResults r) => r.Progressive;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Progressive = from.Progressive };

    /// <summary>
    /// Progressive codes (TopK paper §5.3; Metrics/ProgressiveCode): the main TopK SAE and the Multi-TopK SAE of the same k
    /// evaluated with TopK(k') for every k' of <see cref="ReproduceConfig.ProgressiveKs"/>, and the TopK and the matched
    /// JumpReLU SAEs with one JumpReLU threshold theta for all latents, swept over thresholds chosen so that L0 runs from
    /// about 1 to n/4, each point placed in the L0-MSE plane.
    /// </summary>
    public override void Run(ReproductionContext c)
    {
        var x = c.TestActivations.Activations;
        var series = new List<ProgressiveSeries>();
        var topk = c.MainTopK;
        var multi = c.Runs.FirstOrDefault(r => r.Id.Architecture == SaeRegistry.MultiTopK && r.Id.K == c.Config.MainK && !r.Run.Stopped);
        var jump = c.Results.Architectures is null ? null : c.Matched(SaeRegistry.JumpRelu);
        foreach (var r in new[] { topk, multi }.OfType<TrainedSae>())
        {
            c.Cancellation.ThrowIfCancellationRequested();
            var ks = c.Config.ProgressiveKs.Where(k => k <= r.Id.NumLatents).Distinct().OrderBy(k => k).ToList();
            series.Add(new ProgressiveSeries(r.Id, "topk", ProgressiveCode.SweepTopK(r.Sae, x, ks)));
        }
        foreach (var r in new[] { topk, jump }.OfType<TrainedSae>())
        {
            c.Cancellation.ThrowIfCancellationRequested();
            series.Add(new ProgressiveSeries(r.Id, "jumprelu", ProgressiveCode.SweepJumpRelu(r.Sae, x, Thresholds(r, x))));
        }
        foreach (var s in series)
            c.Log(string.Create(CultureInfo.InvariantCulture,
                $"  {s.Run} with {s.Activation}: L0 {s.Sweep.Points.Min(p => p.L0):F1}..{s.Sweep.Points.Max(p => p.L0):F1}, nMSE {s.Sweep.Points.Max(p => p.NormalizedMse):F3}..{s.Sweep.Points.Min(p => p.NormalizedMse):F3}"));
        var result = new ProgressiveResult(series);
        c.Results = c.Results with { Progressive = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Progressive is null) return null;
        var p = r.Progressive!;
        var sb = new StringBuilder();
        sb.Append(Paper("A progressive code keeps improving as more latents are allowed at test time. Swapping TopK(k') in for a TopK SAE trained at k helps only up to k' ≈ k; " +
                        "beyond it the MSE rises again. Multi-TopK, trained on L(k) + L(4k)/8, stays progressive for every k'. A JumpReLU threshold swept at test time traces a similar curve."));
        var topk = p.Series.FirstOrDefault(x => x.Run.Architecture == SaeRegistry.TopK && x.Activation == "topk");
        var multi = p.Series.FirstOrDefault(x => x.Run.Architecture == SaeRegistry.MultiTopK && x.Activation == "topk");
        var text = new StringBuilder();
        foreach (var s in new[] { topk, multi }.OfType<ProgressiveSeries>())
        {
            var bestPt = s.Sweep.Points.MinBy(q => q.NormalizedMse)!;
            var last = s.Sweep.Points.MaxBy(q => q.Parameter)!;
            text.Append(Inv($"{E(s.Run.Label)} trained at k = {s.Run.K}: lowest normalized MSE {N(bestPt.NormalizedMse, "F4")} at k' = {bestPt.Parameter:G}, and {N(last.NormalizedMse, "F4")} at k' = {last.Parameter:G}. "));
        }
        sb.Append(Measured(text.ToString() + "Each point below is the same trained SAE with only its activation replaced; the larger markers are the SAEs with their own activation."));

        var fig = new Figure { Layout = BaseLayout("Progressive codes: test-time activation swaps in the L0-MSE plane", 460) };
        foreach (var s in p.Series)
        {
            var color = FamilyColor(s.Run.Architecture);
            var pts = s.Sweep.Points.OrderBy(q => q.L0).ToList();
            fig.Add(new Scatter
            {
                Name = Inv($"{s.Run.Label} with {(s.Activation == "topk" ? "TopK(k')" : "JumpReLU(θ)")}"),
                X = pts.Select(q => q.L0).ToArray(), Y = pts.Select(q => q.NormalizedMse).ToArray(), Text = pts.Select(q => q.Activation).ToArray(),
                Mode = ScatterMode.LinesMarkers, Marker = new Marker { Color = color, Size = 7 },
                Line = new Line { Color = color, Dash = s.Activation == "topk" ? LineDash.Solid : LineDash.Dot },
            });
        }
        foreach (var s in p.Series.GroupBy(x => x.Run).Select(g => g.First()))
            fig.Add(new Scatter { Name = Inv($"{s.Run.Label} (own activation)"), X = new[] { s.Sweep.Native.L0 }, Y = new[] { s.Sweep.Native.NormalizedMse },
                Mode = ScatterMode.Markers, Marker = new Marker { Color = FamilyColor(s.Run.Architecture), Size = 15, Symbol = "star" } });
        fig.Layout.XAxis = new Axis { Title = "L0", Type = AxisType.Log };
        fig.Layout.YAxis = new Axis { Title = "normalized MSE (test)", Type = AxisType.Log };
        sb.Append(Fig(fig));

        var topkSeries = p.Series.Where(x => x.Activation == "topk").ToList();
        var kps = topkSeries.SelectMany(x => x.Sweep.Points.Select(q => q.Parameter)).Distinct().OrderBy(v => v).ToList();
        sb.Append(Table(new[] { "k'" }.Concat(topkSeries.Select(x => E(x.Run.Label) + Inv($" (k = {x.Run.K})"))).ToList(),
            kps.Select(k => (IReadOnlyList<string>)new[] { Inv($"{k:G}") }.Concat(topkSeries.Select(x => N(x.Sweep.Points.FirstOrDefault(q => q.Parameter == k)?.NormalizedMse, "F4"))).ToList())));
        foreach (var s in p.Series.Where(x => x.Activation == "jumprelu"))
            sb.Append(Table([Inv($"θ ({E(s.Run.Label)})"), "L0", "normalized MSE"],
                s.Sweep.Points.Select(q => (IReadOnlyList<string>)[N(q.Parameter, "G3"), N(q.L0, "F1"), N(q.NormalizedMse, "F4")])));
        return sb.ToString();
    }

    /// <summary>Global JumpReLU thresholds: for target L0 values 1, 2, 4, ... up to n/4, the pre-activation value exceeded
    /// that many times per token on average over a sample of test tokens (descending thresholds, ascending L0).</summary>
    private static List<double> Thresholds(TrainedSae r, Tensor x_TD)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        r.Sae.eval();
        var sample = x_TD.narrow(0, 0, Math.Min(x_TD.size(0), 1024));
        var (xn, _) = r.Sae.Normalize(sample);
        var (pre, _) = r.Sae.PreActivations(xn);
        var sorted = pre.reshape(-1).sort(descending: true).Values.to(float64).ToArray<double>();
        var tokens = sample.size(0);
        var thresholds = new List<double>();
        for (long l0 = 1; l0 <= Math.Max(1, r.Id.NumLatents / 4); l0 *= 2)
        {
            var theta = sorted[Math.Min(sorted.Length - 1, l0 * tokens)];
            if (theta > 0 && (thresholds.Count == 0 || theta < thresholds[^1])) thresholds.Add(theta);
        }
        if (thresholds.Count == 0) thresholds.Add(1e-3);
        return thresholds;
    }
}
