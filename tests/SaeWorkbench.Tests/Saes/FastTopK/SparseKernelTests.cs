using System.Numerics;
using SaeWorkbench.Saes.FastTopK;
using static SaeWorkbench.Tests.FastTopK.KernelTestSupport;

namespace SaeWorkbench.Tests.FastTopK;

/// <summary>
/// The COO kernels (SparseCoo, SparseDecode, SparseEncoderGradient) against scalar loops over the entries in their given
/// order, bit for bit on every vector width, and against the dense products in double to a tolerance.
/// </summary>
public class SparseKernelTests
{
    private static readonly long[] Widths = [1, 9, 16, 37, 64];

    /// <summary>out[r] = sum over m with row[m] = r, in entry order from zero, of value[m] dense[col[m]].</summary>
    private static T[] ReferenceSpmm<T>(long[] row, long[] col, T[] value, T[] dense, long d, long numRows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = new T[numRows * d];
        for (var m = 0; m < row.Length; m++)
            for (var j = 0; j < d; j++) o[row[m] * d + j] += value[m] * dense[col[m] * d + j];
        return o;
    }

    private static T RefDot<T>(T[] a, long i, T[] b, long c, long d) where T : unmanaged, IFloatingPointIeee754<T> =>
        ReferenceDot<T>(a.AsSpan((int)(i * d), (int)d), b.AsSpan((int)(c * d), (int)d));

    [Fact] public void SpmmFloat() => Spmm<float>();
    [Fact] public void SpmmDouble() => Spmm<double>();

