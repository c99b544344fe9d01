using SaeWorkbench.Metrics;
using SaeWorkbench.Models;
using SaeWorkbench.Saes;
using SaeWorkbench.Tests.Models;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>
/// Attribution of SAE pre-activations to the residual stream's components (Metrics/HeadAttribution), on a random GPT-2
/// of the built-in model's shape (4 blocks, 4 heads, d_model 128, context 64, vocab 2048), checked against independent
/// computations: the SAE's own pre-activation, and one head's output rebuilt by hand from LayerNorm, W_Q, W_K, W_V and W_O.
/// </summary>
public sealed class HeadAttributionTests
{
    private static readonly Gpt2Config BuiltinShape = new() { NLayer = 4, NHead = 4, NEmbd = 128, NPositions = 64, VocabSize = 2048 };

    private static Tensor Tokens(long b, long t, ulong seed)
    {
        using var gen = new Generator(seed);
        return randint(0, BuiltinShape.VocabSize, new[] { b, t }, int64, generator: gen);
    }

    /// <summary>An SAE of <paramref name="architecture"/> on d_model inputs whose every bias is random (so the bias term matters).</summary>
    private static SparseAutoencoder RandomSae(string architecture, InputNormalization normalization, ulong seed)
    {
        var init = new SaeInit { Seed = seed };
        SparseAutoencoder sae = architecture switch
        {
            "topk" => new TopKSae(new TopKSaeConfig { DIn = 128, NumLatents = 96, K = 8, Normalization = normalization, Init = init }),
            "relu" => new ReluSae(new ReluSaeConfig { DIn = 128, NumLatents = 96, Normalization = normalization, Init = init }),
            "gated" => new GatedSae(new GatedSaeConfig { DIn = 128, NumLatents = 96, Normalization = normalization, Init = init }),
            _ => throw new ArgumentException(architecture),
        };
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var gen = new Generator(seed + 77);
        foreach (var (name, p) in sae.named_parameters())
            if (name.StartsWith("b_") || name.StartsWith("r_"))
                p.copy_(randn(p.shape, generator: gen) * 0.1);
        if (normalization == InputNormalization.UnitMeanSquaredNorm) sae.norm_scale.fill_(0.37);
        sae.eval();
        return sae;
    }

    [Theory]
    [InlineData("blocks.2.hook_resid_post", "topk", InputNormalization.PerTokenUnitNorm)]
    [InlineData("blocks.3.hook_resid_post", "topk", InputNormalization.PerTokenUnitNorm)]
    [InlineData("blocks.2.hook_resid_mid", "topk", InputNormalization.PerTokenUnitNorm)]
    [InlineData("blocks.2.hook_resid_pre", "topk", InputNormalization.PerTokenUnitNorm)]
    [InlineData("blocks.0.hook_resid_pre", "topk", InputNormalization.PerTokenUnitNorm)]
    [InlineData("blocks.2.hook_resid_post", "topk", InputNormalization.PerTokenStandardize)]
    [InlineData("blocks.2.hook_resid_post", "topk", InputNormalization.UnitMeanSquaredNorm)]
    [InlineData("blocks.2.hook_resid_post", "topk", InputNormalization.None)]
    [InlineData("blocks.2.hook_resid_post", "relu", InputNormalization.PerTokenUnitNorm)]
    [InlineData("blocks.2.hook_resid_post", "gated", InputNormalization.PerTokenUnitNorm)]
    public void The_components_add_up_to_the_residual_stream_and_their_attributions_to_the_SAEs_pre_activation(string hookName, string architecture, InputNormalization normalization)
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(BuiltinShape, 11);
        using var sae = RandomSae(architecture, normalization, 5);
        var hook = HookPoint.Parse(hookName, BuiltinShape.NLayer);
        var tokens = Tokens(3, 64, 12);
        using var dec = HeadAttribution.Decompose(model, hook, tokens);

        // The activation is the model's own (an independent pass to the hook), and the components add up to it.
        var direct = model.RunToHook(tokens, hook);
        Assert.True(dec.Activation_BTD.allclose(direct, 0, 0), "the decomposition's activation is not the model's");
        var scale = direct.abs().max().ToDouble();
        Assert.True(dec.MaxSumError() < 1e-5 * scale, $"components add up to the activation only within {dec.MaxSumError():G3} (activation scale {scale:G3})");
        Assert.Equal(HeadAttribution.ComponentsOf(BuiltinShape, hook).Count, (int)dec.Components_CBTD.size(0));

