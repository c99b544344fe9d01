using SaeWorkbench.Subject;
namespace SaeWorkbench.Tests.Subject;

public class NgramBaselineTests
{
    [Fact]
    public void UnigramIsAddOneSmoothedOverTargets()
    {
        // Targets of [0 1 0 1] and [1 1]: 1, 0, 1, 1 -> counts c0 = 1, c1 = 3, c2 = 0, N = 4, V = 3.
        var windows = new List<int[]> { new[] { 0, 1, 0, 1 }, new[] { 1, 1 } };
        var m = NgramBaseline.Fit(windows, 3);
        Assert.Equal(2.0 / 7, m.UnigramProbability(0), 12);
        Assert.Equal(4.0 / 7, m.UnigramProbability(1), 12);
        Assert.Equal(1.0 / 7, m.UnigramProbability(2), 12);
        var expected = -(Math.Log(4.0 / 7) + Math.Log(2.0 / 7) + Math.Log(4.0 / 7) + Math.Log(4.0 / 7)) / 4;
        Assert.Equal(expected, m.UnigramCrossEntropy(windows), 12);
    }

    [Fact]
    public void BigramInterpolatesWithTheChosenLambda()
    {
        var windows = new List<int[]> { new[] { 0, 1, 0, 1 }, new[] { 1, 1 } };
        var m = NgramBaseline.Fit(windows, 3);
        // Pairs: (0,1) x2, (1,0) x1, (1,1) x1; contexts c(0) = 2, c(1) = 2.
        var l = m.Lambda;
        Assert.Equal(l * 1.0 + (1 - l) * 4.0 / 7, m.BigramProbability(0, 1), 12);
        Assert.Equal(l * 0.5 + (1 - l) * 2.0 / 7, m.BigramProbability(1, 0), 12);
        Assert.Equal(1.0 / 7, m.BigramProbability(2, 2), 12);   // unseen context: the unigram alone
    }

    [Fact]
    public void ADeterministicChainIsLearnedByTheBigramAndNotByTheUnigram()
    {
        // t_{i+1} = (t_i + 1) mod 5: the unigram is uniform (ln 5), the bigram nearly certain.
        var windows = Enumerable.Range(0, 50).Select(s => Enumerable.Range(s, 16).Select(i => i % 5).ToArray()).ToList();
        var m = NgramBaseline.Fit(windows, 5);
        Assert.InRange(m.UnigramCrossEntropy(windows), Math.Log(5) - 0.01, Math.Log(5) + 0.01);
        Assert.True(m.Lambda >= 0.9, $"lambda {m.Lambda}");
        Assert.InRange(m.BigramCrossEntropy(windows), 0, 0.2);
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NgramBaseline.Fit(new List<int[]> { new[] { 0, 7 }, new[] { 1, 1 } }, 3));
        Assert.Contains("vocabulary", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => NgramBaseline.Fit(new List<int[]> { new[] { 0, 1 }, new[] { 1, 1 } }, 3, heldOutFraction: 1));
    }
}
