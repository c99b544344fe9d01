using SaeWorkbench.Metrics;
using SaeWorkbench.Models;
using SaeWorkbench.Saes;
using SaeWorkbench.Tests.Models;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Explanation reconstruction with known answers: a perfect simulation scores exactly as the SAE does.</summary>
public sealed class ExplanationReconstructionTests
{
    private static readonly Gpt2Config Config = new() { NLayer = 2, NHead = 2, NEmbd = 16, NPositions = 12, VocabSize = 37 };
    private static readonly HookPoint Site = HookPoint.ResidPost(0);

    [Fact]
    public void APerfectSimulationEqualsTheSaesOwnDownstreamLoss()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 11);
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 48, K = 6, Init = new SaeInit { Seed = 3 } });
        using var gen = new Generator(5);
        var windows = new List<Tensor> { randint(0, 37, new[] { 3L, 12 }, int64, generator: gen), randint(0, 37, new[] { 2L, 12 }, int64, generator: gen) };
        var all = Enumerable.Range(0, 48).Select(i => (long)i).ToArray();
        // The "simulation" is the true latents, off by a factor 2 that the least-squares scale undoes.
        Tensor Truth(Tensor tokens) => sae.Encode(model.RunToHook(tokens, Site).reshape(-1, 16)).view(tokens.size(0), tokens.size(1), 48);
        Tensor Simulate(Tensor tokens) => Truth(tokens) * 2;
        // Fitted on every evaluated token, so that each latent that fires anywhere gets its scale.
        var scale = ExplanationScale.Fit(cat(windows.Select(w => Simulate(w).reshape(-1, 48)).ToArray()), cat(windows.Select(w => Truth(w).reshape(-1, 48)).ToArray()));
        var used = scale.ToArray<float>().Where(s => s != 0).ToArray();
        Assert.NotEmpty(used);
        Assert.All(used, s => Assert.Equal(0.5, s, 5));

        var r = ExplanationReconstruction.Evaluate(model, Site, sae, Simulate, all, scale, windows);
        Assert.Equal(48, r.SimulatedLatents);
        Assert.Equal(r.Sae.CeReconstructed, r.Explanations.CeReconstructed, 4);
        Assert.Equal(r.Sae.KlMean, r.Explanations.KlMean, 4);
        Assert.Equal(r.Sae.CeZeroAblation, r.Explanations.CeZeroAblation, 9);
    }

    [Fact]
    public void AnEmptySimulationIsTheDecoderBiasAndKeepingTheRestRestoresTheSae()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 11);
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 48, K = 6, Init = new SaeInit { Seed = 3 } });
        using var gen = new Generator(6);
        var windows = new List<Tensor> { randint(0, 37, new[] { 2L, 12 }, int64, generator: gen) };
        var none = ExplanationReconstruction.Evaluate(model, Site, sae, t => zeros(t.size(0), t.size(1), 2), new long[] { 0, 1 }, ones(2), windows);
        Assert.NotEqual(none.Sae.CeReconstructed, none.Explanations.CeReconstructed, 3);
        // Keeping every unsimulated latent and simulating latents that never fire... is the SAE itself only if those
        // latents are indeed silent; take two latents that are zero on these windows.
        var z = sae.Encode(model.RunToHook(windows[0], Site).reshape(-1, 16));
        var silent = Enumerable.Range(0, 48).Where(i => z[.., i].abs().sum().ToSingle() == 0).Take(2).Select(i => (long)i).ToArray();
        Assert.Equal(2, silent.Length);
        var kept = ExplanationReconstruction.Evaluate(model, Site, sae, t => zeros(t.size(0), t.size(1), 2), silent, ones(2), windows, keepUnsimulated: true);
        Assert.Equal(kept.Sae.CeReconstructed, kept.Explanations.CeReconstructed, 5);
    }

    [Fact]
    public void AWrongSimulationShapeIsNamed()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 11);
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 16, NumLatents = 48, K = 6, Init = new SaeInit { Seed = 3 } });
        var windows = new List<Tensor> { zeros(new[] { 1L, 12 }, int64) };
        var e = Assert.Throws<ArgumentException>(() => ExplanationReconstruction.Evaluate(model, Site, sae, t => zeros(1, 12, 3), new long[] { 0, 1 }, ones(2), windows));
        Assert.Contains("simulate returned", e.Message);
        Assert.Throws<ArgumentException>(() => ExplanationReconstruction.Evaluate(model, Site, sae, t => zeros(1, 12, 2), new long[] { 0, 0 }, ones(2), windows));
    }
}
