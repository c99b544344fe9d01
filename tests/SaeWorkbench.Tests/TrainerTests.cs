using SaeWorkbench.Activations;
using SaeWorkbench.Saes;
using SaeWorkbench.Toys;
using SaeWorkbench.Training;

namespace SaeWorkbench.Tests;

/// <summary>The trainer: exact resume from checkpoints, divergence handling, several SAEs from one pass, progress.</summary>
public sealed class TrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"saewb-trainer-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    internal static SuperpositionData Data() => new(new SuperpositionConfig { D = 16, NumFeatures = 32, MeanActive = 3, MagnitudeMin = 0.5, MagnitudeMax = 1.5, Seed = 11 });

    /// <summary>Three architectures with every stateful piece in play: AuxK with a short dead window, Multi-TopK,
    /// lr warm-up and decay crossing the interruption, lambda warm-up, beta1 = 0, gradient clipping.</summary>
    internal static List<TrainingRun> Runs() =>
    [
        new TrainingRun("topk", new TopKSae(new TopKSaeConfig
        {
            DIn = 16, NumLatents = 64, K = 3, AuxK = 8, MultiTopK = true, DeadWindowTokens = 128, Init = new SaeInit { Seed = 1 },
        }), new OptimizerSettings { LearningRate = 3e-3, WarmupSteps = 10, Decay = LrDecay.Cosine, DecayFraction = 0.5 }),
        new TrainingRun("jumprelu", new JumpReluSae(new JumpReluSaeConfig
        {
            DIn = 16, NumLatents = 64, L0Coefficient = 0.05, Bandwidth = 0.05, DeadWindowTokens = 256, Init = new SaeInit { Seed = 2, Decoder = DecoderInit.HeUniform },
        }), new OptimizerSettings { LearningRate = 3e-3, WarmupSteps = 25, SparsityWarmupSteps = 30 }),
        new TrainingRun("relu", new ReluSae(new ReluSaeConfig
        {
            DIn = 16, NumLatents = 64, L1Coefficient = 0.3, L1WeightedByDecoderNorm = true, UnitNormDecoder = false, DeadWindowTokens = 256,
            Init = new SaeInit { Seed = 3 },
        }), new OptimizerSettings { LearningRate = 3e-3, GradClipNorm = 0.5 }),
    ];

    internal static TrainerConfig Config(string? dir = null) => new()
    {
        BatchSize = 64, TotalTokens = 64 * 40, InitSampleTokens = 512, ReportEverySteps = 10, CheckpointDirectory = dir, DenseWindowTokens = 640,
    };

    [Fact]
    public void AnInterruptedAndResumedRunMatchesAnUninterruptedOneExactly()
    {
        using var scope = NewDisposeScope();
        // Uninterrupted: 40 steps.
        using var dataA = Data();
        var runsA = Runs();
        new Trainer(Config(), dataA, runsA).Train();

        // Interrupted after 20 steps (checkpoints written), then resumed by fresh objects built from the same configs.
        using (var dataB = Data())
        {
            var runsB = Runs();
            var stopped = new Trainer(Config(_dir), dataB, runsB).Train(stopAtStep: 20);
            Assert.All(stopped.Runs, r => Assert.Equal(20, r.Steps));
            foreach (var r in runsB) { r.Sae.Dispose(); r.Dispose(); }
        }
        using var dataC = Data();
        var runsC = Runs();
        var resumed = new Trainer(Config(_dir), dataC, runsC);
        resumed.LoadCheckpoints();
        Assert.Equal(20, resumed.Step);
        resumed.Train();

        foreach (var (a, c) in runsA.Zip(runsC))
        {
            Assert.Equal(40, c.Step);
            Assert.Equal(a.Tokens, c.Tokens);
            // Steps 21..40: every loss term identical.
            var tail = a.History.Skip(20).ToList();
            Assert.Equal(tail.Count, c.History.Count);
            for (var i = 0; i < tail.Count; i++)
            {
                Assert.Equal(tail[i].Step, c.History[i].Step);
                Assert.Equal(tail[i].LearningRate, c.History[i].LearningRate);
                foreach (var (name, value) in tail[i].Losses)
                    Assert.True(value == c.History[i].Losses[name], $"{a.Name} step {tail[i].Step} {name}: {value:R} vs {c.History[i].Losses[name]:R}");
            }
            foreach (var ((name, p), (_, q)) in a.Sae.state_dict().Zip(c.Sae.state_dict()))
                Assert.True(p.allclose(q, 0, 0, equal_nan: true), $"{a.Name}.{name} differs after resuming");
            foreach (var (name, t) in a.Optimizer.state_dict())
                Assert.True(t.SameAs(c.Optimizer.state_dict()[name]), $"{a.Name} optimiser {name} differs");
            Assert.True(a.Tracker.TokensSinceFired_N().SameAs(c.Tracker.TokensSinceFired_N()));
            output.WriteLine($"{a.Name}: final total {a.History[^1].Losses["total"]:G6}, dead {a.Tracker.DeadCount()}, lr {a.History[^1].LearningRate:G4}");
        }
        // The tracker's state matters at the resume point: dead latents feed AuxK on the very first resumed step.
        Assert.True(runsA[0].History[20].Losses["aux_k"] > 0, "no latent was dead when training resumed: the tracker's state was not exercised");
    }

    [Fact]
    public void CheckpointsRefuseADifferentConfigAndNameTheFile()
    {
        using var scope = NewDisposeScope();
        using (var data = Data())
        {
            var runs = Runs();
            new Trainer(Config(_dir) with { TotalTokens = 64 * 4 }, data, runs).Train();
        }
        using var data2 = Data();
        var other = Runs();
        var changed = new TrainingRun("topk", new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 64, K = 4, AuxK = 8, MultiTopK = true, DeadWindowTokens = 256 }));
        other[0] = changed;
        var trainer = new Trainer(Config(_dir) with { TotalTokens = 64 * 4 }, data2, other);
        var e = Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoints());
        Assert.Contains("topk.checkpoint.safetensors", e.Message);
        Assert.Contains("\"K\":4", e.Message);
        var notACheckpoint = Path.Combine(_dir, "plain.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = zeros(2) }, notACheckpoint);
        Assert.Contains(notACheckpoint, Assert.Throws<InvalidDataException>(() => Checkpoint.Load(notACheckpoint)).Message);
    }

    /// <summary>Hands out NaN activations from a given step on.</summary>
    private sealed class PoisonedSource(IActivationSource inner, long poisonFromToken) : IActivationSource
    {
        public long DIn => inner.DIn;
        public long TokensRead => inner.TokensRead;
        public Tensor NextBatch(long batchSize)
        {
            var x = inner.NextBatch(batchSize);
            return inner.TokensRead > poisonFromToken ? x.fill_(double.NaN) : x;
        }
        public Dictionary<string, Tensor> state_dict() => inner.state_dict();
        public void load_state_dict(IReadOnlyDictionary<string, Tensor> state) => inner.load_state_dict(state);
    }

    [Fact]
    public void NaNStopsTheRunWithAClearMessageAndKeepsTheLastGoodCheckpoint()
    {
        using var scope = NewDisposeScope();
        using var data = Data();
        // 512 init tokens + 7 batches of 64 are clean; the 8th batch is NaN.
        var source = new PoisonedSource(data, 512 + 7 * 64);
        var run = new TrainingRun("topk", new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 64, K = 3, AuxK = 8, Init = new SaeInit { Seed = 1 } }),
            new OptimizerSettings { LearningRate = 1e-3 });
        var progress = new List<TrainingProgress>();
        var result = new Trainer(Config(_dir) with { CheckpointEverySteps = 5 }, source, [run]).Train(new SyncProgress(progress));
        var r = result["topk"];
        output.WriteLine(r.Message);
        Assert.True(r.Diverged);
        Assert.Equal(7, r.Steps);
        Assert.Contains("loss term 'nmse' is NaN", r.Message);
        Assert.Contains("step 7", r.Message);
        var path = Path.Combine(_dir, "topk.checkpoint.safetensors");
        Assert.Equal(path, r.LastGoodCheckpoint);
        Assert.Contains(path, r.Message);
        var (tensors, metadata) = Checkpoint.Load(path);
        Assert.Equal("5", metadata["step"]);                                    // the one written at step 5, not overwritten
        Assert.All(Checkpoint.Section(tensors, "sae").Where(kv => kv.Key != "mse_baseline"), kv => Assert.True(kv.Value.isfinite().all().ToBoolean(), kv.Key));
        Assert.True(run.WeightsFinite(), "the NaN step must not reach the weights");
        Assert.Contains(progress, p => p.Step == 7);                            // the stop is reported
    }

    [Fact]
    public void ANaNInTheInitialisationSampleIsNamedAsSuch()
    {
        using var scope = NewDisposeScope();
        using var data = Data();
        var source = new PoisonedSource(data, 0);   // every activation NaN, the initialisation sample included
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(Config(), source, Runs()).Train());
        Assert.Contains("initialisation sample", e.Message);
        Assert.Contains("harvest them again", e.Message);
    }

    [Fact]
    public void ANonFiniteBufferCountsAsNonFiniteWeights()
    {
        using var scope = NewDisposeScope();
        var run = Runs()[1];   // JumpReLU
        Assert.True(run.WeightsFinite());
        using (no_grad()) run.Sae.norm_scale.fill_(double.NaN);
        Assert.False(run.WeightsFinite());
        using (no_grad()) run.Sae.norm_scale.fill_(1.0);
        using (no_grad()) run.Sae.mse_baseline.fill_(double.NaN);   // NaN until fitted, by design
        Assert.True(run.WeightsFinite());
    }

    [Fact]
    public void ADivergingRunStopsWhileTheOthersInTheSamePassFinish()
    {
        using var scope = NewDisposeScope();
        using var data = Data();
        var good = new TrainingRun("good", new ReluSae(new ReluSaeConfig { DIn = 16, NumLatents = 64, L1Coefficient = 0.1, Init = new SaeInit { Seed = 1 } }),
            new OptimizerSettings { LearningRate = 1e-3 });
        var bad = new TrainingRun("bad", new ReluSae(new ReluSaeConfig { DIn = 16, NumLatents = 64, L1Coefficient = 0.1, UnitNormDecoder = false, Init = new SaeInit { Seed = 1 } }),
            new OptimizerSettings { LearningRate = 50, GradClipNorm = 0, Decay = LrDecay.None });
        var result = new Trainer(Config() with { DivergenceFactor = 20, DivergenceGraceSteps = 2 }, data, [good, bad]).Train();
        output.WriteLine(result["bad"].Message);
        Assert.False(result["good"].Diverged);
        Assert.Equal(40, result["good"].Steps);
        Assert.True(result["bad"].Diverged);
        Assert.True(result["bad"].Steps < 40);
        Assert.Matches("diverged|NaN|Infinity", result["bad"].Message);
        Assert.Contains("no checkpoint had been written yet", result["bad"].Message);
    }

    [Fact]
    public void SeveralSaesFromOnePassSeeTheSameBatchesAsEachAlone()
    {
        using var scope = NewDisposeScope();
        TrainingRun Make(string name) => new(name, new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 64, K = 3, Init = new SaeInit { Seed = 4 } }),
            new OptimizerSettings { LearningRate = 2e-3 });
        using var d1 = Data();
        var alone = Make("alone");
        new Trainer(Config(), d1, [alone]).Train();
        using var d2 = Data();
        var twin = Make("twin");
        var other = new TrainingRun("other", new JumpReluSae(new JumpReluSaeConfig { DIn = 16, NumLatents = 32, Init = new SaeInit { Seed = 5 } }));
        new Trainer(Config(), d2, [other, twin]).Train();
        Assert.True(alone.Sae.W_dec_ND.SameAs(twin.Sae.W_dec_ND));
        Assert.Equal(alone.History.Select(h => h.Losses["total"]), twin.History.Select(h => h.Losses["total"]));
        Assert.Equal(d1.TokensRead, d2.TokensRead);
    }

    private sealed class SyncProgress(List<TrainingProgress> list) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => list.Add(value);
    }

    [Fact]
    public void ProgressReportsLossesL0DeadFractionAndThroughput()
    {
        using var scope = NewDisposeScope();
        using var data = Data();
        var run = new TrainingRun("topk", new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 64, K = 3, Init = new SaeInit { Seed = 1 } }));
        var reports = new List<TrainingProgress>();
        new Trainer(Config(), data, [run]).Train(new SyncProgress(reports));
        Assert.Equal(new long[] { 10, 20, 30, 40 }, reports.Select(p => p.Step));
        Assert.All(reports, p =>
        {
            Assert.Equal("topk", p.RunName);
            Assert.Equal(40, p.TotalSteps);
            Assert.Equal(p.Step * 64, p.Tokens);
            Assert.True(p.TokensPerSecond > 0);
            Assert.Contains("nmse", p.Losses.Keys);
            Assert.Contains("total", p.Losses.Keys);
            Assert.InRange(p.L0, 2.5, 3.0);
            Assert.InRange(p.DeadFraction, 0, 1);
            Assert.Equal(SaeRegistry.ScaledLearningRate(64), p.LearningRate, 15);
        });
        Assert.Equal(1.0, reports[^1].FractionDone);
        Assert.True(reports[^1].Losses["nmse"] < reports[0].Losses["nmse"]);
    }

    [Fact]
    public void TheUnitNormConstraintHoldsThroughTraining()
    {
        using var scope = NewDisposeScope();
        using var data = Data();
        var run = new TrainingRun("gated", new GatedSae(new GatedSaeConfig { DIn = 16, NumLatents = 64, Init = new SaeInit { Seed = 1 } }),
            new OptimizerSettings { LearningRate = 1e-2, WarmupSteps = 0 });
        new Trainer(Config(), data, [run]).Train();
        Assert.True((run.Sae.DecoderNorms_N() - 1).abs().max().ToSingle() < 1e-5);
        Assert.True(run.History[^1].Losses["total"] < run.History[0].Losses["total"]);
    }
}

