using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;
using SaeWorkbench.Toys;
using SaeWorkbench.Training;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Progressive codes on a TopK SAE trained for a few seconds on superposition toy data (TopK paper §5.3).</summary>
public class ProgressiveCodeTests(ITestOutputHelper output)
{
    private const long K = 6;

    private static (TopKSae sae, SuperpositionData data) TrainedToy()
    {
        var data = new SuperpositionData(new SuperpositionConfig { D = 32, NumFeatures = 64, MeanActive = 4, MagnitudeMin = 0.5, MagnitudeMax = 1.5, Seed = 21 });
        var sae = new TopKSae(new TopKSaeConfig { DIn = 32, NumLatents = 128, K = K, AuxK = 16, DeadWindowTokens = 10_000, Init = new SaeInit { Seed = 22 } });
        using var run = new TrainingRun("topk", sae, new OptimizerSettings { LearningRate = 2e-3 });
        new Trainer(new TrainerConfig { BatchSize = 512, TotalTokens = 400 * 512, InitSampleTokens = 2048, ReportEverySteps = 400, DivergenceFactor = 0, KeepHistory = false },
            data, new[] { run }).Train();
        return (sae, data);
    }

    [Fact]
    public void TopKSweepHasL0EqualToKAndMseFallingUpToTheTrainingK()
    {
        using var scope = NewDisposeScope();
        var (sae, data) = TrainedToy();
        using var _ = sae;
        using var __ = data;
        // Samples with no active feature (x = 0, about e^-4 of them) can have fewer than k' positive pre-activations, and
        // ReLU(TopK) then keeps fewer than k' latents: leave them out so that L0 = k' exactly.
        var all = data.NextBatch(4096);
        var x = all.index_select(0, all.norm(1).gt(0).nonzero().reshape(-1));
        var ks = Enumerable.Range(1, (int)(2 * K)).Select(k => (long)k).ToArray();
        var r = ProgressiveCode.SweepTopK(sae, x, ks, batchSize: 1024);
        foreach (var p in r.Points) output.WriteLine($"{p.Activation}: L0 {p.L0:F3}, MSE {p.Mse:F5}, normalized {p.NormalizedMse:F4}");
        output.WriteLine($"native: L0 {r.Native.L0:F3}, normalized {r.Native.NormalizedMse:F4}");
        for (var i = 0; i < ks.Length; i++)
        {
            Assert.Equal((double)ks[i], r.Points[i].Parameter);
            // Up to the training k every token has k' positive pre-activations; beyond it a few tokens run out (ReLU).
            if (ks[i] <= K) Assert.Equal((double)ks[i], r.Points[i].L0, 9);
            else Assert.InRange(r.Points[i].L0, 0.99 * ks[i], ks[i]);
        }
        for (var i = 1; i < K; i++)
            Assert.True(r.Points[i].Mse <= r.Points[i - 1].Mse, $"MSE rose from k' = {ks[i - 1]} to {ks[i]}");
        Assert.True(r.Points[(int)K - 1].NormalizedMse < 0.5 * r.Points[0].NormalizedMse, "the toy SAE did not train");
        // The SAE's own activation is TopK(k): the same point.
        Assert.Equal(r.Points[(int)K - 1].Mse, r.Native.Mse, 6);
        Assert.Equal(x.size(0), r.Tokens);
        Assert.True(sae.training);
    }

    [Fact]
    public void JumpReluSweepLowersL0AsThetaRisesAndThetaZeroIsRelu()
    {
        using var scope = NewDisposeScope();
        var (sae, data) = TrainedToy();
        using var _ = sae;
        using var __ = data;
        var x = data.NextBatch(2048);
        double[] thetas = [0, 0.05, 0.1, 0.2, 0.4, 0.8];
        var r = ProgressiveCode.Sweep(sae, x, thetas.Select(t => (Activation)new JumpReluActivation(t)).Append(new ReluActivation()), batchSize: 512);
        foreach (var p in r.Points) output.WriteLine($"{p.Activation}: L0 {p.L0:F3}, normalized MSE {p.NormalizedMse:F4}");
        for (var i = 1; i < thetas.Length; i++) Assert.True(r.Points[i].L0 <= r.Points[i - 1].L0);
        Assert.True(r.Points[^2].L0 < r.Points[0].L0);
        Assert.Equal(r.Points[^1].Mse, r.Points[0].Mse, 12);                 // JumpReLU(0) = ReLU
        Assert.True(double.IsNaN(r.Points[^1].Parameter));
    }
}
