using SaeWorkbench.Metrics;
using SaeWorkbench.Models;
using SaeWorkbench.Saes;
using SaeWorkbench.Tests.Models;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>The (L1/L2)^2 effective count with the known answers, and a whole evaluation on a small model.</summary>
public sealed class AblationSparsityTests
{
    [Fact]
    public void OneLogitAtOnePositionCountsOne()
    {
        using var scope = NewDisposeScope();
        var diff = zeros(4, 10);
        diff[2, 7] = full(Array.Empty<long>(), 2.5f);
        Assert.Equal(1.0, AblationSparsity.EffectiveCount(diff), 9);
    }

    [Fact]
    public void AConstantShiftCountsTheSameAsNoChange()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0.0, AblationSparsity.EffectiveCount(zeros(4, 10)), 12);
        Assert.Equal(0.0, AblationSparsity.EffectiveCount(full(new long[] { 4, 10 }, 3.0f)), 9);
        // A shift of one position's logits on top of a one-logit change: still one.
        var diff = zeros(4, 10);
        diff[1] = full(new long[] { 10 }, -1.5f);
        diff[3, 0] = full(Array.Empty<long>(), 0.7f);
        Assert.Equal(1.0, AblationSparsity.EffectiveCount(diff), 6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void AUniformChangeOverMLogitsCountsM(int m)
    {
        using var scope = NewDisposeScope();
        var diff = zeros(2, 10);
        diff[0, ..m] = full(new long[] { m }, 0.8f);
        Assert.Equal(m, AblationSparsity.EffectiveCount(diff), 6);
        // The same change at both positions: 2m.
        diff[1, ..m] = full(new long[] { m }, -0.8f);
        Assert.Equal(2 * m, AblationSparsity.EffectiveCount(diff), 6);
    }

    [Fact]
    public void TheBatchedCountsEqualTheSingleOnes()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(9);
        var d = randn(new long[] { 5, 3, 11 }, generator: gen);
        d[2] = zeros(3, 11);
        var batched = AblationSparsity.EffectiveCounts(d).ToArray<double>();
        for (var i = 0; i < 5; i++) Assert.Equal(AblationSparsity.EffectiveCount(d[i]), batched[i], 9);
        Assert.Equal(0.0, batched[2]);
    }

    [Fact]
    public void EveryActiveLatentOfEverySiteIsAblated()
    {
        using var scope = NewDisposeScope();
        var config = new Gpt2Config { NLayer = 2, NHead = 2, NEmbd = 16, NPositions = 12, VocabSize = 37 };
        using var model = HookTests.Model(config, 3);
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 64, K = 4, Init = new SaeInit { Seed = 1 } });
        using var gen = new Generator(2);
        var windows = new List<Tensor> { randint(0, 37, new[] { 2L, 12 }, int64, generator: gen) };
        var r = AblationSparsity.Evaluate(model, HookPoint.ResidPost(0), sae, windows, new AblationSparsityConfig { Positions = 4, Sites = 5, Seed = 7 });
        Assert.Equal(5, r.ActivePerSite.Length);
        Assert.All(r.ActivePerSite, l => Assert.Equal(4, l));
        Assert.Equal(20, r.EffectiveCounts.Length);
        Assert.All(r.EffectiveCounts, c => Assert.InRange(c, 1.0, 37 * 4));
        Assert.Equal(r.MeanEffectiveCount / (37 * 4), r.MeanFractionOfVT, 12);
        // Same seed, same sites, same numbers.
        var again = AblationSparsity.Evaluate(model, HookPoint.ResidPost(0), sae, windows, new AblationSparsityConfig { Positions = 4, Sites = 5, Seed = 7 });
        Assert.Equal(r.EffectiveCounts, again.EffectiveCounts);
    }
}
