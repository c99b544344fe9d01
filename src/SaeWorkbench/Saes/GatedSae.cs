using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>Configuration of the Gated SAE (Rajamanoharan et al. 2024a, Gated SAEs, §3).</summary>
public sealed record GatedSaeConfig : SaeConfig
{
    /// <summary>lambda, the L1 coefficient on ReLU(pi_gate) (per token, summed over latents), >= 0.</summary>
    public double L1Coefficient { get; init; } = 1.0;

    public override string Architecture => "gated";

    public override void Validate()
    {
        base.Validate();
        ConfigCheck.NonNegative(L1Coefficient, nameof(GatedSaeConfig), nameof(L1Coefficient));
    }
}

/// <summary>
/// The Gated SAE (Rajamanoharan et al. 2024a, §3). One encoder matrix W_gate (stored as W_enc_ND)
/// serves two paths: u = W_gate (x - b_dec);
/// <code>
///   pi_gate = u + b_gate          f_gate = H(pi_gate)                 (which latents fire)
///   pi_mag  = exp(r_mag) * u + b_mag                                   (how strongly)
///   f = f_gate * ReLU(pi_mag),     x_hat = W_dec f + b_dec
///   L = ||x - x_hat||^2 + lambda ||ReLU(pi_gate)||_1 + ||x - x_hat_frozen(ReLU(pi_gate))||^2
/// </code>
/// where x_hat_frozen decodes with stop-gradient copies of W_dec and b_dec, so the auxiliary term trains only the gate
/// path. H passes no gradient: the gate learns through the L1 and auxiliary terms only. Loss terms: "mse", "l1", "aux".
/// </summary>
public sealed class GatedSae : SparseAutoencoder
{
    public GatedSae(GatedSaeConfig config) : base(config)
    {
        var n = config.NumLatents;
        b_gate_N = this.Parameter("b_gate_N", zeros(new[] { n }, config.DType, config.Device));
        r_mag_N = this.Parameter("r_mag_N", zeros(new[] { n }, config.DType, config.Device));
        b_mag_N = this.Parameter("b_mag_N", zeros(new[] { n }, config.DType, config.Device));
    }

    public new GatedSaeConfig Config => (GatedSaeConfig)base.Config;

    /// <summary>Gate bias: [N].</summary>
    public Tensor b_gate_N { get; }

    /// <summary>Log-scale of the magnitude path (W_mag = exp(r_mag) W_gate, row-wise): [N].</summary>
    public Tensor r_mag_N { get; }

    /// <summary>Magnitude bias: [N].</summary>
    public Tensor b_mag_N { get; }

    public override string SparsityDescription => FormattableString.Invariant($"lambda={Config.L1Coefficient}");

    /// <summary>(pi_gate, pi_mag), both [B, N].</summary>
    public override (Tensor pre_BN, Tensor? magnitude_BN) PreActivations(Tensor xn_BD)
    {
        var u = EncoderInputFor(xn_BD).mm(W_enc_ND.t());
        return (u + b_gate_N, u * r_mag_N.exp() + b_mag_N);
    }

    public override Tensor Encode(Tensor x_BD) => Encode(x_BD, new ReluActivation());

    protected override SaeOutput ForwardTraining(Tensor xn, NormalizationState state, ForwardOptions options)
    {
        var (piGate, mag) = PreActivations(xn);
        var piMag = mag!;
        var f = piGate.gt(0).to(piMag.dtype) * piMag.relu();                   // latents_BN
        var x_hat = Decode(f);
        var gateActs = piGate.relu();                                          // ReLU(pi_gate)_BN
        var xHatFrozen = gateActs.mm(W_dec_ND.detach()) + b_dec_D.detach();
        var losses = new Dictionary<string, Tensor>
        {
            ["mse"] = Losses.Mse(x_hat, xn),
            ["l1"] = gateActs.sum(1).mean() * (Config.L1Coefficient * options.SparsityScale),
            ["aux"] = Losses.Mse(xHatFrozen, xn),
        };
        return Assemble(xn, state, piGate, x_hat, losses, latents: f, magnitudes: piMag);
    }
}
