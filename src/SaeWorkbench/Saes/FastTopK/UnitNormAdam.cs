using System.Numerics;
using System.Runtime.CompilerServices;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// Adam on a matrix whose rows are kept at unit L2 norm, the TopK SAE's decoder (Gao et al. 2024, appendix A: unit-norm
/// decoder rows, the gradient's component parallel to each row removed before the step), fused in one pass per row:
/// <code>
///   c      = (g[n] . w[n]) / max(||w[n]||^2, 1e-30)          the parallel component of the gradient
///   w[n]   = Adam(w[n], g[n] - c w[n])                        FusedAdam's formula, element by element
///   w[n]  *= 1 / max(||w[n]||, 1e-30)                         back to unit norm
/// </code>
/// Each row of the weights, gradient and moments is read from memory once, instead of three passes. Bit for bit the
/// three separate passes (<see cref="UnitNormRows.RemoveParallelComponent{T}"/> on a copy of the gradient,
/// <see cref="FusedAdam.Step{T}"/>, <see cref="UnitNormRows.Normalize{T}"/>) and the former C++ bridge's
/// <c>adam_step_fused</c> with unit-norm rows. The gradient itself is left unchanged.
/// </summary>
public static unsafe class UnitNormAdam
{
    /// <summary>One step on the [n, d] rows W_ND (and its moments), in place; grad_ND is only read.</summary>
    /// <param name="W_ND">[n, d] the parameter, rows at unit norm after the step.</param>
    /// <param name="grad_ND">[n, d] its gradient (not projected; read only).</param>
    /// <param name="expAvg_ND">[n, d] Adam's first moment.</param>
    /// <param name="expAvgSq_ND">[n, d] Adam's second moment.</param>
    /// <param name="n">Rows.</param>
    /// <param name="d">Row width.</param>
    /// <param name="settings">The step's hyperparameters and step number.</param>
    public static void Step<T>(T* W_ND, T* grad_ND, T* expAvg_ND, T* expAvgSq_ND, long n, long d, in AdamStepSettings settings)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(n, nameof(n));
        KernelChecks.NonNegative(d, nameof(d));
        settings.Validate();
        KernelChecks.NotNull(W_ND, n * d, nameof(W_ND));
        KernelChecks.NotNull(grad_ND, n * d, nameof(grad_ND));
        KernelChecks.NotNull(expAvg_ND, n * d, nameof(expAvg_ND));
        KernelChecks.NotNull(expAvgSq_ND, n * d, nameof(expAvgSq_ND));
        var k = settings.Coefficients<T>();
        var isa = KernelIsaScope.Current;
        RowParallel.For(n, 64, (begin, end) => StepRows(begin, end, W_ND, grad_ND, expAvg_ND, expAvgSq_ND, d, k, isa));
    }

    /// <summary>Rows [begin, end): projection coefficient, Adam on the projected gradient, renormalisation.</summary>
    [MethodImpl(KernelJit.Optimized)]
    private static void StepRows<T>(long begin, long end, T* W_ND, T* grad_ND, T* expAvg_ND, T* expAvgSq_ND, long d,
                                    in AdamCoefficients<T> k, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = begin; r < end; r++)
        {
            var o = r * d;
            var c = UnitNormRows.ParallelCoefficient(grad_ND + o, W_ND + o, d, isa);
            FusedAdam.Span(W_ND + o, grad_ND + o, expAvg_ND + o, expAvgSq_ND + o, d, c, k, isa);
            UnitNormRows.NormalizeRow(W_ND + o, d, isa);
        }
    }
}
