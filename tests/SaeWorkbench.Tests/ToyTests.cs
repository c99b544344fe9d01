using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;
using SaeWorkbench.Toys;
using SaeWorkbench.Training;

namespace SaeWorkbench.Tests;

/// <summary>
/// Training on toy data with known ground truth (Sharkey et al. 2022). Sizes are reduced from the paper's setup so the whole
/// class runs in about a minute on one core: d = 64, 128 ground-truth directions (the paper's 2x superposition ratio;
/// its d = 256 / 512 setup is <see cref="SuperpositionConfig.Paper"/>), about 4 active per sample, 256 latents.
/// Active magnitudes are U[0.5, 1.5] rather than the toy-model paper's U[0, 1]: with U[0, 1] a fifth of the activations
/// are below 0.2 and hardly distinguishable from the interference of the other directions, which makes recovery depend
/// on them rather than on the method. Every run is seeded; numbers are printed to the test output.
/// </summary>
public class ToyTests(ITestOutputHelper output)
{
    private static SuperpositionConfig Toy(ulong seed) => new()
    {
        D = 64, NumFeatures = 128, MeanActive = 4, MagnitudeMin = 0.5, MagnitudeMax = 1.5, Seed = seed,
    };

    private static TrainerConfig Training(long steps, long batch = 512) => new()
    {
        BatchSize = batch, TotalTokens = steps * batch, InitSampleTokens = 4096, ReportEverySteps = steps, DivergenceFactor = 0, KeepHistory = false,
    };

    private void Print(TrainingResult result)
    {
        foreach (var r in result.Runs)
            output.WriteLine($"{r.Name}: {r.Steps} steps, " + string.Join(", ", r.FinalLosses.Select(kv => $"{kv.Key} {kv.Value:G4}")) + $", dead {r.DeadFraction:P1}");
    }

    [Fact]
    public void TopKAndJumpReluRecoverTheGroundTruthDirections()
    {
        // Both SAEs train from one pass over the same batches (a sweep in miniature).
        using var data = new SuperpositionData(Toy(1));
        using var topk = new TopKSae(new TopKSaeConfig { DIn = 64, NumLatents = 256, K = 4, AuxK = 32, DeadWindowTokens = 20_000, Init = new SaeInit { Seed = 2 } });
        using var jump = new JumpReluSae(new JumpReluSaeConfig
        {
            DIn = 64, NumLatents = 256, L0Coefficient = 0.03, Bandwidth = 0.05, InitialThreshold = 0.05, DeadWindowTokens = 20_000,
            Init = new SaeInit { Seed = 2, Decoder = DecoderInit.HeUniform, GeometricMedianPreBias = false },
        });
        var quick = new OptimizerSettings { LearningRate = 1e-3, WarmupSteps = 0, SparsityWarmupSteps = 150 };
        using var r1 = new TrainingRun("topk", topk, quick);
        using var r2 = new TrainingRun("jumprelu", jump, quick);
        var result = new Trainer(Training(1500), data, new[] { r1, r2 }).Train();
        Print(result);
        var mmcsTopK = Geometry.Mmcs(topk.W_dec_ND, data.Features_FD);
        var mmcsJump = Geometry.Mmcs(jump.W_dec_ND, data.Features_FD);
        using var scope = NewDisposeScope();
        var (x, _) = data.Sample(2048);
        double l0TopK, l0Jump;
        using (no_grad())
        {
            l0TopK = topk.Forward(x).L0.ToDouble();
            l0Jump = jump.Forward(x).L0.ToDouble();
        }
        output.WriteLine($"MMCS: TopK {mmcsTopK:F4} (L0 {l0TopK:F2}), JumpReLU {mmcsJump:F4} (L0 {l0Jump:F2}); true L0 4");
        Assert.True(mmcsTopK >= 0.95, $"TopK MMCS {mmcsTopK:F4} < 0.95");
        Assert.True(mmcsJump >= 0.95, $"JumpReLU MMCS {mmcsJump:F4} < 0.95");
        Assert.InRange(l0Jump, 2.5, 6.5);
    }

