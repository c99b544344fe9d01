using System.Numerics;
using SaeWorkbench.Saes.FastTopK;
using static SaeWorkbench.Tests.FastTopK.KernelTestSupport;

namespace SaeWorkbench.Tests.FastTopK;

/// <summary>
/// FusedAdam, UnitNormRows and UnitNormAdam against scalar loops of PyTorch's Adam formula, on every vector width bit for
/// bit; the fused unit-norm step against its three separate passes bit for bit; rows at unit norm.
/// </summary>
public class AdamKernelTests
{
    /// <summary>PyTorch's single-tensor Adam, element by element, with the constants rounded to T as the kernel's
    /// contract says (computed in double, rounded once); c is the unit-norm projection's coefficient (0: none).</summary>
    private static void ReferenceAdam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, T c, AdamStepSettings s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T Of(double x) => T.CreateTruncating(x);
        var b1 = Of(s.Beta1);
        var b2 = Of(s.Beta2);
        var stepSize = s.Lr / (1 - Math.Pow(s.Beta1, s.Step));
        var bc2Sqrt = Of(Math.Sqrt(1 - Math.Pow(s.Beta2, s.Step)));
        var wdL2 = s.Decoupled ? T.Zero : Of(s.WeightDecay);
        var decay = s.Decoupled ? Of(1 - s.Lr * s.WeightDecay) : T.One;
        for (var i = 0; i < p.Length; i++)
        {
            var w0 = p[i];
            var gi = (s.Maximize ? -T.One : T.One) * (g[i] - c * w0) + wdL2 * w0;
            m[i] = m[i] * b1 + gi * Of(1 - s.Beta1);
            v[i] = v[i] * b2 + gi * gi * Of(1 - s.Beta2);
            p[i] = w0 * decay + Of(-stepSize) * (m[i] / (T.Sqrt(v[i]) / bc2Sqrt + Of(s.Eps)));
        }
    }

    public static TheoryData<bool, bool, double, bool> Settings => new()
    {
        { false, false, 0.0, false },   // float Adam
        { true, false, 0.0, false },    // double Adam
        { true, true, 0.01, false },    // double AdamW
        { false, false, 0.1, true },    // float Adam with L2, maximising
        { false, true, 0.05, false },   // float AdamW
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void FusedAdamIsTheFormulaOnEveryWidth(bool isDouble, bool decoupled, double weightDecay, bool maximize)
    {
        if (isDouble) FusedAdamSteps<double>(decoupled, weightDecay, maximize);
        else FusedAdamSteps<float>(decoupled, weightDecay, maximize);
    }

    private static unsafe void FusedAdamSteps<T>(bool decoupled, double weightDecay, bool maximize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const long count = 1000 * 7 + 3;   // not a multiple of any vector width
        var rng = new Random(11);
        var start = Randn<T>(rng, count);
        var grads = Enumerable.Range(0, 12).Select(_ => Randn<T>(rng, count)).ToArray();
        AdamStepSettings Settings(int step) => new(step, 1e-2, 0.9, 0.99, 1e-8, weightDecay, decoupled, maximize);

        var (p, m, v) = (start.ToArray(), new T[count], new T[count]);
        for (var s = 0; s < grads.Length; s++) ReferenceAdam<T>(p, grads[s], m, v, T.Zero, Settings(s + 1));
        foreach (var (gp, gm, gv) in OnEveryIsa(() =>
                 {
                     var (q, qm, qv) = (start.ToArray(), new T[count], new T[count]);
                     for (var s = 0; s < grads.Length; s++)
                         fixed (T* pp = q, g = grads[s], mp = qm, vp = qv)
                             FusedAdam.Step(pp, g, mp, vp, count, Settings(s + 1));
                     return (q, qm, qv);
                 }))
        {
            AssertBitEqual(p, gp, "param");
            AssertBitEqual(m, gm, "exp_avg");
            AssertBitEqual(v, gv, "exp_avg_sq");
        }
        Assert.NotEqual(start, p);

        // Known answer: the first step of Adam moves every weight by lr against the gradient's sign (m / sqrt(v) = sign g
        // after bias correction), up to eps.
        var one = new T[] { T.One, T.One };
        var grad = new T[] { T.CreateTruncating(3.0), T.CreateTruncating(-0.5) };
        var (m1, v1) = (new T[2], new T[2]);
        fixed (T* pp = one, g = grad, mp = m1, vp = v1) FusedAdam.Step(pp, g, mp, vp, 2, new AdamStepSettings(1, 0.1));
        Assert.Equal(0.9, double.CreateTruncating(one[0]), 5);
        Assert.Equal(1.1, double.CreateTruncating(one[1]), 5);
    }

    [Fact]
    public unsafe void BadSettingsAreNamed()
    {
        var a = new float[4];
        fixed (float* p = a)
        {
            var q = p;
            Assert.Contains("step = 0", Assert.Throws<ArgumentOutOfRangeException>(() => FusedAdam.Step(q, q, q, q, 4, new AdamStepSettings(0, 1e-3))).Message);
            Assert.Contains("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => UnitNormAdam.Step(q, q, q, q, 2, 2, new AdamStepSettings(1, 1e-3, Beta2: 1))).Message);
            Assert.Contains("eps", Assert.Throws<ArgumentOutOfRangeException>(() => FusedAdam.Step(q, q, q, q, 4, new AdamStepSettings(1, 1e-3, Eps: 0))).Message);
        }
    }

    [Fact] public void UnitNormRowsFloat() => UnitNormRowPasses<float>();
    [Fact] public void UnitNormRowsDouble() => UnitNormRowPasses<double>();

    private static unsafe void UnitNormRowPasses<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(2);
        foreach (var d in new long[] { 1, 13, 16, 37, 768 })
        {
            const long n = 50;
            var w = Randn<T>(rng, n * d, 3);
            var g = Randn<T>(rng, n * d);
            // References: g - (g . w / max(w . w, 1e-30)) w and w / max(||w||, 1e-30), with the reference dot.
            var projected = g.ToArray();
            var normalized = w.ToArray();
            var tiny = T.CreateTruncating(1e-30);
            for (var r = 0; r < n; r++)
            {
                var wr = w.AsSpan((int)(r * d), (int)d);
                var gr = g.AsSpan((int)(r * d), (int)d);
                var ww = ReferenceDot<T>(wr, wr);
                var c = ReferenceDot<T>(gr, wr) / (ww < tiny ? tiny : ww);
                for (var j = 0; j < d; j++) projected[r * d + j] = gr[j] - c * wr[j];
                var norm = T.Sqrt(ww);
                var inv = T.One / (norm < tiny ? tiny : norm);
                for (var j = 0; j < d; j++) normalized[r * d + j] = wr[j] * inv;
            }
            foreach (var (pg, nw) in OnEveryIsa(() =>
                     {
                         var (gc, wc) = (g.ToArray(), w.ToArray());
                         fixed (T* gp = gc, wp = wc)
                         {
                             UnitNormRows.RemoveParallelComponent(gp, wp, n, d);
                             UnitNormRows.Normalize(wp, n, d);
                         }
                         return (gc, wc);
                     }))
            {
                AssertBitEqual(projected, pg, $"projected gradient, d = {d}");
                AssertBitEqual(normalized, nw, $"normalised rows, d = {d}");
            }
            if (d > 1)
                for (var r = 0; r < n; r++)
                {
                    var pr = projected.AsSpan((int)(r * d), (int)d);
                    Assert.True(Math.Abs(NaiveDot<T>(pr, w.AsSpan((int)(r * d), (int)d))) < Tolerance<T>() * 100, "the projection is orthogonal to the row");
                }
        }
        // A zero row stays zero (no division by zero).
        var zero = new T[4];
        fixed (T* zp = zero) UnitNormRows.Normalize(zp, 1, 4);
        Assert.All(zero, x => Assert.Equal(T.Zero, x));
    }

    [Theory]
    [InlineData(false, 37)]
    [InlineData(true, 37)]
    [InlineData(false, 768)]
    [InlineData(true, 16)]
    public void UnitNormAdamEqualsTheSeparatePassesBitForBit(bool isDouble, long d)
    {
        if (isDouble) UnitNormAdamSteps<double>(d);
        else UnitNormAdamSteps<float>(d);
    }

    private static unsafe void UnitNormAdamSteps<T>(long d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const long n = 70;
        var rng = new Random(4);
        var start = Randn<T>(rng, n * d);
        fixed (T* sp = start) UnitNormRows.Normalize(sp, n, d);
        var grads = Enumerable.Range(0, 10).Select(_ => Randn<T>(rng, n * d)).ToArray();
        AdamStepSettings Settings(int step) => new(step, 1e-2, Eps: 1e-8);

        // The separate passes: project a copy of the gradient, a plain Adam step, renormalise.
        var (a, am, av) = (start.ToArray(), new T[n * d], new T[n * d]);
        for (var s = 0; s < grads.Length; s++)
        {
            var g = grads[s].ToArray();
            fixed (T* gp = g, ap = a, mp = am, vp = av)
            {
                UnitNormRows.RemoveParallelComponent(gp, ap, n, d);
                FusedAdam.Step(ap, gp, mp, vp, n * d, Settings(s + 1));
                UnitNormRows.Normalize(ap, n, d);
            }
        }
        // A scalar reference of the fused step, row by row.
        var (r, rm, rv) = (start.ToArray(), new T[n * d], new T[n * d]);
        var tiny = T.CreateTruncating(1e-30);
        for (var s = 0; s < grads.Length; s++)
            for (var row = 0; row < n; row++)
            {
                var (o, len) = ((int)(row * d), (int)d);
                var wr = r.AsSpan(o, len);
                var gr = grads[s].AsSpan(o, len);
                var ww = ReferenceDot<T>(wr, wr);
                var c = ReferenceDot<T>(gr, wr) / (ww < tiny ? tiny : ww);
                ReferenceAdam(wr, gr, rm.AsSpan(o, len), rv.AsSpan(o, len), c, Settings(s + 1));
                var norm = T.Sqrt(ReferenceDot<T>(wr, wr));
                var inv = T.One / (norm < tiny ? tiny : norm);
                for (var j = 0; j < len; j++) wr[j] *= inv;
            }
        AssertBitEqual(r, a, "separate passes against the scalar reference");

        foreach (var (b, bm, bv) in OnEveryIsa(() =>
                 {
                     var (q, qm, qv) = (start.ToArray(), new T[n * d], new T[n * d]);
                     for (var s = 0; s < grads.Length; s++)
                     {
                         var before = grads[s].ToArray();
                         fixed (T* gp = grads[s], qp = q, mp = qm, vp = qv) UnitNormAdam.Step(qp, gp, mp, vp, n, d, Settings(s + 1));
                         AssertBitEqual(before, grads[s], "the gradient must be left as it was");
                     }
                     return (q, qm, qv);
                 }))
        {
            AssertBitEqual(a, b, "fused unit-norm Adam against the separate passes");
            AssertBitEqual(am, bm, "exp_avg");
            AssertBitEqual(av, bv, "exp_avg_sq");
            for (var row = 0; row < n; row++)
            {
                var wr = b.AsSpan((int)(row * d), (int)d);
                Assert.True(Math.Abs(Math.Sqrt(NaiveDot<T>(wr, wr)) - 1) < (typeof(T) == typeof(float) ? 1e-6 : 1e-14), $"row {row} is not at unit norm");
            }
        }
        Assert.NotEqual(start, a);
    }
}