/// <summary>Schedules and per-architecture optimiser defaults.</summary>
public class ScheduleTests
{
    [Fact]
    public void WarmupAndDecayFactors()
    {
        var s = new WarmupDecaySchedule(TotalSteps: 100, WarmupSteps: 10, WarmupStartFactor: 0.1, Decay: LrDecay.Linear, DecaySteps: 20, EndFactor: 0);
        Assert.Equal(0.1, s.Factor(0), 12);
        Assert.Equal(0.1 + 0.9 * 0.5, s.Factor(5), 12);
        Assert.Equal(1.0, s.Factor(10));
        Assert.Equal(1.0, s.Factor(80));
        Assert.Equal(0.5, s.Factor(90), 12);
        Assert.Equal(0.0, s.Factor(100));
        var cosine = new WarmupDecaySchedule(1000, 1000, 0.1, WarmupShape.Cosine);
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 - Math.Cos(Math.PI * 0.25)), cosine.Factor(250), 12);
        Assert.Equal(0.0, new SparsityWarmup(10_000).Factor(0));
        Assert.Equal(0.25, new SparsityWarmup(10_000).Factor(2500));
        Assert.Equal(1.0, new SparsityWarmup(10_000).Factor(20_000));
    }

    [Fact]
    public void ArchitectureDefaults()
    {
        Assert.Equal(2e-4, SaeRegistry.ScaledLearningRate(16384), 15);
        Assert.Equal(1e-4, SaeRegistry.ScaledLearningRate(65536), 15);
        var topk = OptimizerSettings.For(new TopKSaeConfig { NumLatents = 32768 });
        Assert.Equal(2e-4 / Math.Sqrt(2), topk.LearningRate!.Value, 15);
        Assert.Equal(6.25e-10, topk.Eps);
        Assert.Equal(0.9, topk.Beta1);
        var jump = new OptimizerSettings().Resolve(new JumpReluSaeConfig());
        Assert.Equal((7e-5, 0.0, 0.999, 1000L, 0.1, WarmupShape.Cosine, 10_000L),
            (jump.LearningRate!.Value, jump.Beta1!.Value, jump.Beta2!.Value, jump.WarmupSteps!.Value, jump.WarmupStartFactor!.Value, jump.WarmupShape!.Value, jump.SparsityWarmupSteps!.Value));
        var relu = new OptimizerSettings().Resolve(new ReluSaeConfig());
        Assert.Equal(LrDecay.Linear, relu.Decay);
        Assert.Equal(500, relu.SparsityWarmup(10_000).WarmupSteps);
        Assert.Equal(3e-4, new OptimizerSettings { LearningRate = 3e-4 }.Resolve(new TopKSaeConfig()).LearningRate);
    }
}

