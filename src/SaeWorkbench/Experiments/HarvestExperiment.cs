using System.Diagnostics;
using System.Globalization;
using System.Text;
using SaeWorkbench.Activations;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Plotting;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>Harvesting the activations the SAEs train on and are measured on, at the hook (Gao et al. 2024, §2.1).</summary>
public sealed class HarvestExperiment() : Experiment("harvest", "Harvested activations and normalisation", "harvest")
{
    public override object? ResultIn(ReproductionResults r) => r.Harvest;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Harvest = from.Harvest };

    /// <summary>Runs the model to the hook on the training and test windows and keeps the activations in memory
    /// (<see cref="ActivationHarvester.HarvestToMemory"/>).</summary>
    public override void Run(ReproductionContext c)
    {
        c.EnsureWindows();
        c.Train?.Dispose();
        c.Test?.Dispose();
        (c.Train, c.Test) = (null, null);
        var config = new HarvestConfig
        {
            HookName = c.Subject.HookName,
            ModelId = c.Subject.ModelId,
            DatasetId = $"synthetic-corpus seed={c.Subject.Corpus.Config.Seed}",
            DModel = (int)c.Subject.DIn,
            ContextLength = c.Config.ContextLength,
            SkipFirstPosition = c.Config.SkipFirstPosition,
        };
        var clock = Stopwatch.StartNew();
        // With a cache, into an activation store per split (a stopped harvest resumes there); else in memory.
        HarvestedActivations Harvest(IReadOnlyList<TokenWindow> windows, string split)
        {
            c.Log($"  harvesting {c.Subject.HookName} on {windows.Count:N0} {split} windows");
            var source = TokenWindows.FromList(windows.Select(w => w.Tokens).ToList(), c.Config.ContextLength);
            if (c.Cache is null) return ActivationHarvester.HarvestToMemory(config, source, c.Subject.HookActivations, c.HarvestProgress, c.Cancellation);
            var store = ActivationHarvester.Harvest(Path.Combine(c.Cache.HarvestFolder(c), split), config, source, c.Subject.HookActivations,
                c.HarvestProgress, cancellationToken: c.Cancellation);
            return store.ReadAll();
        }
        c.Train = Harvest(c.TrainWindows, "train");
        c.Test = Harvest(c.TestWindows, "test");
        var rate = (c.Train.Count + c.Test.Count) / clock.Elapsed.TotalSeconds;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = c.Train.Activations;
        var norms = x.norm(1);
        var first = c.Train.Positions.eq(0);
        double MeanWhere(Tensor mask) => mask.any().ToBoolean() ? norms.masked_select(mask).mean().ToDouble() : double.NaN;
        // The activations in the space every SAE sees them (the same normalisation for all), on a sample.
        var sample = x.narrow(0, 0, Math.Min(x.size(0), 65536));
        var (xn, _) = InputNormalizer.Apply(c.Config.Normalization, sample, InputNormalizer.FitScale(sample));
        var result = new HarvestResult(c.Train.Count, c.TrainWindows.Count, ReproductionContext.Documents(c.TrainWindows), c.Test.Count, c.TestWindows.Count, ReproductionContext.Documents(c.TestWindows),
            rate, c.Config.Normalization.ToString(), NormalizationFormula(c.Config.Normalization),
            norms.mean().ToDouble(), MeanWhere(first), MeanWhere(first.logical_not()),
            xn.square().sum(1).mean().ToDouble(), Losses.MseBaseline(xn).ToDouble(),
            Enumerable.Range(0, c.Config.ContextLength).Select(p => MeanWhere(c.Train.Positions.eq(p))).ToArray());
        c.Log(string.Create(CultureInfo.InvariantCulture,
            $"  {result.TrainTokens:N0} training and {result.TestTokens:N0} test activations of width {c.Subject.DIn} at {rate:N0} tok/s; mean norm {result.MeanNorm:G4} (position 0: {result.MeanNormFirstPosition:G4})"));
        c.Results = c.Results with { Harvest = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Harvest is null) return null;
        var h = r.Harvest!;
        var sb = new StringBuilder();
        sb.Append(Paper("The TopK paper subtracts the mean over d_model and scales each token to unit norm before encoding and before computing errors; " +
                        "the released GPT-2 SAEs standardise each token instead, and Gemma Scope divides every input by one scalar so that E||x||<sup>2</sup> = 1."));
        sb.Append(Measured(Inv($"{h.TrainTokens:N0} activations from {h.TrainWindows:N0} windows ({h.TrainDocuments:N0} documents of the validation split; the language model trained on the train split) train the SAEs, ") +
            Inv($"and {h.TestTokens:N0} from {h.TestWindows:N0} windows of the test split serve every metric; harvested at {h.TokensPerSecond:N0} tokens/s. ") +
            Inv($"Every SAE normalises its input as <b>{E(h.Normalization)}</b>: {E(h.NormalizationFormula)}; the normalised inputs have E||x||<sup>2</sup> = {N(h.MeanSquaredNormAfterNormalization, "F3")} ") +
            Inv($"and variance about their mean {N(h.VarianceAfterNormalization, "F3")} (the normalized MSE's denominator). ") +
            Inv($"The raw activations have mean norm {N(h.MeanNorm)}; at position 0 of a window {N(h.MeanNormFirstPosition)} against {N(h.MeanNormOtherPositions)} elsewhere (the first position is an attention sink).")));
        var fig = new Figure(new Scatter
        {
            X = Enumerable.Range(0, h.MeanNormByPosition.Length).ToArray(), Y = h.MeanNormByPosition, Mode = ScatterMode.LinesMarkers, Name = "mean norm",
        })
        {
            Layout = BaseLayout("Mean norm of the raw activation by position in the window", 340),
        };
        fig.Layout.XAxis = new Axis { Title = "position" };
        fig.Layout.YAxis = new Axis { Title = "mean ||x||", Type = AxisType.Log };
        sb.Append(Fig(fig));
        sb.Append(Table(["", "value"], new[]
        {
            new[] { "training activations (validation split)", Inv($"{h.TrainTokens:N0}") },
            new[] { "test activations (test split)", Inv($"{h.TestTokens:N0}") },
            new[] { "harvest throughput", Inv($"{h.TokensPerSecond:N0} tokens/s") },
            new[] { "mean raw norm (position 0 / others)", N(h.MeanNorm) + " (" + N(h.MeanNormFirstPosition) + " / " + N(h.MeanNormOtherPositions) + ")" },
            new[] { "normalisation", E(h.NormalizationFormula) },
            new[] { "E||x_norm||^2, variance about the mean", N(h.MeanSquaredNormAfterNormalization, "F4") + ", " + N(h.VarianceAfterNormalization, "F4") },
        }));
        return sb.ToString();
    }

    internal static string NormalizationFormula(InputNormalization n) => n switch
    {
        InputNormalization.None => "x (raw activations)",
        InputNormalization.UnitMeanSquaredNorm => "s x with one scalar s fitted so that E||s x||^2 = 1 (Gemma Scope)",
        InputNormalization.PerTokenUnitNorm => "(x - mean_d x) / ||x - mean_d x|| per token (TopK paper)",
        InputNormalization.PerTokenStandardize => "(x - mean_d x) / (std_d x + 1e-5) per token (released TopK SAEs)",
        _ => n.ToString(),
    };
}
