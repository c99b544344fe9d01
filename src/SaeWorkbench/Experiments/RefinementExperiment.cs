using System.Diagnostics;
using System.Globalization;
using System.Text;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics;
using SaeWorkbench.Plotting;
using SaeWorkbench.Subject;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>Refinement and shrinkage (Gao et al. 2024, §5.1).</summary>
public sealed class RefinementExperiment() : Experiment("refinement", "Refinement and shrinkage", "refinement")
{
    public override object? ResultIn(ReproductionResults r) => r.Refinement;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Refinement = from.Refinement };

    /// <summary>Refinement (TopK paper §5.1; Metrics/Refinement): the matched SAE of every family re-fits its values on its
    /// own support; the magnitude ratio refined/original above 1 is shrinkage.</summary>
    public override void Run(ReproductionContext c)
    {
        var x = c.TestActivations.Activations;
        var n = (int)Math.Min(c.Config.RefinementTokens, x.size(0));
        var options = new RefinementOptions { MaxIterations = c.Config.RefinementIterations };
        var runs = new List<RefinementRun>();
        using var scope = NewDisposeScope();
        var sample = x.narrow(0, 0, n);
        foreach (var r in c.MatchedRuns())
        {
            c.Cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var res = Metrics.Refinement.Evaluate(r.Sae, sample, options);
            runs.Add(new RefinementRun(r.Id, res));
            c.Log(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-28} magnitude ratio {res.MagnitudeRatio:F3}, MSE gain {res.RelativeMseGain * 100:F1}%{(res.Converged ? "" : " (not converged)")} ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        var result = new RefinementSummary(n, runs);
        c.Results = c.Results with { Refinement = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Refinement is null) return null;
        var f = r.Refinement!;
        var sb = new StringBuilder();
        sb.Append(Paper("An L1 penalty shrinks activations: fixing the support the encoder chose and re-fitting only the nonzero values (non-negative least squares) " +
                        "makes them larger. The ratio of refined to original magnitudes is above 1 for ReLU + L1 and about 1 for TopK, which has no penalty on magnitudes."));
        sb.Append(Measured(Inv($"On {f.Tokens:N0} test tokens, refined/original magnitude: ") +
            string.Join("; ", f.Runs.Select(x => Inv($"{E(x.Run.Label)} {N(x.Result.MagnitudeRatio, "F3")} (MSE {Pct(x.Result.RelativeMseGain)} lower after refining)"))) + "."));
        var fig = Figure.Subplots(1, 2, ["refined / original magnitude", "relative MSE gain of refining"]);
        fig.Layout.Height = 380;
        fig.Layout.ShowLegend = false;
        var colors = Color.PerPoint(f.Runs.Select(x => FamilyColor(x.Run.Architecture).ToString()));
        fig.Add(new Bar { X = f.Runs.Select(x => x.Run.Label).ToArray(), Y = f.Runs.Select(x => x.Result.MagnitudeRatio).ToArray(), Marker = new BarMarker { Color = colors } }, 1, 1);
        fig.Add(new Bar { X = f.Runs.Select(x => x.Run.Label).ToArray(), Y = f.Runs.Select(x => x.Result.RelativeMseGain).ToArray(),
            Marker = new BarMarker { Color = Color.PerPoint(f.Runs.Select(x => FamilyColor(x.Run.Architecture).ToString())) } }, 1, 2);
        var lo = Math.Min(0.9, f.Runs.Select(x => x.Result.MagnitudeRatio).Where(double.IsFinite).DefaultIfEmpty(1).Min() - 0.05);
        var hi = Math.Max(1.1, f.Runs.Select(x => x.Result.MagnitudeRatio).Where(double.IsFinite).DefaultIfEmpty(1).Max() + 0.05);
        fig.YAxisAt(1, 1).Range = [lo, hi];
        fig.YAxisAt(1, 2).TickFormat = ".0%";
        sb.Append(Fig(fig));
        sb.Append(Table(["architecture", "run", "support entries", "MSE before", "MSE after", "magnitude ratio", "iterations", "converged"],
            f.Runs.Select(x => (IReadOnlyList<string>)[E(x.Run.Label), "<code>" + E(x.Run.Name) + "</code>", Inv($"{x.Result.SupportEntries:N0}"), N(x.Result.OriginalMse, "G4"),
                N(x.Result.RefinedMse, "G4"), N(x.Result.MagnitudeRatio, "F4"), Inv($"{x.Result.Iterations}"), x.Result.Converged ? "yes" : "no"]), leftColumns: 2));
        return sb.ToString();
    }
}
