using System.Numerics;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// One Adam step's hyperparameters (Kingma and Ba 2015; AdamW: Loshchilov and Hutter 2019; the TopK paper trains with
/// Adam, eps 6.25e-10, Gao et al. 2024, appendix A), as PyTorch's single-tensor Adam uses them.
/// </summary>
/// <param name="Step">The step being taken, counting from 1 (bias correction uses it).</param>
/// <param name="Lr">Learning rate, >= 0.</param>
/// <param name="Beta1">First-moment decay, in [0, 1).</param>
/// <param name="Beta2">Second-moment decay, in [0, 1).</param>
/// <param name="Eps">Added to the denominator, > 0.</param>
/// <param name="WeightDecay">L2 penalty (Adam) or decoupled decay (AdamW), >= 0.</param>
/// <param name="Decoupled">AdamW: param *= 1 - lr * weight_decay instead of adding weight_decay * param to the gradient.</param>
/// <param name="Maximize">Ascend instead of descend (the gradient's sign is flipped).</param>
public readonly record struct AdamStepSettings(long Step, double Lr, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8,
                                               double WeightDecay = 0, bool Decoupled = false, bool Maximize = false)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of its range.</summary>
    public void Validate()
    {
        if (Step < 1) throw new ArgumentOutOfRangeException(nameof(Step), Step, $"Adam step = {Step} must be >= 1");
        if (!(Lr >= 0)) throw new ArgumentOutOfRangeException(nameof(Lr), Lr, "Adam lr must be >= 0");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Adam beta1 must be in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Adam beta2 must be in [0, 1)");
        if (!(Eps > 0)) throw new ArgumentOutOfRangeException(nameof(Eps), Eps, "Adam eps must be > 0");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Adam weight_decay must be >= 0");
    }

    /// <summary>The per-element constants, computed in double and rounded to T once (as the former C++ bridge did).</summary>
    internal AdamCoefficients<T> Coefficients<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var biasCorrection1 = 1 - Math.Pow(Beta1, Step);
        var biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, Step));
        return new AdamCoefficients<T>(
            T.CreateTruncating(Beta1), T.CreateTruncating(1 - Beta1),
            T.CreateTruncating(Beta2), T.CreateTruncating(1 - Beta2),
            T.CreateTruncating(biasCorrection2Sqrt), T.CreateTruncating(Eps),
            T.CreateTruncating(-(Lr / biasCorrection1)),
            Maximize ? -T.One : T.One,
            Decoupled ? T.Zero : T.CreateTruncating(WeightDecay),
            Decoupled ? T.CreateTruncating(1 - Lr * WeightDecay) : T.One);
    }
}

/// <summary>
/// The constants of one Adam step per element: p = p * Decay + NegStepSize * m / (sqrt(v) / Bc2Sqrt + Eps), with
/// g = Sign * g + WdL2 * p, m = m * B1 + g * OneMinusB1, v = v * B2 + g * g * OneMinusB2 (PyTorch's single-tensor Adam).
/// </summary>
internal readonly record struct AdamCoefficients<T>(T B1, T OneMinusB1, T B2, T OneMinusB2, T Bc2Sqrt, T Eps, T NegStepSize,
                                                     T Sign, T WdL2, T Decay) where T : unmanaged, IFloatingPointIeee754<T>;
