using System.Numerics;
using System.Runtime.InteropServices;
using SaeWorkbench.Saes.FastTopK;

namespace SaeWorkbench.Tests.FastTopK;

/// <summary>
/// What the FastTopK kernel tests share: the vector widths to run each kernel at, bit-exact comparison, seeded data, and
/// the reference dot product written out as the order it specifies (16 lane sums, then the tree), independently of the
/// kernels' code.
/// </summary>
internal static class KernelTestSupport
{
    /// <summary>Every width, narrowest first. On a machine without AVX-512 the widest runs as Vector256.</summary>
    public static readonly KernelIsa[] AllIsas = [KernelIsa.Scalar, KernelIsa.Vector256, KernelIsa.Vector512];

    /// <summary>Runs <paramref name="run"/> once per width and returns each result.</summary>
    public static TResult[] OnEveryIsa<TResult>(Func<TResult> run) =>
        AllIsas.Select(isa =>
        {
            using var limit = KernelIsaScope.Limit(isa);
            return run();
        }).ToArray();

    /// <summary>Asserts that two arrays hold the same bits (NaN payloads and zero signs included).</summary>
    public static void AssertBitEqual<T>(T[] expected, T[] actual, string what) where T : unmanaged
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = MemoryMarshal.AsBytes(expected.AsSpan());
        var a = MemoryMarshal.AsBytes(actual.AsSpan());
        if (e.SequenceEqual(a)) return;
        int i;
        for (i = 0; i < expected.Length; i++)
            if (!MemoryMarshal.AsBytes(expected.AsSpan(i, 1)).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan(i, 1)))) break;
        Assert.Fail($"{what}: first difference at [{i}]: expected {expected[i]}, got {actual[i]}");
    }

    public static T[] Randn<T>(Random rng, long count, double scale = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = new T[count];
        for (var i = 0; i < count; i++)
        {
            // Box-Muller: a normal sample, so magnitudes vary and rounding matters.
            var u = 1 - rng.NextDouble();
            var v = rng.NextDouble();
            a[i] = T.CreateTruncating(scale * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
        return a;
    }

    public static long[] RandInt(Random rng, long count, long below)
    {
        var a = new long[count];
        for (var i = 0; i < count; i++) a[i] = rng.NextInt64(below);
        return a;
    }

    /// <summary>The reference order of every dot product: x[j] y[j] goes to lane j mod 16, then lane l += lane l + w for
    /// w = 8, 4, 2, 1.</summary>
    public static T ReferenceDot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> lane = stackalloc T[16];
        lane.Clear();
        for (var j = 0; j < x.Length; j++) lane[j % 16] += x[j] * y[j];
        for (var w = 8; w >= 1; w /= 2)
            for (var l = 0; l < w; l++) lane[l] += lane[l + w];
        return lane[0];
    }

    /// <summary>The plain sum of products in double, to check that the fixed order is a dot product at all.</summary>
    public static double NaiveDot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = 0.0;
        for (var j = 0; j < x.Length; j++) s += double.CreateTruncating(x[j]) * double.CreateTruncating(y[j]);
        return s;
    }

    /// <summary>Relative tolerance for comparisons against double-precision sums.</summary>
    public static double Tolerance<T>() => typeof(T) == typeof(float) ? 1e-4 : 1e-11;
}
