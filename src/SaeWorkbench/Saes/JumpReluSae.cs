using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>Configuration of the JumpReLU SAE (Rajamanoharan et al. 2024b, "Jumping Ahead"; Lieberum et al. 2024, Gemma Scope).
/// Defaults follow Gemma Scope: inputs scaled to unit mean squared norm, no b_dec subtracted before the encoder,
/// He-uniform decoder with unit-norm rows, encoder = decoder transpose, zero biases.</summary>
public sealed record JumpReluSaeConfig : SaeConfig
{
    public JumpReluSaeConfig()
    {
        Normalization = InputNormalization.UnitMeanSquaredNorm;
        ApplyDecoderBiasToInput = false;
        Init = new SaeInit { Decoder = DecoderInit.HeUniform, GeometricMedianPreBias = false };
    }

    /// <summary>lambda, the L0 coefficient (per token, on the number of active latents), >= 0.</summary>
    public double L0Coefficient { get; init; } = 1e-3;

    /// <summary>epsilon, the bandwidth of the rectangle kernel of the straight-through pseudo-derivatives, > 0
    /// (paper: 0.001, assuming inputs scaled to unit mean squared norm).</summary>
    public double Bandwidth { get; init; } = 0.001;

    /// <summary>theta at initialisation, for every latent, > 0 (Gemma Scope: 0.001). Unused when
    /// <see cref="InitialFiringRate"/> is set.</summary>
    public double InitialThreshold { get; init; } = 0.001;

    /// <summary>When set, in (0, 1): <see cref="SparseAutoencoder.InitializeFromData"/> starts each latent's theta where
    /// it fires on this fraction of the data sample (between its m-th and (m+1)-th largest pre-activations, m = round(rate
    /// S), at least 1e-6), so the SAE starts at L0 = rate x n with every latent alive, whatever each latent's pre-activation
    /// scale. Null (default, Gemma Scope): every theta starts at <see cref="InitialThreshold"/>. Not from the papers: in
    /// runs of a few hundred steps theta cannot travel from 0.001 to where the L0 penalty would put it (Adam moves
    /// log theta by about the learning rate per step), so the start decides L0; see ReproduceConfig.</summary>
    public double? InitialFiringRate { get; init; }

    public override string Architecture => "jumprelu";

    public override void Validate()
    {
        base.Validate();
        ConfigCheck.NonNegative(L0Coefficient, nameof(JumpReluSaeConfig), nameof(L0Coefficient));
        ConfigCheck.Positive(Bandwidth, nameof(JumpReluSaeConfig), nameof(Bandwidth));
        ConfigCheck.Positive(InitialThreshold, nameof(JumpReluSaeConfig), nameof(InitialThreshold));
        if (InitialFiringRate is { } rate)
            ConfigCheck.Require(rate > 0 && rate < 1, nameof(JumpReluSaeConfig), nameof(InitialFiringRate), rate, "in (0, 1), or null for a uniform InitialThreshold");
    }
}

/// <summary>
/// The JumpReLU SAE (Rajamanoharan et al. 2024b, §3-4): f = JumpReLU_theta(W_enc x + b_enc) with
/// JumpReLU_theta(z) = z H(z - theta), theta > 0 learned per latent (as log theta, kept in float32);
/// L = ||x - x_hat||^2 + lambda ||f||_0. The step function has no useful derivative, so theta learns through the
/// paper's straight-through pseudo-derivatives with the rectangle kernel K(u) = 1{-1/2 &lt; u &lt; 1/2} and bandwidth eps:
/// <code>
///   d JumpReLU / d theta = -(theta / eps) K((z - theta) / eps)     d JumpReLU / d z = H(z - theta)
///   d H(z - theta) / d theta = -(1 / eps) K((z - theta) / eps)      d H / d z = 0 (nothing through the L0 step)
/// </code>
/// Loss terms: "mse", "l0" (lambda and its warm-up applied).
/// </summary>
public sealed class JumpReluSae : SparseAutoencoder
{
    public JumpReluSae(JumpReluSaeConfig config) : base(config)
    {
        b_enc_N = this.Parameter("b_enc_N", zeros(new[] { config.NumLatents }, config.DType, config.Device));
        log_threshold_N = this.Parameter("log_threshold_N",
            full(new[] { config.NumLatents }, Math.Log(config.InitialThreshold), float32, config.Device));
    }

    public new JumpReluSaeConfig Config => (JumpReluSaeConfig)base.Config;

    /// <summary>Encoder bias: [N].</summary>
    public Tensor b_enc_N { get; }

    /// <summary>log theta per latent, always float32: [N].</summary>
    public Tensor log_threshold_N { get; }

    /// <summary>theta = exp(log theta): [N] float32, in the graph.</summary>
    public Tensor Threshold_N() => log_threshold_N.exp();

    public override string SparsityDescription => FormattableString.Invariant($"lambda={Config.L0Coefficient}");

    public override (Tensor pre_BN, Tensor? magnitude_BN) PreActivations(Tensor xn_BD) =>
        (b_enc_N.addmm(EncoderInputFor(xn_BD), W_enc_ND.t()), null);

    /// <summary>With <see cref="JumpReluSaeConfig.InitialFiringRate"/>: each theta between the m-th and (m+1)-th largest of
    /// its latent's pre-activations on the sample, m = round(rate S) clamped to [1, S - 1].</summary>
    protected override void InitializeFromNormalizedSample(Tensor xn_BD)
    {
        if (Config.InitialFiringRate is not { } rate) return;
        var s = xn_BD.size(0);
        if (s < 2) return;
        var m = Math.Clamp((long)Math.Round(rate * s), 1, s - 1);
        var (pre, _) = PreActivations(xn_BD);
        var (top, _) = pre.topk(checked((int)(m + 1)), dim: 0);                // [m + 1, N], descending
        var theta = (top[m - 1] + top[m]) * 0.5;                                // between the m-th and (m+1)-th largest
        log_threshold_N.copy_(theta.clamp_min(1e-6).log().to(log_threshold_N.dtype));
    }

