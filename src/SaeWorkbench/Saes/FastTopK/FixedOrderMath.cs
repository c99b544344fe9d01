using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// Dot product and axpy with one fixed rounding order, the same on every vector width, so that the kernels of this
/// folder (the sparse TopK step of Gao et al. 2024, §2.3) give the same bits on an AVX-512 machine, an AVX2 machine and
/// a scalar one, and for any thread count. The order is the former C++ bridge's (simd.h, built with -ffp-contract=off):
/// <list type="bullet">
/// <item>dot: 16 lane sums, element j going to lane j mod 16 (in order of j), then a fixed tree: lane l += lane l + w for
///   w = 8, 4, 2, 1. A float Vector512 holds the 16 lanes, a double one 8 of them, and so on; no fused multiply-add.</item>
/// <item>axpy: o[j] = o[j] + a * x[j], element by element (no reduction, so the width cannot matter).</item>
/// </list>
/// Only float and double are supported (<see cref="NotSupportedException"/> otherwise).
/// </summary>
public static unsafe class FixedOrderMath
{
    /// <summary>x . y over <paramref name="d"/> elements, in the fixed lane order above.</summary>
    public static T Dot<T>(T* x, T* y, long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(d, nameof(d));
        return Dot(x, y, d, KernelIsaScope.Current);
    }

    /// <summary>o[j] += a * x[j] for j &lt; <paramref name="d"/> (o and x must not overlap unless equal).</summary>
    public static void Axpy<T>(T* o, T a, T* x, long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(d, nameof(d));
        Axpy(o, a, x, d, KernelIsaScope.Current);
    }

    // ---- the paths: the kernels call these with the ISA they read once at entry ----

