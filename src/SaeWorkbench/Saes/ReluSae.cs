using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>Configuration of the ReLU + L1 baseline (Gao et al. 2024, §2.2).</summary>
public sealed record ReluSaeConfig : SaeConfig
{
    /// <summary>lambda, the L1 coefficient (per token, on latents summed over n), >= 0.</summary>
    public double L1Coefficient { get; init; } = 5.0;

    /// <summary>Anthropic's variant: weight each |z_i| by its decoder row norm ||d_i|| (usually with
    /// <see cref="SaeConfig.UnitNormDecoder"/> false, so the norms are free).</summary>
    public bool L1WeightedByDecoderNorm { get; init; }

    public override string Architecture => "relu";

    public override void Validate()
    {
        base.Validate();
        ConfigCheck.NonNegative(L1Coefficient, nameof(ReluSaeConfig), nameof(L1Coefficient));
    }
}

/// <summary>
/// The ReLU SAE baseline (Gao et al. 2024, §2.2; Bricken et al. 2023, "Towards Monosemanticity"):
/// z = ReLU(W_enc (x - b_pre) + b_enc), x_hat = W_dec z + b_pre, L = ||x - x_hat||^2 + lambda ||z||_1
/// (optionally lambda sum_i ||d_i|| |z_i|). Loss terms: "mse", "l1" (lambda and its warm-up applied).
/// </summary>
public sealed class ReluSae : SparseAutoencoder
{
    public ReluSae(ReluSaeConfig config) : base(config)
    {
        b_enc_N = this.Parameter("b_enc_N", zeros(new[] { config.NumLatents }, config.DType, config.Device));
    }

    public new ReluSaeConfig Config => (ReluSaeConfig)base.Config;

    /// <summary>Encoder bias: [N].</summary>
    public Tensor b_enc_N { get; }

    public override string SparsityDescription => FormattableString.Invariant($"lambda={Config.L1Coefficient}");

    public override (Tensor pre_BN, Tensor? magnitude_BN) PreActivations(Tensor xn_BD) =>
        (b_enc_N.addmm(EncoderInputFor(xn_BD), W_enc_ND.t()), null);

    public override Tensor Encode(Tensor x_BD)
    {
        using var scope = NewDisposeScope();
        var (xn, _) = Normalize(x_BD);
        return PreActivations(xn).pre_BN.relu().MoveToOuterDisposeScope();
    }

    protected override SaeOutput ForwardTraining(Tensor xn, NormalizationState state, ForwardOptions options)
    {
        var (pre, _) = PreActivations(xn);
        var z = pre.relu();                                                    // latents_BN
        var x_hat = Decode(z);
        var l1PerToken = Config.L1WeightedByDecoderNorm
            ? (z * W_dec_ND.norm(1)).sum(1).mean()
            : z.sum(1).mean();                                                 // z >= 0: sum = L1 norm
        var losses = new Dictionary<string, Tensor>
        {
            ["mse"] = Losses.Mse(x_hat, xn),
            ["l1"] = l1PerToken * (Config.L1Coefficient * options.SparsityScale),
        };
        return Assemble(xn, state, pre, x_hat, losses, latents: z);
    }
}
