using TorchSharp;
using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>Configuration of the TopK SAE, with AuxK and Multi-TopK (Gao et al. 2024, §2.3, Appendix A.2, §5.3).</summary>
public record TopKSaeConfig : SaeConfig
{
    /// <summary>k, the active latents per token, in [1, NumLatents].</summary>
    public long K { get; init; } = 32;

    /// <summary>k_aux, the dead latents AuxK may use per token, in [0, NumLatents]; 0 disables AuxK. Null: the power
    /// of two nearest d/2 (512 for d = 768, the paper's choice; the released code uses 256), capped at NumLatents.</summary>
    public long? AuxK { get; init; }

    /// <summary>alpha, the AuxK loss coefficient (paper: 1/32), >= 0.</summary>
    public double AuxKCoefficient { get; init; } = 1.0 / 32;

    /// <summary>Multi-TopK: train L(k) + L(4k)/8 so that the code stays progressive for every k' at test time. Needs 4k &lt;= NumLatents.</summary>
    public bool MultiTopK { get; init; }

    /// <summary>Use the sparse kernels (<see cref="SparseCompute"/>): decode and the encoder backward touch only the chosen
    /// latents. False: plain dense autograd (a reference, and what the sparse path is tested against).</summary>
    public bool SparseCompute { get; init; } = true;

    /// <summary>The k_aux in force (resolving the null default).</summary>
    public long EffectiveAuxK => AuxK ?? Math.Min(NumLatents, 1L << (int)Math.Round(Math.Log2(Math.Max(1.0, DIn / 2.0))));

    public override string Architecture => "topk";

    public override void Validate()
    {
        base.Validate();
        var owner = GetType().Name;
        ConfigCheck.Require(K >= 1 && K <= NumLatents, owner, nameof(K), K, $"in [1, NumLatents = {NumLatents}]");
        if (AuxK is { } a) ConfigCheck.Require(a >= 0 && a <= NumLatents, owner, nameof(AuxK), a, $"in [0, NumLatents = {NumLatents}] (0 disables AuxK)");
        ConfigCheck.NonNegative(AuxKCoefficient, owner, nameof(AuxKCoefficient));
        if (MultiTopK) ConfigCheck.Require(4 * K <= NumLatents, owner, nameof(K), K, $"<= NumLatents / 4 = {NumLatents / 4} with MultiTopK (it decodes the top 4k)");
    }
}

/// <summary>
/// The TopK SAE (Gao et al. 2024, §2.3): z = ReLU(TopK_k(W_enc (x - b_pre) + b_enc)),
/// x_hat = W_dec z + b_pre, L = normalized MSE. Gradients flow only through the k kept entries.
/// <list type="bullet">
/// <item>AuxK (§A.2): the residual e = x - x_hat (x_hat detached) is reconstructed from the top-k_aux
///   pre-activations of the dead latents only (<see cref="ForwardOptions.DeadMask_N"/>); + alpha L_aux.</item>
/// <item>Multi-TopK (§5.3): + L(4k)/8, decoding the top 4k latents.</item>
/// <item>Sparse compute: with <see cref="TopKSaeConfig.SparseCompute"/> one dense encoder GEMM (no grad) picks the
///   entries, then <see cref="SparseCompute"/> gathers them, decodes them and forms every gradient from them alone.</item>
/// </list>
/// Loss terms: "nmse", "multi_topk" (with Multi-TopK), "aux_k" (when AuxK is on).
/// </summary>
public class TopKSae : SparseAutoencoder
{
    public TopKSae(TopKSaeConfig config) : base(config)
    {
        b_enc_N = this.Parameter("b_enc_N", zeros(new[] { config.NumLatents }, config.DType, config.Device));
    }

    public new TopKSaeConfig Config => (TopKSaeConfig)base.Config;

    /// <summary>Encoder bias (the released code's latent_bias): [N].</summary>
    public Tensor b_enc_N { get; }

    public override string SparsityDescription => FormattableString.Invariant($"k={Config.K}");

