using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The JIT setting of the kernels' loops: compiled fully optimised on their first call rather than through the tiers
/// (tier 0, then on-stack replacement, then tier 1 after some 30 calls). A kernel runs a handful of times per training
/// step, so without it the first steps of a run would go at a fraction of the speed.
/// </summary>
internal static class KernelJit
{
    public const MethodImplOptions Optimized = MethodImplOptions.AggressiveOptimization;
}

/// <summary>Argument checks shared by the kernels: each names the argument, its value and the allowed range.</summary>
internal static unsafe class KernelChecks
{
    public static void FloatOrDouble<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"the FastTopK kernels take float or double, not {typeof(T).Name}");
    }

    public static void NonNegative(long value, string name)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"{name} = {value} must be >= 0");
    }

    /// <summary>A pointer may be null only when it points at nothing (<paramref name="elements"/> = 0).</summary>
    public static void NotNull(void* p, long elements, string name)
    {
        if (p == null && elements > 0) throw new ArgumentNullException(name, $"{name} is null but must hold {elements} elements");
    }

    /// <summary>Every idx[i] (i &lt; m) must lie in [0, limit).</summary>
    public static void InRange(long* idx, long m, long limit, string name)
    {
        for (long i = 0; i < m; i++)
            if ((ulong)idx[i] >= (ulong)limit)
                throw new ArgumentOutOfRangeException(name, idx[i], $"{name}[{i}] = {idx[i]} is out of range [0, {limit})");
    }
}

/// <summary>
/// Parallel.For over contiguous ranges of rows: each range runs on one thread, so a kernel whose rows do not share
/// outputs gives the same bits for any thread count and any split.
/// </summary>
internal static class RowParallel
{
    /// <summary>Calls <paramref name="body"/>(begin, end) on ranges covering [0, count) of at least
    /// <paramref name="grain"/> rows (fewer for the last), in parallel when there is more than one range.</summary>
    public static void For(long count, long grain, Action<long, long> body)
    {
        if (count <= 0) return;
        // A few ranges per core, so that uneven rows (latents with many entries) balance out.
        var ranges = Math.Min((count + grain - 1) / grain, 4L * Environment.ProcessorCount);
        if (ranges <= 1)
        {
            body(0, count);
            return;
        }
        var size = (count + ranges - 1) / ranges;
        Parallel.For(0L, (count + size - 1) / size, i => body(i * size, Math.Min(count, (i + 1) * size)));
    }
}

/// <summary>
/// Software prefetch of a row that is about to be read in an order the hardware prefetcher cannot guess (a gather of
/// random rows). x86 only; elsewhere a no-op. It only moves data into the cache: results do not depend on it.
/// </summary>
internal static unsafe class RowPrefetch
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fetch(void* row, long bytes)
    {
        if (!Sse.IsSupported) return;
        for (long b = 0; b < bytes; b += 64) Sse.Prefetch0((byte*)row + b);
    }
}
