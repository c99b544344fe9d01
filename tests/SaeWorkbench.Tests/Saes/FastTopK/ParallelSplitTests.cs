using SaeWorkbench.Saes.FastTopK;
using static SaeWorkbench.Tests.FastTopK.KernelTestSupport;

namespace SaeWorkbench.Tests.FastTopK;

/// <summary>
/// Sizes large enough that every kernel splits its rows (or elements) into several parallel ranges, against the same
/// serial reference loops: the results may not depend on how the work was split or on the thread count.
/// </summary>
public class ParallelSplitTests
{
    [Fact]
    public unsafe void SparseKernelsOverManyRanges()
    {
        var rng = new Random(21);
        const long b = 700, n = 3000, d = 33, m = 40000;             // rows in ranges of 64 (latents) and 256 (entries)
        var token = RandInt(rng, m, b);
        var latent = RandInt(rng, m, n);
        var z = Randn<float>(rng, m);
        var w = Randn<float>(rng, n * d);
        var g = Randn<float>(rng, b * d);
        var xHat = new float[b * d];
        var dW = new float[b * d];
        var expectedX = new float[b * d];
        for (var e = 0; e < m; e++)
            for (var j = 0; j < d; j++) expectedX[token[e] * d + j] += z[e] * w[latent[e] * d + j];
        var expectedDz = new float[m];
        for (var e = 0; e < m; e++) expectedDz[e] = ReferenceDot<float>(g.AsSpan((int)(token[e] * d), (int)d), w.AsSpan((int)(latent[e] * d), (int)d));
        var expectedDw = new float[n * d];
        for (var e = 0; e < m; e++)
            for (var j = 0; j < d; j++) expectedDw[latent[e] * d + j] += z[e] * g[token[e] * d + j];
        var dz = new float[m];
        var dw = new float[n * d];
        var sd = new float[m];
        fixed (long* tp = token, lp = latent)
        fixed (float* zp = z, wp = w, gp = g, xp = xHat, dzp = dz, dwp = dw, sdp = sd)
        {
            SparseDecode.Forward(tp, lp, zp, m, wp, n, d, xp, b);
            SparseDecode.Backward(tp, lp, zp, m, gp, b, wp, n, d, dzp, dwp);
            SparseCoo.Sddmm(tp, lp, m, gp, b, wp, n, d, sdp);
        }
        AssertBitEqual(expectedX, xHat, "decode forward");
        AssertBitEqual(expectedDz, dz, "decode backward dz");
        AssertBitEqual(expectedDw, dw, "decode backward dW");
        AssertBitEqual(expectedDz, sd, "sddmm");
    }

    [Fact]
    public unsafe void TopKAndAdamOverManyRanges()
    {
        var rng = new Random(22);
        const long b = 300, n = 700, k = 9;
        var x = Randn<float>(rng, b * n);
        var values = new float[b * k];
        var indices = new long[b * k];
        fixed (float* xp = x, vp = values)
        fixed (long* ip = indices)
            TopKOfSum.Select(xp, null, b, n, k, vp, ip);
        for (var r = 0; r < b; r++)
        {
            var best = Enumerable.Range(0, (int)n).OrderByDescending(j => x[r * n + j]).ThenBy(j => j).Take((int)k).Select(j => (long)j);
            Assert.Equal(best, indices.Skip((int)(r * k)).Take((int)k));
        }

        const long count = 100_003;                                    // elements in ranges of 32768
        var p = Randn<float>(rng, count);
        var grad = Randn<float>(rng, count);
        var (m, v) = (new float[count], new float[count]);
        var settings = new AdamStepSettings(1, 1e-3);
        var expected = p.ToArray();
        var (em, ev) = (new float[count], new float[count]);
        var (b1, b2) = (0.9f, 0.999f);
        var stepSize = (float)-(1e-3 / (1 - 0.9));
        var bc2 = (float)Math.Sqrt(1 - 0.999);
        for (var i = 0; i < count; i++)
        {
            var gi = 1f * (grad[i] - 0f * expected[i]) + 0f * expected[i];
            em[i] = em[i] * b1 + gi * (float)(1 - 0.9);
            ev[i] = ev[i] * b2 + gi * gi * (float)(1 - 0.999);
            expected[i] = expected[i] * 1f + stepSize * (em[i] / (MathF.Sqrt(ev[i]) / bc2 + 1e-8f));
        }
        fixed (float* pp = p, gp = grad, mp = m, vp = v) FusedAdam.Step(pp, gp, mp, vp, count, settings);
        AssertBitEqual(expected, p, "Adam over several ranges");
    }
}
