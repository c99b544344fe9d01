using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Activations;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Plotting;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>Training every SAE of the config's sweeps from one pass over the harvested activations (Gao et al. 2024, §2 and appendix A; Rajamanoharan et al. 2024a, 2024b).</summary>
public sealed class TrainingExperiment() : Experiment("training", "SAE training", "SAE training")
{
    public override object? ResultIn(ReproductionResults r) => r.Training;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Training = from.Training };

    /// <summary>
    /// Trains every SAE of the plan from one pass over the harvested training activations (in a seeded random order,
    /// reused when <see cref="ReproduceConfig.TrainingTokens"/> exceeds them): the TopK grid over
    /// <see cref="ReproduceConfig.ScalingLatents"/> x <see cref="ReproduceConfig.Ks"/> (and the comparison width), BatchTopK,
    /// Multi-TopK, and the ReLU, JumpReLU and Gated sweeps of their lambdas, each with its architecture's optimiser
    /// defaults and the learning rate and warm-ups of the config. Cancelling stops within a step and throws.
    /// </summary>
    public override void Run(ReproductionContext c)
    {
        var train = c.Train ?? throw c.NotYet("Harvest");
        c.DisposeRuns();
        c.Runs.AddRange(NewRuns(c));
        c.Log(string.Create(CultureInfo.InvariantCulture,
            $"  {c.Runs.Count} SAEs from one pass: {c.Config.TrainingTokens:N0} tokens in {c.Config.Steps} steps of {c.Config.BatchSize}"));
        using var source = train.ToSource(c.Config.Seed);
        var trainer = new Trainer(new TrainerConfig
        {
            BatchSize = c.Config.BatchSize,
            TotalTokens = c.Config.TrainingTokens,
            InitSampleTokens = Math.Min(32768, train.Count),
            ReportEverySteps = Math.Max(1, c.Config.Steps / 50),
            DivergenceGraceSteps = Math.Min(100, c.Config.Steps / 4),
        }, source, c.Runs.Select(r => r.Run));
        var clock = Stopwatch.StartNew();
        var outcome = trainer.Train(c.TrainingProgress, cancellationToken: c.Cancellation);
        c.Cancellation.ThrowIfCancellationRequested();
        var seconds = clock.Elapsed.TotalSeconds;
        var runs = c.Runs.Select(r =>
        {
            var o = outcome[r.Name];
            return new SaeRunTraining(r.Id, r.Run.Settings.LearningRate!.Value, o.Steps, o.Tokens,
                o.Diverged, o.Message, o.FinalLosses, o.DeadFraction, Curve(r));
        }).ToList();
        foreach (var r in runs.Where(r => r.Diverged)) c.Log($"  WARNING: run {r.Run.Name} stopped: {r.Message}");
        var result = new TrainingResult(c.Config.Steps, c.Config.TrainingTokens, c.Config.BatchSize, seconds, c.Config.TrainingTokens / seconds, runs);
        c.Results = c.Results with { Training = result };
    }

    /// <summary>Every run of the plan, untrained: each SAE constructed from its config and seed, with its optimiser
    /// settings (the caller owns them).</summary>
    internal static List<TrainedSae> NewRuns(ReproductionContext c) => Plan(c).Select(p =>
    {
        var sae = SaeRegistry.Create(p.Sae);
        return new TrainedSae(p.Id, sae, new TrainingRun(p.Id.Name, sae, p.Settings));
    }).ToList();

    private sealed record PlannedRun(SaeRunId Id, SaeConfig Sae, OptimizerSettings Settings);

    /// <summary>Every run of the config's sweeps, in registry order (TopK grid, BatchTopK, Multi-TopK, ReLU, JumpReLU,
    /// Gated), each sweep's widths then knob values ascending; run i is initialised with seed Seed + i.</summary>
    private static List<PlannedRun> Plan(ReproductionContext context)
    {
        var c = context.Config;
        var warmup = (long)Math.Round(c.WarmupFraction * c.Steps);
        var plan = new List<PlannedRun>();
        foreach (var architecture in SaeRegistry.All)
        {
            if (c.SweepOf(architecture) is not { } sweep) continue;
            foreach (var id in sweep.Runs(c.NumLatents))
            {
                var config = id.Config(context.Subject.DIn);
                config = config with { Normalization = c.Normalization, DeadWindowTokens = c.DeadWindowTokens, Init = config.Init with { Seed = c.Seed + (ulong)plan.Count } };
                if (config is JumpReluSaeConfig jump)
                    config = jump with { InitialThreshold = c.JumpReluInitialThreshold, InitialFiringRate = c.JumpReluInitialFiringRate, Bandwidth = c.JumpReluBandwidth };
                var thresholdFamily = architecture == SaeRegistry.JumpRelu || architecture == SaeRegistry.Gated;
                if (thresholdFamily) config = config with { Init = config.Init with { RescaleEncoderToMatchNorms = c.JumpReluAndGatedRescaleEncoder } };
                var defaults = architecture.OptimizerDefaults(id.NumLatents);
                var settings = new OptimizerSettings
                {
                    LearningRate = c.LearningRate ?? architecture.LearningRateRule(id.NumLatents),
                    Beta1 = thresholdFamily ? c.JumpReluAndGatedBeta1 : null,
                    // The config's warm-ups replace the paper's step counts, which are longer than these runs.
                    WarmupSteps = defaults.WarmupSteps > 0 ? warmup : null,
                    SparsityWarmupFraction = architecture.Knob.IsK ? null : c.SparsityWarmupFraction,
                };
                plan.Add(new PlannedRun(id, config, settings));
            }
        }
        return plan;
    }


    private static TrainingCurve Curve(TrainedSae r)
    {
        var h = r.Run.History;
        var term = h.Count > 0 && h[0].Losses.ContainsKey("nmse") ? "nmse" : "mse";
        double baseline;
        using (no_grad()) baseline = term == "mse" ? r.Sae.mse_baseline.ToDouble() : 1.0;
        if (!double.IsFinite(baseline) || baseline <= 0) baseline = 1.0;
        var every = Math.Max(1, h.Count / 100);
        var picked = h.Where((_, i) => i % every == 0 || i == h.Count - 1).ToList();
        return new TrainingCurve("normalized MSE of the training batch",
            picked.Select(s => s.Step).ToArray(),
            picked.Select(s => s.Losses.TryGetValue(term, out var v) ? v / baseline : double.NaN).ToArray(),
            picked.Select(s => s.L0).ToArray());
    }
}
