using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Saes;

/// <summary>How the decoder directions start (Gao et al. 2024, Appendix A.1; Lieberum et al. 2024).</summary>
public enum DecoderInit
{
    /// <summary>TopK paper: Gaussian random directions scaled to unit norm.</summary>
    UnitNormRandom,

    /// <summary>Gemma Scope: He (Kaiming) uniform, U(±sqrt(6 / d_in)), then (by default) unit-norm rows.</summary>
    HeUniform,
}

/// <summary>Initialisation options shared by every architecture (TopK paper appendix A; Gemma Scope).</summary>
public sealed record SaeInit
{
    /// <summary>Seed of every random draw of the initialisation (same seed, same weights on CPU).</summary>
    public ulong Seed { get; init; }

    /// <summary>How decoder directions are drawn.</summary>
    public DecoderInit Decoder { get; init; } = DecoderInit.UnitNormRandom;

    /// <summary>Scale each decoder direction to unit L2 norm after drawing it (for <see cref="DecoderInit.HeUniform"/>;
    /// random directions are always unit norm).</summary>
    public bool NormalizeDecoderRows { get; init; } = true;

    /// <summary>Encoder = decoder transpose at initialisation (the weights stay untied). When false the
    /// encoder is drawn He-uniform on its own.</summary>
    public bool EncoderFromDecoderTranspose { get; init; } = true;

    /// <summary>Set the pre-encoder bias b_pre (= b_dec) to the geometric median of a data sample
    /// (Weiszfeld iterations) in <see cref="SparseAutoencoder.InitializeFromData"/>.</summary>
    public bool GeometricMedianPreBias { get; init; } = true;

    /// <summary>Weiszfeld iterations for the geometric median (each one pass over the sample), >= 1.</summary>
    public int GeometricMedianIterations { get; init; } = 100;

    /// <summary>Rescale the encoder once, on the data sample, so that the mean norm of reconstructions
    /// (minus b_pre) matches the mean norm of the centred inputs (TopK paper appendix A: found to have no or a
    /// weakly negative effect; off by default).</summary>
    public bool RescaleEncoderToMatchNorms { get; init; }

    internal void Validate(string owner)
    {
        ConfigCheck.Require(GeometricMedianIterations >= 1, owner, "Init.GeometricMedianIterations", GeometricMedianIterations, ">= 1");
    }
}

/// <summary>
/// What every SAE shares: sizes, input normalisation, decoder constraint, initialisation, dtype and
/// device, and the dead-latent window. Architecture configs derive from it and add their own fields.
/// Validated when the SAE is constructed (<see cref="Validate"/>), each failure naming the field.
/// </summary>
public abstract record SaeConfig
{
    /// <summary>Input width d (d_model of the hooked activations), >= 1.</summary>
    public long DIn { get; init; } = 768;

    /// <summary>Number of latents n (SAELens d_sae), >= 1.</summary>
    public long NumLatents { get; init; } = 32768;

    /// <summary>Input normalisation applied before encoding and undone after decoding.</summary>
    public InputNormalization Normalization { get; init; } = InputNormalization.None;

    /// <summary>Subtract b_dec (b_pre) from the input before the encoder (SAELens apply_b_dec_to_input).
    /// TopK, ReLU and Gated papers: true; Gemma Scope JumpReLU: false.</summary>
    public bool ApplyDecoderBiasToInput { get; init; } = true;

    /// <summary>Keep decoder rows at unit L2 norm: the trainer removes the gradient component parallel to each row
    /// before a step and renormalises the rows after it (TopK paper appendix A).</summary>
    public bool UnitNormDecoder { get; init; } = true;

    /// <summary>Initialisation options.</summary>
    public SaeInit Init { get; init; } = new();

    /// <summary>Element type of the weights (float32 by default; float64 for gradient checks). JumpReLU thresholds stay float32.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Device of the weights ("cpu", "cuda:0").</summary>
    public Device Device { get; init; } = CPU;

    /// <summary>A latent is dead when it has not fired (activation above <see cref="FiringThreshold"/>) in this
    /// many training tokens (TopK paper: 10M), >= 1. Used by the dead-latent tracker and by AuxK.</summary>
    public long DeadWindowTokens { get; init; } = 10_000_000;

    /// <summary>An activation above this value counts as firing (released TopK code: 1e-3), >= 0.</summary>
    public double FiringThreshold { get; init; } = 1e-3;

    /// <summary>The registry name of the architecture ("relu", "topk", "batchtopk", "jumprelu", "gated").</summary>
    public abstract string Architecture { get; }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first bad field, its value and the allowed range.</summary>
    public virtual void Validate()
    {
        var owner = GetType().Name;
        ConfigCheck.Positive(DIn, owner, nameof(DIn));
        ConfigCheck.Positive(NumLatents, owner, nameof(NumLatents));
        ConfigCheck.Require(Enum.IsDefined(Normalization), owner, nameof(Normalization), Normalization, "one of " + string.Join(", ", Enum.GetNames<InputNormalization>()));
        ConfigCheck.Require(DType.IsFloatingPoint(), owner, nameof(DType), DType, "a floating-point dtype");
        ConfigCheck.Positive(DeadWindowTokens, owner, nameof(DeadWindowTokens));
        ConfigCheck.NonNegative(FiringThreshold, owner, nameof(FiringThreshold));
        ArgumentNullException.ThrowIfNull(Init, nameof(Init));
        Init.Validate(owner);
        TorchSharpRuntime.CheckDevice(Device, $"{owner}.{nameof(Device)}");
    }
}
