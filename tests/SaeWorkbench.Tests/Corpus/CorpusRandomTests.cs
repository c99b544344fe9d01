using SaeWorkbench.Corpus;
namespace SaeWorkbench.Tests.Corpus;

/// <summary>The corpus's own random stream against known answers: SplitMix64's published first output for seed 0, and
/// xoshiro256** values from an independent Python transcription of the reference C code (Blackman and Vigna), so a
/// corpus seed means the same documents on every .NET version.</summary>
public class CorpusRandomTests
{
    [Fact]
    public void SplitMix64MatchesTheReference()
    {
        ulong state = 0;
        Assert.Equal(0xe220a8397b1dcdafUL, CorpusRandom.SplitMix64(ref state));
        Assert.Equal(0x6e789e6aa1b965f4UL, CorpusRandom.SplitMix64(ref state));
        Assert.Equal(0x06c45d188009454fUL, CorpusRandom.SplitMix64(ref state));
    }

    [Fact]
    public void Xoshiro256StarStarMatchesTheReference()
    {
        var r0 = new CorpusRandom(0);
        Assert.Equal(new[] { 0x99ec5f36cb75f2b4UL, 0xbf6e1f784956452aUL, 0x1a5f849d4933e6e0UL, 0x6aa594f1262d2d2cUL }, Enumerable.Range(0, 4).Select(_ => r0.NextUInt64()));
        var r1 = new CorpusRandom(12345);
        Assert.Equal(new[] { 0xbe6a36374160d49bUL, 0x214aaa0637a688c6UL, 0xf69d16de9954d388UL, 0x0c60048c4e96e033UL }, Enumerable.Range(0, 4).Select(_ => r1.NextUInt64()));
        var doc = CorpusRandom.ForDocument(7, 3);
        Assert.Equal(new[] { 0x6b0f28f4c7013361UL, 0x53d1228320ca3b30UL, 0x96ecc461db956bbfUL }, Enumerable.Range(0, 3).Select(_ => doc.NextUInt64()));
        // Lemire's bounded integers from the same reference stream.
        var r2 = new CorpusRandom(12345);
        Assert.Equal(new[] { 7, 1, 9, 0, 5, 0, 1, 2, 3, 9, 7, 5 }, Enumerable.Range(0, 12).Select(_ => r2.Next(10)));
    }

    [Fact]
    public void BoundedDrawsAreUniformAndWeightedDrawsFollowTheirWeights()
    {
        var r = new CorpusRandom(99);
        var counts = new int[7];
        const int n = 70_000;
        for (var i = 0; i < n; i++) counts[r.Next(7)]++;
        var chi2 = counts.Sum(c => (c - n / 7.0) * (c - n / 7.0) / (n / 7.0));
        Assert.True(chi2 < 22.46, $"chi-square {chi2:F2} over 6 degrees of freedom exceeds the 0.1% critical value 22.46");
        var w = new int[3];
        for (var i = 0; i < 30_000; i++) w[r.PickWeighted(new[] { 1.0, 0.0, 2.0 })]++;
        Assert.Equal(0, w[1]);
        Assert.InRange(w[2] / (double)w[0], 1.9, 2.1);
        for (var i = 0; i < 1000; i++)
        {
            var d = r.NextDouble();
            Assert.InRange(d, 0.0, 0.9999999999999999);
            Assert.InRange(r.Between(-3, 4), -3, 4);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Next(0));
        Assert.NotEqual(CorpusRandom.ForDocument(7, 3).NextUInt64(), CorpusRandom.ForDocument(7, 4).NextUInt64());
        Assert.NotEqual(CorpusRandom.ForDocument(7, 3).NextUInt64(), CorpusRandom.ForDocument(8, 3).NextUInt64());
    }
}
