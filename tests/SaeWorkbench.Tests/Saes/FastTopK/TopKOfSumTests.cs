using System.Numerics;
using SaeWorkbench.Saes.FastTopK;
using static SaeWorkbench.Tests.FastTopK.KernelTestSupport;

namespace SaeWorkbench.Tests.FastTopK;

/// <summary>
/// TopKOfSum against a stable sort of x + bias per row (NaN above every number, ties to the lower column): wide rows with
/// many ties and NaNs, k = 1 .. n, with and without bias, float and double, every vector width bit for bit.
/// </summary>
public class TopKOfSumTests
{
    /// <summary>The reference: all n sums sorted by (NaN first, greater value, lower column), the first k kept.</summary>
    private static (T[] values, long[] indices) Reference<T>(T[] x, T[]? bias, long b, long n, long k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[b * k];
        var indices = new long[b * k];
        for (var r = 0; r < b; r++)
        {
            var order = Enumerable.Range(0, (int)n).Select(j => (v: bias is null ? x[r * n + j] : x[r * n + j] + bias[j], j: (long)j)).ToList();
            order.Sort((p, q) =>
            {
                if (T.IsNaN(p.v) != T.IsNaN(q.v)) return T.IsNaN(p.v) ? -1 : 1;
                if (!T.IsNaN(p.v) && p.v != q.v) return p.v > q.v ? -1 : 1;
                return p.j.CompareTo(q.j);
            });
            for (var i = 0; i < k; i++) (values[r * k + i], indices[r * k + i]) = order[i];
        }
        return (values, indices);
    }

    private static unsafe (T[] values, long[] indices) Run<T>(T[] x, T[]? bias, long b, long n, long k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = new T[b * k];
        var indices = new long[b * k];
        fixed (T* xp = x, bp = bias, vp = values)
        fixed (long* ip = indices)
            TopKOfSum.Select(xp, bp, b, n, k, vp, ip);
        return (values, indices);
    }

    private static void AssertMatchesReference<T>(T[] x, T[]? bias, long b, long n, long k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ev, ei) = Reference(x, bias, b, n, k);
        foreach (var (v, i) in OnEveryIsa(() => Run(x, bias, b, n, k)))
        {
            Assert.Equal(ei, i);
            AssertBitEqual(ev, v, $"values, n = {n}, k = {k}, bias {(bias is null ? "null" : "given")}");
        }
    }

    [Fact]
    public void KnownAnswerNaNIsLargestAndTiesGoToTheLowerColumn()
    {
        float[] x = [1, float.NaN, 3, 3, -1, 2];
        var (v, i) = Run(x, null, 1, 6, 3);
        Assert.Equal(new long[] { 1, 2, 3 }, i);
        Assert.True(float.IsNaN(v[0]));
        Assert.Equal(new float[] { 3, 3 }, v[1..]);
        Assert.Contains("k = 7", Assert.Throws<ArgumentOutOfRangeException>(() => Run(x, null, 1, 6, 7)).Message);
        Assert.Contains("k = 0", Assert.Throws<ArgumentOutOfRangeException>(() => Run(x, null, 1, 6, 0)).Message);
    }

    [Fact] public void WideRowsWithTiesAndNaNsFloat() => WideRows<float>();
    [Fact] public void WideRowsWithTiesAndNaNsDouble() => WideRows<double>();

    private static void WideRows<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        // 5003 columns: many cuts of the candidate buffer, the 32-wide blocks, and a tail that is not a whole block.
        // Small integers make ties at the threshold common.
        const long b = 24, n = 5003;
        var rng = new Random(12);
        var x = new T[b * n];
        for (var i = 0; i < x.Length; i++) x[i] = T.CreateTruncating(rng.Next(-50, 50));
        for (var r = 0; r < b; r += 5) x[r * n + rng.Next((int)n)] = T.NaN;          // a NaN in some rows
        for (var j = 0; j < n; j++) x[3 * n + j] = T.One;                            // a row of equal values: the first k win
        for (var j = 0; j < n; j += 17) x[4 * n + j] = T.NaN;                         // more NaNs than k: the threshold is NaN
        for (var j = 0; j < n; j++) x[6 * n + j] = j % 2 == 0 ? T.Zero : T.NegativeZero;   // -0 and +0 tie
        x[7 * n + 4000] = T.PositiveInfinity;
        x[7 * n + 10] = T.NegativeInfinity;
        for (var j = 0; j < n; j++) x[8 * n + j] = T.CreateTruncating(j);            // increasing: the threshold rises all the way
        for (var j = 0; j < n; j++) x[9 * n + j] = T.CreateTruncating(-j);           // decreasing: nothing after the start passes
        var bias = new T[n];
        for (var j = 0; j < n; j++) bias[j] = T.CreateTruncating(rng.Next(-3, 3));
        foreach (var k in new long[] { 1, 32, 100, n })
        {
            AssertMatchesReference(x, bias, b, n, k);
            AssertMatchesReference(x, null, b, n, k);
        }
        // The equal row keeps columns 0 .. k-1 in order.
        var (_, first) = Run(x[(int)(3 * n)..(int)(4 * n)], null, 1, n, 32);
        Assert.Equal(Enumerable.Range(0, 32).Select(j => (long)j), first);
    }

    [Fact] public void NarrowAndOddWidthsFloat() => NarrowAndOddWidths<float>();
    [Fact] public void NarrowAndOddWidthsDouble() => NarrowAndOddWidths<double>();

    private static void NarrowAndOddWidths<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Widths below, at and around one block and the buffer's first cut; random normals (no ties).
        var rng = new Random(3);
        foreach (var n in new long[] { 1, 6, 31, 32, 33, 64, 65, 129, 211, 1000 })
        {
            const long b = 37;
            var x = Randn<T>(rng, b * n);
            var bias = Randn<T>(rng, n);
            foreach (var k in new long[] { 1, Math.Min(7, n), n })
            {
                AssertMatchesReference(x, bias, b, n, k);
                AssertMatchesReference(x, null, b, n, k);
            }
        }
    }

    [Fact]
    public void NoRowsIsNothingToDo()
    {
        var (v, i) = Run(Array.Empty<float>(), null, 0, 10, 3);
        Assert.Empty(v);
        Assert.Empty(i);
    }
}
