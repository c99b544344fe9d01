using SaeWorkbench.Metrics;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Known answers for refinement (Gao et al. 2024, §5.1), and the solver against exact NNLS by enumeration.</summary>
public class RefinementTests(ITestOutputHelper output)
{
    /// <summary>Eight orthonormal rows in 16 dimensions (Sylvester-Hadamard / 4).</summary>
    private static Tensor OrthonormalDecoder()
    {
        var h = new double[8, 16];
        for (var i = 0; i < 8; i++)
            for (var j = 0; j < 16; j++)
                h[i, j] = (System.Numerics.BitOperations.PopCount((uint)(i & j)) % 2 == 0 ? 1 : -1) / 4.0;
        return tensor(h);
    }

    /// <summary>Targets c @ W + e with e orthogonal to every decoder row, and the coefficients c (>= 0, about 3 of 8 nonzero).</summary>
    private static (Tensor target, Tensor c) OptimalOnSupport(Tensor w, Generator gen)
    {
        var c = rand(new[] { 200L, 8 }, float64, generator: gen).mul(2).where(rand(new[] { 200L, 8 }, float64, generator: gen).lt(0.4), 0.0);
        var noise = randn(new[] { 200L, 16 }, float64, generator: gen) * 0.3;
        var e = noise - noise.mm(w.t()).mm(w);                              // remove the span of the (orthonormal) rows
        return (c.mm(w) + e, c);
    }

    [Fact]
    public void NoGainWhereTheReconstructionIsAlreadyOptimalOnItsSupport()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(1);
        var w = OrthonormalDecoder();
        var (target, c) = OptimalOnSupport(w, gen);
        var r = Refinement.Evaluate(target, c, w);
        output.WriteLine($"gain {r.MseGain:E2} of {r.OriginalMse:F4}, ratio {r.MagnitudeRatio:F12}, {r.Iterations} iterations");
        Assert.True(r.Converged);
        Assert.True(Math.Abs(r.MseGain) < 1e-12, $"MSE gain {r.MseGain}");
        Assert.Equal(1.0, r.MagnitudeRatio, 10);
        Assert.True(r.OriginalMse > 0.5);                                   // the residual e is there, but off the span
    }

    [Fact]
    public void AShrunkReconstructionIsEnlargedBackWithAGain()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(2);
        var w = OrthonormalDecoder();
        var (target, c) = OptimalOnSupport(w, gen);
        var optimal = Refinement.Evaluate(target, c, w);
        var r = Refinement.Evaluate(target, c * 0.5, w);                    // the encoder halved every value
        output.WriteLine($"shrunk: MSE {r.OriginalMse:F4} -> {r.RefinedMse:F4}, ratio {r.MagnitudeRatio:F6}");
        Assert.Equal(2.0, r.MagnitudeRatio, 8);
        Assert.Equal(optimal.OriginalMse, r.RefinedMse, 10);
        Assert.True(r.MseGain > 0.1);
        var refined = Refinement.Refine(target, c * 0.5, w);
        Assert.True(refined.allclose(c, 1e-8, 1e-8));
    }

    [Fact]
    public void TheSolverFindsExactNonNegativeLeastSquaresOnCorrelatedSupports()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(3);
        const int n = 10, d = 6, tokens = 40;
        var w = randn(new[] { (long)n, d }, float64, generator: gen);
        w = (w + w[0] * 0.8) / 2;                                          // strongly correlated rows: constraints become active
        var z = rand(new[] { (long)tokens, n }, float64, generator: gen).where(rand(new[] { (long)tokens, n }, float64, generator: gen).lt(0.35), 0.0);
        var target = randn(new[] { (long)tokens, d }, float64, generator: gen);
        var refined = Refinement.Refine(target, z, w, new RefinementOptions { Tolerance = 1e-12 });
        var wa = Enumerable.Range(0, n).Select(i => w[i].ToArray<double>()).ToArray();
        var active = 0;
        for (var t = 0; t < tokens; t++)
        {
            var zt = z[t].ToArray<double>();
            var s = Enumerable.Range(0, n).Where(i => zt[i] > 0).ToArray();
            var tt = target[t].ToArray<double>();
            var exact = BruteForceNnls(s.Select(i => wa[i]).ToArray(), tt);
            var got = refined[t].ToArray<double>();
            for (var j = 0; j < s.Length; j++) Assert.Equal(exact[j], got[s[j]], 7);
            for (var i = 0; i < n; i++) if (!s.Contains(i)) Assert.Equal(0.0, got[i]);
            active += exact.Count(v => v == 0);
        }
        output.WriteLine($"{active} support values pinned at 0 by the constraint");
        Assert.True(active > 5, "the test should exercise active constraints");
    }

    /// <summary>min ||t - sum_j v_j r_j||^2 over v >= 0 by enumerating which values are free (normal equations by Gauss).</summary>
    private static double[] BruteForceNnls(double[][] rows, double[] t)
    {
        var k = rows.Length;
        double[] best = new double[k];
        var bestErr = double.PositiveInfinity;
        for (var mask = 0; mask < 1 << k; mask++)
        {
            var free = Enumerable.Range(0, k).Where(j => (mask >> j & 1) == 1).ToArray();
            var m = free.Length;
            var a = new double[m, m + 1];
            for (var p = 0; p < m; p++)
            {
                for (var q = 0; q < m; q++) a[p, q] = rows[free[p]].Zip(rows[free[q]], (x, y) => x * y).Sum();
                a[p, m] = rows[free[p]].Zip(t, (x, y) => x * y).Sum();
            }
            for (var p = 0; p < m; p++)                                      // Gauss-Jordan
            {
                var piv = Enumerable.Range(p, m - p).MaxBy(r => Math.Abs(a[r, p]));
                for (var q = 0; q <= m; q++) (a[p, q], a[piv, q]) = (a[piv, q], a[p, q]);
                for (var r = 0; r < m; r++)
                {
                    if (r == p) continue;
                    var f = a[r, p] / a[p, p];
                    for (var q = 0; q <= m; q++) a[r, q] -= f * a[p, q];
                }
            }
            var v = new double[k];
            for (var p = 0; p < m; p++) v[free[p]] = a[p, m] / a[p, p];
            if (v.Any(x => x < 0)) continue;
            var err = 0.0;
            for (var i = 0; i < t.Length; i++)
            {
                var r = t[i];
                for (var j = 0; j < k; j++) r -= v[j] * rows[j][i];
                err += r * r;
            }
            if (err < bestErr - 1e-15) (bestErr, best) = (err, v);
        }
        return best;
    }
}