    [Fact]
    public void ReluWithL1ShrinksActivationsAndTopKDoesNotAtMatchedL0()
    {
        using var data = new SuperpositionData(Toy(3));
        using var relu = new ReluSae(new ReluSaeConfig { DIn = 64, NumLatents = 256, L1Coefficient = 1.0, DeadWindowTokens = 20_000, Init = new SaeInit { Seed = 4 } });
        using (var r = new TrainingRun("relu", relu, new OptimizerSettings { LearningRate = 1e-3, Decay = LrDecay.None, SparsityWarmupSteps = 200, GradClipNorm = 0 }))
            Print(new Trainer(Training(2000), data, new[] { r }).Train());

        using var scope = NewDisposeScope();
        var (x, c) = data.Sample(4096);
        double l0Relu;
        using (no_grad()) l0Relu = relu.Forward(x).L0.ToDouble();
        var k = (long)Math.Round(l0Relu);                                    // match TopK's L0 to the ReLU SAE's
        using var topk = new TopKSae(new TopKSaeConfig { DIn = 64, NumLatents = 256, K = k, AuxK = 32, DeadWindowTokens = 20_000, Init = new SaeInit { Seed = 4 } });
        using (var r = new TrainingRun("topk", topk, new OptimizerSettings { LearningRate = 1e-3 }))
            Print(new Trainer(Training(1000), data, new[] { r }).Train());

        double l0TopK;
        Tensor zRelu, zTopK;
        using (no_grad())
        {
            zRelu = relu.Forward(x).Latents_BN;
            var o = topk.Forward(x);
            zTopK = o.Latents_BN;
            l0TopK = o.L0.ToDouble();
        }
        var (gtRelu, mRelu) = SuperpositionData.ShrinkageRatio(zRelu, c, relu.W_dec_ND, data.Features_FD);
        var (gtTopK, mTopK) = SuperpositionData.ShrinkageRatio(zTopK, c, topk.W_dec_ND, data.Features_FD);
        var refRelu = Refinement.Evaluate(relu, x).MagnitudeRatio;
        var refTopK = Refinement.Evaluate(topk, x).MagnitudeRatio;
        output.WriteLine($"L0: ReLU {l0Relu:F2}, TopK {l0TopK:F2} (k = {k})");
        output.WriteLine($"latent / ground-truth magnitude: ReLU {gtRelu:F3} ({mRelu} features matched), TopK {gtTopK:F3} ({mTopK} matched)");
        output.WriteLine($"refined / encoder magnitude on the encoder's support: ReLU {refRelu:F3}, TopK {refTopK:F3}");
        Assert.True(Math.Abs(l0TopK - l0Relu) <= 0.6, "L0s are not matched");
        Assert.True(mRelu >= 100 && mTopK >= 100, "too few ground-truth directions recovered to compare magnitudes");
        // ReLU + L1: magnitudes well below the ground truth, and re-fitting on its own support enlarges them a lot.
        Assert.True(gtRelu < 0.8, $"ReLU magnitude ratio {gtRelu:F3}: expected shrinkage below 0.8");
        Assert.True(refRelu > 1.3, $"ReLU refinement ratio {refRelu:F3}: expected > 1.3");
        // TopK: no penalty on magnitudes; the least-squares re-fit changes them by a few percent at most (the residual gap to
        // the ground truth is interference between superposed directions, which re-fitting on the support accounts for).
        Assert.True(gtTopK > gtRelu + 0.2, $"TopK ratio {gtTopK:F3} is not clearly above ReLU's {gtRelu:F3}");
        Assert.True(refTopK < 1.08, $"TopK refinement ratio {refTopK:F3}: expected < 1.08");
    }

    [Fact]
    public void AuxKRevivesLatentsThatABadInitLeavesDead()
    {
        // Deliberately bad init: three quarters of the latents get encoder rows scaled by 0.1, so they never make the
        // top k and, without AuxK, never receive a gradient. AuxK trains them on the residual of the live latents.
        using var data = new SuperpositionData(Toy(5));
        var dead = new Dictionary<string, (long dead, double mmcs)>();
        foreach (var auxK in new long[] { 0, 32 })
        {
            using var sae = new TopKSae(new TopKSaeConfig
            {
                DIn = 64, NumLatents = 256, K = 4, AuxK = auxK, DeadWindowTokens = 5120, Init = new SaeInit { Seed = 6 },
            });
            using (no_grad()) sae.W_enc_ND.narrow(0, 64, 192).mul_(0.1);
            using var run = new TrainingRun($"auxk{auxK}", sae, new OptimizerSettings { LearningRate = 1e-3 });
            var result = new Trainer(Training(700), data, new[] { run }).Train();
            Print(result);
            dead[run.Name] = (run.Tracker.DeadCount(), Geometry.Mmcs(sae.W_dec_ND, data.Features_FD));
        }
        var (without, with) = (dead["auxk0"], dead["auxk32"]);
        output.WriteLine($"dead latents of 256 after 700 steps: without AuxK {without.dead} (MMCS {without.mmcs:F3}), with AuxK (k_aux 32) {with.dead} (MMCS {with.mmcs:F3})");
        Assert.True(without.dead >= 150, $"the bad init should leave many latents dead without AuxK; {without.dead} are");
        Assert.True(with.dead <= without.dead - 40, $"AuxK should revive latents: {with.dead} dead with it vs {without.dead} without");
        Assert.True(with.mmcs > without.mmcs);
    }

    [Fact]
    public void JumpReluThresholdRemovesFalsePositivesThatReluMustShrinkToSuppress()
    {
        using var scope = NewDisposeScope();
        using var toy = new JumpReluToy(new JumpReluToyConfig { Seed = 7 });
        var (pre, active, magnitude) = toy.Sample(20_000);
        var relu = JumpReluToy.Score(pre.relu(), active, magnitude);
        var (shift, shifted) = JumpReluToy.BestShiftedRelu(pre, active, magnitude, maxShift: 2.0);
        var jump = JumpReluToy.Score(new JumpReluActivation(0.9).Apply(pre.unsqueeze(0)).squeeze(0), active, magnitude);
        output.WriteLine($"ReLU:               MSE {relu.Mse:G4}, false positives {relu.FalsePositiveRate:P1}, magnitude ratio {relu.MagnitudeRatio:F3}");
        output.WriteLine($"ReLU(pre - {shift:F2}):  MSE {shifted.Mse:G4}, false positives {shifted.FalsePositiveRate:P1}, magnitude ratio {shifted.MagnitudeRatio:F3}");
        output.WriteLine($"JumpReLU(0.9):      MSE {jump.Mse:G4}, false positives {jump.FalsePositiveRate:P2}, magnitude ratio {jump.MagnitudeRatio:F3}");
        Assert.True(relu.FalsePositiveRate > 0.4);                          // half the inactive noise is positive
        Assert.True(shifted.MagnitudeRatio < 0.9);                          // suppressing it shrinks every true magnitude
        Assert.True(jump.FalsePositiveRate < 0.01);
        Assert.Equal(1.0, jump.MagnitudeRatio, 12);                         // true magnitudes pass unchanged
        Assert.True(jump.Mse < 0.2 * Math.Min(relu.Mse, shifted.Mse));
    }
}