    public override (Tensor pre_BN, Tensor? magnitude_BN) PreActivations(Tensor xn_BD) =>
        (b_enc_N.addmm(EncoderInputFor(xn_BD), W_enc_ND.t()), null);

    public override Tensor Encode(Tensor x_BD) => Encode(x_BD, InferenceActivation);

    /// <summary>The activation used at inference: TopK(k) (BatchTopK: JumpReLU with its global threshold).</summary>
    public virtual Activation InferenceActivation => new TopKActivation(Config.K);

    /// <summary>Width of the training selection per token: k, or 4k with Multi-TopK.</summary>
    private long WideK => Config.MultiTopK ? 4 * Config.K : Config.K;

    protected override SaeOutput ForwardTraining(Tensor xn, NormalizationState state, ForwardOptions options)
    {
        return Config.SparseCompute ? ForwardSparse(xn, state, options) : ForwardDense(xn, EncoderInputFor(xn), state, options);
    }

    /// <summary>
    /// The training selection, without grad, from the pre-activations before the encoder bias (x_c W_enc^T, [B, N]): the
    /// widest code (k per token, or 4k with Multi-TopK, largest first) with the pre-activations at its entries (bias
    /// included), and the main code (the first k per token of the wide one; the same code without Multi-TopK).
    /// </summary>
    protected virtual (SparseCode wide, Tensor widePre_M, SparseCode main) SelectTraining(Tensor preNoBias_BN)
    {
        var (vals, idx) = SparseKernels.TopKOfSum(preNoBias_BN, b_enc_N.detach(), WideK);                 // [B, WideK], largest first
        var wide = SparseCode.FromTopK(idx, NumLatents);
        var main = Config.MultiTopK ? SparseCode.FromTopK(idx.narrow(1, 0, Config.K), NumLatents) : wide;
        return (wide, vals.reshape(-1), main);
    }

    /// <summary>The AuxK code and pre-activations: per token the top-k_aux pre-activations among dead latents (null when AuxK
    /// is off or none is dead).</summary>
    protected (SparseCode code, Tensor pre_M)? SelectAuxK(Tensor preNoBias_BN, Tensor? dead_N)
    {
        var kAux = Config.EffectiveAuxK;
        if (dead_N is null || kAux == 0) return null;
        var nDead = dead_N.sum().ToInt64();
        if (nDead == 0) return null;
        var ka = Math.Min(kAux, nDead);
        var deadIdx = dead_N.nonzero().reshape(-1);                                             // [nDead]
        var (vals, j) = SparseKernels.TopKOfSum(preNoBias_BN.index_select(1, deadIdx), b_enc_N.detach().index_select(0, deadIdx), ka);
        var latents = deadIdx.index_select(0, j.reshape(-1)).view(preNoBias_BN.size(0), ka);  // positions among the dead -> latents
        return (SparseCode.FromTopK(latents, NumLatents), vals.reshape(-1));
    }

    /// <summary>Called with the training selection's values (after ReLU), before the losses (BatchTopK tracks its threshold here).</summary>
    protected virtual void OnTrainingSelection(Tensor values_M) { }