/// <summary>Dead and dense latents counted in tokens.</summary>
public class DeadLatentTrackerTests
{
    [Fact]
    public void CountsTokensSinceFiringAndFrequenciesOverWindows()
    {
        using var scope = NewDisposeScope();
        using var t = new DeadLatentTracker(numLatents: 4, deadWindowTokens: 250, denseWindowTokens: 200, denseFrequency: 0.3);
        t.Update(tensor(new long[] { 5, 0, 100, 0 }), 100);
        t.Update(tensor(new long[] { 0, 0, 90, 40 }), 100);
        Assert.Equal(new long[] { 100, 200, 0, 0 }, t.TokensSinceFired_N().ToArray<long>());
        Assert.Equal(0, t.DeadCount());
        Assert.Equal(new[] { 0.025, 0, 0.95, 0.2 }, t.LastWindowFrequency_N().ToArray<double>());  // the 200-token window completed
        Assert.Equal(0.25, t.DenseFraction);                                                       // latent 2 fires on 95%
        t.Update(tensor(new long[] { 0, 0, 1, 0 }), 100);
        Assert.Equal(new[] { false, true, false, false }, t.DeadMask_N().ToArray<bool>());         // 300 tokens without firing
        var state = t.state_dict();
        using var copy = new DeadLatentTracker(4, 250, 200, 0.3);
        copy.load_state_dict(state);
        Assert.Equal(t.TokensSinceFired_N().ToArray<long>(), copy.TokensSinceFired_N().ToArray<long>());
        Assert.Equal(t.TokensSeen, copy.TokensSeen);
        Assert.Equal(t.WindowTokens, copy.WindowTokens);
    }
}
