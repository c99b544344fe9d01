using System.Globalization;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// The activation functions of the SAE papers, as values that can be swapped at test time
/// (Gao et al. 2024, §5.3, progressive codes): any trained SAE
/// keeps every weight and bias and replaces only the activation by TopK(k'), JumpReLU(theta) or ReLU
/// (<see cref="ForwardOptions.Activation"/>).
/// <para>An activation picks the support from the pre-activations <c>pre_BN</c> and takes the values from
/// the magnitudes: the pre-activations themselves, except for the Gated SAE whose magnitudes come from its
/// separate path (values ReLU(pi_mag) on the support chosen from pi_gate).</para>
/// Specs for <see cref="Parse"/>: "relu", "topk:K", "batchtopk:K", "jumprelu:THETA".
/// </summary>
public abstract record Activation
{
    /// <summary>The spec string that <see cref="Parse"/> reads back, e.g. "topk:32".</summary>
    public abstract string Spec { get; }

    /// <summary>Dense latents [B, N] from pre-activations [B, N] (and optional separate magnitudes [B, N]).</summary>
    public abstract Tensor Apply(Tensor pre_BN, Tensor? magnitude_BN = null);

    public override string ToString() => Spec;

    /// <summary>Parses "relu", "topk:K", "batchtopk:K" or "jumprelu:THETA"; anything else fails naming the field "activation".</summary>
    public static Activation Parse(string spec)
    {
        const string allowed = "relu, topk:K, batchtopk:K, jumprelu:THETA";
        var s = (spec ?? "").Trim().ToLowerInvariant();
        var parts = s.Split(':', 2);
        var name = parts[0];
        string Arg() => parts.Length == 2 && parts[1].Length > 0 ? parts[1]
            : throw new ArgumentException($"activation '{spec}' needs an argument: one of {allowed}", "activation");
        long K() => long.TryParse(Arg(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) ? k
            : throw new ArgumentException($"activation '{spec}': k must be an integer", "activation");
        return name switch
        {
            "relu" when parts.Length == 1 => new ReluActivation(),
            "topk" => new TopKActivation(K()),
            "batchtopk" => new BatchTopKActivation(K()),
            "jumprelu" => new JumpReluActivation(double.TryParse(Arg(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t
                : throw new ArgumentException($"activation '{spec}': theta must be a number", "activation")),
            _ => throw new ArgumentException($"activation '{spec}' is not one of: {allowed}", "activation"),
        };
    }

    /// <summary>Values on a support mask: magnitudes ReLU'd (Gated) or the pre-activations themselves.</summary>
    protected static Tensor Values(Tensor pre_BN, Tensor? magnitude_BN) => magnitude_BN is null ? pre_BN : magnitude_BN.relu();
}

/// <summary>ReLU: z = max(pre, 0) (for Gated: ReLU(pi_mag) where pi_gate > 0).</summary>
public sealed record ReluActivation : Activation
{
    public override string Spec => "relu";

    public override Tensor Apply(Tensor pre_BN, Tensor? magnitude_BN = null)
    {
        if (magnitude_BN is null) return pre_BN.relu();
        using var scope = NewDisposeScope();
        return (magnitude_BN.relu() * pre_BN.gt(0).to(magnitude_BN.dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary>TopK (Gao et al. 2024, §2): keep the k largest pre-activations per token, ReLU them, zero the rest.</summary>
public sealed record TopKActivation(long K) : Activation
{
    /// <summary>Active latents per token, >= 1 (and at most the number of latents).</summary>
    public long K { get; } = K >= 1 ? K : throw new ArgumentOutOfRangeException(nameof(K), K, $"TopKActivation.K = {K} is out of range: must be >= 1");

    public override string Spec => FormattableString.Invariant($"topk:{K}");

    public override Tensor Apply(Tensor pre_BN, Tensor? magnitude_BN = null)
    {
        var n = pre_BN.size(-1);
        ConfigCheck.Require(K <= n, nameof(TopKActivation), nameof(K), K, $"<= the number of latents ({n})");
        using var scope = NewDisposeScope();
        var (vals, idx) = pre_BN.topk(checked((int)K));
        var values = magnitude_BN is null ? vals.relu() : magnitude_BN.gather(1, idx).relu();
        return zeros_like(pre_BN).scatter(1, idx, values).MoveToOuterDisposeScope();
    }
}

/// <summary>BatchTopK (Bussmann et al. 2024): keep the k*B largest (ReLU'd) pre-activations of the whole batch
/// of B tokens, so each token has a variable number of active latents averaging at most k.</summary>
public sealed record BatchTopKActivation(long K) : Activation
{
    /// <summary>Average active latents per token, >= 1.</summary>
    public long K { get; } = K >= 1 ? K : throw new ArgumentOutOfRangeException(nameof(K), K, $"BatchTopKActivation.K = {K} is out of range: must be >= 1");

    public override string Spec => FormattableString.Invariant($"batchtopk:{K}");

    public override Tensor Apply(Tensor pre_BN, Tensor? magnitude_BN = null)
    {
        var (b, n) = (pre_BN.size(0), pre_BN.size(1));
        ConfigCheck.Require(K <= n, nameof(BatchTopKActivation), nameof(K), K, $"<= the number of latents ({n})");
        using var scope = NewDisposeScope();
        var (_, flat) = pre_BN.relu().reshape(-1).topk(checked((int)(K * b)), sorted: false);
        var values = Values(pre_BN, magnitude_BN).reshape(-1).index_select(0, flat).relu();
        return zeros(new[] { b * n }, pre_BN.dtype, pre_BN.device).index_add(0, flat, values, 1).view(b, n).MoveToOuterDisposeScope();
    }
}

/// <summary>JumpReLU (Rajamanoharan et al. 2024b): z = pre * H(pre - theta) with one threshold for every latent
/// (the swept theta of a test-time swap; a JumpReLU SAE's own learned per-latent thresholds live in the SAE).</summary>
public sealed record JumpReluActivation(double Threshold) : Activation
{
    /// <summary>The threshold theta, >= 0 and finite.</summary>
    public double Threshold { get; } = Threshold >= 0 && double.IsFinite(Threshold) ? Threshold
        : throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, $"JumpReluActivation.Threshold = {Threshold} is out of range: must be >= 0 and finite");

    public override string Spec => FormattableString.Invariant($"jumprelu:{Threshold:R}");

    public override Tensor Apply(Tensor pre_BN, Tensor? magnitude_BN = null)
    {
        using var scope = NewDisposeScope();
        var mask = pre_BN.gt(Threshold);
        return Values(pre_BN, magnitude_BN).where(mask, 0.0).MoveToOuterDisposeScope();
    }
}
