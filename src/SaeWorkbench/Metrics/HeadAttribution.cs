using SaeWorkbench.Engine;
using SaeWorkbench.Models;
using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Metrics;

/// <summary>What writes one term of the residual stream (<see cref="ResidualComponent"/>).</summary>
public enum ResidualComponentKind
{
    /// <summary>The token embedding wte[token] (<c>hook_embed</c>).</summary>
    TokenEmbedding,

    /// <summary>The position embedding wpe[position] (<c>hook_pos_embed</c>).</summary>
    PositionEmbedding,

    /// <summary>One attention head's output: its z (<c>blocks.{l}.attn.hook_z</c>, head h) times its slice of the output
    /// projection, z_h W_O,h^T. The value bias b_V is inside it (attention weights sum to 1).</summary>
    AttentionHead,

    /// <summary>The attention output projection's bias b_O of one block (c_proj.bias): the same vector at every token,
    /// owned by no head.</summary>
    AttentionBias,

    /// <summary>One block's MLP output, its output bias included (<c>blocks.{l}.hook_mlp_out</c>).</summary>
    Mlp,
}

/// <summary>One term of the residual stream: its kind, block (-1 for the embeddings) and head (-1 unless a head).</summary>
public sealed record ResidualComponent(ResidualComponentKind Kind, int Layer, int Head)
{
    /// <summary>Short name: "embed", "pos", "L1H3" (block 1, head 3), "L1 b_O", "L1 MLP".</summary>
    public string Name => Kind switch
    {
        ResidualComponentKind.TokenEmbedding => "embed",
        ResidualComponentKind.PositionEmbedding => "pos",
        ResidualComponentKind.AttentionHead => $"L{Layer}H{Head}",
        ResidualComponentKind.AttentionBias => $"L{Layer} b_O",
        _ => $"L{Layer} MLP",
    };

    /// <summary>The coarse family: "embedding" (token and position), "attention head", "attention bias" or "MLP".</summary>
    public string Family => Kind switch
    {
        ResidualComponentKind.TokenEmbedding or ResidualComponentKind.PositionEmbedding => "embedding",
        ResidualComponentKind.AttentionHead => "attention head",
        ResidualComponentKind.AttentionBias => "attention bias",
        _ => "MLP",
    };

    public override string ToString() => Name;
}

/// <summary>
/// The residual stream at a hook, written as the sum of what every component added to it
/// (<see cref="HeadAttribution.Decompose"/>). Owns its tensors.
/// </summary>
public sealed class ResidualDecomposition : IDisposable
{
    internal ResidualDecomposition(HookPoint hook, IReadOnlyList<ResidualComponent> components, Tensor components_CBTD, Tensor activation_BTD)
    {
        Hook = hook;
        Components = components;
        Components_CBTD = components_CBTD;
        Activation_BTD = activation_BTD;
    }

    /// <summary>The residual-stream hook decomposed.</summary>
    public HookPoint Hook { get; }

    /// <summary>The C components, in the order of <see cref="Components_CBTD"/>'s first axis.</summary>
    public IReadOnlyList<ResidualComponent> Components { get; }

    /// <summary>Each component's output, float64 [C, B, T, D]; their sum is <see cref="Activation_BTD"/> up to float32 rounding.</summary>
    public Tensor Components_CBTD { get; }

    /// <summary>The activation at the hook as the model computed it (the model's dtype), [B, T, D].</summary>
    public Tensor Activation_BTD { get; }

    /// <summary>max |sum of the components - the activation|: how exactly the components add up (float32 rounding, about 1e-6 of the activation's scale).</summary>
    public double MaxSumError()
    {
        using var scope = NewDisposeScope();
        return (Components_CBTD.sum(0L) - Activation_BTD.to(float64)).abs().max().ToDouble();
    }

    public void Dispose()
    {
        Components_CBTD.Dispose();
        Activation_BTD.Dispose();
    }
}

/// <summary>
/// Latents' pre-activations split over the residual-stream components, on every token of one decomposition
/// (<see cref="HeadAttribution.Attribute"/>); M = B * T tokens (row-major over [B, T]), L latents, C components. Owns its tensors.
/// </summary>
public sealed class ResidualAttribution : IDisposable
{
    internal ResidualAttribution(IReadOnlyList<ResidualComponent> components, long[] latents, Tensor attribution_MLC, Tensor bias_L, Tensor preActivation_ML)
    {
        Components = components;
        Latents = latents;
        Attribution_MLC = attribution_MLC;
        Bias_L = bias_L;
        PreActivation_ML = preActivation_ML;
    }

