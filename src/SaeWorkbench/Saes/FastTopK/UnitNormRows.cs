using System.Numerics;
using System.Runtime.CompilerServices;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The unit-norm decoder constraint of the TopK paper (Gao et al. 2024, appendix A: decoder rows kept at unit norm, the
/// gradient's component parallel to each row projected out before the step), as two separate passes over [N, D]:
/// <code>
///   before the step: g[n] -= (g[n] . w[n] / max(||w[n]||^2, 1e-30)) w[n]      (RemoveParallelComponent)
///   after the step:  w[n] *= 1 / max(||w[n]||, 1e-30)                          (Normalize)
/// </code>
/// Used when something must see the projected gradient between the two (gradient clipping); otherwise
/// <see cref="UnitNormAdam"/> does both inside Adam's pass, with the same bits. Dot products in
/// <see cref="FixedOrderMath"/>'s order; bit for bit the former C++ bridge's <c>remove_parallel_rows_</c> and
/// <c>normalize_rows_</c>.
/// </summary>
public static unsafe class UnitNormRows
{
    /// <summary>grad_ND[r] -= (grad_ND[r] . W_ND[r] / max(||W_ND[r]||^2, 1e-30)) W_ND[r] for every row r &lt; n, in place.</summary>
    /// <param name="grad_ND">[n, d] the gradient, projected in place.</param>
    /// <param name="W_ND">[n, d] the rows (read only).</param>
    /// <param name="n">Rows.</param>
    /// <param name="d">Row width.</param>
    public static void RemoveParallelComponent<T>(T* grad_ND, T* W_ND, long n, long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(n, nameof(n));
        KernelChecks.NonNegative(d, nameof(d));
        KernelChecks.NotNull(grad_ND, n * d, nameof(grad_ND));
        KernelChecks.NotNull(W_ND, n * d, nameof(W_ND));
        var isa = KernelIsaScope.Current;
        RowParallel.For(n, 64, (begin, end) => RemoveParallelRows(begin, end, grad_ND, W_ND, d, isa));
    }

    [MethodImpl(KernelJit.Optimized)]
    private static void RemoveParallelRows<T>(long begin, long end, T* grad_ND, T* W_ND, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = begin; r < end; r++)
        {
            var g = grad_ND + r * d;
            var w = W_ND + r * d;
            FixedOrderMath.SubtractScaled(g, ParallelCoefficient(g, w, d, isa), w, d, isa);
        }
    }

    /// <summary>W_ND[r] *= 1 / max(||W_ND[r]||, 1e-30) for every row r &lt; n, in place.</summary>
    /// <param name="W_ND">[n, d] the rows.</param>
    /// <param name="n">Rows.</param>
    /// <param name="d">Row width.</param>
    public static void Normalize<T>(T* W_ND, long n, long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(n, nameof(n));
        KernelChecks.NonNegative(d, nameof(d));
        KernelChecks.NotNull(W_ND, n * d, nameof(W_ND));
        var isa = KernelIsaScope.Current;
        RowParallel.For(n, 64, (begin, end) => NormalizeRows(begin, end, W_ND, d, isa));
    }

    [MethodImpl(KernelJit.Optimized)]
    private static void NormalizeRows<T>(long begin, long end, T* W_ND, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = begin; r < end; r++) NormalizeRow(W_ND + r * d, d, isa);
    }

    /// <summary>(g . w) / max(w . w, 1e-30): the coefficient of g's component along w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T ParallelCoefficient<T>(T* g, T* w, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T> =>
        FixedOrderMath.Dot(g, w, d, isa) / MaxOf(FixedOrderMath.Dot(w, w, d, isa), Tiny<T>());

    /// <summary>w *= 1 / max(||w||, 1e-30).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void NormalizeRow<T>(T* w, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T> =>
        FixedOrderMath.Scale(w, T.One / MaxOf(T.Sqrt(FixedOrderMath.Dot(w, w, d, isa)), Tiny<T>()), d, isa);

    /// <summary>std::max(a, b): b when a &lt; b, else a (so a NaN a stays NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T MaxOf<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a < b ? b : a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Tiny<T>() where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(1e-30);
}
