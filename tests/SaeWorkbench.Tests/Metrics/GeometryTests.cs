using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Known answers for decoder geometry, MMCS (Sharkey et al. 2022) and per-head attribution.</summary>
public class GeometryTests
{
    /// <summary>A 16 x 16 Sylvester-Hadamard matrix over 4: orthonormal rows, none of them axis-aligned.</summary>
    private static Tensor Hadamard16()
    {
        var h = new double[16, 16];
        for (var i = 0; i < 16; i++)
            for (var j = 0; j < 16; j++)
                h[i, j] = (System.Numerics.BitOperations.PopCount((uint)(i & j)) % 2 == 0 ? 1 : -1) / 4.0;
        return tensor(h);
    }

    [Fact]
    public void AnOrthonormalDecoderHasMaxCosineZeroAndADuplicatedRowHasOne()
    {
        using var scope = NewDisposeScope();
        var h = Hadamard16();
        Assert.All(Geometry.MaxCosineSimilarity(h), c => Assert.Equal(0.0, c, 6));
        var dup = cat(new[] { h, h[3].unsqueeze(0) * 2.5 });                // row 16 is row 3, rescaled
        var m = Geometry.MaxCosineSimilarity(dup);
        Assert.Equal(1.0, m[3], 6);
        Assert.Equal(1.0, m[16], 6);
        Assert.Equal(0.0, m[0], 6);
    }

    [Fact]
    public void ChunkedMaxCosineMatchesABruteForceLoop()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(3);
        var d = randn(new[] { 50L, 6 }, float64, generator: gen);
        var rows = Enumerable.Range(0, 50).Select(i => d[i].ToArray<double>()).ToArray();
        static double Cos(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(x => x * x));
        var expected = Enumerable.Range(0, 50).Select(i => Enumerable.Range(0, 50).Where(j => j != i).Max(j => Cos(rows[i], rows[j]))).ToArray();
        var chunked = Geometry.MaxCosineSimilarity(d, chunkRows: 7, dtype: float64);
        for (var i = 0; i < 50; i++) Assert.Equal(expected[i], chunked[i], 12);
    }

    [Fact]
    public void TheRandomBaselineIsSeededAndLessAlignedThanADecoderWithNearDuplicates()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(4);
        var baseDirs = randn(new[] { 64L, 32 }, generator: gen);
        var decoder = cat(new[] { baseDirs, baseDirs + 0.1 * randn(new[] { 64L, 32 }, generator: gen) });   // pairs of near-duplicates
        var a = Geometry.DecoderMaxCosineSimilarity(decoder, seed: 9);
        var b = Geometry.DecoderMaxCosineSimilarity(decoder, seed: 9);
        Assert.Equal(a.Random, b.Random);
        Assert.Equal(128, a.Random.Length);
        Assert.True(a.DecoderMean > 0.98, $"near-duplicate pairs: mean max cos {a.DecoderMean}");
        Assert.InRange(a.RandomMean, 0.3, 0.7);                             // 128 random directions in 32 dimensions
    }

    [Fact]
    public void MmcsOfAHandComputedExample()
    {
        using var scope = NewDisposeScope();
        var decoder = tensor(new double[,] { { 1, 0 }, { 0, 3 } });
        var truth = tensor(new double[,] { { 1, 1 }, { 2, 0 } });
        Assert.Equal((Math.Sqrt(0.5) + 1) / 2, Geometry.Mmcs(decoder, truth), 12);
        var (latent, cosine) = Geometry.BestMatches(decoder, truth);
        Assert.Equal(0, latent[1].ToInt64());
        Assert.Equal(1.0, cosine[1].ToDouble(), 12);
        Assert.Equal(1.0, Geometry.Mmcs(truth, truth), 12);
    }

    private static void Randomize(SparseAutoencoder sae, Generator gen)
    {
        using var noGrad = no_grad();
        foreach (var (_, p) in sae.named_parameters()) p.copy_(randn(p.shape, p.dtype, generator: gen) * 0.3);
    }

    [Theory]
    [InlineData("topk")]
    [InlineData("gated")]
    public void PerHeadAttributionsSumToThePreActivationAndEachHeadOwnsItsShare(string architecture)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(5);
        const int heads = 4, dHead = 8;
        SparseAutoencoder sae = architecture == "topk"
            ? new TopKSae(new TopKSaeConfig { DIn = heads * dHead, NumLatents = 24, K = 3, Init = new SaeInit { Seed = 1 } })
            : new GatedSae(new GatedSaeConfig { DIn = heads * dHead, NumLatents = 24, Init = new SaeInit { Seed = 1 } });
        using var _ = sae;
        Randomize(sae, gen);                                                 // nonzero biases and b_pre
        var z = randn(new[] { 10L, heads * dHead }, generator: gen);
        long[] latents = [0, 5, 23];
        var r = Geometry.HeadAttribution(sae, z, heads, latents);

        Tensor pre;
        using (no_grad()) pre = sae.PreActivations(sae.Normalize(z).x_BD).pre_BN.index_select(1, tensor(latents));
        var preArr = pre.to(float64).ToArray<double>();
        for (var b = 0; b < 10; b++)
            for (var l = 0; l < 3; l++)
            {
                var sum = r.Bias[l];
                for (var h = 0; h < heads; h++) sum += r.PerHead[b, l, h];
                Assert.Equal(r.PreActivation[b, l], sum, 12);               // additivity in float64
                Assert.Equal(preArr[b * 3 + l], sum, 4);                    // the SAE's own float32 pre-activation
            }

        // Replacing head 2's slice by b_pre's (so that head contributes nothing) moves the pre-activation by exactly its share.
        var ablated = z.clone();
        ablated[.., 16..24] = sae.b_dec_D.detach()[16..24];
        Tensor preAblated;
        using (no_grad()) preAblated = sae.PreActivations(ablated).pre_BN.index_select(1, tensor(latents));
        var delta = (pre - preAblated).to(float64).ToArray<double>();
        for (var b = 0; b < 10; b++)
            for (var l = 0; l < 3; l++)
                Assert.Equal(r.PerHead[b, l, 2], delta[b * 3 + l], 4);
        Assert.Equal(r.ForLatent(1)[4][2], r.PerHead[4, 1, 2]);
    }

    [Fact]
    public void HeadAttributionRefusesAHeadCountThatDoesNotDivideDIn()
    {
        using var scope = NewDisposeScope();
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 12, NumLatents = 8, K = 2 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Geometry.HeadAttribution(sae, zeros(2, 12), 5, [0]));
        Assert.Contains("numHeads", e.Message);
    }
}