    private SaeOutput ForwardSparse(Tensor xn, NormalizationState state, ForwardOptions options)
    {
        Tensor preNoBias, xc;
        using (no_grad())
        {
            xc = EncoderInputFor(xn);                                           // data: gradients to b_pre come from the entries
            preNoBias = xc.mm(W_enc_ND.t());                                    // [B, N]: the one dense GEMM (the floor)
        }
        var b = xn.size(0);
        var (wide, widePre, main) = SelectTraining(preNoBias);
        var aux = SelectAuxK(preNoBias, options.DeadMask_N);
        var codes = new List<SparseCode> { wide };
        var values = new List<Tensor> { widePre };
        if (aux is { } a)
        {
            codes.Add(a.code);
            values.Add(a.pre_M);
        }
        var entries = SparseCompute.EncoderEntries(values, xc, W_enc_ND, b_enc_N, Config.ApplyDecoderBiasToInput ? b_dec_D : null, codes);
        var wideValues = entries[0].relu();                                     // [M] latent values (M = B * WideK for TopK)
        var mainValues = ReferenceEquals(wide, main) ? wideValues : wideValues.view(b, WideK).narrow(1, 0, Config.K).reshape(-1);
        if (training) using (no_grad()) OnTrainingSelection(mainValues);
        var x_hat = SparseCompute.Decode(mainValues, W_dec_ND, main).add(b_dec_D);
        var baseline = Baseline(xn);
        var losses = new Dictionary<string, Tensor> { ["nmse"] = Losses.NormalizedMse(x_hat, xn, baseline) };
        if (!ReferenceEquals(wide, main))
        {
            var x_hat_wide = SparseCompute.Decode(wideValues, W_dec_ND, wide).add(b_dec_D);
            losses["multi_topk"] = Losses.NormalizedMse(x_hat_wide, xn, baseline) * (1.0 / 8);
        }
        if (Config.EffectiveAuxK > 0)
        {
            if (aux is null) losses["aux_k"] = zeros(Array.Empty<long>(), xn.dtype, xn.device);
            else
            {
                var e = (xn - x_hat).detach();
                var e_hat = SparseCompute.Decode(entries[1].relu(), W_dec_ND, aux.Value.code);
                losses["aux_k"] = Losses.AuxK(e_hat, e) * Config.AuxKCoefficient;
            }
        }
        var bEnc = b_enc_N;
        return Assemble(xn, state, null, x_hat, losses, code: main, codeValues: mainValues,
            preFactory: () => { using (no_grad()) return preNoBias + bEnc; });
    }

    /// <summary>The straightforward dense-autograd form (the reference for the sparse kernels).</summary>
    private SaeOutput ForwardDense(Tensor xn, Tensor xc, NormalizationState state, ForwardOptions options)
    {
        var pre = b_enc_N.addmm(xc, W_enc_ND.t());                             // [B, N], in the graph
        var z = DenseTrainingLatents(pre, out var zWide);                     // [B, N]
        var x_hat = Decode(z);
        var baseline = Baseline(xn);
        var losses = new Dictionary<string, Tensor> { ["nmse"] = Losses.NormalizedMse(x_hat, xn, baseline) };
        if (zWide is not null) losses["multi_topk"] = Losses.NormalizedMse(Decode(zWide), xn, baseline) * (1.0 / 8);
        if (Config.EffectiveAuxK > 0)
        {
            var dead = options.DeadMask_N;
            var nDead = dead is null ? 0 : dead.sum().ToInt64();
            if (nDead == 0) losses["aux_k"] = zeros(Array.Empty<long>(), xn.dtype, xn.device);
            else
            {
                var masked = pre.masked_fill(dead!.logical_not().unsqueeze(0), double.NegativeInfinity);
                var (av, ai) = masked.topk(checked((int)Math.Min(Config.EffectiveAuxK, nDead)), sorted: false);
                var zAux = zeros_like(pre).scatter(1, ai, av.relu());
                var e = (xn - x_hat).detach();
                losses["aux_k"] = Losses.AuxK(zAux.mm(W_dec_ND), e) * Config.AuxKCoefficient;
            }
        }
        return Assemble(xn, state, pre, x_hat, losses, latents: z);
    }

    /// <summary>Dense training latents: TopK(k) of the pre-activations (and the 4k latents with Multi-TopK).</summary>
    protected virtual Tensor DenseTrainingLatents(Tensor pre_BN, out Tensor? wide_BN)
    {
        var (v, i) = pre_BN.topk(checked((int)WideK));
        var vals = v.relu();
        wide_BN = Config.MultiTopK ? zeros_like(pre_BN).scatter(1, i, vals) : null;
        return zeros_like(pre_BN).scatter(1, i.narrow(1, 0, Config.K), vals.narrow(1, 0, Config.K));
    }
}
