using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// One Adam (or AdamW) step over a parameter in one parallel pass, each element read and written once (the optimiser of
/// the TopK paper, Gao et al. 2024, appendix A), with PyTorch's single-tensor Adam formula per element:
/// <code>
///   g = sign * g + wd_l2 * p            (sign = -1 when maximising; wd_l2 = weight_decay for Adam, 0 for AdamW)
///   m = m * beta1 + g * (1 - beta1)
///   v = v * beta2 + g * g * (1 - beta2)
///   p = p * decay - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)   (decay = 1 - lr * wd for AdamW, else 1)
/// </code>
/// Bit for bit the former C++ bridge's <c>adam_step_fused</c> (no FMA; every vector width rounds alike). AMSGrad is not
/// supported (the training step does not use it).
/// </summary>
public static unsafe class FusedAdam
{
    /// <summary>One step on <paramref name="count"/> elements: param_P, expAvg_P and expAvgSq_P updated in place.</summary>
    /// <param name="param_P">[count] the parameter.</param>
    /// <param name="grad_P">[count] its gradient (read only).</param>
    /// <param name="expAvg_P">[count] Adam's first moment (zeros before the first step).</param>
    /// <param name="expAvgSq_P">[count] Adam's second moment (zeros before the first step).</param>
    /// <param name="count">Number of elements.</param>
    /// <param name="settings">The step's hyperparameters and step number.</param>
    public static void Step<T>(T* param_P, T* grad_P, T* expAvg_P, T* expAvgSq_P, long count, in AdamStepSettings settings)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(count, nameof(count));
        settings.Validate();
        KernelChecks.NotNull(param_P, count, nameof(param_P));
        KernelChecks.NotNull(grad_P, count, nameof(grad_P));
        KernelChecks.NotNull(expAvg_P, count, nameof(expAvg_P));
        KernelChecks.NotNull(expAvgSq_P, count, nameof(expAvgSq_P));
        var k = settings.Coefficients<T>();
        var isa = KernelIsaScope.Current;
        RowParallel.For(count, 32768, (begin, end) =>
            Span(param_P + begin, grad_P + begin, expAvg_P + begin, expAvgSq_P + begin, end - begin, T.Zero, k, isa));
    }

    /// <summary>
    /// The update of len elements whose gradient is g - c * p: c = 0 for the plain step, c = a row's parallel coefficient
    /// for <see cref="UnitNormAdam"/>. The c term stays in the plain step too (the former C++ bridge's one loop), so that the
    /// fused unit-norm step is bit for bit the separate passes; with c = 0, wd_l2 = 0 and decay = 1 the extra terms are
    /// exact no-ops for finite weights.
    /// </summary>
    [MethodImpl(KernelJit.Optimized)]
    internal static void Span<T>(T* p, T* g, T* m, T* v, long len, T c, in AdamCoefficients<T> k, KernelIsa isa)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (isa == KernelIsa.Vector512)
        {
            var (cv, sign, wd, b1, omb1, b2, omb2, bc2, eps, nss, decay) = (Vector512.Create(c), Vector512.Create(k.Sign),
                Vector512.Create(k.WdL2), Vector512.Create(k.B1), Vector512.Create(k.OneMinusB1), Vector512.Create(k.B2),
                Vector512.Create(k.OneMinusB2), Vector512.Create(k.Bc2Sqrt), Vector512.Create(k.Eps),
                Vector512.Create(k.NegStepSize), Vector512.Create(k.Decay));
            for (; i + Vector512<T>.Count <= len; i += Vector512<T>.Count)
            {
                var w0 = Vector512.Load(p + i);
                var gi = sign * (Vector512.Load(g + i) - cv * w0) + wd * w0;
                var mi = Vector512.Load(m + i) * b1 + gi * omb1;
                var vi = Vector512.Load(v + i) * b2 + gi * gi * omb2;
                mi.Store(m + i);
                vi.Store(v + i);
                (w0 * decay + nss * (mi / (Vector512.Sqrt(vi) / bc2 + eps))).Store(p + i);
            }
        }
        else if (isa == KernelIsa.Vector256)
        {
            var (cv, sign, wd, b1, omb1, b2, omb2, bc2, eps, nss, decay) = (Vector256.Create(c), Vector256.Create(k.Sign),
                Vector256.Create(k.WdL2), Vector256.Create(k.B1), Vector256.Create(k.OneMinusB1), Vector256.Create(k.B2),
                Vector256.Create(k.OneMinusB2), Vector256.Create(k.Bc2Sqrt), Vector256.Create(k.Eps),
                Vector256.Create(k.NegStepSize), Vector256.Create(k.Decay));
            for (; i + Vector256<T>.Count <= len; i += Vector256<T>.Count)
            {
                var w0 = Vector256.Load(p + i);
                var gi = sign * (Vector256.Load(g + i) - cv * w0) + wd * w0;
                var mi = Vector256.Load(m + i) * b1 + gi * omb1;
                var vi = Vector256.Load(v + i) * b2 + gi * gi * omb2;
                mi.Store(m + i);
                vi.Store(v + i);
                (w0 * decay + nss * (mi / (Vector256.Sqrt(vi) / bc2 + eps))).Store(p + i);
            }
        }
        for (; i < len; i++) Element(p + i, g[i], m + i, v + i, c, k);
    }

    /// <summary>The scalar form of one element's update (the reference order of the vector loops above).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Element<T>(T* p, T g, T* m, T* v, T c, in AdamCoefficients<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w0 = *p;
        var gi = k.Sign * (g - c * w0) + k.WdL2 * w0;
        var mi = *m * k.B1 + gi * k.OneMinusB1;
        var vi = *v * k.B2 + gi * gi * k.OneMinusB2;
        *m = mi;
        *v = vi;
        *p = w0 * k.Decay + k.NegStepSize * (mi / (T.Sqrt(vi) / k.Bc2Sqrt + k.Eps));
    }
}
