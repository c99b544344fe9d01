using SaeWorkbench.Activations;
using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;
namespace SaeWorkbench.Tests.Metrics;

/// <summary>Known answers for the reconstruction metrics (Gao et al. 2024, §2.1, §3).</summary>
public class ReconstructionTests
{
    [Fact]
    public void NormalizedMseOfAHandComputedExample()
    {
        using var scope = NewDisposeScope();
        // x = [[1, 0], [3, 2]], x_hat = [[1, 1], [2, 2]]: errors (0, 1) and (1, 0) -> MSE 1; mean (2, 1), deviations
        // (-1, -1) and (1, 1) -> mse(mean, x) = 2; normalized MSE = FVU = 0.5, explained variance 0.5.
        var x = tensor(new double[,] { { 1, 0 }, { 3, 2 } });
        var xHat = tensor(new double[,] { { 1, 1 }, { 2, 2 } });
        var r = Reconstruction.Compute(x, xHat, zeros(new[] { 2L, 3 }, float64));
        Assert.Equal(1.0, r.Mse, 15);
        Assert.Equal(2.0, r.MseBaseline, 15);
        Assert.Equal(0.5, r.NormalizedMse, 15);
        Assert.Equal(0.5, r.FractionOfVarianceUnexplained, 15);
        Assert.Equal(0.5, r.ExplainedVariance, 15);
        // A fixed denominator changes the normalized MSE only.
        var fixedBase = Reconstruction.Compute(x, xHat, zeros(new[] { 2L, 3 }, float64), new ReconstructionOptions { MseBaseline = 4 });
        Assert.Equal(0.25, fixedBase.NormalizedMse, 15);
        Assert.Equal(0.5, fixedBase.FractionOfVarianceUnexplained, 15);
    }

