using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// How inputs are scaled before encoding (Gao et al. 2024, §2.1; Lieberum et al. 2024). Every mode is undone on the
/// reconstruction in <see cref="SaeOutput.ReconstructionInInputSpace_BD"/>; losses are computed
/// in the normalised space, as each paper does.
/// </summary>
public enum InputNormalization
{
    /// <summary>Inputs are used as they are.</summary>
    None,

    /// <summary>Gemma Scope / JumpReLU: multiply every input by one scalar s, fitted on a sample so
    /// that E[||s x||^2] = 1 (<see cref="InputNormalizer.FitScale"/>). Undone by dividing by s.</summary>
    UnitMeanSquaredNorm,

    /// <summary>TopK paper: per token, subtract the mean over d_model, then scale to unit L2 norm.
    /// Undone by multiplying by the norm and adding the mean back.</summary>
    PerTokenUnitNorm,

    /// <summary>Released GPT-2 TopK SAEs (and SAELens "layer_norm"): per token (x - mean) / (std + 1e-5)
    /// with the unbiased std over d_model; undone as x_hat * std + mean.</summary>
    PerTokenStandardize,
}

/// <summary>How a batch was normalised, to undo it on the reconstruction: x = x_norm * Scale + Shift.</summary>
/// <param name="Scale">[B, 1] (per-token modes) or [] (scalar mode), or null for none.</param>
/// <param name="Shift">[B, 1] per-token mean, or null.</param>
public sealed record NormalizationState(Tensor? Scale, Tensor? Shift);


/// <summary>
/// The input normalisations of <see cref="InputNormalization"/> as functions of a batch, usable without an SAE (e.g. to
/// describe harvested activations in the space the SAEs will see). An SAE applies them with its fitted scale
/// (<see cref="SparseAutoencoder.Normalize"/>) and undoes them on its reconstruction.
/// </summary>
public static class InputNormalizer
{
    /// <summary>The scalar s with E[||s x||^2] = 1 on a sample x [S, D]: 1 / sqrt(mean_s ||x_s||^2), [] (Gemma Scope's
    /// normalisation, <see cref="InputNormalization.UnitMeanSquaredNorm"/>).</summary>
    public static Tensor FitScale(Tensor sample_SD) => sample_SD.square().sum(1).mean().rsqrt();

    /// <summary>Normalises x [B, D] with <paramref name="mode"/>; <paramref name="scale"/> is the fitted scalar of
    /// <see cref="InputNormalization.UnitMeanSquaredNorm"/> (ignored by the other modes). Returns the normalised input and
    /// what undoes it.</summary>
    public static (Tensor x_BD, NormalizationState state) Apply(InputNormalization mode, Tensor x_BD, Tensor scale)
    {
        switch (mode)
        {
            case InputNormalization.None:
                return (x_BD, new NormalizationState(null, null));
            case InputNormalization.UnitMeanSquaredNorm:
                return (x_BD * scale, new NormalizationState(scale.reciprocal(), null));
            case InputNormalization.PerTokenUnitNorm:
            {
                var mean = x_BD.mean(new long[] { -1 }, keepdim: true);
                var centred = x_BD - mean;
                var norm = centred.norm(-1, keepdim: true).clamp_min(1e-12);
                return (centred / norm, new NormalizationState(norm, mean));
            }
            case InputNormalization.PerTokenStandardize:
            {
                var mean = x_BD.mean(new long[] { -1 }, keepdim: true);
                var centred = x_BD - mean;
                var std = centred.std(-1, keepdim: true);
                return (centred / (std + 1e-5), new NormalizationState(std, mean));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown input normalisation");
        }
    }

    /// <summary>Undoes <see cref="Apply"/> on a reconstruction: x_hat * Scale + Shift.</summary>
    public static Tensor Undo(Tensor x_hat_BD, NormalizationState state)
    {
        var y = state.Scale is null ? x_hat_BD : x_hat_BD * state.Scale;
        return state.Shift is null ? y : y + state.Shift;
    }
}