    public IReadOnlyList<ResidualComponent> Components { get; }

    /// <summary>The latents attributed (L).</summary>
    public long[] Latents { get; }

    /// <summary>Component c's part of latent l's pre-activation on token m: W_enc[l] . (a_m P(c_m)), float64 [M, L, C]
    /// (see <see cref="HeadAttribution"/> for a_m and P).</summary>
    public Tensor Attribution_MLC { get; }

    /// <summary>The part no component owns: the pre-activation of the normalised input 0, i.e. b_enc - W_enc b_dec when the
    /// SAE subtracts b_dec from its input (Gated: b_gate - W_gate b_dec), float64 [L].</summary>
    public Tensor Bias_L { get; }

    /// <summary>The pre-activation as the SAE itself computes it from the hook's activation
    /// (<see cref="SparseAutoencoder.PreActivations"/> of <see cref="SparseAutoencoder.Normalize"/>), float64 [M, L]: the
    /// independent value the attributions must add up to.</summary>
    public Tensor PreActivation_ML { get; }

    /// <summary>sum over components of <see cref="Attribution_MLC"/> + <see cref="Bias_L"/>: [M, L] float64.</summary>
    public Tensor Sum_ML() => Attribution_MLC.sum(2) + Bias_L;

    /// <summary>max |<see cref="Sum_ML"/> - <see cref="PreActivation_ML"/>| over tokens and latents.</summary>
    public double MaxSumError()
    {
        using var scope = NewDisposeScope();
        return (Sum_ML() - PreActivation_ML).abs().max().ToDouble();
    }

    public void Dispose()
    {
        Attribution_MLC.Dispose();
        Bias_L.Dispose();
        PreActivation_ML.Dispose();
    }
}

/// <summary>
/// Every latent's attribution averaged over the tokens where it fires (<see cref="HeadAttribution.Summarize"/>).
/// </summary>
/// <param name="Components">The C components.</param>
/// <param name="MeanOnFirings">[N][C]: for latent i, the mean over the tokens where it fires (activation &gt; 0) of each
/// component's part of its pre-activation (0 for a latent that never fired).</param>
/// <param name="Bias">[N]: each latent's bias term (<see cref="ResidualAttribution.Bias_L"/>).</param>
/// <param name="Firings">[N]: tokens where each latent fired.</param>
/// <param name="MeanPreOnFirings">[N]: the SAE's own pre-activation, averaged over the same tokens (= sum over c of
/// <paramref name="MeanOnFirings"/> + <paramref name="Bias"/>, up to rounding; NaN for a latent that never fired).</param>
/// <param name="Tokens">Tokens read.</param>
/// <param name="MaxSumError">The largest |sum of the attributions + bias - the SAE's pre-activation| over every token and latent.</param>
public sealed record ResidualAttributionSummary(
    IReadOnlyList<ResidualComponent> Components, double[][] MeanOnFirings, double[] Bias, long[] Firings, double[] MeanPreOnFirings,
    long Tokens, double MaxSumError)
{
    /// <summary>The component with the largest mean attribution on latent <paramref name="latent"/>'s firings (what drives it
    /// up most), or null for a latent that never fired.</summary>
    public ResidualComponent? TopComponent(long latent) =>
        Firings[latent] == 0 ? null : Components[Array.IndexOf(MeanOnFirings[latent], MeanOnFirings[latent].Max())];
}

