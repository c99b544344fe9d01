using SaeWorkbench.Metrics;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Known answers for matching latents across SAEs by decoder cosine (the seed-variance metric).</summary>
public class LatentMatchingTests
{
    /// <summary>A = e1, e2, (e1 + e2)/sqrt 2; B = e1, (0.6, 0.8, 0), e3. Cosines by hand:
    /// a0: (1, 0.6, 0); a1: (0, 0.8, 0); a2: (0.7071, 1.4/sqrt 2 = 0.98995, 0).</summary>
    private static (Tensor A, Tensor B) HandCase() => (
        tensor(new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 1, 1, 0 } }) * tensor(new double[] { 1, 1, 1 / Math.Sqrt(2) }).unsqueeze(1),
        tensor(new double[,] { { 2, 0, 0 }, { 0.6, 0.8, 0 }, { 0, 0, 5 } }));     // norms do not matter

    [Fact]
    public void TheHandComputedCaseBestMatchLetsTwoLatentsShareAPartner()
    {
        using var scope = NewDisposeScope();
        var (a, b) = HandCase();
        var m = LatentMatching.Match(a, b);
        Assert.Equal(new[] { 0, 1, 1 }, m.Partner);
        Assert.Equal(1.0, m.Cosine[0], 12);
        Assert.Equal(0.8, m.Cosine[1], 12);
        Assert.Equal(1.4 / Math.Sqrt(2), m.Cosine[2], 12);
        Assert.Equal(2.0 / 3, m.ShareAbove(0.9), 12);
        Assert.Equal(1.0, m.ShareAbove(0.7), 12);
    }

    [Fact]
    public void TheHandComputedCaseGreedyPairsTheBestFirstAndLeavesTheRest()
    {
        using var scope = NewDisposeScope();
        var (a, b) = HandCase();
        var m = LatentMatching.Match(a, b, LatentMatchingMethod.GreedyOneToOne);
        // (a0, b0) = 1 first, then (a2, b1) = 0.99; a1 is left with b2 (cosine 0), not its best b1.
        Assert.Equal(new[] { 0, 2, 1 }, m.Partner);
        Assert.Equal(1.0, m.Cosine[0], 12);
        Assert.Equal(0.0, m.Cosine[1], 12);
        Assert.Equal(1.4 / Math.Sqrt(2), m.Cosine[2], 12);
        Assert.Equal(2.0 / 3, m.ShareAbove(0.7), 12);
        Assert.Equal(m.Partner.Length, m.Partner.Distinct().Count());
    }

    [Theory]
    [InlineData(LatentMatchingMethod.BestMatch)]
    [InlineData(LatentMatchingMethod.GreedyOneToOne)]
    public void APermutedNoisyCopyIsMatchedAtThePermutedIndices(LatentMatchingMethod method)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(11);
        const int n = 300, d = 64;
        var a = randn(new long[] { n, d }, float32, generator: gen);
        var perm = randperm(n, generator: gen);                                 // B[perm[i]] = A[i] + noise
        var b = zeros(n, d);
        b.index_copy_(0, perm, a + 0.05f * randn(new long[] { n, d }, float32, generator: gen));
        var expected = perm.ToArray<long>().Select(p => (int)p).ToArray();
        var m = LatentMatching.Match(a, b, method);
        Assert.Equal(expected, m.Partner);
        Assert.All(m.Cosine, c => Assert.InRange(c, 0.99, 1.0 + 1e-12));
        Assert.Equal(1.0, m.ShareAbove(0.9));
    }

    [Fact]
    public void GreedyIsOneToOneAndNeverBeatsBestMatchLatentByLatent()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(5);
        // Few directions in few dimensions: many rows of A want the same rows of B, so lists run out and refresh.
        var a = randn(new long[] { 200, 4 }, float32, generator: gen);
        var b = randn(new long[] { 150, 4 }, float32, generator: gen);
        var best = LatentMatching.Match(a, b);
        var greedy = LatentMatching.Match(a, b, LatentMatchingMethod.GreedyOneToOne);
        var matched = greedy.Partner.Where(p => p >= 0).ToList();
        Assert.Equal(150, matched.Count);                                       // B runs out: 50 of A stay unmatched
        Assert.Equal(150, matched.Distinct().Count());
        Assert.Equal(50, greedy.Cosine.Count(double.IsNaN));
        for (var i = 0; i < 200; i++)
            if (greedy.Partner[i] >= 0) Assert.True(greedy.Cosine[i] <= best.Cosine[i] + 1e-12, $"latent {i}: greedy {greedy.Cosine[i]} > best {best.Cosine[i]}");

        // Exact greedy, by brute force over the full matrix.
        var an = a.to(float64) / a.to(float64).norm(1, keepdim: true);
        var bn = b.to(float64) / b.to(float64).norm(1, keepdim: true);
        var cos = an.mm(bn.t()).ToArray<double>();
        var rowFree = Enumerable.Repeat(true, 200).ToArray();
        var colFree = Enumerable.Repeat(true, 150).ToArray();
        var pairs = (from i in Enumerable.Range(0, 200) from j in Enumerable.Range(0, 150) select (i, j))
            .OrderByDescending(p => cos[p.i * 150 + p.j]).ThenBy(p => p.i).ThenBy(p => p.j);
        var expected = Enumerable.Repeat(-1, 200).ToArray();
        foreach (var (i, j) in pairs)
            if (rowFree[i] && colFree[j]) { expected[i] = j; rowFree[i] = false; colFree[j] = false; }
        Assert.Equal(expected, greedy.Partner);
    }

    [Fact]
    public void DirectionsInOrthogonalSubspacesShareNothingAndRandomOnesLittle()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(7);
        var a = cat(new[] { randn(new long[] { 64, 32 }, float32, generator: gen), zeros(64, 32) }, 1);   // first half of the dimensions
        var b = cat(new[] { zeros(80, 32), randn(new long[] { 80, 32 }, float32, generator: gen) }, 1);   // second half
        var orthogonal = LatentMatching.Match(a, b);
        Assert.All(orthogonal.Cosine, c => Assert.Equal(0.0, c, 12));
        Assert.Equal(0.0, orthogonal.ShareAbove(0.1));

        var r1 = randn(new long[] { 256, 256 }, float32, generator: gen);
        var r2 = randn(new long[] { 256, 256 }, float32, generator: gen);
        var random = LatentMatching.Match(r1, r2);
        Assert.Equal(0.0, random.ShareAbove(0.5));                             // best of 256 random cosines in 256-d: about 0.18
        Assert.InRange(random.MeanCosine, 0.1, 0.3);
    }

    [Fact]
    public void SharesByFrequencyBucketCountTheLatentsOfEachBucket()
    {
        var m = new LatentMatch
        {
            Method = LatentMatchingMethod.BestMatch,
            Partner = [0, 1, 2, 3, 4, -1],
            Cosine = [0.95, 0.5, 0.8, 0.99, 0.75, double.NaN],
        };
        double[] freq = [0.001, 0.002, 0.02, 0.05, 0.5, 0.0];
        var buckets = m.SharesByFrequency(freq, [1e-4, 1e-2, 0.1, 1.0], [0.9, 0.7]);
        Assert.Equal(3, buckets.Count);
        Assert.Equal(new[] { 2, 2, 1 }, buckets.Select(x => x.Latents));      // the dead latent (0) is in no bucket
        Assert.Equal(new[] { 0.5, 0.5 }, buckets[0].Shares);
        Assert.Equal(new[] { 0.5, 1.0 }, buckets[1].Shares);
        Assert.Equal(new[] { 0.0, 1.0 }, buckets[2].Shares);
        Assert.Equal(1.0 / 6 * 2, m.ShareAbove(0.9), 12);                       // the unmatched latent counts as not shared
        var empty = m.SharesByFrequency(freq, [0.6, 0.7], [0.9]);
        Assert.True(double.IsNaN(empty[0].Shares[0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => m.SharesByFrequency(freq, [0.1, 0.1], [0.9]));
        Assert.Throws<ArgumentException>(() => m.SharesByFrequency([0.1], [0.0, 1.0], [0.9]));
    }

    [Fact]
    public void PairwiseMatchesEveryOrderedPair()
    {
        using var scope = NewDisposeScope();
        var (a, b) = HandCase();
        var pairs = LatentMatching.Pairwise([a, b, a]);
        Assert.Equal(6, pairs.Count);
        Assert.Equal(1.0, pairs.Single(p => p.A == 0 && p.B == 2).Match.ShareAbove(0.999));   // a with itself
        Assert.Throws<ArgumentException>(() => LatentMatching.Match(a, zeros(3, 4)));
    }
}