    internal static T Dot<T>(T* x, T* y, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T> => isa switch
    {
        KernelIsa.Vector512 => Dot512(x, y, d),
        KernelIsa.Vector256 => Dot256(x, y, d),
        _ => DotScalar(x, y, d),
    };

    [MethodImpl(KernelJit.Optimized)]
    internal static void Axpy<T>(T* o, T a, T* x, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long j = 0;
        if (isa == KernelIsa.Vector512)
        {
            var av = Vector512.Create(a);
            for (; j + Vector512<T>.Count <= d; j += Vector512<T>.Count)
                (Vector512.Load(o + j) + av * Vector512.Load(x + j)).Store(o + j);
        }
        else if (isa == KernelIsa.Vector256)
        {
            var av = Vector256.Create(a);
            for (; j + Vector256<T>.Count <= d; j += Vector256<T>.Count)
                (Vector256.Load(o + j) + av * Vector256.Load(x + j)).Store(o + j);
        }
        for (; j < d; j++) o[j] += a * x[j];
    }

    /// <summary>w[j] *= s for j &lt; d.</summary>
    [MethodImpl(KernelJit.Optimized)]
    internal static void Scale<T>(T* w, T s, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long j = 0;
        if (isa == KernelIsa.Vector512)
        {
            var sv = Vector512.Create(s);
            for (; j + Vector512<T>.Count <= d; j += Vector512<T>.Count) (Vector512.Load(w + j) * sv).Store(w + j);
        }
        else if (isa == KernelIsa.Vector256)
        {
            var sv = Vector256.Create(s);
            for (; j + Vector256<T>.Count <= d; j += Vector256<T>.Count) (Vector256.Load(w + j) * sv).Store(w + j);
        }
        for (; j < d; j++) w[j] *= s;
    }

    /// <summary>o[j] = o[j] - c * x[j] for j &lt; d.</summary>
    [MethodImpl(KernelJit.Optimized)]
    internal static void SubtractScaled<T>(T* o, T c, T* x, long d, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long j = 0;
        if (isa == KernelIsa.Vector512)
        {
            var cv = Vector512.Create(c);
            for (; j + Vector512<T>.Count <= d; j += Vector512<T>.Count)
                (Vector512.Load(o + j) - cv * Vector512.Load(x + j)).Store(o + j);
        }
        else if (isa == KernelIsa.Vector256)
        {
            var cv = Vector256.Create(c);
            for (; j + Vector256<T>.Count <= d; j += Vector256<T>.Count)
                (Vector256.Load(o + j) - cv * Vector256.Load(x + j)).Store(o + j);
        }
        for (; j < d; j++) o[j] = o[j] - c * x[j];
    }

    /// <summary>The reference order itself: 16 scalar lane sums, then the tree.</summary>
    [MethodImpl(KernelJit.Optimized)]
    private static T DotScalar<T>(T* x, T* y, long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var acc = stackalloc T[16];
        for (var l = 0; l < 16; l++) acc[l] = T.Zero;
        long j = 0;
        for (; j + 16 <= d; j += 16)
            for (var l = 0; l < 16; l++) acc[l] += x[j + l] * y[j + l];
        AddTail(acc, x + j, y + j, d - j);
        for (var w = 8; w >= 1; w /= 2)
            for (var l = 0; l < w; l++) acc[l] += acc[l + w];
        return acc[0];
    }

    /// <summary>The last d mod 16 products, added to lanes 0, 1, ... (as lane j mod 16 would receive them).</summary>
    private static void AddTail<T>(T* lanes, T* x, T* y, long rest) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var l = 0; l < rest; l++) lanes[l] += x[l] * y[l];
    }

    [MethodImpl(KernelJit.Optimized)]
    private static T Dot512<T>(T* x, T* y, long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long j = 0;
        if (Vector512<T>.Count == 16)
        {
            // float: lanes 0-15 in one vector.
            var a = Vector512<T>.Zero;
            for (; j + 16 <= d; j += 16) a += Vector512.Load(x + j) * Vector512.Load(y + j);
            if (j < d)
            {
                var lanes = stackalloc T[16];
                a.Store(lanes);
                AddTail(lanes, x + j, y + j, d - j);
                a = Vector512.Load(lanes);
            }
            return Reduce8(a.GetLower() + a.GetUpper());              // w = 8
        }
        // double: lanes 0-7 and 8-15.
        var a0 = Vector512<T>.Zero;
        var a1 = Vector512<T>.Zero;
        for (; j + 16 <= d; j += 16)
        {
            a0 += Vector512.Load(x + j) * Vector512.Load(y + j);
            a1 += Vector512.Load(x + j + 8) * Vector512.Load(y + j + 8);
        }
        if (j < d)
        {
            var lanes = stackalloc T[16];
            a0.Store(lanes);
            a1.Store(lanes + 8);
            AddTail(lanes, x + j, y + j, d - j);
            a0 = Vector512.Load(lanes);
            a1 = Vector512.Load(lanes + 8);
        }
        return Reduce8(a0 + a1);                                      // w = 8
    }

    [MethodImpl(KernelJit.Optimized)]
    private static T Dot256<T>(T* x, T* y, long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long j = 0;
        if (Vector256<T>.Count == 8)
        {
            // float: lanes 0-7 and 8-15.
            var a0 = Vector256<T>.Zero;
            var a1 = Vector256<T>.Zero;
            for (; j + 16 <= d; j += 16)
            {
                a0 += Vector256.Load(x + j) * Vector256.Load(y + j);
                a1 += Vector256.Load(x + j + 8) * Vector256.Load(y + j + 8);
            }
            if (j < d)
            {
                var lanes = stackalloc T[16];
                a0.Store(lanes);
                a1.Store(lanes + 8);
                AddTail(lanes, x + j, y + j, d - j);
                a0 = Vector256.Load(lanes);
                a1 = Vector256.Load(lanes + 8);
            }
            return Reduce8(a0 + a1);                                  // w = 8
        }
        // double: lanes 0-3, 4-7, 8-11, 12-15.
        var b0 = Vector256<T>.Zero;
        var b1 = Vector256<T>.Zero;
        var b2 = Vector256<T>.Zero;
        var b3 = Vector256<T>.Zero;
        for (; j + 16 <= d; j += 16)
        {
            b0 += Vector256.Load(x + j) * Vector256.Load(y + j);
            b1 += Vector256.Load(x + j + 4) * Vector256.Load(y + j + 4);
            b2 += Vector256.Load(x + j + 8) * Vector256.Load(y + j + 8);
            b3 += Vector256.Load(x + j + 12) * Vector256.Load(y + j + 12);
        }
        if (j < d)
        {
            var lanes = stackalloc T[16];
            b0.Store(lanes);
            b1.Store(lanes + 4);
            b2.Store(lanes + 8);
            b3.Store(lanes + 12);
            AddTail(lanes, x + j, y + j, d - j);
            b0 = Vector256.Load(lanes);
            b1 = Vector256.Load(lanes + 4);
            b2 = Vector256.Load(lanes + 8);
            b3 = Vector256.Load(lanes + 12);
        }
        var c = (b0 + b2) + (b1 + b3);                                // w = 8, then w = 4: lanes 0-3
        var c2 = c.GetLower() + c.GetUpper();                         // w = 2
        return c2.GetElement(0) + c2.GetElement(1);                   // w = 1
    }

    /// <summary>The tree's levels w = 4, 2, 1 on 8 float lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Reduce8<T>(Vector256<T> a8) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a4 = a8.GetLower() + a8.GetUpper();                                               // w = 4
        return (a4.GetElement(0) + a4.GetElement(2)) + (a4.GetElement(1) + a4.GetElement(3)); // w = 2, then 1
    }

    /// <summary>The tree's levels w = 4, 2, 1 on 8 double lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Reduce8<T>(Vector512<T> a8) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a4 = a8.GetLower() + a8.GetUpper();                       // w = 4
        var a2 = a4.GetLower() + a4.GetUpper();                       // w = 2
        return a2.GetElement(0) + a2.GetElement(1);                   // w = 1
    }
}