/// <summary>
/// Attribution of an SAE's latent pre-activations to the components that write into the residual stream (direct
/// attribution; not from the papers, a linear identity like the per-head attribution of an SAE on hook_z in
/// <see cref="Geometry.HeadAttribution"/>). For an SAE at a residual-stream hook of GPT-2 (after block L:
/// <c>blocks.L.hook_resid_post</c>; also <c>hook_resid_pre</c> and <c>hook_resid_mid</c>), the residual stream is exactly
/// <code>
/// x = wte[tok] + wpe[pos] + sum_{l} ( sum_h z_{l,h} W_O,l,h^T + b_O,l ) + sum_{l} mlp_out_l
/// </code>
/// over the blocks before the hook (resid_mid of block L: its attention too, not its MLP), where z_{l,h} is head h's
/// output before the output projection (<c>blocks.l.attn.hook_z</c>) and W_O,l,h the columns of c_proj that read it.
/// <para>
/// Normalisation. The SAE normalises each token before encoding (Gao et al. 2024, §2.1: subtract the mean over d_model,
/// then scale to unit norm). Per token that is linear: x_n = a_t P(x) with P the centring (x - mean(x); the identity for
/// the non-per-token modes) and a_t the token's scale. The scale is read from the whole token, never per component:
/// a_t = (x_n . P(x)) / (P(x) . P(x)) with x_n = <see cref="SparseAutoencoder.Normalize"/> of the hook's activation x (so
/// 1 / ||x - mean(x)|| for <see cref="InputNormalization.PerTokenUnitNorm"/>, 1 / (std + 1e-5) for
/// <see cref="InputNormalization.PerTokenStandardize"/>, the fitted scalar for <see cref="InputNormalization.UnitMeanSquaredNorm"/>,
/// 1 for none). Every component c is mapped to a_t P(c), and these add up to x_n exactly. A component's share therefore
/// depends on the others only through the token's shared scale a_t (the scale is held fixed, as direct logit attribution
/// holds a LayerNorm's scale fixed).
/// </para>
/// <para>
/// Attribution. The encoder is affine before its nonlinearity: pre_i = W_enc[i] . (x_n - b_dec) + b_enc[i] (TopK, ReLU,
/// JumpReLU; Gated: the gate path pi_gate with W_gate, b_gate). So pre_i = sum_c W_enc[i] . (a_t P(c)) + bias_i with
/// bias_i = the pre-activation of x_n = 0 (b_enc[i] - W_enc[i] . b_dec). The identity holds for the pre-activation; the
/// activation (TopK's selection, ReLU, a threshold) is not additive. Products are computed in float64.
/// </para>
/// <para>
/// Per-head outputs need no change to <see cref="Gpt2"/>: the pass caches <c>hook_z</c> and the head's output is z_h
/// times its slice of <c>h[l].attn.c_proj.weight</c>.
/// </para>
/// </summary>
public static class HeadAttribution
{
    /// <summary>The components that write into the residual stream at <paramref name="hook"/> of a model with
    /// <paramref name="config"/>: token and position embeddings, then per block every head, the attention bias and the MLP.</summary>
    public static IReadOnlyList<ResidualComponent> ComponentsOf(Gpt2Config config, HookPoint hook)
    {
        ArgumentNullException.ThrowIfNull(config);
        hook.CheckFor(config.NLayer);
        var (fullBlocks, attentionOfLast) = hook.Site switch
        {
            HookSite.ResidPre => (hook.Layer, false),
            HookSite.ResidMid => (hook.Layer, true),
            HookSite.ResidPost => (hook.Layer + 1, false),
            _ => throw new ArgumentException($"hook '{hook.Name}' is not a residual-stream hook: per-component attribution needs " +
                $"blocks.{{l}}.hook_resid_pre, hook_resid_mid or hook_resid_post (the residual stream is the sum of the components there)", nameof(hook)),
        };
        var list = new List<ResidualComponent>
        {
            new(ResidualComponentKind.TokenEmbedding, -1, -1),
            new(ResidualComponentKind.PositionEmbedding, -1, -1),
        };
        for (var l = 0; l < fullBlocks + (attentionOfLast ? 1 : 0); l++)
        {
            for (var h = 0; h < config.NHead; h++) list.Add(new(ResidualComponentKind.AttentionHead, l, h));
            list.Add(new(ResidualComponentKind.AttentionBias, l, -1));
            if (l < fullBlocks) list.Add(new(ResidualComponentKind.Mlp, l, -1));
        }
        return list;
    }

