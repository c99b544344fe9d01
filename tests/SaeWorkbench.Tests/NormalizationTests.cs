using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests;

/// <summary>The four input normalisations and their undoing on the reconstruction.</summary>
public class NormalizationTests
{
    private static ReluSae Make(InputNormalization mode) => new(new ReluSaeConfig
    {
        DIn = 6, NumLatents = 12, Normalization = mode, DType = float64, Init = new SaeInit { Seed = 1, GeometricMedianPreBias = false },
    });

    private static Tensor Data()
    {
        manual_seed(4);
        return randn(new long[] { 10, 6 }, float64) * 3 + 1.5;
    }

    [Fact]
    public void NoneLeavesInputsAsTheyAre()
    {
        using var scope = NewDisposeScope();
        using var sae = Make(InputNormalization.None);
        var x = Data();
        var (xn, state) = sae.Normalize(x);
        Assert.True(xn.SameAs(x));
        var o = sae.Forward(x);
        Assert.True(o.ReconstructionInInputSpace_BD.allclose(o.Reconstruction_BD));
    }

    [Fact]
    public void ScalarModeFitsUnitMeanSquaredNormAndDividesItBackOut()
    {
        using var scope = NewDisposeScope();
        using var sae = Make(InputNormalization.UnitMeanSquaredNorm);
        var x = Data();
        sae.InitializeFromData(x);
        var (xn, _) = sae.Normalize(x);
        Assert.Equal(1.0, xn.square().sum(1).mean().ToDouble(), 10);
        var o = sae.Forward(x);
        Assert.True(o.ReconstructionInInputSpace_BD.allclose(o.Reconstruction_BD / sae.norm_scale, 1e-12, 1e-12));
    }

    [Fact]
    public void PerTokenUnitNormCentresAndScalesEachTokenAndIsUndoneExactly()
    {
        using var scope = NewDisposeScope();
        using var sae = Make(InputNormalization.PerTokenUnitNorm);
        var x = Data();
        var (xn, state) = sae.Normalize(x);
        Assert.True(xn.mean(new long[] { 1 }).abs().max().ToDouble() < 1e-12);
        Assert.True((xn.norm(1) - 1).abs().max().ToDouble() < 1e-12);
        Assert.True(InputNormalizer.Undo(xn, state).allclose(x, 1e-12, 1e-12));
    }

    [Fact]
    public void PerTokenStandardisationMatchesTheReleasedCode()
    {
        // Released GPT-2 SAEs: mu = mean(x); x -= mu; std = x.std() (unbiased); x /= std + 1e-5; undone as x_hat * std + mu.
        using var scope = NewDisposeScope();
        using var sae = Make(InputNormalization.PerTokenStandardize);
        var x = Data();
        var values = x.ToArray<double>();
        var expected = new double[values.Length];
        var stds = new double[10];
        for (var b = 0; b < 10; b++)
        {
            var row = values.AsSpan(b * 6, 6);
            var mu = row.ToArray().Average();
            var std = Math.Sqrt(row.ToArray().Sum(v => (v - mu) * (v - mu)) / 5);
            stds[b] = std;
            for (var i = 0; i < 6; i++) expected[b * 6 + i] = (row[i] - mu) / (std + 1e-5);
        }
        var (xn, state) = sae.Normalize(x);
        var actual = xn.ToArray<double>();
        for (var i = 0; i < actual.Length; i++) Assert.Equal(expected[i], actual[i], 12);
        var o = sae.Forward(x);
        var mean = x.mean(new long[] { 1 }, keepdim: true);
        Assert.True(o.ReconstructionInInputSpace_BD.allclose(o.Reconstruction_BD * tensor(stds, new long[] { 10, 1 }) + mean, 1e-12, 1e-12));
    }
}
