using System.Numerics;
using System.Runtime.Intrinsics;
using SaeWorkbench.Saes.FastTopK;
using static SaeWorkbench.Tests.FastTopK.KernelTestSupport;

namespace SaeWorkbench.Tests.FastTopK;

/// <summary>The fixed-order dot product and axpy: the reference order's bits on every vector width, for every length.</summary>
public class FixedOrderMathTests(ITestOutputHelper output)
{
    [Fact]
    public void TheMachineHasTheWidePath()
    {
        // Not an assertion (CI machines differ): the log says which paths the ISA tests really compared.
        output.WriteLine($"Vector512 accelerated: {Vector512.IsHardwareAccelerated}, Vector256: {Vector256.IsHardwareAccelerated}, kernels use {KernelIsaScope.Hardware}");
        using (KernelIsaScope.Limit(KernelIsa.Scalar)) Assert.Equal(KernelIsa.Scalar, KernelIsaScope.Current);
        Assert.Equal(KernelIsaScope.Hardware, KernelIsaScope.Current);
    }

    [Fact] public void DotFloat() => Dot<float>();
    [Fact] public void DotDouble() => Dot<double>();
    [Fact] public void AxpyFloat() => Axpy<float>();
    [Fact] public void AxpyDouble() => Axpy<double>();

    private static readonly int[] Lengths = [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 37, 63, 100, 768, 1001];

    private static unsafe void Dot<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(1);
        foreach (var d in Lengths)
        {
            // Magnitudes spread over many binades, so that any other order of summation would round differently.
            var x = Randn<T>(rng, d, 1000);
            var y = Randn<T>(rng, d);
            var expected = ReferenceDot<T>(x, y);
            var got = OnEveryIsa(() =>
            {
                fixed (T* xp = x, yp = y) return new[] { FixedOrderMath.Dot(xp, yp, d) };
            });
            foreach (var g in got) AssertBitEqual([expected], g, $"dot, d = {d}");
            var naive = NaiveDot<T>(x, y);
            var scale = 0.0;
            for (var j = 0; j < d; j++) scale += Math.Abs(double.CreateTruncating(x[j]) * double.CreateTruncating(y[j]));
            Assert.True(Math.Abs(double.CreateTruncating(expected) - naive) <= Tolerance<T>() * (scale + 1e-30), $"d = {d}");
        }
    }

    private static unsafe void Axpy<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(2);
        foreach (var d in Lengths)
        {
            var o = Randn<T>(rng, d);
            var x = Randn<T>(rng, d);
            var a = T.CreateTruncating(0.37);
            var expected = o.ToArray();
            for (var j = 0; j < d; j++) expected[j] += a * x[j];
            foreach (var got in OnEveryIsa(() =>
                     {
                         var copy = o.ToArray();
                         fixed (T* op = copy, xp = x) FixedOrderMath.Axpy(op, a, xp, d);
                         return copy;
                     }))
                AssertBitEqual(expected, got, $"axpy, d = {d}");
        }
    }

    [Fact]
    public unsafe void OnlyFloatAndDoubleAreKernelTypes()
    {
        var h = new Half[4];
        fixed (Half* p = h)
        {
            var q = p;
            Assert.Throws<NotSupportedException>(() => FixedOrderMath.Dot(q, q, 4));
        }
    }
}