    private static unsafe void Spmm<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(5);
        foreach (var d in Widths)
            foreach (var m in new long[] { 0, 1, 300, 5000 })
            {
                const long rows = 23, k = 17, extra = 5;   // the last `extra` rows have no entries
                var row = RandInt(rng, m, rows);
                var col = RandInt(rng, m, k);
                var value = Randn<T>(rng, m);
                var dense = Randn<T>(rng, k * d);
                var expected = ReferenceSpmm(row, col, value, dense, d, rows + extra);
                foreach (var got in OnEveryIsa(() =>
                         {
                             var o = Enumerable.Repeat(T.NaN, (int)((rows + extra) * d)).ToArray();   // overwritten, not accumulated
                             fixed (long* rp = row, cp = col)
                             fixed (T* vp = value, dp = dense, op = o)
                                 SparseCoo.Spmm(rp, cp, vp, m, dp, k, d, op, rows + extra);
                             return o;
                         }))
                    AssertBitEqual(expected, got, $"spmm, d = {d}, m = {m}");
                // The dense form S @ dense in double, S [rows, k] with repeated coordinates added.
                for (var r = 0; r < rows; r++)
                    for (var j = 0; j < d; j++)
                    {
                        double s = 0, scale = 0;
                        for (var e = 0; e < m; e++)
                            if (row[e] == r)
                            {
                                var t = double.CreateTruncating(value[e]) * double.CreateTruncating(dense[col[e] * d + j]);
                                s += t;
                                scale += Math.Abs(t);
                            }
                        Assert.True(Math.Abs(double.CreateTruncating(expected[r * d + j]) - s) <= Tolerance<T>() * (scale + 1e-30));
                    }
            }
    }

    [Fact]
    public unsafe void SpmmNamesAnOutOfRangeIndex()
    {
        long[] row = [0, 2, 3];
        long[] col = [0, 1, 0];
        float[] value = [1, 2, 3];
        var dense = new float[2 * 4];
        var o = new float[3 * 4];
        fixed (long* rp = row, cp = col)
        fixed (float* vp = value, dp = dense, op = o)
        {
            var rp2 = rp;
            var cp2 = cp;
            var vp2 = vp;
            var dp2 = dp;
            var op2 = op;
            var bad = Assert.Throws<ArgumentOutOfRangeException>(() => SparseCoo.Spmm(rp2, cp2, vp2, 3, dp2, 2, 4, op2, 3));
            Assert.Contains("row_M[2] = 3 is out of range [0, 3)", bad.Message);
            bad = Assert.Throws<ArgumentOutOfRangeException>(() => SparseCoo.Spmm(rp2, cp2, vp2, 3, dp2, 1, 4, op2, 4));
            Assert.Contains("col_M[1] = 1 is out of range [0, 1)", bad.Message);
        }
    }

    [Fact] public void SddmmFloat() => Sddmm<float>();
    [Fact] public void SddmmDouble() => Sddmm<double>();

    private static unsafe void Sddmm<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(6);
        foreach (var d in Widths)
            foreach (var m in new long[] { 0, 1, 700 })
            {
                const long ra = 23, rb = 17;
                var row = RandInt(rng, m, ra);
                var col = RandInt(rng, m, rb);
                var a = Randn<T>(rng, ra * d);
                var b = Randn<T>(rng, rb * d);
                var expected = new T[m];
                for (var e = 0; e < m; e++) expected[e] = RefDot(a, row[e], b, col[e], d);
                foreach (var got in OnEveryIsa(() =>
                         {
                             var o = new T[m];
                             fixed (long* rp = row, cp = col)
                             fixed (T* ap = a, bp = b, op = o)
                                 SparseCoo.Sddmm(rp, cp, m, ap, ra, bp, rb, d, op);
                             return o;
                         }))
                    AssertBitEqual(expected, got, $"sddmm, d = {d}, m = {m}");
            }
    }

    [Fact] public void DecodeForwardAndBackwardFloat() => Decode<float>();
    [Fact] public void DecodeForwardAndBackwardDouble() => Decode<double>();

    private static unsafe void Decode<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(9);
        foreach (var d in Widths)
            foreach (var m in new long[] { 0, 1, 200, 3000 })
            {
                const long b = 31, n = 45;
                var token = RandInt(rng, m, b);
                var latent = RandInt(rng, m, n - 5);          // the last 5 latents have no entries
                var z = Randn<T>(rng, m);
                var w = Randn<T>(rng, n * d);
                var g = Randn<T>(rng, b * d);
                // Forward: x_hat[t] = sum over t's entries of z W_dec[latent].
                var xHat = ReferenceSpmm(token, latent, z, w, d, b);
                // Backward: dz[m] = g[token] . W_dec[latent]; dW_dec[n] = sum over n's entries, in order, of z g[token].
                var dz = new T[m];
                for (var e = 0; e < m; e++) dz[e] = RefDot(g, token[e], w, latent[e], d);
                var dW = ReferenceSpmm(latent, token, z, g, d, n);
                foreach (var (fx, bz, bw, sz, sw) in OnEveryIsa(() =>
                         {
                             var x = new T[b * d];
                             var dzOut = new T[m];
                             var dwOut = Enumerable.Repeat(T.NaN, (int)(n * d)).ToArray();
                             var sddmm = new T[m];
                             var spmm = new T[n * d];
                             fixed (long* tp = token, lp = latent)
                             fixed (T* zp = z, wp = w, gp = g, xp = x, dzp = dzOut, dwp = dwOut, sdp = sddmm, spp = spmm)
                             {
                                 SparseDecode.Forward(tp, lp, zp, m, wp, n, d, xp, b);
                                 SparseDecode.Backward(tp, lp, zp, m, gp, b, wp, n, d, dzp, dwp);
                                 // The two separate kernels the fused backward replaces.
                                 SparseCoo.Sddmm(tp, lp, m, gp, b, wp, n, d, sdp);
                                 SparseCoo.Spmm(lp, tp, zp, m, gp, b, d, spp, n);
                             }
                             return (x, dzOut, dwOut, sddmm, spmm);
                         }))
                {
                    AssertBitEqual(xHat, fx, $"decode forward, d = {d}, m = {m}");
                    AssertBitEqual(dz, bz, $"decode backward dz, d = {d}, m = {m}");
                    AssertBitEqual(dW, bw, $"decode backward dW, d = {d}, m = {m}");
                    AssertBitEqual(dz, sz, $"sddmm as dz, d = {d}, m = {m}");
                    AssertBitEqual(dW, sw, $"spmm as dW, d = {d}, m = {m}");
                }
                // dz against the dense product in double.
                for (var e = 0; e < m; e++)
                {
                    var exact = NaiveDot<T>(g.AsSpan((int)(token[e] * d), (int)d), w.AsSpan((int)(latent[e] * d), (int)d));
                    Assert.True(Math.Abs(double.CreateTruncating(dz[e]) - exact) <= Tolerance<T>() * (Math.Abs(exact) + d));
                }
            }
    }

    [Fact] public void EncoderGradientFloat() => EncoderGradient<float>();
    [Fact] public void EncoderGradientDouble() => EncoderGradient<double>();

    private static unsafe void EncoderGradient<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(10);
        foreach (var d in Widths)
            foreach (var m in new long[] { 0, 250, 4000 })
            {
                const long b = 29, n = 61;
                var token = RandInt(rng, m, b);
                var latent = RandInt(rng, m, n);
                var gM = Randn<T>(rng, m);
                var xc = Randn<T>(rng, b * d);
                var dW = ReferenceSpmm(latent, token, gM, xc, d, n);
                var db = new T[n];
                for (var e = 0; e < m; e++) db[latent[e]] += gM[e];
                foreach (var (w, bb, w2) in OnEveryIsa(() =>
                         {
                             var wOut = new T[n * d];
                             var bOut = Enumerable.Repeat(T.NaN, (int)n).ToArray();
                             var wOnly = new T[n * d];
                             fixed (long* lp = latent, tp = token)
                             fixed (T* gp = gM, xp = xc, wp = wOut, bp = bOut, w2p = wOnly)
                             {
                                 SparseEncoderGradient.Backward(lp, tp, gp, m, xp, b, d, wp, bp, n);
                                 SparseEncoderGradient.Backward(lp, tp, gp, m, xp, b, d, w2p, (T*)null, n);
                             }
                             return (wOut, bOut, wOnly);
                         }))
                {
                    AssertBitEqual(dW, w, $"dW_enc, d = {d}, m = {m}");
                    AssertBitEqual(dW, w2, $"dW_enc without db_enc, d = {d}, m = {m}");
                    AssertBitEqual(db, bb, $"db_enc, d = {d}, m = {m}");
                }
            }
    }
}
