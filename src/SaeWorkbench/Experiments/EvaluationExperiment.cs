using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Activations;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics;
using SaeWorkbench.Plotting;
using SaeWorkbench.Saes;
using SaeWorkbench.Subject;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>Every trained SAE on the test activations: reconstruction and downstream loss (Gao et al. 2024, §4.1).</summary>
public sealed class EvaluationExperiment() : Experiment("evaluation", "Reconstruction and downstream loss", "reconstruction and downstream loss")
{
    public override object? ResultIn(ReproductionResults r) => r.Evaluations;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Evaluations = from.Evaluations };

    /// <summary>
    /// Measures every trained SAE on the test activations: reconstruction in the normalised space (normalized MSE =
    /// fraction of variance unexplained, explained variance, L0, dead and dense latents; Metrics/Reconstruction) and the
    /// downstream loss with the reconstruction spliced in at the hook (delta cross-entropy, KL, loss recovered against
    /// zero and mean ablation; Metrics/DownstreamLoss) on the first <see cref="ReproduceConfig.DownstreamWindows"/> test
    /// windows. Runs that diverged are listed without measurements.
    /// </summary>
    public override void Run(ReproductionContext c)
    {
        if (c.Runs.Count == 0) throw c.NotYet("Train");
        var test = c.TestActivations;
        var d = c.Subject.DIn;
        var results = new List<SaeRunEvaluation>();
        var i = 0;
        foreach (var r in c.Runs)
        {
            c.Cancellation.ThrowIfCancellationRequested();
            i++;
            if (r.Run.Stopped)
            {
                results.Add(new SaeRunEvaluation(r.Id, true, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, null));
                continue;
            }
            var clock = Stopwatch.StartNew();
            r.Sae.eval();
            var rec = Reconstruction.Evaluate(r.Sae, test.Activations);
            c.Reconstruction[r.Name] = rec;
            var sae = r.Sae;
            var down = DownstreamLoss.Evaluate(c.Subject.Model, c.Subject.Hook,
                (x, _) => sae.Reconstruct(x.reshape(-1, d)).view(x.shape), c.DownstreamBatches, baseline: c.DownstreamBaseline);
            results.Add(new SaeRunEvaluation(r.Id, false, rec.L0, rec.FractionOfVarianceUnexplained,
                rec.ExplainedVariance, rec.DeadFraction, rec.DenseFraction, down));
            c.Log(string.Create(CultureInfo.InvariantCulture,
                $"  ({i}/{c.Runs.Count}) {r.Name,-28} L0 {rec.L0,6:F1}  nMSE {rec.FractionOfVarianceUnexplained:F4}  dead {rec.DeadFraction * 100,5:F1}%  delta loss {down.DeltaLoss:F4}  KL {down.KlMean:F4}  ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        c.Results = c.Results with { Evaluations = results };
    }
}
