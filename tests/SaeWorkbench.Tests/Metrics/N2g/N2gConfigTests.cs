using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests.Metrics.N2g;

/// <summary>N2G config validation, and the adapter that makes an activation function of a hook and an SAE encoder.</summary>
public sealed class N2gConfigTests
{
    [Theory]
    [InlineData("PadTokenId")]
    [InlineData("TopExamples")]
    [InlineData("MinimalSuffixFraction")]
    [InlineData("StartAnchorFraction")]
    [InlineData("SaliencyThreshold")]
    [InlineData("FiringFractionOfMax")]
    [InlineData("LatentsPerChunk")]
    [InlineData("MaxSequencesPerCall")]
    [InlineData("MaxActivationsPerCall")]
    public void A_bad_config_field_is_named_with_its_value(string field)
    {
        var ok = new N2gConfig { PadTokenId = 0 };
        var bad = field switch
        {
            "PadTokenId" => ok with { PadTokenId = -1 },
            "TopExamples" => ok with { TopExamples = -2 },
            "MinimalSuffixFraction" => ok with { MinimalSuffixFraction = 0 },
            "StartAnchorFraction" => ok with { StartAnchorFraction = 1.5 },
            "SaliencyThreshold" => ok with { SaliencyThreshold = -0.1 },
            "FiringFractionOfMax" => ok with { FiringFractionOfMax = 1 },
            "LatentsPerChunk" => ok with { LatentsPerChunk = 0 },
            "MaxSequencesPerCall" => ok with { MaxSequencesPerCall = 0 },
            _ => ok with { MaxActivationsPerCall = 0 },
        };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new N2gExplainer(new HandBuiltLatents(new Dictionary<long, Func<int[], float>>()), bad));
        Assert.Equal(field, ex.ParamName);
        Assert.Contains($"N2gConfig.{field} = ", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => (ok with { TopExamples = 0, RandomExamples = 0 }).Validate());
    }

    [Fact]
    public void The_sae_adapter_encodes_the_hook_activations_and_keeps_the_asked_latents()
    {
        using var scope = NewDisposeScope();
        var sae = new TopKSae(new TopKSaeConfig { DIn = 6, NumLatents = 10, K = 3, Init = new SaeInit { Seed = 1, GeometricMedianPreBias = false } });
        var embed = randn([20, 6], generator: new Generator(4));
        Tensor Hook(Tensor tokens_BT) => embed.index_select(0, tokens_BT.flatten()).reshape(tokens_BT.size(0), tokens_BT.size(1), 6);
        var tokens = randint(0, 20, [3, 5], generator: new Generator(8));
        var chunked = SaeLatentActivationFunction.FromSae(Hook, sae, encodeRowsPerChunk: 4).Activations(tokens, [7, 2]);
        var whole = new SaeLatentActivationFunction(Hook, sae.Encode).Activations(tokens, [7, 2]);
        Tensor expected;
        using (no_grad()) expected = sae.Encode(Hook(tokens).reshape(15, 6)).index_select(1, tensor(new long[] { 7, 2 })).reshape(3, 5, 2);
        Assert.Equal(new long[] { 3, 5, 2 }, chunked.shape);
        Assert.True(chunked.allclose(expected, 1e-6, 1e-6));
        Assert.True(whole.allclose(expected, 1e-6, 1e-6));
        Assert.True(expected.gt(0).any().ToBoolean());
    }
}
