using SaeWorkbench.Metrics;
using SaeWorkbench.Models;
using SaeWorkbench.Tests.Models;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Downstream loss with known answers: the identity splice, the ablations themselves, and KL by hand.</summary>
public sealed class DownstreamLossTests
{
    private static readonly Gpt2Config Config = new() { NLayer = 2, NHead = 2, NEmbd = 16, NPositions = 12, VocabSize = 37 };
    private static readonly HookPoint Site = HookPoint.ResidPost(0);

    private static List<Tensor> Windows(int batches, ulong seed)
    {
        using var gen = new Generator(seed);
        return Enumerable.Range(0, batches).Select(_ => randint(0, Config.VocabSize, new[] { 3L, 10 }, int64, generator: gen)).ToList();
    }

    [Fact]
    public void KlPerTokenMatchesAHandComputation()
    {
        using var scope = NewDisposeScope();
        // p uniform over two tokens; q = (3/4, 1/4): KL = 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25) = 0.5 ln(4/3).
        var p = zeros(1, 1, 2);
        var q = tensor(new[] { (float)Math.Log(3), 0f }, new long[] { 1, 1, 2 });
        Assert.Equal(0.5 * Math.Log(4.0 / 3), DownstreamLoss.KlPerToken(p, q).ToSingle(), 5);
        Assert.Equal(0.0, DownstreamLoss.KlPerToken(q, q).ToSingle(), 6);
    }

    [Fact]
    public void TheIdentitySpliceRecoversEverythingAndAnAblationSpliceNothing()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 3);
        var windows = Windows(2, 4);

        var identity = DownstreamLoss.Evaluate(model, Site, (x, _) => x.clone(), windows, keepPerToken: true);
        Assert.Equal(2 * 3 * 9, identity.Tokens);
        Assert.Equal(0.0, identity.DeltaLoss, 5);
        Assert.Equal(0.0, identity.KlMean, 5);
        Assert.Equal(1.0, identity.LossRecoveredZero, 4);
        Assert.Equal(1.0, identity.LossRecoveredMean, 4);
        Assert.Equal(2 * 3 * 10, identity.KlPerToken!.Length);
        // (A random model predicts badly, so ablating may even help it; what matters is that the splice acts.)
        Assert.True(Math.Abs(identity.CeZeroAblation - identity.CeOriginal) > 0.05, $"zero ablation should change the loss: {identity.CeZeroAblation} vs {identity.CeOriginal}");

        var zero = DownstreamLoss.Evaluate(model, Site, (x, _) => zeros_like(x), windows);
        Assert.Equal(zero.CeZeroAblation, zero.CeReconstructed, 6);
        Assert.Equal(0.0, zero.LossRecoveredZero, 4);
        Assert.True(zero.KlMean > 0.01, $"KL {zero.KlMean}");
        Assert.Equal(identity.CeOriginal, zero.CeOriginal, 9);

        // The replacement sees the tokens of its batch (explanation reconstruction needs them).
        var seen = new List<long>();
        DownstreamLoss.Evaluate(model, Site, (x, tokens) =>
        {
            seen.Add(tokens.size(0));
            return x.clone();
        }, windows);
        Assert.Equal(new long[] { 3, 3 }, seen);
    }

    [Fact]
    public void AMeanSpliceScoresZeroAgainstMeanAblation()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 5);
        var windows = Windows(1, 6);
        var mean_D = model.RunToHook(windows[0], Site).reshape(-1, Config.NEmbd).mean(new long[] { 0 });
        var r = DownstreamLoss.Evaluate(model, Site, (x, _) => mean_D.expand_as(x).clone(), windows);
        Assert.Equal(0.0, r.LossRecoveredMean, 3);
    }

    [Fact]
    public void ASharedBaselineGivesTheSameNumbersAndMustMatchTheWindows()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 7);
        var windows = Windows(2, 8);
        Tensor Halve(Tensor x, Tensor _) => x * 0.5;
        var alone = DownstreamLoss.Evaluate(model, Site, Halve, windows);
        using var baseline = DownstreamLoss.Baseline(model, Site, windows);
        var shared = DownstreamLoss.Evaluate(model, Site, Halve, windows, baseline: baseline);
        Assert.Equal(alone with { KlPerToken = null }, shared with { KlPerToken = null });
        Assert.Throws<ArgumentException>(() => DownstreamLoss.Evaluate(model, Site, Halve, Windows(2, 8), baseline: baseline));
        Assert.Throws<ArgumentException>(() => DownstreamLoss.Evaluate(model, HookPoint.ResidPost(1), Halve, windows, baseline: baseline));
    }

    [Fact]
    public void AnUnknownHookIsRefusedByName()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 3);
        var e = Assert.ThrowsAny<ArgumentException>(() => DownstreamLoss.Evaluate(model, HookPoint.ResidPost(9), (x, _) => x, Windows(1, 1)));
        Assert.Contains("blocks.9", e.Message);
    }
}
