using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests;

/// <summary>Initialisation options, the geometric median, and the decoder unit-norm constraint.</summary>
public class InitTests
{
    [Fact]
    public void GeometricMedianSatisfiesItsOptimalityConditionAndResistsOutliers()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var cluster = randn(new long[] { 60, 3 }, float64);
        var outliers = full(new long[] { 6, 3 }, 50.0, float64);
        var points = cat(new[] { cluster, outliers });
        var m = GeometricMedian.Weiszfeld(points, iterations: 500, tolerance: 1e-12);
        // Optimality: the sum of unit vectors from the median to the points vanishes.
        var diff = points - m;
        var unit = diff / diff.norm(1, keepdim: true);
        Assert.True(unit.sum(0L).norm().ToDouble() < 1e-4, $"gradient norm {unit.sum(0L).norm().ToDouble()}");
        // Robust: the outliers drag the mean about 4.5 away; the median stays near the cluster.
        Assert.True(points.mean(new long[] { 0 }).norm().ToDouble() > 4);
        Assert.True(m.norm().ToDouble() < 1.0, $"median {m}");
        // Symmetric points: the median is their centre.
        var square = tensor(new double[] { 1, 1, -1, 1, 1, -1, -1, -1, 0.5, 0.5, -0.5, -0.5 }, new long[] { 6, 2 });
        Assert.True(GeometricMedian.Weiszfeld(square, 200).abs().max().ToDouble() < 1e-9);
    }

    [Fact]
    public void DecoderInitsAreUnitNormAndTheEncoderStartsAsTheirTranspose()
    {
        using var scope = NewDisposeScope();
        using var random = new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 40, K = 4, Init = new SaeInit { Seed = 1 } });
        Assert.True((random.DecoderNorms_N() - 1).abs().max().ToSingle() < 1e-6);
        Assert.True(random.W_enc_ND.SameAs(random.W_dec_ND)); // rows = latents in both: W_enc = W_dec^T in the paper's layout
        using var he = new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 40, K = 4, Init = new SaeInit { Seed = 1, Decoder = DecoderInit.HeUniform } });
        Assert.True((he.DecoderNorms_N() - 1).abs().max().ToSingle() < 1e-6);
        using var raw = new TopKSae(new TopKSaeConfig
        {
            DIn = 16, NumLatents = 40, K = 4,
            Init = new SaeInit { Seed = 1, Decoder = DecoderInit.HeUniform, NormalizeDecoderRows = false, EncoderFromDecoderTranspose = false },
        });
        var bound = Math.Sqrt(6.0 / 16);
        Assert.True(raw.W_dec_ND.abs().max().ToSingle() <= bound);
        Assert.True(raw.W_dec_ND.abs().max().ToSingle() > 0.9 * bound);
        Assert.False(raw.W_enc_ND.SameAs(raw.W_dec_ND));
        Assert.True(raw.b_dec_D.eq(0).all().ToBoolean() && raw.b_enc_N.eq(0).all().ToBoolean());
    }

    [Fact]
    public void TheSameSeedGivesTheSameWeights()
    {
        using var scope = NewDisposeScope();
        using var a = new GatedSae(new GatedSaeConfig { DIn = 8, NumLatents = 20, Init = new SaeInit { Seed = 42 } });
        using var b = new GatedSae(new GatedSaeConfig { DIn = 8, NumLatents = 20, Init = new SaeInit { Seed = 42 } });
        using var c = new GatedSae(new GatedSaeConfig { DIn = 8, NumLatents = 20, Init = new SaeInit { Seed = 43 } });
        Assert.True(a.W_dec_ND.SameAs(b.W_dec_ND) && a.W_enc_ND.SameAs(b.W_enc_ND));
        Assert.False(a.W_dec_ND.SameAs(c.W_dec_ND));
    }

    [Fact]
    public void DataInitialisationSetsPreBiasBaselineAndOptionallyRescalesTheEncoder()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var x = randn(new long[] { 256, 12 }, float64) + 3;
        using var sae = new TopKSae(new TopKSaeConfig
        {
            DIn = 12, NumLatents = 48, K = 5, DType = float64, Init = new SaeInit { Seed = 3, RescaleEncoderToMatchNorms = true },
        });
        sae.InitializeFromData(x);
        Assert.True(sae.b_dec_D.allclose(GeometricMedian.Weiszfeld(x, 100)));
        Assert.Equal(Losses.MseBaseline(x).ToDouble(), sae.mse_baseline.ToDouble(), 12);
        using (no_grad())
        {
            var o = sae.Forward(x);
            var inputNorm = (x - sae.b_dec_D).norm(1).mean().ToDouble();
            var reconNorm = (o.Reconstruction_BD - sae.b_dec_D).norm(1).mean().ToDouble();
            Assert.Equal(inputNorm, reconNorm, 9);
        }
    }

    [Fact]
    public void JumpReluEncoderRescalingScalesTheThresholdsAlongSoTheSameLatentsFireAndNormsMatch()
    {
        // Scaling W_enc alone would move every pre-activation against a fixed theta: other latents would fire than the
        // ones whose reconstruction norm was measured, and the norms would not match. b_enc and theta scale with it.
        using var scope = NewDisposeScope();
        manual_seed(8);
        var x = randn(new long[] { 256, 12 }, float64);
        JumpReluSae Make(bool rescale) => new(new JumpReluSaeConfig
        {
            DIn = 12, NumLatents = 48, DType = float64, InitialThreshold = 0.2, Normalization = InputNormalization.None,
            Init = new JumpReluSaeConfig().Init with { Seed = 3, RescaleEncoderToMatchNorms = rescale },
        });
        using var plain = Make(false);
        using var sae = Make(true);
        plain.InitializeFromData(x);
        sae.InitializeFromData(x);
        using (no_grad())
        {
            var c = sae.W_enc_ND.norm().ToDouble() / plain.W_enc_ND.norm().ToDouble();
            Assert.True(Math.Abs(c - 1) > 0.1, $"the encoder was scaled by {c}: the test checks nothing");
            Assert.True(sae.Threshold_N().to(float64).allclose(plain.Threshold_N().to(float64) * c, 1e-6));
            Assert.True(sae.Encode(x).ne(0).eq(plain.Encode(x).ne(0)).all().ToBoolean(), "a different set of latents fires");
            var o = sae.Forward(x);
            var inputNorm = x.norm(1).mean().ToDouble();
            var reconNorm = (o.Reconstruction_BD - sae.b_dec_D).norm(1).mean().ToDouble();
            Assert.Equal(inputNorm, reconNorm, 5);
        }
    }

    [Fact]
    public void JumpReluThresholdsCanStartAtATargetFiringRate()
    {
        // theta_i = the (m+1)-th largest pre-activation of latent i on the sample, m = round(rate * S): each latent fires on
        // exactly m of the sample's tokens (with continuous data there are no ties).
        using var scope = NewDisposeScope();
        manual_seed(9);
        var x = randn(new long[] { 400, 12 }, float64) * torch.linspace(0.2, 3, 12, float64);
        using var sae = new JumpReluSae(new JumpReluSaeConfig
        {
            DIn = 12, NumLatents = 48, DType = float64, InitialFiringRate = 0.05, Normalization = InputNormalization.None,
            Init = new JumpReluSaeConfig().Init with { Seed = 3 },
        });
        sae.InitializeFromData(x);
        using (no_grad())
        {
            var fires = sae.Encode(x).ne(0).sum(0L).to(float64);
            Assert.True(fires.eq(20).all().ToBoolean(), $"firing counts {fires.min().ToDouble()}..{fires.max().ToDouble()}, expected 20 each");
            // Latent 7's theta, by hand: the midpoint of its 20th and 21st largest pre-activations.
            var pre = (x.mm(sae.W_enc_ND.t()) + sae.b_enc_N).select(1, 7).sort(descending: true).Values.ToArray<double>();
            Assert.Equal((pre[19] + pre[20]) / 2, sae.Threshold_N()[7].ToDouble(), 5);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new JumpReluSae(new JumpReluSaeConfig { DIn = 4, NumLatents = 8, InitialFiringRate = 1.5 }));
    }

    [Fact]
    public void EncoderRescalingLeavesRunningStatisticsAlone()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var x = randn(128, 12);
        using var sae = new BatchTopKSae(new BatchTopKSaeConfig { DIn = 12, NumLatents = 48, K = 4, Init = new SaeInit { Seed = 3, RescaleEncoderToMatchNorms = true } });
        sae.InitializeFromData(x);
        Assert.Equal(0f, sae.threshold.ToSingle());
        Assert.True(sae.Forward(x).Loss.ToDouble() > 0);
        Assert.True(sae.threshold.ToSingle() > 0, "a training forward does update it");
    }

    [Fact]
    public void DecoderConstraintRemovesTheParallelGradientAndRenormalises()
    {
        using var scope = NewDisposeScope();
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 10, NumLatents = 30, K = 4, DType = float64, Init = new SaeInit { Seed = 6 } });
        manual_seed(1);
        var g = randn(new long[] { 30, 10 }, float64);
        sae.W_dec_ND.grad = g.clone();
        sae.RemoveParallelDecoderGradient();
        var projected = sae.W_dec_ND.grad!;
        Assert.True((projected * sae.W_dec_ND).sum(1).abs().max().ToDouble() < 1e-12);
        // The orthogonal part is untouched: projected = g - (g . d) d for unit d.
        var d = sae.W_dec_ND.detach();
        Assert.True(projected.allclose(g - (g * d).sum(1, keepdim: true) * d, 1e-12, 1e-12));
        using (no_grad()) sae.W_dec_ND.mul_(randn(new long[] { 30, 1 }, float64).abs() + 0.5);
        sae.NormalizeDecoder();
        Assert.True((sae.DecoderNorms_N() - 1).abs().max().ToDouble() < 1e-12);
    }
}