    /// <summary>Scales W_enc, b_enc and theta together: the same latents fire, and every latent value scales by the factor.</summary>
    protected override void ScaleEncoder(double factor)
    {
        base.ScaleEncoder(factor);
        b_enc_N.mul_(factor);
        log_threshold_N.add_(Math.Log(factor));
    }

    public override Tensor Encode(Tensor x_BD)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (xn, _) = Normalize(x_BD);
        var (pre, _) = PreActivations(xn);
        var (z, theta) = InComputeType(pre, Threshold_N());
        return z.where(z.gt(theta), 0.0).to(pre.dtype).MoveToOuterDisposeScope();
    }

    protected override SaeOutput ForwardTraining(Tensor xn, NormalizationState state, ForwardOptions options)
    {
        var (pre, _) = PreActivations(xn);
        var (z, theta) = InComputeType(pre, Threshold_N());
        var f = JumpReLU(z, theta, Config.Bandwidth).to(pre.dtype);          // latents_BN
        var x_hat = Decode(f);
        var l0 = Step(z, theta, Config.Bandwidth).sum(1).mean();
        var losses = new Dictionary<string, Tensor>
        {
            ["mse"] = Losses.Mse(x_hat, xn),
            ["l0"] = l0.to(pre.dtype) * (Config.L0Coefficient * options.SparsityScale),
        };
        return Assemble(xn, state, pre, x_hat, losses, latents: f);
    }

    /// <summary>Thresholds are compared in float32 at least (float64 when the weights are float64).</summary>
    private static (Tensor z, Tensor theta) InComputeType(Tensor pre, Tensor theta)
    {
        var t = pre.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        return (pre.dtype == t ? pre : pre.to(t), theta.dtype == t ? theta : theta.to(t));
    }

    /// <summary>Rectangle kernel K(u) = 1 for -1/2 &lt; u &lt; 1/2, else 0, at u = (z - theta) / eps.</summary>
    private static Tensor Rectangle(Tensor z, Tensor theta, double eps) => ((z - theta) / eps).abs().lt(0.5).to(z.dtype);

    /// <summary>Sums a [B, N] gradient down to theta's shape ([N] or []).</summary>
    private static Tensor ReduceToTheta(Tensor g, Tensor theta) => theta.dim() == 0 ? g.sum() : g.sum(0L);

    /// <summary>
    /// JumpReLU_theta(z) = z H(z - theta), with d/dz = H(z - theta) and the pseudo-derivative
    /// d/dtheta = -(theta / eps) K((z - theta) / eps) (Rajamanoharan et al. 2024b, JumpReLU paper, §3, eq. 11).
    /// z [B, N]; theta [N] (or []), same dtype.
    /// </summary>
    public static Tensor JumpReLU(Tensor z, Tensor theta, double eps)
    {
        ConfigCheck.Positive(eps, nameof(JumpReLU), nameof(eps));
        return JumpReluFunction.apply(z, theta, eps);
    }

    /// <summary>
    /// The Heaviside step H(z - theta) of the L0 penalty, with no gradient to z and the pseudo-derivative
    /// d/dtheta = -(1 / eps) K((z - theta) / eps) (JumpReLU paper, §3, eq. 12).
    /// </summary>
    public static Tensor Step(Tensor z, Tensor theta, double eps)
    {
        ConfigCheck.Positive(eps, nameof(Step), nameof(eps));
        return StepFunction.apply(z, theta, eps);
    }

    /// <summary>JumpReLU as a TorchSharp autograd function: forward and straight-through backward side by side.</summary>
    private sealed class JumpReluFunction : autograd.SingleTensorFunction<JumpReluFunction>
    {
        public override string Name => "JumpReLU";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (z, theta, eps) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2]);
            ctx.save_for_backward([z, theta]);
            ctx.save_data("eps", eps);
            return z * z.gt(theta).to(z.dtype);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g)
        {
            var saved = ctx.get_saved_variables();
            var (z, theta, eps) = (saved[0], saved[1], (double)ctx.get_data("eps"));
            using var scope = NewDisposeScope();
            var dz = g * z.gt(theta).to(g.dtype);
            var dtheta = ReduceToTheta(g * Rectangle(z, theta, eps) * (-theta / eps), theta);
            return [dz.MoveToOuterDisposeScope(), dtheta.MoveToOuterDisposeScope(), null!];
        }
    }

    /// <summary>The L0 step H(z - theta) as a TorchSharp autograd function (no gradient to z).</summary>
    private sealed class StepFunction : autograd.SingleTensorFunction<StepFunction>
    {
        public override string Name => "JumpReLUStep";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (z, theta, eps) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2]);
            ctx.save_for_backward([z, theta]);
            ctx.save_data("eps", eps);
            return z.gt(theta).to(z.dtype);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g)
        {
            var saved = ctx.get_saved_variables();
            var (z, theta, eps) = (saved[0], saved[1], (double)ctx.get_data("eps"));
            using var scope = NewDisposeScope();
            var dtheta = ReduceToTheta(g * Rectangle(z, theta, eps) * (-1.0 / eps), theta);
            return [null!, dtheta.MoveToOuterDisposeScope(), null!];
        }
    }
}