    [Fact]
    public void PredictingTheMeanExplainsNothingAndAPerfectReconstructionEverything()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(1);
        var x = randn(new[] { 500L, 8 }, float64, generator: gen) * 3 + 5;
        var latents = zeros(new[] { 500L, 4 }, float64);
        var mean = Reconstruction.Compute(x, x.mean(new long[] { 0 }, keepdim: true).expand(500, 8), latents);
        Assert.Equal(0.0, mean.ExplainedVariance, 12);
        Assert.Equal(1.0, mean.NormalizedMse, 12);
        var perfect = Reconstruction.Compute(x, x.clone(), latents);
        Assert.Equal(1.0, perfect.ExplainedVariance, 15);
        Assert.Equal(0.0, perfect.Mse, 15);
        // A constant offset from the mean is unexplained variance too (the R^2 form, not the residual-variance form).
        var shifted = Reconstruction.Compute(x, x + 1, latents);
        Assert.True(shifted.ExplainedVariance < 0.99);
    }

    [Fact]
    public void StreamingOverUnevenBatchesMatchesOneBatchAndATwoPassDoubleReference()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(2);
        // A large mean with a small spread, in float32: a one-pass sum(x^2) - T mean^2 would lose most digits.
        var x = (randn(new[] { 1000L, 16 }, generator: gen) * 0.01 + 1000).to(float32);
        var xHat = x + randn(new[] { 1000L, 16 }, generator: gen) * 0.001;
        var z = randn(new[] { 1000L, 32 }, generator: gen).relu();
        var whole = Reconstruction.Compute(x, xHat, z);
        using var acc = new ReconstructionAccumulator(32);
        foreach (var (s, len) in new[] { (0L, 1L), (1L, 300L), (301L, 699L) })
            acc.Update(x.narrow(0, s, len), xHat.narrow(0, s, len), z.narrow(0, s, len));
        var streamed = acc.Result();
        // Two-pass reference in double on the same float32 values.
        var xs = x.to(float64).ToArray<double>();
        var xh = xHat.to(float64).ToArray<double>();
        var meanD = new double[16];
        for (var i = 0; i < xs.Length; i++) meanD[i % 16] += xs[i] / 1000;
        double ss = 0, sse = 0;
        for (var i = 0; i < xs.Length; i++)
        {
            ss += (xs[i] - meanD[i % 16]) * (xs[i] - meanD[i % 16]);
            sse += (xs[i] - xh[i]) * (xs[i] - xh[i]);
        }
        Assert.Equal(sse / ss, streamed.FractionOfVarianceUnexplained, 1e-10);
        Assert.Equal(ss / 1000, streamed.MseBaseline, 1e-12);
        Assert.Equal(whole.FractionOfVarianceUnexplained, streamed.FractionOfVarianceUnexplained, 1e-12);
        Assert.Equal(whole.L0, streamed.L0, 12);
        Assert.Equal(whole.L1, streamed.L1, 9);
        Assert.Equal(whole.FiringFrequencies, streamed.FiringFrequencies);
    }

    [Fact]
    public void DeadAndDenseLatentsOfAHandMadeMatrix()
    {
        using var scope = NewDisposeScope();
        var z = tensor(new double[,]
        {
            { 0, 2, 0, 1 },
            { 0, 3, 0, 0 },
            { 0, 1, 0.0005, 0 },
            { 0, 4, 0, 0 },
        });
        var x = zeros(new[] { 4L, 2 }, float64);
        var any = Reconstruction.Compute(x, x, z, new ReconstructionOptions { DenseFrequency = 0.2 });
        Assert.Equal(new[] { 0, 1, 0.25, 0.25 }, any.FiringFrequencies);
        Assert.Equal(1, any.DeadLatents);                                   // latent 0
        Assert.Equal(3, any.DenseLatents);                                  // 1 (100%), 2 and 3 (25% > 20%)
        Assert.Equal(1.5, any.L0, 15);
        Assert.Equal((3 + 3 + 1.0005 + 4) / 4, any.L1, 15);
        var released = Reconstruction.Compute(x, x, z, new ReconstructionOptions { FiringThreshold = 1e-3, DenseFrequency = 0.3 });
        Assert.Equal(2, released.DeadLatents);                              // 0.0005 is below the released code's 1e-3
        Assert.Equal(1, released.DenseLatents);
        Assert.Equal(0.5, released.DeadFraction);
    }

    [Fact]
    public void AnSaeEvaluatedFromItsSparseCodeMatchesItsDenseLatentsAndTheSourcePath()
    {
        using var scope = NewDisposeScope();
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 12, NumLatents = 40, K = 3, Normalization = InputNormalization.PerTokenUnitNorm, Init = new SaeInit { Seed = 4 } });
        using var gen = new Generator(5);
        var x = randn(new[] { 700L, 12 }, generator: gen);
        var r = Reconstruction.Evaluate(sae, x, batchSize: 128);
        Assert.True(sae.training);
        SaeOutput o;
        using (no_grad()) { sae.eval(); o = sae.Forward(x); sae.train(); }
        Assert.NotNull(o.Code);                                             // the sparse path ran
        var dense = Reconstruction.Compute(o.Input_BD, o.Reconstruction_BD, o.Latents_BN);
        Assert.Equal(dense.Mse, r.Mse, 1e-6);
        Assert.Equal(dense.FractionOfVarianceUnexplained, r.FractionOfVarianceUnexplained, 1e-6);
        Assert.Equal(3.0, r.L0, 12);
        Assert.Equal(dense.FiringFrequencies, r.FiringFrequencies);
        using var source = new TensorActivationSource(x);
        var fromSource = Reconstruction.Evaluate(sae, source, 700, batchSize: 300);
        Assert.Equal(r.Mse, fromSource.Mse, 1e-6);
        Assert.Equal(700, fromSource.Tokens);
    }

    [Fact]
    public void BadOptionsNameTheField()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ReconstructionAccumulator(4, new ReconstructionOptions { DenseFrequency = 0 }));
        Assert.Contains("DenseFrequency", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconstructionAccumulator(4, new ReconstructionOptions { MseBaseline = -1 }));
        using var acc = new ReconstructionAccumulator(4);
        Assert.Throws<InvalidOperationException>(() => acc.Result());
    }
}