        // Attributions + bias = the pre-activation as the SAE computes it from the raw activation, to 1e-4.
        using var att = HeadAttribution.Attribute(sae, dec);
        var (xn, _) = sae.Normalize(direct.reshape(-1, 128));
        var expected = sae.PreActivations(xn).pre_BN.to(float64);
        var error = (att.Sum_ML() - expected).abs().max().ToDouble();
        var magnitude = expected.abs().max().ToDouble();
        Assert.True(error < 1e-4, $"attributions + bias differ from the SAE's pre-activation by {error:G3} (pre-activations up to {magnitude:G3})");
        Assert.True(att.MaxSumError() < 1e-4);
        Assert.True(magnitude > 0.1, $"pre-activations are all tiny ({magnitude:G3}): the check would be vacuous");

        // No single component explains everything: at least two kinds carry a sizeable share of some latent.
        var meanAbs = att.Attribution_MLC.abs().mean(new long[] { 0, 1 }).ToArray<double>();
        Assert.True(meanAbs.Count(v => v > 0.05 * meanAbs.Max()) >= 2, "one component carries every attribution");
    }

    [Fact]
    public void One_heads_output_matches_a_by_hand_computation_from_its_pattern_W_V_and_W_O()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(BuiltinShape, 21);
        var tokens = Tokens(2, 40, 22);
        const int layer = 1, head = 2;
        long d = BuiltinShape.NEmbd, dh = BuiltinShape.DHead;
        using var dec = HeadAttribution.Decompose(model, HookPoint.ResidPost(2), tokens);
        var index = dec.Components.ToList().FindIndex(c => c.Kind == ResidualComponentKind.AttentionHead && c.Layer == layer && c.Head == head);
        Assert.Equal("L1H2", dec.Components[index].Name);
        var component = dec.Components_CBTD[index];                                      // [B, T, D]

        // By hand, in float64: LayerNorm ln_1 of the residual stream entering the block, this head's q, k, v, the causal
        // softmax pattern, pattern @ v, then this head's columns of W_O (c_proj.weight [D, H * Dh]).
        var block = model.h[layer];
        var x = model.RunToHook(tokens, HookPoint.ResidPre(layer)).to(float64);
        var mu = x.mean(new long[] { -1 }, keepdim: true);
        var variance = (x - mu).square().mean(new long[] { -1 }, keepdim: true);
        var ln = (x - mu) / (variance + BuiltinShape.LayerNormEpsilon).sqrt() * block.ln_1.weight!.to(float64) + block.ln_1.bias!.to(float64);
        var w = block.attn.c_attn.weight.detach().to(float64);                            // [3D, D]: q, k, v rows
        var b = block.attn.c_attn.bias!.detach().to(float64);
        Tensor Project(long part) => ln.matmul(w.narrow(0, part * d + head * dh, dh).t()) + b.narrow(0, part * d + head * dh, dh);
        var (q, k, v) = (Project(0), Project(1), Project(2));                             // [B, T, Dh]
        var t = tokens.size(1);
        var scores = q.matmul(k.transpose(1, 2)) / Math.Sqrt(dh);
        scores = scores.masked_fill(ones(new[] { t, t }, @bool).triu(1), double.NegativeInfinity);
        var pattern = scores.softmax(-1);                                                  // [B, T, T]
        var wO = block.attn.c_proj.weight.detach().to(float64).narrow(1, head * dh, dh);   // [D, Dh]
        var byHand = pattern.matmul(v).matmul(wO.t());                                     // [B, T, D]

        var modelPattern = model.RunWithCache(tokens, [$"blocks.{layer}.attn.hook_pattern"])[$"blocks.{layer}.attn.hook_pattern"].select(1, head).to(float64);
        Assert.True(pattern.allclose(modelPattern, 1e-5, 1e-6), "the by-hand attention pattern differs from the model's");
        var err = (component - byHand).abs().max().ToDouble();
        Assert.True(err < 1e-4 * Math.Max(1, byHand.abs().max().ToDouble()), $"head L1H2's component differs from the by-hand output by {err:G3}");
        Assert.True(byHand.abs().max().ToDouble() > 1e-2, "the head's output is too small to test anything");

        // The block's heads plus its b_O add up to its attention output.
        var attnOut = model.RunToHook(tokens, HookPoint.AttnOut(layer)).to(float64);
        var ofLayer = dec.Components.Select((c, i) => (c, i)).Where(p => p.c.Layer == layer && p.c.Kind is ResidualComponentKind.AttentionHead or ResidualComponentKind.AttentionBias)
            .Select(p => dec.Components_CBTD[p.i]).ToList();
        Assert.Equal(BuiltinShape.NHead + 1, ofLayer.Count);
        Assert.True(stack(ofLayer).sum(0L).allclose(attnOut, 1e-5, 1e-4), "heads + b_O do not add up to hook_attn_out");
    }

    [Fact]
    public void The_summary_averages_each_latents_attributions_over_its_firings_across_batches()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(BuiltinShape, 31);
        using var sae = RandomSae("topk", InputNormalization.PerTokenUnitNorm, 6);
        var hook = HookPoint.ResidPost(2);
        var batches = new[] { Tokens(2, 64, 32), Tokens(1, 64, 33) };
        var summary = HeadAttribution.Summarize(model, hook, sae, batches);
        Assert.Equal(192, summary.Tokens);
        Assert.True(summary.MaxSumError < 1e-4, $"max sum error {summary.MaxSumError:G3}");

        // The same numbers from per-token attributions of both batches together.
        using var dec = HeadAttribution.Decompose(model, hook, cat(batches, 0));
        using var att = HeadAttribution.Attribute(sae, dec);
        var fires = sae.Encode(dec.Activation_BTD.reshape(-1, 128)).gt(0).to(float64);   // [M, N]
        var counts = fires.sum(0L).ToArray<double>();
        var sums = (att.Attribution_MLC * fires.unsqueeze(2)).sum(0L).ToArray<double>();  // [N, C] flattened
        var c = summary.Components.Count;
        var checkedLatents = 0;
        for (var i = 0; i < sae.NumLatents; i++)
        {
            Assert.Equal((long)counts[i], summary.Firings[i]);
            if (counts[i] == 0) { Assert.Null(summary.TopComponent(i)); continue; }
            checkedLatents++;
            for (var j = 0; j < c; j++) Assert.Equal(sums[i * c + j] / counts[i], summary.MeanOnFirings[i][j], 6);
            Assert.Equal(summary.MeanPreOnFirings[i], summary.MeanOnFirings[i].Sum() + summary.Bias[i], 4);
            Assert.Equal(summary.MeanOnFirings[i].Max(), summary.MeanOnFirings[i][summary.Components.ToList().IndexOf(summary.TopComponent(i)!)]);
        }
        Assert.True(checkedLatents >= 20, $"only {checkedLatents} latents fired");
    }

    [Fact]
    public void Components_follow_the_hook_and_non_residual_hooks_are_refused()
    {
        Assert.Equal(2, HeadAttribution.ComponentsOf(BuiltinShape, HookPoint.ResidPre(0)).Count);
        Assert.Equal(2 + 3 * (4 + 2), HeadAttribution.ComponentsOf(BuiltinShape, HookPoint.ResidPost(2)).Count);
        var mid = HeadAttribution.ComponentsOf(BuiltinShape, HookPoint.ResidMid(2));
        Assert.Equal(2 + 2 * (4 + 2) + 4 + 1, mid.Count);
        Assert.DoesNotContain(mid, c => c.Kind == ResidualComponentKind.Mlp && c.Layer == 2);
        Assert.Equal(["embed", "pos", "L0H0", "L0H1", "L0H2", "L0H3", "L0 b_O", "L0 MLP"],
            HeadAttribution.ComponentsOf(BuiltinShape, HookPoint.ResidPost(0)).Select(c => c.Name));
        var ex = Assert.Throws<ArgumentException>(() => HeadAttribution.ComponentsOf(BuiltinShape, HookPoint.AttnOut(1)));
        Assert.Contains("blocks.1.hook_attn_out", ex.Message);
        Assert.Contains("hook_resid_post", ex.Message);
        Assert.Throws<ArgumentException>(() => HeadAttribution.ComponentsOf(BuiltinShape, HookPoint.ResidPost(4)));
    }
}