    /// <summary>
    /// Runs <paramref name="model"/> on int64 tokens [B, T] (without autograd, stopping at <paramref name="hook"/>) and
    /// returns every component's output at the hook, float64 [C, B, T, D], beside the activation there.
    /// </summary>
    public static ResidualDecomposition Decompose(Gpt2 model, HookPoint hook, Tensor tokens_BT)
    {
        ArgumentNullException.ThrowIfNull(model);
        var components = ComponentsOf(model.Config, hook);
        var cfg = model.Config;
        long nh = cfg.NHead, dh = cfg.DHead, d = cfg.NEmbd;
        var layers = components.Where(c => c.Layer >= 0).Select(c => c.Layer).Distinct().ToList();
        var names = new List<string> { HookPoint.SiteSuffix(HookSite.Embed), HookPoint.SiteSuffix(HookSite.PosEmbed), hook.Name };
        foreach (var l in layers)
        {
            names.Add(HookPoint.AttnZ(l).Name);
            if (components.Any(c => c.Kind == ResidualComponentKind.Mlp && c.Layer == l)) names.Add(HookPoint.MlpOut(l).Name);
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cache = model.RunWithCache(tokens_BT, names);                                 // its tensors belong to this scope
        var parts = new List<Tensor>(components.Count);
        Tensor? headsOfLayer = null;
        var headsLayer = -1;
        foreach (var c in components)
        {
            switch (c.Kind)
            {
                case ResidualComponentKind.TokenEmbedding:
                    parts.Add(cache[HookPoint.SiteSuffix(HookSite.Embed)].to(float64));
                    break;
                case ResidualComponentKind.PositionEmbedding:
                    parts.Add(cache[HookPoint.SiteSuffix(HookSite.PosEmbed)].to(float64));
                    break;
                case ResidualComponentKind.AttentionHead:
                    if (headsLayer != c.Layer)
                    {
                        // z [B, T, H, Dh]; c_proj.weight [D, H * Dh] seen as W_O [D, H, Dh]: head h's output z_h W_O[:, h, :]^T.
                        var z = cache[HookPoint.AttnZ(c.Layer)].to(float64);
                        var wO = model.h[c.Layer].attn.c_proj.weight.detach().to(float64).view(d, nh, dh);
                        headsOfLayer = einsum("bthe,dhe->hbtd", z, wO);               // [H, B, T, D]
                        headsLayer = c.Layer;
                    }
                    parts.Add(headsOfLayer![c.Head]);
                    break;
                case ResidualComponentKind.AttentionBias:
                    var bO = model.h[c.Layer].attn.c_proj.bias!.detach().to(float64);
                    parts.Add(bO.expand(tokens_BT.size(0), tokens_BT.size(1), d));
                    break;
                default:
                    parts.Add(cache[HookPoint.MlpOut(c.Layer)].to(float64));
                    break;
            }
        }
        var stacked = stack(parts).contiguous();                                      // [C, B, T, D]
        var activation = cache[hook.Name].detach().clone();
        return new ResidualDecomposition(hook, components, stacked.MoveToOuterDisposeScope(), activation.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The per-token scale a_t and the components mapped into the SAE's normalised input space, a_t P(c): float64
    /// [C, M, D] (M = B * T), beside the normalised input x_n itself ([M, D], the SAE's dtype) for the SAE's own pass.
    /// </summary>
    public static (Tensor normalized_CMD, Tensor xn_MD) NormalizedComponents(SparseAutoencoder sae, ResidualDecomposition decomposition)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(decomposition);
        var act = decomposition.Activation_BTD;
        var d = act.size(-1);
        if (d != sae.DIn)
            throw new ArgumentException($"the SAE reads d_in = {sae.DIn}, the residual stream at {decomposition.Hook.Name} has width {d}", nameof(sae));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = act.reshape(-1, d);
        var (xn, _) = sae.Normalize(x.to(sae.Config.DType, sae.W_enc_ND.device));
        var centre = sae.Config.Normalization is InputNormalization.PerTokenUnitNorm or InputNormalization.PerTokenStandardize;
        Tensor P(Tensor v) => centre ? v - v.mean(new long[] { -1 }, keepdim: true) : v;
        var px = P(x.to(float64)).to(xn.device);
        var a = (xn.to(float64) * px).sum(-1, keepdim: true) / px.square().sum(-1, keepdim: true).clamp_min(1e-300);   // [M, 1]
        var comps = P(decomposition.Components_CBTD.reshape(decomposition.Components.Count, -1, d)).to(xn.device) * a.unsqueeze(0);
        return (comps.MoveToOuterDisposeScope(), xn.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Splits the pre-activations of <paramref name="latents"/> (null: all) of <paramref name="sae"/> over the components of
    /// <paramref name="decomposition"/> on every one of its tokens, and computes the SAE's own pre-activations beside them.
    /// Memory: M x L x C float64 values (tokens x latents x components).
    /// </summary>
    public static ResidualAttribution Attribute(SparseAutoencoder sae, ResidualDecomposition decomposition, IReadOnlyList<long>? latents = null)
    {
        ArgumentNullException.ThrowIfNull(sae);
        var ids = (latents ?? Enumerable.Range(0, (int)sae.NumLatents).Select(i => (long)i).ToList()).ToArray();
        foreach (var l in ids)
            ConfigCheck.Require(l >= 0 && l < sae.NumLatents, nameof(HeadAttribution), nameof(latents), l, $"in [0, {sae.NumLatents})");
        var wasTraining = sae.training;
        sae.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (comps, xn) = NormalizedComponents(sae, decomposition);
            var idx = tensor(ids).to(xn.device);
            var w = sae.W_enc_ND.detach().index_select(0, idx).to(float64);           // [L, D]
            var attribution = einsum("cmd,ld->mlc", comps, w).contiguous();            // [M, L, C]
            var bias = Bias(sae).index_select(0, idx);
            var pre = sae.PreActivations(xn).pre_BN.index_select(1, idx).to(float64);
            return new ResidualAttribution(decomposition.Components, ids, attribution.MoveToOuterDisposeScope(), bias.MoveToOuterDisposeScope(),
                pre.MoveToOuterDisposeScope());
        }
        finally { if (wasTraining) sae.train(); }
    }

    /// <summary>
    /// For every latent, each component's attribution averaged over the tokens where the latent fires (its activation from
    /// <see cref="SparseAutoencoder.Encode(Tensor)"/> &gt; 0), over all of <paramref name="batches"/> (int64 token
    /// batches [b, T]); also checks on every token and latent that the attributions add up to the SAE's pre-activation.
    /// Memory per batch: C x b T x D for the components and b T x N for one component's attributions.
    /// </summary>
    public static ResidualAttributionSummary Summarize(Gpt2 model, HookPoint hook, SparseAutoencoder sae, IEnumerable<Tensor> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(batches);
        var components = ComponentsOf(model.Config, hook);
        int n = (int)sae.NumLatents, c = components.Count;
        var sums = new double[c][];
        var preSum = new double[n];
        var firings = new long[n];
        long tokens = 0;
        var maxError = 0.0;
        double[] bias;
        var wasTraining = sae.training;
        sae.eval();
        try
        {
            using (NewDisposeScope()) bias = Bias(sae).cpu().ToArray<double>();
            foreach (var batch in batches)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                using var dec = Decompose(model, hook, batch);
                var (comps, xn) = NormalizedComponents(sae, dec);
                var fires = sae.Encode(dec.Activation_BTD.reshape(-1, sae.DIn).to(sae.Config.DType, sae.W_enc_ND.device)).gt(0).to(float64);   // [M, N]
                var wT = sae.W_enc_ND.detach().to(float64).t();                                  // [D, N]
                var total = zeros_like(fires);
                for (var j = 0; j < c; j++)
                {
                    using var inner = NewDisposeScope();
                    var a = comps[j].mm(wT);                                                       // [M, N]
                    total.add_(a);
                    var s = (a * fires).sum(0L).cpu().ToArray<double>();
                    sums[j] ??= new double[n];
                    for (var i = 0; i < n; i++) sums[j][i] += s[i];
                }
                var pre = sae.PreActivations(xn).pre_BN.to(float64);
                maxError = Math.Max(maxError, (total + tensor(bias).to(total.device) - pre).abs().max().ToDouble());
                var ps = (pre * fires).sum(0L).cpu().ToArray<double>();
                var fc = fires.sum(0L).cpu().ToArray<double>();
                for (var i = 0; i < n; i++) { preSum[i] += ps[i]; firings[i] += (long)fc[i]; }
                tokens += fires.size(0);
            }
        }
        finally { if (wasTraining) sae.train(); }
        if (tokens == 0) throw new ArgumentException("no token batches were given", nameof(batches));
        var mean = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, c).Select(j => firings[i] == 0 ? 0 : sums[j][i] / firings[i]).ToArray()).ToArray();
        var meanPre = Enumerable.Range(0, n).Select(i => firings[i] == 0 ? double.NaN : preSum[i] / firings[i]).ToArray();
        return new ResidualAttributionSummary(components, mean, bias, firings, meanPre, tokens, maxError);
    }

    /// <summary>Each latent's pre-activation of the normalised input 0: the part of the pre-activation no component owns, float64 [N].</summary>
    private static Tensor Bias(SparseAutoencoder sae)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var origin = zeros(new[] { 1L, sae.DIn }, sae.Config.DType, sae.W_enc_ND.device);
        return sae.PreActivations(origin).pre_BN.reshape(-1).to(float64).MoveToOuterDisposeScope();
    }
}
