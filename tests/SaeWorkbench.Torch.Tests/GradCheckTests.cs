using Xunit.Sdk;
using F = SaeWorkbench.Torch.torch.nn.functional;

namespace SaeWorkbench.Torch.Tests;

/// <summary>
/// Finite-difference checks (float64, <see cref="GradCheck"/>) of the backward pass of every
/// differentiable op the workbench uses, plus the autograd machinery around them (autograd.grad,
/// retain_graph, detach, no_grad, requires_grad_, zero_grad).
/// Inputs are fixed-seed values chosen away from the kinks of non-smooth ops (abs, relu, clamp,
/// max/topk ties), where a derivative is not defined and finite differences would disagree.
/// </summary>
public class GradCheckTests
{
    private static Tensor In(long[] shape, int seed, double lo = -1, double hi = 1) => GradCheck.Input(shape, seed, lo, hi);

    private static Tensor Const(long[] shape, int seed, double lo = -1, double hi = 1) =>
        GradCheck.Input(shape, seed, lo, hi, requires_grad: false);

    /// <summary>Values with |x| in [0.2, 1.5] and random signs: at least 0.2 away from 0.</summary>
    private static Tensor AwayFromZero(long[] shape, int seed)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(seed);
        var data = new double[n];
        for (var k = 0; k < n; k++) data[k] = (rng.Next(2) == 0 ? -1 : 1) * (0.2 + 1.3 * rng.NextDouble());
        return tensor(data, shape, requires_grad: true);
    }

    private static Tensor Long(long[] data, params long[] shape) => tensor(data, shape.Length == 0 ? null : shape);

    // ------------------------------------------------------------------ the checker itself

    [Fact]
    public void Checker_PassesACorrectGradient_AndCountsEveryElement()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 4], 1);
        var r = GradCheck.Compare(t => t[0] * t[0], [x]);
        Assert.True(r.Passed, $"ratio {r.Ratio}");
        Assert.Equal(12, r.Checked);
        Assert.Null(x.grad); // the checker leaves .grad clear
        Assert.True(x.equal(In([3, 4], 1)));  // and the input unchanged
    }

    [Fact]
    public void Checker_FailsOnAWrongGradient_NamingTheElement()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 4], 2);
        var mask = zeros(new long[] { 3, 4 }, dtype: @bool);
        mask[1, 2] = tensor(1.0, @bool);
        // d/dx (x * x) is 2x, but at [1, 2] one factor is detached: autograd says x there, finite differences 2x.
        var ex = Assert.Throws<XunitException>(() => GradCheck.Assert(t => t[0] * t[0].detach().where(mask, t[0]), x));
        Assert.Contains("element [1, 2]", ex.Message);
        Assert.Contains("input 0", ex.Message);
    }

    [Fact]
    public void Checker_WeightsOutputsSoThatErrorsCannotCancel()
    {
        using var scope = NewDisposeScope();
        var x = In([4], 3);
        // Output 0 has autograd gradient 1 where the truth is 2; output 1 has 0 where the truth is -1.
        // Under a plain sum the two errors cancel (1 + 0 == 2 - 1); with random weights they cannot.
        Func<Tensor[], Tensor> f = t => stack(new[] { t[0] + t[0].detach(), -t[0].detach() });
        GradCheck.Assert(t => f(t).sum(0), x); // summed, the two wrong gradients hide each other
        Assert.Throws<XunitException>(() => GradCheck.Assert(f, x));
    }

    [Fact]
    public void Checker_RejectsNonFloat64AndNonLeafInputs()
    {
        using var scope = NewDisposeScope();
        var f32 = randn(new long[] { 2 }, requires_grad: true);
        Assert.Contains("float64", Assert.Throws<ArgumentException>(() => GradCheck.Assert(t => t[0] * 2, f32)).Message);
        var nonLeaf = In([2], 4) * 2;
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => GradCheck.Assert(t => t[0] * 2, nonLeaf)).Message);
    }

    // ------------------------------------------------------------------ arithmetic

    [Fact]
    public void AddSubMulDiv_TensorsWithBroadcasting()
    {
        using var scope = NewDisposeScope();
        var a = In([3, 4], 10);
        var row = In([4], 11);
        var col = In([3, 1], 12);
        var divisor = AwayFromZero([4], 13);
        GradCheck.Assert(t => t[0] + t[1], a, row);
        GradCheck.Assert(t => t[0].add(t[1], alpha: 2.5), a, col);
        GradCheck.Assert(t => t[0] - t[1], a, row);
        GradCheck.Assert(t => t[0].sub(t[1], alpha: 0.5), col, a);
        GradCheck.Assert(t => t[0] * t[1], a, col);
        GradCheck.Assert(t => t[0] * t[1], row, a);
        GradCheck.Assert(t => t[0] / t[1], a, divisor);
        GradCheck.Assert(t => t[0] / t[1], col, divisor);
    }

    [Fact]
    public void AddSubMulDiv_Scalars()
    {
        using var scope = NewDisposeScope();
        var a = In([3, 4], 20);
        var nz = AwayFromZero([3, 4], 21);
        GradCheck.Assert(t => t[0] + 2.5, a);
        GradCheck.Assert(t => 2.5 + t[0], a);
        GradCheck.Assert(t => t[0] - 1.5, a);
        GradCheck.Assert(t => 1.5 - t[0], a);
        GradCheck.Assert(t => t[0] * 1.5, a);
        GradCheck.Assert(t => -3 * t[0], a);
        GradCheck.Assert(t => t[0] / 3.0, a);
        GradCheck.Assert(t => 2.0 / t[0], nz);
    }

    [Fact]
    public void Pow_ScalarAndTensorExponent()
    {
        using var scope = NewDisposeScope();
        var positive = In([3, 4], 30, 0.5, 2);
        var any = In([3, 4], 31);
        GradCheck.Assert(t => t[0].pow(3), any);
        GradCheck.Assert(t => t[0].pow(2.5), positive);
        GradCheck.Assert(t => t[0].pow(-1.5), positive);
        var exponent = In([3, 4], 32, -2, 2);
        GradCheck.Assert(t => t[0].pow(t[1]), positive, exponent);
        var rowExponent = In([4], 33, -2, 2);
        GradCheck.Assert(t => t[0].pow(t[1]), positive, rowExponent);
    }

    [Fact]
    public void UnaryMath()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 4], 40);
        var positive = In([3, 4], 41, 0.3, 3);
        var nz = AwayFromZero([3, 4], 42);
        GradCheck.Assert(t => t[0].neg(), x);
        GradCheck.Assert(t => -t[0], x);
        GradCheck.Assert(t => t[0].exp(), x);
        GradCheck.Assert(t => t[0].log(), positive);
        GradCheck.Assert(t => t[0].log1p(), In([3, 4], 43, -0.5, 3));
        GradCheck.Assert(t => t[0].sqrt(), positive);
        GradCheck.Assert(t => t[0].rsqrt(), positive);
        GradCheck.Assert(t => t[0].abs(), nz);
        GradCheck.Assert(t => t[0].square(), x);
        GradCheck.Assert(t => t[0].reciprocal(), nz);
    }

    [Fact]
    public void Clamp_MinMaxAndBoth()
    {
        using var scope = NewDisposeScope();
        // Values in ±[0.2, 1.5]; bounds at ±0.1 and 0.7 are hit by some elements and missed by others.
        var x = AwayFromZero([4, 5], 50);
        GradCheck.Assert(t => t[0].clamp(min: -0.1), x);
        GradCheck.Assert(t => t[0].clamp(max: 0.1), x);
        GradCheck.Assert(t => t[0].clamp(-0.1, 0.7), x);
        GradCheck.Assert(t => t[0].clamp_min(0.1), x);
        GradCheck.Assert(t => t[0].clamp_max(-0.1), x);
    }

    [Fact]
    public void Activations()
    {
        using var scope = NewDisposeScope();
        var x = In([4, 5], 60, -3, 3);
        var nz = AwayFromZero([4, 5], 61);
        GradCheck.Assert(t => t[0].relu(), nz);
        GradCheck.Assert(t => F.relu(t[0]), nz);
        GradCheck.Assert(t => F.gelu(t[0]), x);
        GradCheck.Assert(t => F.gelu(t[0], approximate: "tanh"), x);
        GradCheck.Assert(t => t[0].sigmoid(), x);
        GradCheck.Assert(t => F.sigmoid(t[0]), x);
        GradCheck.Assert(t => t[0].tanh(), x);
        GradCheck.Assert(t => F.silu(t[0]), x);
        GradCheck.Assert(t => F.softplus(t[0]), x);
        // beta 2, threshold 1: linear above x = 0.5 (the inputs in ±[0.2, 1.5] straddle it).
        GradCheck.Assert(t => F.softplus(t[0], beta: 2, threshold: 1), nz);
    }

    [Fact]
    public void Softmax_LogSoftmax_Logsumexp()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 5], 70, -2, 2);
        GradCheck.Assert(t => t[0].softmax(1), x);
        GradCheck.Assert(t => t[0].softmax(0), x);
        GradCheck.Assert(t => F.softmax(t[0], -1), x);
        GradCheck.Assert(t => t[0].log_softmax(1), x);
        GradCheck.Assert(t => F.log_softmax(t[0], 0), x);
        GradCheck.Assert(t => t[0].logsumexp(1), x);
        GradCheck.Assert(t => t[0].logsumexp(0, keepdim: true), x);
        GradCheck.Assert(t => t[0].logsumexp(new long[] { 0, 1 }), x);
    }

    [Fact]
    public void LayerNorm_InputWeightAndBias()
    {
        using var scope = NewDisposeScope();
        var x = In([4, 6], 80, -2, 2);
        var weight = In([6], 81, 0.5, 1.5);
        var bias = In([6], 82);
        GradCheck.Assert(t => F.layer_norm(t[0], [6], t[1], t[2]), x, weight, bias);
        GradCheck.Assert(t => F.layer_norm(t[0], [6]), x);
        var x3 = In([2, 3, 4], 83, -2, 2);
        var w2 = In([3, 4], 84, 0.5, 1.5);
        var b2 = In([3, 4], 85);
        GradCheck.Assert(t => F.layer_norm(t[0], [3, 4], t[1], t[2], eps: 1e-3), x3, w2, b2);
    }

    // ------------------------------------------------------------------ matrix products

    [Fact]
    public void Matmul_Mm_Bmm_Mv()
    {
        using var scope = NewDisposeScope();
        var a = In([3, 4], 90);
        var b = In([4, 5], 91);
        var batch = In([2, 3, 4], 92);
        var batchB = In([2, 4, 5], 93);
        var v = In([4], 94);
        GradCheck.Assert(t => t[0].matmul(t[1]), a, b);
        GradCheck.Assert(t => t[0].matmul(t[1]), batch, b); // broadcast over the batch
        GradCheck.Assert(t => t[0].matmul(t[1]), v, b);     // vector @ matrix
        GradCheck.Assert(t => t[0].matmul(t[1]), a, v);     // matrix @ vector
        GradCheck.Assert(t => t[0].mm(t[1]), a, b);
        GradCheck.Assert(t => t[0].bmm(t[1]), batch, batchB);
        GradCheck.Assert(t => t[0].mv(t[1]), a, v);
    }

    [Fact]
    public void Addmm_Baddbmm()
    {
        using var scope = NewDisposeScope();
        var input = In([3, 5], 100);
        var rowInput = In([5], 101);
        var m1 = In([3, 4], 102);
        var m2 = In([4, 5], 103);
        GradCheck.Assert(t => t[0].addmm(t[1], t[2]), input, m1, m2);
        GradCheck.Assert(t => t[0].addmm(t[1], t[2], beta: 0.5, alpha: 2), rowInput, m1, m2);
        var bInput = In([2, 3, 5], 104);
        var b1 = In([2, 3, 4], 105);
        var b2 = In([2, 4, 5], 106);
        GradCheck.Assert(t => t[0].baddbmm(t[1], t[2]), bInput, b1, b2);
        GradCheck.Assert(t => t[0].baddbmm(t[1], t[2], beta: -1, alpha: 0.25), bInput, b1, b2);
    }

    [Fact]
    public void Linear_InputWeightBias()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 4], 110);
        var x3 = In([2, 3, 4], 111);
        var w = In([5, 4], 112);
        var b = In([5], 113);
        GradCheck.Assert(t => F.linear(t[0], t[1], t[2]), x, w, b);
        GradCheck.Assert(t => F.linear(t[0], t[1]), x, w);
        GradCheck.Assert(t => F.linear(t[0], t[1], t[2]), x3, w, b);
    }

    [Fact]
    public void Einsum()
    {
        using var scope = NewDisposeScope();
        var a = In([2, 3, 4], 120);
        var b = In([2, 4, 5], 121);
        var m = In([3, 4], 122);
        var v = In([4], 123);
        GradCheck.Assert(t => einsum("bij,bjk->bik", t[0], t[1]), a, b);
        GradCheck.Assert(t => einsum("ij,j->i", t[0], t[1]), m, v);
        GradCheck.Assert(t => einsum("ij,ij->i", t[0], t[1]), m, In([3, 4], 124));
        GradCheck.Assert(t => einsum("bij->jb", t[0]), a);
    }

    // ------------------------------------------------------------------ reductions

    [Fact]
    public void SumAndMean_AllAndWithDims()
    {
        using var scope = NewDisposeScope();
        var x = In([2, 3, 4], 130);
        GradCheck.Assert(t => t[0].sum(), x);
        GradCheck.Assert(t => t[0].sum(1), x);
        GradCheck.Assert(t => t[0].sum(new long[] { 0, 2 }, keepdim: true), x);
        GradCheck.Assert(t => t[0].sum(-1), x);
        GradCheck.Assert(t => t[0].mean(), x);
        GradCheck.Assert(t => t[0].mean(1), x);
        GradCheck.Assert(t => t[0].mean(new long[] { 0, 2 }, keepdim: true), x);
    }

    [Fact]
    public void Reductions_APositionalIntegerIsADimension()
    {
        using var scope = NewDisposeScope();
        // As in PyTorch: x.sum(0) reduces dim 0 (it once meant sum(dtype: uint8), C#'s literal 0 being
        // convertible to any enum), and x.var(1) is the variance along dim 1 (it once meant correction 1).
        var x = tensor(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 7.0 }, [2, 3], requires_grad: true);
        Assert.Equal([3L], x.sum(0).shape);
        Assert.Equal(new[] { 5.0, 7.0, 10.0 }, x.sum(0).ToArray<double>());
        Assert.Equal([3L], x.mean(0).shape);
        Assert.Equal(new[] { 2.5, 3.5, 5.0 }, x.mean(0).ToArray<double>());
        Assert.Equal([2L], x.var(1).shape);
        var v = x.var(1).ToArray<double>();
        Assert.Equal(1.0, v[0], 12);
        Assert.Equal(7.0 / 3, v[1], 12);
        Assert.Equal([3L], x.std(0).shape);
        Assert.Equal(0, x.var(correction: 0).dim());
        Assert.Equal(1.0, x.var(1L, correction: 0).ToArray<double>()[0] * 1.5, 12); // population variance of {1, 2, 3} is 2/3
        Assert.Equal([1L, 1L], x.var(correction: 1, keepdim: true).shape);
        Assert.Equal(float64, x.sum(dtype: float64).dtype);
        GradCheck.Assert(t => t[0].sum(0), x);
        GradCheck.Assert(t => t[0].mean(0), x);
        GradCheck.Assert(t => t[0].var(0), x);
        GradCheck.Assert(t => t[0].std(1), x);
    }

    [Fact]
    public void Norm_WithDims()
    {
        using var scope = NewDisposeScope();
        var x = AwayFromZero([3, 4], 140);
        GradCheck.Assert(t => t[0].norm(), x);
        GradCheck.Assert(t => t[0].norm(2, 1L), x);
        GradCheck.Assert(t => t[0].norm(2, 0L, keepdim: true), x);
        GradCheck.Assert(t => t[0].norm(2, new long[] { 0, 1 }), x);
        GradCheck.Assert(t => t[0].norm(1, 1L), x);
        GradCheck.Assert(t => t[0].norm(3, 1L), x);
    }

    [Fact]
    public void VarAndStd_Correction0And1()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 5], 150, -2, 2);
        foreach (var c in new long[] { 0, 1 })
        {
            GradCheck.Assert(t => t[0].var(correction: c), x);
            GradCheck.Assert(t => t[0].var(1L, correction: c), x);
            GradCheck.Assert(t => t[0].var(new long[] { 0 }, correction: c, keepdim: true), x);
            GradCheck.Assert(t => t[0].std(correction: c), x);
            GradCheck.Assert(t => t[0].std(1L, correction: c), x);
            GradCheck.Assert(t => t[0].std(new long[] { 0, 1 }, correction: c), x);
        }
    }

    [Fact]
    public void Max_Amax_Topk_Values()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 6], 160, -3, 3); // continuous random values: no ties
        GradCheck.Assert(t => t[0].max(1).values, x);
        GradCheck.Assert(t => t[0].max(0, keepdim: true).values, x);
        GradCheck.Assert(t => t[0].amax(new long[] { 1 }), x);
        GradCheck.Assert(t => t[0].amax(new long[] { 0, 1 }), x);
        GradCheck.Assert(t => t[0].topk(2).values, x);
        GradCheck.Assert(t => t[0].topk(3, dim: 0).values, x);
        GradCheck.Assert(t => t[0].topk(2, largest: false).values, x);
    }

    // ------------------------------------------------------------------ indexing

    [Fact]
    public void Gather_Scatter_ScatterAdd()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 5], 170);
        var gatherIdx = Long([0, 4, 4, 1, 2, 3], 3, 2);
        GradCheck.Assert(t => t[0].gather(1, gatherIdx), x);
        // scatter: distinct indices per row (a duplicate would make the result order-dependent)
        var scatterIdx = Long([0, 4, 1, 3, 2, 0], 3, 2);
        var src = In([3, 2], 171);
        GradCheck.Assert(t => t[0].scatter(1, scatterIdx, t[1]), x, src);
        // scatter_add: repeated indices accumulate
        var addIdx = Long([0, 0, 1, 4, 4, 4], 3, 2);
        GradCheck.Assert(t => t[0].scatter_add(1, addIdx, t[1]), x, src);
        var addIdx0 = Long([2, 0, 2, 2, 1, 0, 0, 1, 2, 2], 2, 5);
        GradCheck.Assert(t => t[0].scatter_add(0, addIdx0, t[1]), x, In([2, 5], 172));
    }

    [Fact]
    public void IndexSelect_IndexAdd()
    {
        using var scope = NewDisposeScope();
        var x = In([4, 3], 180);
        var idx = Long([2, 0, 2]);
        GradCheck.Assert(t => t[0].index_select(0, idx), x);
        GradCheck.Assert(t => t[0].index_select(1, Long([1, 1, 0, 2])), x);
        var source = In([3, 3], 181);
        GradCheck.Assert(t => t[0].index_add(0, idx, t[1]), x, source);
        GradCheck.Assert(t => t[0].index_add(0, idx, t[1], alpha: -0.5), x, source);
        GradCheck.Assert(t => t[0].index_add(1, Long([2, 2]), t[1]), x, In([4, 2], 182));
    }

    [Fact]
    public void MaskedFill_Where()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 4], 190);
        var y = In([3, 4], 191);
        var mask = Const([3, 4], 192) > 0;
        Assert.True(mask.any().item<bool>() && !mask.all().item<bool>());
        GradCheck.Assert(t => t[0].masked_fill(mask, 0.5), x);
        GradCheck.Assert(t => t[0].masked_fill(mask, -1e9).softmax(1), x);
        GradCheck.Assert(t => where(mask, t[0], t[1]), x, y);
        GradCheck.Assert(t => t[0].where(mask, 2.0), x);
        var rowMask = Const([4], 193) > 0; // broadcast condition
        GradCheck.Assert(t => where(rowMask, t[0], t[1]), x, y);
    }

    [Fact]
    public void AdvancedIndexing()
    {
        using var scope = NewDisposeScope();
        var x = In([4, 5], 200);
        var rows = Long([3, 0, 3]);
        var cols = Long([1, 4, 1]);
        GradCheck.Assert(t => t[0].index(rows), x);
        GradCheck.Assert(t => t[0].index(rows, cols), x);   // repeated (3, 1): gradient accumulates
        GradCheck.Assert(t => t[0].index(null, cols), x);
        GradCheck.Assert(t => t[0][rows], x);
        GradCheck.Assert(t => t[0][1.., cols], x);
        var mask = Const([4, 5], 201) > 0;
        GradCheck.Assert(t => t[0][mask], x);
    }

    // ------------------------------------------------------------------ views and shapes

    [Fact]
    public void Views_NarrowSliceSelectTransposePermute()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 4, 5], 210);
        GradCheck.Assert(t => t[0].narrow(2, 1, 3), x);
        GradCheck.Assert(t => t[0].slice(2, 0, 5, 2), x);
        GradCheck.Assert(t => t[0][.., 1..3, TensorIndex.Slice(step: 2)], x);
        GradCheck.Assert(t => t[0].select(1, 2), x);
        GradCheck.Assert(t => t[0][1, .., -1], x);
        GradCheck.Assert(t => t[0].transpose(0, 2), x);
        GradCheck.Assert(t => t[0].permute(2, 0, 1), x);
        GradCheck.Assert(t => t[0].select(0, 0).T, x);
    }

    [Fact]
    public void Views_ViewReshapeExpandUnsqueezeSqueezeFlatten()
    {
        using var scope = NewDisposeScope();
        var x = In([3, 4], 220);
        var col = In([3, 1], 221);
        GradCheck.Assert(t => t[0].view(2, 6), x);
        GradCheck.Assert(t => t[0].view(-1), x);
        GradCheck.Assert(t => t[0].reshape(4, 3), x);
        GradCheck.Assert(t => t[0].t().reshape(12), x); // non-contiguous: reshape copies
        GradCheck.Assert(t => t[0].expand(3, 4), col);
        GradCheck.Assert(t => t[0].expand(2, 3, 4), col);
        GradCheck.Assert(t => t[0].unsqueeze(1), x);
        GradCheck.Assert(t => t[0].squeeze(), col);
        GradCheck.Assert(t => t[0].squeeze(1), col);
        GradCheck.Assert(t => t[0].unsqueeze(0).flatten(), x);
        GradCheck.Assert(t => t[0].view(3, 2, 2).flatten(1), x);
    }

    [Fact]
    public void Cat_Stack_Split()
    {
        using var scope = NewDisposeScope();
        var a = In([2, 3], 230);
        var b = In([4, 3], 231);
        var c = In([2, 3], 232);
        GradCheck.Assert(t => cat(new[] { t[0], t[1] }), a, b);
        GradCheck.Assert(t => cat(new[] { t[0], t[1] }, dim: 1), a, c);
        GradCheck.Assert(t => stack(new[] { t[0], t[1] }), a, c);
        GradCheck.Assert(t => stack(new[] { t[0], t[1] }, dim: 2), a, c);
        // Each piece scaled differently, so a gradient routed to the wrong piece shows.
        GradCheck.Assert(t => cat(t[0].split(3).Select((p, i) => p * (i + 1.0)).ToArray()), In([7, 2], 233));
        GradCheck.Assert(t => cat(t[0].split(2, dim: 1).Select((p, i) => p * (i + 1.0)).ToArray(), dim: 1), In([2, 5], 234));
    }

    // ------------------------------------------------------------------ embeddings

    [Fact]
    public void Embedding_Weight()
    {
        using var scope = NewDisposeScope();
        var weight = In([10, 4], 240);
        var indices = Long([1, 3, 3, 0, 9, 1], 2, 3); // repeats accumulate
        GradCheck.Assert(t => F.embedding(indices, t[0]), weight);
    }

    [Fact]
    public void EmbeddingBag_Sum_WeightAndPerSampleWeights()
    {
        using var scope = NewDisposeScope();
        // The sparse decode of a TopK SAE: bag b sums z_i * W_dec[i] over its active latents.
        var weight = In([10, 4], 250);
        var indices = Long([1, 3, 3, 7, 0, 9]);
        var offsets = Long([0, 2, 5]); // bags {1, 3}, {3, 7, 0}, {9}
        var psw = In([6], 251, -2, 2);
        GradCheck.Assert(t => F.embedding_bag(indices, t[0], offsets, mode: "sum", per_sample_weights: t[1]), weight, psw);
        GradCheck.Assert(t => F.embedding_bag(indices, t[0], offsets, mode: "sum"), weight);
        GradCheck.Assert(t => F.embedding_bag(indices, t[0], offsets, mode: "mean"), weight);
        // include_last_offset: offsets has one entry per bag plus the end.
        var offsetsWithEnd = Long([0, 2, 5, 6]);
        GradCheck.Assert(t => F.embedding_bag(indices, t[0], offsetsWithEnd, mode: "sum", per_sample_weights: t[1], include_last_offset: true),
            weight, psw);

        // And it is the decode it stands for: sum_i z_i W[i] per bag.
        var expected = stack(new[]
        {
            weight[1] * psw[0] + weight[3] * psw[1],
            weight[3] * psw[2] + weight[7] * psw[3] + weight[0] * psw[4],
            weight[9] * psw[5],
        });
        Assert.True(F.embedding_bag(indices, weight, offsets, mode: "sum", per_sample_weights: psw).allclose(expected, 1e-12, 1e-12));
    }

    // ------------------------------------------------------------------ losses

    [Fact]
    public void CrossEntropy_NllLoss()
    {
        using var scope = NewDisposeScope();
        var logits = In([4, 5], 260, -2, 2);
        var target = Long([0, 4, 2, 2]);
        GradCheck.Assert(t => F.cross_entropy(t[0], target), logits);
        GradCheck.Assert(t => F.cross_entropy(t[0], target, reduction: nn.Reduction.Sum), logits);
        GradCheck.Assert(t => F.cross_entropy(t[0], target, reduction: nn.Reduction.None), logits);
        GradCheck.Assert(t => F.cross_entropy(t[0], target, label_smoothing: 0.1), logits);
        GradCheck.Assert(t => F.cross_entropy(t[0], Long([0, -100, 2, 1]), ignore_index: -100), logits);
        var logp = In([4, 5], 261, -3, 0);
        GradCheck.Assert(t => F.nll_loss(t[0], target), logp);
        GradCheck.Assert(t => F.nll_loss(t[0], target, reduction: nn.Reduction.None), logp);
        GradCheck.Assert(t => F.nll_loss(t[0].log_softmax(1), target), logits);
    }

    [Fact]
    public void KlDiv_InputAndLogTarget()
    {
        using var scope = NewDisposeScope();
        var input = In([3, 4], 270, -2, 2).log_softmax(1).detach().requires_grad_();
        Tensor targetP;
        using (no_grad()) targetP = Const([3, 4], 271, 0.1, 1).softmax(1);
        GradCheck.Assert(t => F.kl_div(t[0], targetP), input);
        GradCheck.Assert(t => F.kl_div(t[0], targetP, reduction: "batchmean"), input);
        GradCheck.Assert(t => F.kl_div(t[0], targetP, reduction: "sum"), input);
        GradCheck.Assert(t => F.kl_div(t[0], targetP, reduction: "none"), input);
        // log_target: the target is given as log-probabilities; check both sides.
        var logTarget = targetP.log().detach().requires_grad_();
        GradCheck.Assert(t => F.kl_div(t[0], t[1], reduction: "batchmean", log_target: true), input, logTarget);
        // probability target (log_target false): gradient w.r.t. the target too
        var pTarget = targetP.clone().requires_grad_();
        GradCheck.Assert(t => F.kl_div(t[0], t[1], reduction: "sum"), input, pTarget);
    }

    [Fact]
    public void MseLoss_BceWithLogits()
    {
        using var scope = NewDisposeScope();
        var input = In([3, 4], 280, -2, 2);
        var target = In([3, 4], 281);
        GradCheck.Assert(t => F.mse_loss(t[0], t[1]), input, target);
        GradCheck.Assert(t => F.mse_loss(t[0], t[1], reduction: nn.Reduction.Sum), input, target);
        GradCheck.Assert(t => F.mse_loss(t[0], t[1], reduction: nn.Reduction.None), input, target);
        var probs = Const([3, 4], 282, 0, 1);
        GradCheck.Assert(t => F.binary_cross_entropy_with_logits(t[0], probs), input);
        GradCheck.Assert(t => F.binary_cross_entropy_with_logits(t[0], probs, reduction: nn.Reduction.None), input);
        var w = Const([4], 283, 0.5, 2);
        GradCheck.Assert(t => F.binary_cross_entropy_with_logits(t[0], probs, weight: w, reduction: nn.Reduction.Sum), input);
    }

    // ------------------------------------------------------------------ a composite

    [Fact]
    public void TwoLayerMlp_WithLayerNormAndGelu()
    {
        using var scope = NewDisposeScope();
        var x = In([5, 6], 290, -2, 2);
        var w1 = In([8, 6], 291, -0.5, 0.5);
        var b1 = In([8], 292, -0.1, 0.1);
        var gamma = In([8], 293, 0.5, 1.5);
        var beta = In([8], 294, -0.2, 0.2);
        var w2 = In([3, 8], 295, -0.5, 0.5);
        var b2 = In([3], 296, -0.1, 0.1);
        var target = Const([5, 3], 297);
        Tensor Mlp(Tensor[] t)
        {
            var h = F.gelu(F.layer_norm(F.linear(t[0], t[1], t[2]), [8], t[3], t[4]));
            return F.mse_loss(F.linear(h, t[5], t[6]), target);
        }
        GradCheck.Assert(Mlp, x, w1, b1, gamma, beta, w2, b2);
        GradCheck.Assert(t => F.linear(F.gelu(F.layer_norm(F.linear(t[0], t[1], t[2]), [8], t[3], t[4])), t[5], t[6]),
            x, w1, b1, gamma, beta, w2, b2);
    }

    // ------------------------------------------------------------------ autograd machinery

    [Fact]
    public void AutogradGrad_CreateGraph_GivesTheSecondDerivative()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -1.0, 0.5, 1.5 }, requires_grad: true);
        var y = x.pow(3).sum();
        var first = autograd.grad([y], [x], create_graph: true)[0]!;
        Assert.True(first.requires_grad);
        Assert.Equal(new[] { 3.0, 0.75, 6.75 }, first.ToArray<double>()); // 3x^2
        var second = autograd.grad([first.sum()], [x])[0]!;
        Assert.Equal(new[] { -6.0, 3.0, 9.0 }, second.ToArray<double>()); // 6x
        Assert.Null(x.grad); // autograd.grad does not accumulate into .grad

        // A scalar point: d2/dx2 x^3 at 1.5 is 9 (and 3x^2 = 6.75 differs, so the test tells them apart).
        var p = tensor(1.5, float64).requires_grad_();
        var g1 = autograd.grad([p.pow(3)], [p], create_graph: true)[0]!;
        var g2 = autograd.grad([g1], [p])[0]!;
        Assert.Equal(6.75, g1.item<double>(), 12);
        Assert.Equal(9.0, g2.item<double>(), 12);

        // Without create_graph the first derivative is a constant: differentiating it again fails.
        var q = tensor(1.5, float64).requires_grad_();
        var flat = autograd.grad([q.pow(3)], [q])[0]!;
        Assert.False(flat.requires_grad);
    }

    [Fact]
    public void AutogradGrad_GradOutputsAndAllowUnused()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0 }, requires_grad: true);
        var unused = tensor(new[] { 3.0 }, requires_grad: true);
        var y = x * x;
        var g = autograd.grad([y], [x, unused], grad_outputs: [tensor(new[] { 1.0, 10.0 })], allow_unused: true);
        Assert.Equal(new[] { 2.0, 40.0 }, g[0]!.ToArray<double>());
        Assert.Null(g[1]);
    }

    [Fact]
    public void RetainGraph_BackwardTwiceAccumulates()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, -2.0, 3.0 }, requires_grad: true);
        var y = (x * x).sum();
        y.backward(retain_graph: true);
        Assert.Equal(new[] { 2.0, -4.0, 6.0 }, x.grad!.ToArray<double>());
        y.backward();
        Assert.Equal(new[] { 4.0, -8.0, 12.0 }, x.grad!.ToArray<double>()); // accumulated: doubled

        // Without retain_graph the saved tensors are freed and a second backward is an error.
        var z = (x * x).sum();
        z.backward();
        var ex = Assert.Throws<TorchException>(() => z.backward());
        Assert.Contains("second time", ex.Message);
    }

    [Fact]
    public void Detach_StopsTheGradient()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0, 3.0 }, requires_grad: true);
        var d = x.detach();
        Assert.False(d.requires_grad);
        Assert.True(d.shares_storage_with(x));
        (d * x).sum().backward(); // only the non-detached factor carries a gradient: x, not 2x
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, x.grad!.ToArray<double>());

        var onlyDetached = (x.detach() * 3).sum();
        Assert.False(onlyDetached.requires_grad);
        Assert.Throws<TorchException>(() => onlyDetached.backward());
    }

    [Fact]
    public void NoGrad_ResultsDoNotRequireGrad_AndTheModeRestores_AlsoNested()
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 3 }, dtype: float64, requires_grad: true);
        Assert.True(is_grad_enabled());
        using (no_grad())
        {
            Assert.False(is_grad_enabled());
            var y = x * 2;
            Assert.False(y.requires_grad);
            Assert.Equal("", y.grad_fn_name);
            using (no_grad())
            {
                Assert.False(is_grad_enabled());
                Assert.False((x + 1).requires_grad);
            }
            Assert.False(is_grad_enabled()); // the inner scope restored "disabled", not "enabled"
            using (enable_grad())
            {
                Assert.True(is_grad_enabled());
                Assert.True((x * 2).requires_grad);
            }
            Assert.False(is_grad_enabled());
        }
        Assert.True(is_grad_enabled());
        var z = x * x;
        Assert.True(z.requires_grad);
        Assert.Equal("MulBackward0", z.grad_fn_name);

        // The mode also restores when the body throws.
        try
        {
            using (no_grad()) throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException) { }
        Assert.True(is_grad_enabled());
    }

    [Fact]
    public void RequiresGrad_Toggling()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0 });
        Assert.False(x.requires_grad);
        Assert.False((x * 2).requires_grad);
        x.requires_grad_();
        Assert.True(x.requires_grad);
        Assert.True(x.is_leaf);
        (x * 3).sum().backward();
        Assert.Equal(new[] { 3.0, 3.0 }, x.grad!.ToArray<double>());
        x.requires_grad_(false);
        Assert.False(x.requires_grad);
        Assert.False((x * 2).requires_grad);
        x.requires_grad = true;
        Assert.True((x * 2).requires_grad);

        // Only leaves can be toggled off (as in PyTorch).
        var nonLeaf = x * 2;
        var ex = Assert.Throws<TorchException>(() => nonLeaf.requires_grad_(false));
        Assert.Contains("leaf", ex.Message);
    }

    [Fact]
    public void ModuleAndOptimizer_ZeroGrad_ClearGradients()
    {
        using var scope = NewDisposeScope();
        using var lin = new nn.Linear(4, 3, dtype: float64);
        using var opt = new optim.Adam(lin.parameters());
        var x = randn(new long[] { 5, 4 }, dtype: float64);

        void Backward() => lin.call(x).pow(2).sum().backward();

        Backward();
        Assert.All(lin.parameters(), p => Assert.NotNull(p.grad));
        Assert.All(lin.parameters(), p => Assert.True(p.grad!.abs().sum().item<double>() > 0));
        lin.zero_grad();
        Assert.All(lin.parameters(), p => Assert.Null(p.grad));

        Backward();
        lin.zero_grad(set_to_none: false);
        Assert.All(lin.parameters(), p => Assert.Equal(0.0, p.grad!.abs().sum().item<double>()));

        Backward();
        Assert.All(lin.parameters(), p => Assert.True(p.grad!.abs().sum().item<double>() > 0));
        opt.zero_grad();
        Assert.All(lin.parameters(), p => Assert.Null(p.grad));

        Backward();
        opt.zero_grad(set_to_none: false);
        Assert.All(lin.parameters(), p => Assert.Equal(0.0, p.grad!.abs().sum().item<double>()));

        // After zeroing, the next backward starts from zero rather than accumulating.
        Backward();
        var once = lin.weight.grad!.clone();
        opt.zero_grad();
        Backward();
        Assert.True(lin.weight.grad!.allclose(once, 0, 0));
    }
}
