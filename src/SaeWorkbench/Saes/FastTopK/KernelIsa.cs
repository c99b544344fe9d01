using System.Runtime.Intrinsics;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The vector width a kernel of this folder runs at. Every width does the same arithmetic per lane in the same order
/// (<see cref="FixedOrderMath"/>), so all of them give the same bits; the widest one the CPU accelerates is used unless a
/// caller narrows it with <see cref="KernelIsaScope.Limit"/> (the tests do, to prove that the paths agree).
/// </summary>
internal enum KernelIsa
{
    /// <summary>Plain scalar loops (16 lane sums kept in scalars for the dot product).</summary>
    Scalar = 0,
    /// <summary>Vector256 (AVX2 on x86-64).</summary>
    Vector256 = 1,
    /// <summary>Vector512 (AVX-512 on x86-64).</summary>
    Vector512 = 2,
}

/// <summary>
/// Which <see cref="KernelIsa"/> the kernels use: the widest the hardware accelerates, optionally narrowed for the
/// current logical flow of execution (an <see cref="AsyncLocal{T}"/>: it follows the caller into Parallel.For workers
/// and does not leak into concurrently running tests). Each kernel reads it once, at entry.
/// </summary>
internal static class KernelIsaScope
{
    private static readonly AsyncLocal<KernelIsa?> Ceiling = new();

    /// <summary>The widest path this machine accelerates.</summary>
    public static KernelIsa Hardware { get; } =
        Vector512.IsHardwareAccelerated ? KernelIsa.Vector512
        : Vector256.IsHardwareAccelerated ? KernelIsa.Vector256
        : KernelIsa.Scalar;

    /// <summary>The path kernels started now will use: <see cref="Hardware"/>, or narrower inside <see cref="Limit"/>.</summary>
    public static KernelIsa Current => Ceiling.Value is { } c && c < Hardware ? c : Hardware;

    /// <summary>Runs the kernels of the current flow at <paramref name="ceiling"/> or narrower until the result is disposed.</summary>
    public static IDisposable Limit(KernelIsa ceiling)
    {
        var previous = Ceiling.Value;
        Ceiling.Value = ceiling;
        return new Restore(previous);
    }

    private sealed class Restore(KernelIsa? previous) : IDisposable
    {
        public void Dispose() => Ceiling.Value = previous;
    }
}
