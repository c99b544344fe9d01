using SaeWorkbench.Torch.Tests.TestSupport;
using F = SaeWorkbench.Torch.torch.nn.functional;

namespace SaeWorkbench.Torch.Tests;

/// <summary>
/// Every op family of the C# API against Debian's PyTorch 1.13 on the same libtorch
/// (python/op_reference.py writes inputs "in.*" and reference outputs "family.case" into one
/// safetensors file per test run). Each check compares dtype, shape and values: float results to
/// ~1e-5 relative, integer/bool results, indices and random draws exactly.
/// </summary>
[Collection(PythonReferenceCollection.Name)]
public sealed class OpReferenceTests
{
    private readonly PythonReference _ref;

    public OpReferenceTests(PythonReference reference) => _ref = reference;

    // ================================================================================ helpers

    private Tensor In(string name) => _ref["in." + name];

    private static double[] Doubles(Tensor t)
    {
        using var d = t.detach().to(ScalarType.Float64);
        return d.ToArray<double>();
    }

    private static void CheckMeta(string key, Tensor expected, Tensor actual)
    {
        Assert.True(expected.dtype == actual.dtype,
            $"{key}: dtype is {actual.dtype.PyTorchName()} but torch gives {expected.dtype.PyTorchName()}");
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{key}: shape is {actual.ShapeString} but torch gives {expected.ShapeString}");
    }

    /// <summary>Same dtype and shape; floating values within atol + rtol * |expected| (NaN matches NaN,
    /// infinities must be equal); other dtypes exactly.</summary>
    private void Close(string key, Tensor actual, double rtol = 1e-5, double atol = 1e-6)
    {
        using var expected = _ref[key];
        CheckMeta(key, expected, actual);
        if (!expected.is_floating_point())
        {
            CompareBytes(key, expected, actual);
            return;
        }
        var e = Doubles(expected);
        var a = Doubles(actual);
        for (var i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) && double.IsNaN(a[i])) continue;
            if (e[i] == a[i]) continue;
            var tol = atol + rtol * Math.Abs(e[i]);
            if (!(Math.Abs(a[i] - e[i]) <= tol))
                Assert.Fail($"{key}: element {i} of {expected.ShapeString} is {a[i]:R} but torch gives {e[i]:R} " +
                            $"(|diff| {Math.Abs(a[i] - e[i]):E3} > tolerance {tol:E3})");
        }
    }

    /// <summary>Same dtype, shape and bytes (bit-identical values).</summary>
    private void Exact(string key, Tensor actual)
    {
        using var expected = _ref[key];
        CheckMeta(key, expected, actual);
        CompareBytes(key, expected, actual);
    }

    /// <summary>Same dtype and shape only (uninitialised memory: empty, empty_like).</summary>
    private void SameMeta(string key, Tensor actual)
    {
        using var expected = _ref[key];
        CheckMeta(key, expected, actual);
    }

    private static void CompareBytes(string key, Tensor expected, Tensor actual)
    {
        var eb = expected.ToBytes();
        var ab = actual.ToBytes();
        if (eb.AsSpan().SequenceEqual(ab)) return;
        var size = (int)expected.element_size();
        var i = 0;
        while (eb.AsSpan(i * size, size).SequenceEqual(ab.AsSpan(i * size, size))) i++;
        Assert.Fail($"{key}: element {i} of {expected.ShapeString} is {Doubles(actual)[i]:R} but torch gives {Doubles(expected)[i]:R} " +
                    "(exact match required)");
    }

    private void CloseScalar(string key, double actual, double rtol = 1e-6)
    {
        using var expected = _ref[key];
        var e = expected.item<double>();
        Assert.True(Math.Abs(actual - e) <= rtol * Math.Abs(e), $"{key}: {actual:R} but torch gives {e:R}");
    }

    /// <summary>Runs an in-place op on a clone of <paramref name="start"/>: it must return the same object and change it.</summary>
    private void InPlace(string key, Tensor start, Func<Tensor, Tensor> op)
    {
        var t = start.clone();
        var r = op(t);
        Assert.Same(t, r);
        Close(key, t);
    }

    private void Pieces(string key, Tensor[] actual)
    {
        using var n = _ref[key + ".n"];
        Assert.Equal(n.item<long>(), actual.Length);
        for (var k = 0; k < actual.Length; k++) Close($"{key}.{k}", actual[k]);
    }

    private static long[] L(params long[] v) => v;

    // =============================================================================== creation

    [Fact]
    public void Creation()
    {
        using var scope = NewDisposeScope();
        Exact("create.zeros", zeros(2, 3));
        Exact("create.zeros_f64", zeros(L(2, 3), float64));
        Exact("create.ones", ones(2, 3));
        Exact("create.ones_i32", ones(L(4), int32));
        Exact("create.full_float", full(L(2, 3), 2.5));
        Exact("create.full_int", full(L(2, 3), 7));
        Exact("create.full_bool", full(L(2), true));
        Exact("create.full_f64", full(L(3), -1.25, float64));
        Exact("create.arange_end", arange(5));
        Exact("create.arange_step", arange(2, 11, 3));
        Exact("create.arange_neg_step", arange(10, 0, -3));
        Exact("create.arange_float", arange(-1, 1, 0.25));
        Close("create.arange_tenth", arange(0.0, 1.0, 0.1));
        Exact("create.arange_float_end", arange(5.0));
        Exact("create.arange_f64", arange(0, 10, 2, float64));
        Close("create.linspace", linspace(0, 1, 7));
        Close("create.linspace_f64", linspace(-2, 3, 11, float64));
        Exact("create.linspace_one", linspace(1, 1, 1));
        Exact("create.eye", eye(4));
        Exact("create.eye_i64", eye(3, int64));
        SameMeta("create.empty_shape", empty(2, 0, 3));
        Exact("create.zeros_like_int", zeros_like(In("ints")));
        Exact("create.ones_like", ones_like(In("x")));
        Exact("create.full_like_int", full_like(In("ints"), 4));
        Exact("create.full_like_float", full_like(In("x"), -1.5));
        SameMeta("in.x", empty_like(In("x")));
        Exact("create.scalar", tensor(3.5));
        Exact("create.tensor_2d", tensor(new float[] { 1.5f, -2f, 3.25f, 0f, 7f, 8f }, L(2, 3)));
        Exact("create.tensor_2d", tensor(new float[,] { { 1.5f, -2f, 3.25f }, { 0f, 7f, 8f } }));
    }

    // ======================================================================= dtype conversion

    [Fact]
    public void DtypeConversionRoundTrips()
    {
        using var scope = NewDisposeScope();
        var conv = In("conv");
        foreach (var (name, dt) in new[] { ("f16", float16), ("bf16", bfloat16), ("f64", float64), ("i32", int32), ("i64", int64), ("bool", @bool) })
        {
            Exact($"dtype.to_{name}", conv.to(dt));
            Exact($"dtype.roundtrip_{name}", conv.to(dt).to(float32));
        }
        // the named conversions
        Exact("dtype.to_f16", conv.half());
        Exact("dtype.to_bf16", conv.bfloat16());
        Exact("dtype.to_f64", conv.@double());
        Exact("dtype.to_i32", conv.@int());
        Exact("dtype.to_i64", conv.@long());
        Exact("dtype.to_bool", conv.@bool());
        Exact("dtype.roundtrip_f16", conv.half().@float());
        Exact("dtype.to_u8", In("conv_u8").to(uint8));
        Exact("dtype.roundtrip_u8", In("conv_u8").to(uint8).to(float32));
        var big = In("big");
        Exact("dtype.big_to_f32", big.to(float32));
        Exact("dtype.big_to_f64", big.to(float64));
        Exact("dtype.big_to_i32", big.to(int32));
        Exact("dtype.big_to_bf16", big.to(bfloat16));
        var x = In("x");
        Exact("dtype.bool_to_f32", (x > 0).to(float32));
        Exact("dtype.bool_to_i64", (x > 0).to(int64));
        Exact("dtype.f16_to_bf16", conv.half().bfloat16());
        Exact("dtype.i32_to_f16", In("ints").@int().half());
        // host copies of the converted tensors hold the same values as torch's
        using var f16 = _ref["dtype.to_f16"];
        Assert.Equal(f16.ToArray<Half>(), conv.half().ToArray<Half>());
        using var i32 = _ref["dtype.to_i32"];
        Assert.Equal(i32.ToArray<int>(), conv.@int().ToArray<int>());
        using var b = _ref["dtype.to_bool"];
        Assert.Equal(b.ToArray<bool>(), conv.@bool().ToArray<bool>());
    }

    // ============================================================================ elementwise

    [Fact]
    public void ElementwiseBinaryWithBroadcastingAndScalars()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), y = In("y"), d = In("d"), row = In("row"), col = In("col"), pos = In("pos");
        Close("ew.add", x + y);
        Close("ew.add", x.add(y));
        Close("ew.add_alpha", x.add(y, 2.5));
        Close("ew.add_row", x + row);
        Close("ew.add_col", x + col);
        Close("ew.add_outer", col + row);
        Close("ew.add_scalar", x + 2.5);
        Close("ew.add_scalar", x.add(2.5));
        Close("ew.radd_scalar", 2.5 + x);
        Close("ew.sub", x - y);
        Close("ew.sub_alpha", x.sub(y, 0.5));
        Close("ew.sub_scalar", x - 1.25);
        Close("ew.rsub_scalar", 2 - x);
        Close("ew.mul", x * y);
        Close("ew.mul_col", x * col);
        Close("ew.mul_scalar", x * 3);
        Close("ew.rmul_scalar", 3 * x);
        Close("ew.div", x / d);
        Close("ew.div_scalar", x / 3);
        Close("ew.rdiv_scalar", 2 / d);
        Close("ew.rdiv_scalar_x", 2 / x);
        Close("ew.div_trunc", (x * 3).div(d, "trunc"));
        Close("ew.div_floor", (x * 3).div(d, "floor"));
        Close("ew.pow_tensor", pos.pow(y));
        Close("ew.pow_2", x.pow(2));
        Close("ew.pow_3", x.pow(3));
        Close("ew.pow_half", pos.pow(0.5));
        Close("ew.pow_neg", pos.pow(-1.5));
        Close("ew.remainder", x % d);
        Close("ew.remainder_neg", x.remainder(-d));
        Close("ew.remainder_scalar", x % 0.7);
        Close("ew.remainder_neg_scalar", x % -0.7);
        Close("ew.fmod", x.fmod(d));
        Close("ew.fmod_scalar", x.fmod(-0.7));
        Close("ew.maximum", maximum(x, y));
        Close("ew.minimum", minimum(x, y));
        Close("ew.atan2", x.atan2(y));
        Close("ew.lerp", x.lerp(y, 0.3));
    }

    [Fact]
    public void ElementwiseIntegerArithmeticKeepsTorchDtypes()
    {
        using var scope = NewDisposeScope();
        Tensor ints = In("ints"), intd = In("intd");
        Exact("ew.int_add_scalar", ints + 3);
        Exact("ew.int_mul_scalar", ints * 2);
        Close("ew.int_mul_float", ints * 2.5);
        Close("ew.int_div_scalar", ints / 2);
        Exact("ew.int_sub", ints - intd);
        Exact("ew.int_rsub", 10 - ints);
        Exact("ew.int_floordiv", ints.div(intd, "floor"));
        Exact("ew.int_truncdiv", ints.div(intd, "trunc"));
        Exact("ew.int_remainder", ints % intd);
        Exact("ew.int_remainder_scalar", ints % 3);
        Exact("ew.int_fmod", ints.fmod(intd));
        Exact("ew.int_pow", ints.pow(2));
        Exact("ew.int_neg", -ints);
        Exact("ew.int_abs", ints.abs());
        Exact("ew.clamp_int", ints.clamp(-2, 3));
    }

    [Fact]
    public void ElementwiseUnary()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), pos = In("pos"), d = In("d"), special = In("special");
        Close("ew.neg", -x);
        Close("ew.neg", x.neg());
        Close("ew.exp", x.exp());
        Close("ew.exp", exp(x));
        Close("ew.log", pos.log());
        Close("ew.log1p", pos.log1p());
        Close("ew.expm1", x.expm1());
        Close("ew.sqrt", pos.sqrt());
        Close("ew.rsqrt", pos.rsqrt());
        Close("ew.abs", x.abs());
        Close("ew.sign", x.sign());
        Close("ew.sin", x.sin());
        Close("ew.cos", x.cos());
        Close("ew.floor", (x * 3).floor());
        Close("ew.ceil", (x * 3).ceil());
        Close("ew.round", (x * 3).round());
        Exact("ew.round_halves", In("halves").round());
        Close("ew.reciprocal", d.reciprocal());
        Close("ew.square", x.square());
        Close("ew.erf", x.erf());
        Close("ew.relu", x.relu());
        Close("ew.sigmoid", x.sigmoid());
        Close("ew.tanh", x.tanh());
        Exact("ew.isnan", special.isnan());
        Exact("ew.isinf", special.isinf());
        Exact("ew.isfinite", special.isfinite());
    }

    [Fact]
    public void ClampWhereMaskedFill()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), y = In("y"), row = In("row"), col = In("col"), ints = In("ints");
        Close("ew.clamp", x.clamp(-0.5, 1.0));
        Close("ew.clamp_min", x.clamp(min: 0.2));
        Close("ew.clamp_min", x.clamp_min(0.2));
        Close("ew.clamp_max", x.clamp(max: -0.1));
        Close("ew.clamp_max", x.clamp_max(-0.1));
        Close("ew.where", where(x > 0, x, y));
        Close("ew.where_scalar", x.where(x > 0, 0.5));
        Close("ew.where_bcast", where(row > 0, x, col));
        Close("ew.masked_fill", x.masked_fill(x < 0, -9.0));
        Close("ew.masked_fill_row", x.masked_fill(row > 0, 4.0));
        Exact("ew.masked_fill_int", ints.masked_fill(ints < 0, 100));
    }

    [Fact]
    public void Comparisons()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), x2 = In("x2"), row = In("row"), ints = In("ints");
        var ops = new (string name, Func<Tensor, Tensor, Tensor> t, Func<Tensor, Scalar, Tensor> s)[]
        {
            ("eq", (a, b) => a.eq(b), (a, b) => a.eq(b)),
            ("ne", (a, b) => a.ne(b), (a, b) => a.ne(b)),
            ("lt", (a, b) => a.lt(b), (a, b) => a.lt(b)),
            ("le", (a, b) => a.le(b), (a, b) => a.le(b)),
            ("gt", (a, b) => a.gt(b), (a, b) => a.gt(b)),
            ("ge", (a, b) => a.ge(b), (a, b) => a.ge(b)),
        };
        foreach (var (name, t, s) in ops)
        {
            Exact($"cmp.{name}", t(x, x2));
            Exact($"cmp.{name}_scalar", s(x, 0.5));
        }
        Exact("cmp.lt", x < x2);
        Exact("cmp.le", x <= x2);
        Exact("cmp.gt", x > x2);
        Exact("cmp.ge", x >= x2);
        Exact("cmp.lt_scalar", x < 0.5);
        Exact("cmp.ge_scalar", x >= 0.5);
        Exact("cmp.gt_row", x > row);
        Exact("cmp.rlt_scalar", 0.5 < x);
        Exact("cmp.rgt_scalar", 0.5 > x);
        Exact("cmp.rle_scalar", 0.5 <= x);
        Exact("cmp.rge_scalar", 0.5 >= x);
        Exact("cmp.int_eq_zero", ints.eq(0));
        Exact("cmp.int_lt_float", ints < 0.5);
        Assert.Equal(_ref["cmp.equal_same"].item<bool>(), x.equal(x.clone()));
        Assert.Equal(_ref["cmp.equal_other"].item<bool>(), x.equal(x2));
        Assert.Equal(_ref["cmp.allclose_near"].item<bool>(), x.allclose(x + 1e-7));
        Assert.Equal(_ref["cmp.allclose_far"].item<bool>(), x.allclose(x + 1e-3));
    }

    [Fact]
    public void LogicalOps()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), y = In("y"), row = In("row"), ints = In("ints");
        Tensor a = x > 0, b = y > 0;
        Exact("cmp.and", a & b);
        Exact("cmp.or", a | b);
        Exact("cmp.xor", a ^ b);
        Exact("cmp.not", !a);
        Exact("cmp.and", a.logical_and(b));
        Exact("cmp.not", a.logical_not());
        Exact("cmp.logical_and_mixed", x.logical_and(ints));
        Exact("cmp.logical_or_mixed", ints.logical_or(row));
        Exact("cmp.logical_xor_mixed", ints.logical_xor(x));
        Exact("cmp.logical_not_int", ints.logical_not());
    }

    [Fact]
    public void InPlaceVariants()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), y = In("y"), d = In("d"), pos = In("pos"), row = In("row"), ints = In("ints"), intd = In("intd");
        InPlace("inplace.add_", x, t => t.add_(y, 0.5));
        InPlace("inplace.add_scalar_", x, t => t.add_(2));
        InPlace("inplace.sub_", x, t => t.sub_(y, 2));
        InPlace("inplace.sub_scalar_", x, t => t.sub_(0.25));
        InPlace("inplace.mul_", x, t => t.mul_(y));
        InPlace("inplace.mul_scalar_", x, t => t.mul_(-3));
        InPlace("inplace.div_", x, t => t.div_(d));
        InPlace("inplace.div_scalar_", x, t => t.div_(4));
        InPlace("inplace.pow_", x, t => t.pow_(2));
        InPlace("inplace.neg_", x, t => t.neg_());
        InPlace("inplace.exp_", x, t => t.exp_());
        InPlace("inplace.log_", pos, t => t.log_());
        InPlace("inplace.sqrt_", pos, t => t.sqrt_());
        InPlace("inplace.abs_", x, t => t.abs_());
        InPlace("inplace.relu_", x, t => t.relu_());
        InPlace("inplace.sigmoid_", x, t => t.sigmoid_());
        InPlace("inplace.tanh_", x, t => t.tanh_());
        InPlace("inplace.zero_", x, t => t.zero_());
        InPlace("inplace.fill_", x, t => t.fill_(3.5));
        InPlace("inplace.clamp_", x, t => t.clamp_(-0.5, 0.5));
        InPlace("inplace.clamp_min_", x, t => t.clamp_(min: 0.0));
        InPlace("inplace.addcmul_", x, t => t.addcmul_(y, d, 0.5));
        InPlace("inplace.addcdiv_", x, t => t.addcdiv_(y, d, -2));
        InPlace("inplace.lerp_", x, t => t.lerp_(y, 0.25));
        InPlace("inplace.masked_fill_", x, t => t.masked_fill_(x < 0, 0.0));
        InPlace("inplace.int_add_", ints, t => t.add_(5));
        InPlace("inplace.int_mul_", ints, t => t.mul_(intd));
        InPlace("inplace.add_bcast_", x, t => t.add_(row));
        // an in-place op through a view writes into its base
        var baseT = x.clone();
        baseT.select(0, 1).mul_(-3);
        using var expected = _ref["inplace.mul_scalar_"];
        Assert.Equal(expected.select(0, 1).ToArray<float>(), baseT.select(0, 1).ToArray<float>());
        Assert.Equal(x.select(0, 0).ToArray<float>(), baseT.select(0, 0).ToArray<float>());
    }

    // ============================================================================= reductions

    [Fact]
    public void SumMeanProd()
    {
        using var scope = NewDisposeScope();
        Tensor x3 = In("x3"), ints3 = In("ints3");
        Close("red.sum", x3.sum());
        Close("red.sum_dim", x3.sum(1));
        Close("red.sum_dim0", x3.sum(0));
        Close("red.sum_dims_keep", x3.sum(L(0, 2), keepdim: true));
        Close("red.sum_f64", x3.sum(float64));
        Close("red.sum_dim_f64", x3.sum(2, dtype: float64));
        Exact("red.sum_int", ints3.sum());
        Exact("red.sum_int_dim", ints3.sum(-1));
        Close("red.mean", x3.mean());
        Close("red.mean_dim", x3.mean(2));
        Close("red.mean_dim0", x3.mean(0));
        Close("red.mean_dims_keep", x3.mean(L(0, 1), keepdim: true));
        Close("red.mean_f64", x3.mean(float64));
        Close("red.prod", (x3 * 0.5 + 1).prod());
        Close("red.prod_dim", x3.prod(1));
        Close("red.prod_dim_keep", x3.prod(2, keepdim: true));
        Exact("red.prod_int_dim", ints3.prod(2));
    }

    [Fact]
    public void MaxMinAmaxArgmax()
    {
        using var scope = NewDisposeScope();
        var x3 = In("x3");
        Exact("red.max", x3.max());
        Exact("red.min", x3.min());
        var (v, i) = x3.max(1);
        Exact("red.max_dim.values", v);
        Exact("red.max_dim.indices", i);
        (v, i) = x3.max(2, keepdim: true);
        Exact("red.max_dim_keep.values", v);
        Exact("red.max_dim_keep.indices", i);
        (v, i) = x3.min(0);
        Exact("red.min_dim.values", v);
        Exact("red.min_dim.indices", i);
        Exact("red.amax", x3.amax(L(0, 2)));
        Exact("red.amax_keep", x3.amax(L(1), keepdim: true));
        Exact("red.amin", x3.amin(L(1, 2)));
        Exact("red.argmax", x3.argmax());
        Exact("red.argmax_dim", x3.argmax(1));
        Exact("red.argmax_dim_keep", x3.argmax(2, keepdim: true));
        Exact("red.argmin", x3.argmin());
        Exact("red.argmin_dim", x3.argmin(0));
    }

    [Fact]
    public void Norms()
    {
        using var scope = NewDisposeScope();
        var x3 = In("x3");
        // As in PyTorch, the first positional argument is p.
        Close("red.norm_1", x3.norm(1));
        Close("red.norm_2", x3.norm(2));
        Close("red.norm_2", x3.norm());
        Close("red.norm_inf", x3.norm(double.PositiveInfinity));
        Close("red.norm_dim_2", x3.norm(2, 1));
        Close("red.norm_dims_1_keep", x3.norm(1, L(1, 2), keepdim: true));
        Close("red.norm_dim_inf", x3.norm(double.PositiveInfinity, -1));
    }

    [Fact]
    public void VarStdWithCorrection()
    {
        using var scope = NewDisposeScope();
        var x3 = In("x3");
        Close("red.var_1", x3.var());
        Close("red.var_1", x3.var(correction: 1));
        Close("red.var_0", x3.var(correction: 0));
        Close("red.var_dim_0_keep", x3.var(1, correction: 0, keepdim: true));
        Close("red.var_dims_1", x3.var(L(0, 2)));
        Close("red.var_positional_dim", x3.var(1));
        Close("red.var_all_0_keep", x3.var(correction: 0, keepdim: true));
        Close("red.std_1", x3.std());
        Close("red.std_0", x3.std(correction: 0));
        Close("red.std_dim_1", x3.std(2));
        Close("red.std_dim_1", x3.std(2, correction: 1));
        Close("red.std_dims_0_keep", x3.std(L(0, 1), correction: 0, keepdim: true));
        Close("red.std_positional_dim", x3.std(2));
        Close("red.std_all_keep", x3.std(keepdim: true));
    }

    [Fact]
    public void LogsumexpAnyAllCountNonzero()
    {
        using var scope = NewDisposeScope();
        Tensor x3 = In("x3"), ints3 = In("ints3");
        Close("red.logsumexp_dim", x3.logsumexp(2));
        Close("red.logsumexp_dims_keep", x3.logsumexp(L(0, 1), keepdim: true));
        var mask = x3 > 0;
        Exact("red.any", mask.any());
        Exact("red.all", mask.all());
        Exact("red.all_true", (x3 > -100).all());
        Exact("red.any_dim", mask.any(1));
        Exact("red.any_dim_keep", mask.any(2, keepdim: true));
        Exact("red.all_dim", mask.all(0));
        Exact("red.all_dim_keep", (x3 > -2.5).all(2, keepdim: true));
        Exact("red.count_nonzero", ints3.count_nonzero());
        Exact("red.count_nonzero_dim", ints3.count_nonzero(1));
        Exact("red.count_nonzero_dims", ints3.count_nonzero(0, 2));
    }

    [Fact]
    public void MedianAllAndDim()
    {
        using var scope = NewDisposeScope();
        var x3 = In("x3");
        Exact("red.median", x3.median());
        Exact("red.median_odd", x3[0].flatten()[..11].median());
        var (v, i) = x3.median(2);
        Exact("red.median_dim_even.values", v);
        Exact("red.median_dim_even.indices", i);
        (v, i) = x3.median(1, keepdim: true);
        Exact("red.median_dim_odd_keep.values", v);
        Exact("red.median_dim_odd_keep.indices", i);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("lower")]
    [InlineData("higher")]
    [InlineData("midpoint")]
    [InlineData("nearest")]
    public void QuantileInterpolations(string interpolation)
    {
        using var scope = NewDisposeScope();
        Tensor x3 = In("x3"), qs = In("qs");
        Close($"red.quantile_{interpolation}", x3.quantile(0.3, interpolation: interpolation));
        Close($"red.quantile_{interpolation}_dim_keep", x3.quantile(0.65, dim: 1, keepdim: true, interpolation: interpolation));
        Close($"red.quantile_{interpolation}_qs_dim", x3.quantile(qs, dim: 2, interpolation: interpolation));
        if (interpolation == "linear") Close("red.quantile_qs_all", x3.quantile(qs));
    }

    // ================================================================== sorting and selection

    [Fact]
    public void TopK()
    {
        using var scope = NewDisposeScope();
        var x3 = In("x3");
        var (v, i) = x3.topk(2);
        Exact("sort.topk.values", v);
        Exact("sort.topk.indices", i);
        (v, i) = x3.topk(2, dim: 1, largest: false);
        Exact("sort.topk_smallest.values", v);
        Exact("sort.topk_smallest.indices", i);
        (v, i) = topk(x3, 3, dim: 2, largest: true, sorted: true);
        Exact("sort.topk3.values", v);
        Exact("sort.topk3.indices", i);
        (v, i) = x3.flatten().topk(5, largest: false);
        Exact("sort.topk_flat_smallest.values", v);
        Exact("sort.topk_flat_smallest.indices", i);
    }

    [Fact]
    public void SortArgsortCumsumBincount()
    {
        using var scope = NewDisposeScope();
        Tensor x3 = In("x3"), ints3 = In("ints3");
        var (v, i) = x3.sort();
        Exact("sort.sort.values", v);
        Exact("sort.sort.indices", i);
        (v, i) = x3.sort(dim: 1, descending: true);
        Exact("sort.sort_desc.values", v);
        Exact("sort.sort_desc.indices", i);
        (v, i) = ints3.sort(dim: -1, stable: true);
        Exact("sort.sort_stable_ties.values", v);
        Exact("sort.sort_stable_ties.indices", i);
        Exact("sort.argsort", x3.argsort(dim: 0));
        Exact("sort.argsort_desc", x3.argsort(dim: -1, descending: true));
        Close("sort.cumsum", x3.cumsum(1));
        Close("sort.cumsum_last", x3.cumsum(-1));
        Close("sort.cumsum_f64", x3.cumsum(2, float64));
        Exact("sort.cumsum_int32", ints3.@int().cumsum(0));
        Tensor bins = In("bins"), binw = In("binw");
        Exact("sort.bincount", bins.bincount());
        Close("sort.bincount_weights", bins.bincount(binw));
        Exact("sort.bincount_minlength", bins.bincount(minlength: 9));
    }

    // =========================================================================== indexing ops

    [Fact]
    public void GatherScatter()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), src = In("src"), sidx = In("sidx"), rep = In("sidx_rep");
        Exact("idx.gather", x.gather(1, In("gidx")));
        Exact("idx.gather0", x.gather(0, In("gidx0")));
        Exact("idx.scatter", x.scatter(1, sidx, src));
        Close("idx.scatter_add", x.scatter_add(1, rep, src));
        InPlace("idx.scatter_", x, t => t.scatter_(1, sidx, src));
        InPlace("idx.scatter_scalar_", x, t => t.scatter_(1, sidx, -4.0));
        InPlace("idx.scatter_add_", x, t => t.scatter_add_(1, rep, src));
    }

    [Fact]
    public void IndexSelectIndexAddMaskedSelectNonzero()
    {
        using var scope = NewDisposeScope();
        Tensor x = In("x"), row = In("row"), iadd = In("iadd"), asrc = In("asrc");
        Exact("idx.index_select0", x.index_select(0, In("isel")));
        Exact("idx.index_select1", x.index_select(1, In("isel1")));
        Close("idx.index_add", x.index_add(0, iadd, asrc));
        Close("idx.index_add_alpha", x.index_add(0, iadd, asrc, -2.0));
        InPlace("idx.index_add_", x, t => t.index_add_(0, iadd, asrc, 0.5));
        Exact("idx.masked_select", x.masked_select(x > 0.3));
        Exact("idx.masked_select_bcast", x.masked_select(row > 0));
        Exact("idx.nonzero", In("ints").nonzero());
        Exact("idx.nonzero_3d", In("ints3").nonzero());
        Exact("idx.nonzero_empty", zeros(3).nonzero());
    }

    [Fact]
    public void AdvancedIndexAndIndexPut()
    {
        using var scope = NewDisposeScope();
        Tensor g = In("g"), i0 = In("i0"), i2 = In("i2"), vals = In("vals");
        Exact("idx.index_first", g.index(i0));
        Exact("idx.index_skip", g.index(null, In("i1")));
        Exact("idx.index_two", g.index(i0, null, i2));
        Exact("idx.index_adjacent", g.index(i0, In("i1b")));
        InPlace("idx.index_put", g, t => t.index_put_([i0], vals));
        InPlace("idx.index_put_acc", g, t => t.index_put_([In("irep")], vals, accumulate: true));
        InPlace("idx.index_put_two", g, t => t.index_put_([i0, null, i2], tensor(new float[] { 10, 20, 30 }, L(3, 1))));
        InPlace("idx.index_put_two_acc", g,
            t => t.index_put_([tensor(new long[] { 0, 0, 2 }), tensor(new long[] { 1, 1, 1 })], full(L(3, 5), 1.0), accumulate: true));
    }

    // ====================================================================== subscript indexer

    [Fact]
    public void SubscriptGet()
    {
        using var scope = NewDisposeScope();
        Tensor g = In("g"), i0 = In("i0"), i1 = In("i1"), i2 = In("i2");
        Exact("sub.int", g[0]);
        Exact("sub.neg_int", g[-1]);
        Exact("sub.two_ints", g[1, 2]);
        Exact("sub.colon_int", g[.., 1]);
        Exact("sub.colon_int", g[TensorIndex.Colon, 1]);
        Exact("sub.range", g[1..3]);
        Exact("sub.range_from_end", g[^2..]);
        Exact("sub.range_from_end", g[TensorIndex.Slice(-2)]);
        Exact("sub.range_to_from_end", g[..^1, 1..]);
        Exact("sub.step", g[TensorIndex.Slice(step: 2)]);
        Exact("sub.step_mixed", g[TensorIndex.Slice(1, null, 2), .., TensorIndex.Slice(1, 4, 2)]);
        Exact("sub.neg_slice", g[TensorIndex.Slice(-3, -1), .., TensorIndex.Slice(-2)]);
        Exact("sub.ellipsis_int", g[TensorIndex.Ellipsis, 1]);
        Exact("sub.int_ellipsis_int", g[1, TensorIndex.Ellipsis, 2]);
        Exact("sub.none", g[TensorIndex.None]);
        Exact("sub.colon_none", g[.., TensorIndex.None]);
        Exact("sub.ellipsis_none", g[TensorIndex.Ellipsis, TensorIndex.None]);
        Exact("sub.int_none_range", g[0, TensorIndex.None, 1..3]);
        Exact("sub.tensor", g[i0]);
        Exact("sub.colon_tensor", g[.., i1]);
        Exact("sub.tensor_colon_tensor", g[i0, .., i2]);
        Exact("sub.int_tensor", g[1, i1]);
        Exact("sub.tensor_ellipsis_int", g[i0, TensorIndex.Ellipsis, 3]);
        Exact("sub.mask", g[In("mask4")]);
        Exact("sub.mask_2d", g[In("mask43")]);
        Exact("sub.mask_full", g[In("mask_full")]);
        Exact("sub.range_tensor", g[1..3, i1]);
    }

    [Fact]
    public void SubscriptBasicIndexingGivesViewsAndTensorIndexingGivesCopies()
    {
        using var scope = NewDisposeScope();
        Tensor g = In("g"), i0 = In("i0");
        Assert.True(g[0].shares_storage_with(g));
        Assert.True(g[.., 1].shares_storage_with(g));
        Assert.True(g[TensorIndex.Slice(1, null, 2), TensorIndex.None].shares_storage_with(g));
        Assert.False(g[i0].shares_storage_with(g));
        Assert.False(g[In("mask4")].shares_storage_with(g));
        Assert.Throws<IndexOutOfRangeException>(() => g[4]);
        Assert.Throws<IndexOutOfRangeException>(() => g[0, 0, 0, 0]);
    }

    [Fact]
    public void SubscriptSet()
    {
        using var scope = NewDisposeScope();
        Tensor g = In("g"), i0 = In("i0"), i2 = In("i2"), setv = In("setv"), vals = In("vals");
        var h = g.clone(); h[0] = setv;
        Exact("sub.set_int", h);
        h = g.clone(); h[.., 1] = setv[0];
        Exact("sub.set_colon_int_bcast", h);
        h = g.clone(); h[1..3, 0] = tensor(9.0);
        Exact("sub.set_range_scalar", h);
        h = g.clone(); h[TensorIndex.Ellipsis, 2] = tensor(new float[] { 1, 2, 3 });
        Exact("sub.set_ellipsis", h);
        h = g.clone(); h[i0] = vals;
        Exact("sub.set_tensor", h);
        h = g.clone(); h[i0, .., i2] = tensor(-1.0);
        Exact("sub.set_tensor_colon_tensor", h);
        h = g.clone(); h[In("mask4")] = tensor(0.5);
        Exact("sub.set_mask", h);
        h = g.clone(); h[In("mask_full")] = tensor(-2.0);
        Exact("sub.set_mask_full", h);
        h = g.clone(); h[TensorIndex.Slice(step: 2), 1.., 0] = tensor(7.0);
        Exact("sub.set_step", h);
    }

    // ============================================================================== shape ops

    [Fact]
    public void ViewsAndReshapes()
    {
        using var scope = NewDisposeScope();
        Tensor g = In("g"), x = In("x"), col = In("col"), od = In("ones_dims");
        var gt = g.transpose(0, 2);
        Exact("shape.view", g.view(12, 5));
        Exact("shape.view_infer", g.view(-1, 15));
        Exact("shape.reshape", g.reshape(5, 12));
        Exact("shape.reshape_noncontig", gt.reshape(5, 12));
        Exact("shape.transpose", gt);
        Exact("shape.t", x.t());
        Exact("shape.t", x.T);
        Exact("shape.permute", g.permute(2, 0, 1));
        Exact("shape.narrow", g.narrow(2, 1, 3));
        Exact("shape.narrow_neg", g.narrow(-1, 0, 2));
        Exact("shape.slice_step", g.slice(2, 0, 5, 2));
        Exact("shape.slice_step3", g.slice(0, 1, 4, 2));
        Exact("shape.select", g.select(1, 2));
        Exact("shape.select_neg", g.select(-1, -1));
        Exact("shape.unsqueeze", g.unsqueeze(1));
        Exact("shape.unsqueeze_neg", g.unsqueeze(-1));
        Exact("shape.squeeze", od.squeeze());
        Exact("shape.squeeze_dim", od.squeeze(1));
        Exact("shape.squeeze_dim_noop", od.squeeze(0));
        Exact("shape.expand", col.expand(2, 3, 4));
        Exact("shape.expand_keep", col.expand(-1, 5));
        Exact("shape.flatten", g.flatten());
        Exact("shape.flatten_1", g.flatten(1));
        Exact("shape.flatten_01", g.flatten(0, 1));
        Exact("shape.unflatten", g.flatten(1).unflatten(1, 3, 5));
        Exact("shape.unflatten_neg", g.unflatten(-1, 5, 1));
        foreach (var view in new[] { g.view(12, 5), gt, g.permute(2, 0, 1), g.narrow(2, 1, 3), g.slice(2, 0, 5, 2), g.select(1, 2), g.unflatten(-1, 5, 1) })
            Assert.True(view.shares_storage_with(g), $"a {view.ShapeString} view does not share storage with its base");
        Assert.True(col.expand(2, 3, 4).shares_storage_with(col));
        Assert.False(gt.reshape(5, 12).shares_storage_with(g));     // a non-contiguous reshape copies
    }

    [Fact]
    public void RepeatFlipRollTriangles()
    {
        using var scope = NewDisposeScope();
        Tensor g = In("g"), x = In("x"), row = In("row");
        Exact("shape.repeat", x.repeat(2, 1, 3));
        Exact("shape.repeat_same_rank", x.repeat(2, 2));
        Exact("shape.flip", g.flip(0, 2));
        Exact("shape.flip_last", x.flip(-1));
        Exact("shape.roll", g.roll(L(1, -2), L(0, 2)));
        Exact("shape.roll_one", x.roll(L(3), L(1)));
        Exact("shape.tril", x.tril());
        Exact("shape.tril_neg", x.tril(-1));
        Exact("shape.triu", x.triu(1));
        Exact("shape.triu_batched", g.triu());
        Exact("shape.diag_of_matrix", x.diag());
        Exact("shape.diag_offset", x.diag(1));
        Exact("shape.diag_of_vector", row.diag());
    }

    [Fact]
    public void CatStackSplitChunkUnbind()
    {
        using var scope = NewDisposeScope();
        Tensor g = In("g"), x = In("x"), y = In("y"), d = In("d"), col = In("col"), s53 = In("s53");
        Exact("shape.cat0", cat([x, y, col.expand(3, 4)], 0));
        Exact("shape.cat1", cat([x, col], 1));
        Exact("shape.cat_neg", cat([g, g[.., .., ..2]], -1));
        Exact("shape.stack0", stack([x, y]));
        Exact("shape.stack1", stack([x, y, d], 1));
        Exact("shape.stack_last", stack([x, y], -1));
        Pieces("shape.split0", s53.split(2, 0));
        Pieces("shape.split1", s53.split(2, 1));
        Pieces("shape.chunk0", s53.chunk(3, 0));
        Pieces("shape.chunk_fewer", arange(5).chunk(4));
        Pieces("shape.chunk1", g.chunk(2, 2));
        Pieces("shape.unbind0", s53.unbind(0));
        Pieces("shape.unbind1", g.unbind(1));
    }

    // ================================================================================= linalg

    [Fact]
    public void MatrixProducts()
    {
        using var scope = NewDisposeScope();
        Tensor A = In("A"), B = In("B"), P = In("P"), Q = In("Q"), v4 = In("v4"), v3 = In("v3"), M35 = In("M35");
        Close("linalg.matmul", A.matmul(B));
        Close("linalg.matmul", matmul(A, B));
        Close("linalg.matmul_batched_bcast", In("Ab").matmul(In("Bb")));
        Close("linalg.matmul_batched_2d", P.matmul(B));
        Close("linalg.matmul_vec_mat", v4.matmul(B));
        Close("linalg.matmul_mat_vec", A.matmul(v4));
        Close("linalg.matmul_vec_vec", v4.matmul(v4));
        Close("linalg.mm", A.mm(B));
        Close("linalg.mm", mm(A, B));
        Close("linalg.bmm", P.bmm(Q));
        Close("linalg.bmm", bmm(P, Q));
        Close("linalg.mv", A.mv(v4));
        Close("linalg.dot", v4.dot(v4 * 0.5 + 1));
        Close("linalg.outer", v3.outer(v4));
        Close("linalg.addmm", M35.addmm(A, B));
        Close("linalg.addmm_beta_alpha", M35.addmm(A, B, beta: 0.5, alpha: 2.0));
        Close("linalg.addmm_beta_alpha", addmm(M35, A, B, 0.5, 2.0));
        Close("linalg.addmm_bcast", M35[0].addmm(A, B, beta: -1.0, alpha: 0.25));
        Close("linalg.baddbmm", In("M235").baddbmm(P, Q, beta: 0.5, alpha: -1.5));
        Close("linalg.linear", F.linear(P, In("Wl"), In("bl")));
        Close("linalg.linear_nobias", F.linear(A, In("Wl")));
    }

    [Fact]
    public void Einsum()
    {
        using var scope = NewDisposeScope();
        Tensor A = In("A"), B = In("B"), P = In("P"), Q = In("Q"), v4 = In("v4");
        Close("linalg.einsum_bmm", einsum("bij,bjk->bik", P, Q));
        Exact("linalg.einsum_transpose", einsum("ij->ji", A));
        Exact("linalg.einsum_diag", einsum("ii->i", A[.., ..3]));
        Close("linalg.einsum_inner", einsum("i,i->", v4, v4));
        Close("linalg.einsum_bcast", einsum("bij,jk->bik", P, B));
        Close("linalg.einsum_ellipsis", einsum("...ij,...jk->...ik", P, Q));
    }

    // ========================================================================== nn functional

    [Fact]
    public void Activations()
    {
        using var scope = NewDisposeScope();
        var act = In("act");
        Close("nn.relu", F.relu(act));
        Close("nn.gelu", F.gelu(act));
        Close("nn.gelu", F.gelu(act, "none"));
        Close("nn.gelu_tanh", F.gelu(act, "tanh"));
        Close("nn.sigmoid", F.sigmoid(act));
        Close("nn.tanh", F.tanh(act));
        Close("nn.silu", F.silu(act));
        Close("nn.softplus", F.softplus(act));
        Close("nn.softplus_beta", F.softplus(act, beta: 2.0, threshold: 1.0));
        Close("nn.logsigmoid", F.logsigmoid(act));
    }

    [Fact]
    public void SoftmaxAndLayerNorm()
    {
        using var scope = NewDisposeScope();
        Tensor act = In("act"), x3 = In("x3");
        Close("nn.softmax_last", F.softmax(act, -1));
        Close("nn.softmax_0", act.softmax(0));
        Close("nn.softmax_3d", softmax(x3, 1));
        Close("nn.log_softmax_last", F.log_softmax(act, -1));
        Close("nn.log_softmax_0", act.log_softmax(0));
        Close("nn.layer_norm", F.layer_norm(x3, L(4), In("lnw"), In("lnb")));
        Close("nn.layer_norm_noaffine", F.layer_norm(x3, L(4)));
        Close("nn.layer_norm_eps", F.layer_norm(x3, L(4), In("lnw"), In("lnb"), eps: 1e-2));
        Close("nn.layer_norm_2d", F.layer_norm(x3, L(3, 4), In("lnw2"), In("lnb2")));
        Close("nn.layer_norm_weight_only", F.layer_norm(x3, L(4), In("lnw")));
    }

    [Fact]
    public void EmbeddingAndEmbeddingBag()
    {
        using var scope = NewDisposeScope();
        Tensor w = In("emb_w"), idx = In("bag_idx"), off = In("bag_off");
        Exact("nn.embedding", F.embedding(In("emb_idx"), w));
        Exact("nn.embedding_1d", F.embedding(idx, w));
        foreach (var mode in new[] { "sum", "mean", "max" })
            Close($"nn.embedding_bag_{mode}", F.embedding_bag(idx, w, off, mode));
        Close("nn.embedding_bag_psw", F.embedding_bag(idx, w, off, "sum", per_sample_weights: In("bag_psw")));
        Close("nn.embedding_bag_last", F.embedding_bag(idx, w, In("bag_off_last"), "mean", include_last_offset: true));
    }

    [Fact]
    public void Dropout()
    {
        using var scope = NewDisposeScope();
        var act = In("act");
        Exact("nn.dropout_eval", F.dropout(act, 0.5, training: false));
        Exact("in.act", F.dropout(act, 0.5, training: false));
        Exact("nn.dropout_p0", F.dropout(act, 0.0, training: true));
        manual_seed(99);
        Exact("nn.dropout_train_seed99", F.dropout(act, 0.5, training: true));
    }

    // ================================================================================= losses

    [Theory]
    [InlineData(nn.Reduction.None, "none")]
    [InlineData(nn.Reduction.Mean, "mean")]
    [InlineData(nn.Reduction.Sum, "sum")]
    public void LossReductions(nn.Reduction reduction, string name)
    {
        using var scope = NewDisposeScope();
        Tensor logits = In("logits"), targets = In("targets"), x = In("x"), y = In("y");
        Close($"loss.ce_{name}", F.cross_entropy(logits, targets, reduction: reduction));
        Close($"loss.nll_{name}", F.nll_loss(logits.log_softmax(-1), targets, reduction: reduction));
        Close($"loss.mse_{name}", F.mse_loss(x, y, reduction));
        Close($"loss.bce_{name}", F.binary_cross_entropy_with_logits(x, y.sigmoid(), reduction: reduction));
    }

    [Fact]
    public void CrossEntropyOptions()
    {
        using var scope = NewDisposeScope();
        Tensor logits = In("logits"), targets = In("targets"), cw = In("cw");
        Close("loss.ce_ignore", F.cross_entropy(logits, targets, ignore_index: 1));
        Close("loss.ce_ignore_none", F.cross_entropy(logits, targets, reduction: nn.Reduction.None, ignore_index: 1));
        Close("loss.ce_smooth", F.cross_entropy(logits, targets, label_smoothing: 0.1));
        Close("loss.ce_smooth_none", F.cross_entropy(logits, targets, reduction: nn.Reduction.None, label_smoothing: 0.1));
        Close("loss.ce_smooth_ignore", F.cross_entropy(logits, targets, ignore_index: 1, label_smoothing: 0.2));
        Close("loss.ce_weight", F.cross_entropy(logits, targets, weight: cw));
        Close("loss.ce_weight_smooth_sum", F.cross_entropy(logits, targets, weight: cw, reduction: nn.Reduction.Sum, label_smoothing: 0.3));
        Close("loss.ce_3d", F.cross_entropy(In("logits3"), In("targets3")));
        Close("loss.ce_3d_none", F.cross_entropy(In("logits3"), In("targets3"), reduction: nn.Reduction.None));
        Close("loss.nll_ignore", F.nll_loss(logits.log_softmax(-1), targets, ignore_index: 3));
        Close("loss.bce_weight", F.binary_cross_entropy_with_logits(In("x"), In("y").sigmoid(), weight: In("row")));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("mean")]
    [InlineData("sum")]
    [InlineData("batchmean")]
    public void KlDiv(string reduction)
    {
        using var scope = NewDisposeScope();
        var input = In("logits").log_softmax(-1);
        Close($"loss.kl_{reduction}", F.kl_div(input, In("kl_tgt"), reduction));
        Close($"loss.kl_{reduction}_logtarget", F.kl_div(input, In("kl_logtgt"), reduction, log_target: true));
    }

    // ================================================================================= random

    [Fact]
    public void ManualSeedGivesTorchsStream()
    {
        using var scope = NewDisposeScope();
        manual_seed(1234);
        using (var def = Generator.DefaultCpu()) Exact("rand.seed.state", def.get_state());
        Exact("rand.seed.randn5", randn(5));
        Exact("rand.seed.randn37", randn(3, 7));
        Exact("rand.seed.rand45", rand(4, 5));
        Exact("rand.seed.randint", randint(0, 10, L(6)));
        Exact("rand.seed.randint_neg", randint(-3, 3, L(2, 9)));
        Exact("rand.seed.randperm10", randperm(10));
        Exact("rand.seed.randn_f64", randn(L(2), float64));
        Exact("rand.seed.randn_like", randn_like(In("x3")));
        Exact("rand.seed.randn_after", randn(4));
        manual_seed(2024);
        Exact("rand.seed2024.randperm50", randperm(50));
        Exact("rand.seed2024.normal_", empty(3, 6).normal_(0.5, 2.0));
        Exact("rand.seed2024.uniform_", empty(17).uniform_(-2.0, 3.0));
    }

    [Fact]
    public void ExplicitGeneratorGivesTorchsStream()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(42);
        Exact("rand.gen.randn20", randn(L(20), generator: gen));
        Exact("rand.gen.rand33", rand(L(3, 3), generator: gen));
        Exact("rand.gen.randint", randint(-5, 5, L(8), generator: gen));
        Exact("rand.gen.randperm7", randperm(7, gen));
        Exact("rand.gen.normal_", empty(6).normal_(1.0, 2.0, gen));
        Exact("rand.gen.uniform_", empty(5).uniform_(-1.0, 3.0, gen));
        Exact("rand.gen.bernoulli_", empty(10).bernoulli_(0.3, gen));
        var probs = In("probs");
        Exact("rand.gen.bernoulli", bernoulli(probs.clamp(max: 1.0) * 0.9, gen));
        Exact("rand.gen.multinomial", multinomial(probs, 3, replacement: false, generator: gen));
        Exact("rand.gen.multinomial_repl", multinomial(probs, 6, replacement: true, generator: gen));

        using var gen7 = new Generator(0).manual_seed(7);
        Exact("rand.gen7.randn", randn(L(9), generator: gen7));
        Exact("rand.gen7.rand_f64", rand(L(4), float64, generator: gen7));
        using var ctor7 = new Generator(7);
        Exact("rand.gen7.randn", randn(L(9), generator: ctor7));
        Assert.Equal(_ref["rand.gen.initial_seed"].item<long>(), (long)gen.initial_seed());
    }

    [Fact]
    public void GeneratorStateReplaysTheStream()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(42);
        // the draws python made from this generator before saving its state
        randn(L(20), generator: gen); rand(L(3, 3), generator: gen); randint(-5, 5, L(8), generator: gen); randperm(7, gen);
        empty(6).normal_(1.0, 2.0, gen); empty(5).uniform_(-1.0, 3.0, gen); empty(10).bernoulli_(0.3, gen);
        var probs = In("probs");
        bernoulli(probs.clamp(max: 1.0) * 0.9, gen);
        multinomial(probs, 3, false, gen);
        multinomial(probs, 6, true, gen);
        var saved = gen.get_state();
        Exact("rand.gen.state", saved);
        var first = randn(L(6), generator: gen);
        Exact("rand.gen.after_state", first);
        gen.set_state(saved);
        var replay = randn(L(6), generator: gen);
        Exact("rand.gen.replayed", replay);
        Assert.Equal(first.ToArray<float>(), replay.ToArray<float>());
        // and a state restored into another generator continues the same stream
        using var other = new Generator(1);
        other.set_state(saved);
        Exact("rand.gen.after_state", randn(L(6), generator: other));
    }

    [Fact]
    public void ExplicitGeneratorLeavesTheDefaultStreamAlone()
    {
        using var scope = NewDisposeScope();
        manual_seed(1234);
        Exact("rand.seed.randn5", randn(5));
        using (var g = new Generator(5)) randn(L(100), generator: g);
        Exact("rand.seed.randn37", randn(3, 7));
    }

    // ============================================================================= optimisers

    public static TheoryData<string> OptimizerCases =>
        ["adam", "adam_wd", "adamw", "adamw_default_wd", "amsgrad", "adamw_amsgrad", "beta1_0", "eps_small", "gemma", "maximize", "groups"];

    private static optim.Optimizer MakeOptimizer(string name, Tensor w, Tensor b) => name switch
    {
        "adam" => new optim.Adam([w, b], new optim.AdamOptions { lr = 0.05 }),
        "adam_wd" => new optim.Adam([w, b], new optim.AdamOptions { lr = 0.05, weight_decay = 0.1 }),
        "adamw" => new optim.AdamW([w, b], new optim.AdamOptions { lr = 0.05, weight_decay = 0.1 }),
        // like torch.optim.AdamW(lr=...): AdamW's default weight_decay is 0.01 also when other options are given
        "adamw_default_wd" => new optim.AdamW([w, b], new optim.AdamOptions { lr = 0.05 }),
        "amsgrad" => new optim.Adam([w, b], new optim.AdamOptions { lr = 0.05, amsgrad = true }),
        "adamw_amsgrad" => new optim.AdamW([w, b], new optim.AdamOptions { lr = 0.05, weight_decay = 0.1, amsgrad = true }),
        "beta1_0" => new optim.Adam([w, b], new optim.AdamOptions { lr = 0.05, beta1 = 0.0 }),
        "eps_small" => new optim.Adam([w, b], new optim.AdamOptions { lr = 0.05, eps = 6.25e-10 }),
        "gemma" => new optim.Adam([w, b], new optim.AdamOptions { lr = 0.05, beta1 = 0.0, eps = 6.25e-10 }),
        "maximize" => new optim.Adam([w, b], new optim.AdamOptions { lr = 0.05, maximize = true }),
        "groups" => new optim.Adam([new optim.ParamGroup([w], 0.05), new optim.ParamGroup([b], 0.01)],
            new optim.AdamOptions { beta1 = 0.8, beta2 = 0.99 }),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void AdamMatchesTorchOptim(string name)
    {
        using var scope = NewDisposeScope();
        var w = In("opt.W0").requires_grad_();
        var b = In("opt.B0").requires_grad_();
        Tensor X = In("opt.OX"), Y = In("opt.OY");
        using var opt = MakeOptimizer(name, w, b);
        for (var step = 0; step < 5; step++)
        {
            opt.zero_grad();
            using (NewDisposeScope())
            {
                var loss = (X.matmul(w.t()) + b - Y).pow(2).mean();
                loss.backward();
            }
            opt.step();
            Close($"optim.{name}.w.{step}", w, rtol: 1e-6, atol: 1e-7);
            Close($"optim.{name}.b.{step}", b, rtol: 1e-6, atol: 1e-7);
        }
    }

    [Theory]
    [InlineData("p2", 2.0)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("p1", 1.0)]
    public void ClipGradNorm(string tag, double normType)
    {
        using var scope = NewDisposeScope();
        foreach (var maxNorm in new[] { 0.5, 100.0 })
        {
            var p1 = zeros(L(3, 4), requires_grad: true);
            var p2 = zeros(L(5), requires_grad: true);
            p1.grad = In("clip.G1");
            p2.grad = In("clip.G2");
            var total = nn.utils.clip_grad_norm_([p1, p2], maxNorm, normType);
            var key = $"clip.{tag}.max{maxNorm:g}";
            CloseScalar(key + ".total", total);
            Close(key + ".g1", p1.grad!);
            Close(key + ".g2", p2.grad!);
        }
    }

    // ================================================================================ modules

    [Fact]
    public void LinearLayerNormEmbeddingModules()
    {
        using var scope = NewDisposeScope();
        using var lin = new nn.Linear(4, 6);
        lin.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = In("Wl"), ["bias"] = In("bl") });
        Close("module.linear", lin.forward(In("P")));
        using var linNoBias = new nn.Linear(4, 6, hasBias: false);
        linNoBias.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = In("Wl") });
        Close("module.linear_nobias", linNoBias.call(In("A")));
        using var ln = new nn.LayerNorm(4);
        ln.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = In("lnw"), ["bias"] = In("lnb") });
        Close("module.layernorm", ln.forward(In("x3")));
        using var ln2 = new nn.LayerNorm(L(3, 4), eps: 1e-3);
        ln2.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = In("lnw2"), ["bias"] = In("lnb2") });
        Close("module.layernorm_2d_eps", ln2.forward(In("x3")));
        using var lnNoAffine = new nn.LayerNorm(L(4), elementwise_affine: false);
        Assert.Empty(lnNoAffine.parameters());
        Close("module.layernorm_noaffine", lnNoAffine.forward(In("x3")));
        using var emb = new nn.Embedding(10, 3);
        emb.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = In("emb_w") });
        Exact("module.embedding", emb.forward(In("emb_idx")));
    }

    // ============================================================================ LR schedules

    [Fact]
    public void CosineLRHandComputed()
    {
        var s = new optim.CosineLR(TotalSteps: 110, WarmupSteps: 10, MinFactor: 0.1);
        Assert.Equal(0.0, s.Factor(0), 12);
        Assert.Equal(0.5, s.Factor(5), 12);                       // linear warm-up from 0
        Assert.Equal(1.0, s.Factor(10), 12);                      // warm-up end: the peak
        Assert.Equal(0.868198051533946, s.Factor(35), 12);        // 0.1 + 0.45 * (1 + cos(pi/4))
        Assert.Equal(0.55, s.Factor(60), 12);                     // midpoint of the decay
        Assert.Equal(0.1, s.Factor(110), 12);                     // end
        Assert.Equal(0.1, s.Factor(500), 12);                     // after the end
        var noWarmup = new optim.CosineLR(TotalSteps: 100);
        Assert.Equal(1.0, noWarmup.Factor(0), 12);
        Assert.Equal(0.5, noWarmup.Factor(50), 12);
        Assert.Equal(0.0, noWarmup.Factor(100), 12);
    }

    [Fact]
    public void LinearDecayLRHandComputed()
    {
        var s = new optim.LinearDecayLR(TotalSteps: 100, DecaySteps: 20);
        Assert.Equal(1.0, s.Factor(0), 12);
        Assert.Equal(1.0, s.Factor(79), 12);
        Assert.Equal(1.0, s.Factor(80), 12);                      // decay starts at 80 (final 20%)
        Assert.Equal(0.5, s.Factor(90), 12);
        Assert.Equal(0.25, s.Factor(95), 12);
        Assert.Equal(0.0, s.Factor(100), 12);
        var w = new optim.LinearDecayLR(TotalSteps: 100, DecaySteps: 20, EndFactor: 0.1, WarmupSteps: 10);
        Assert.Equal(0.5, w.Factor(5), 12);
        Assert.Equal(1.0, w.Factor(50), 12);
        Assert.Equal(0.55, w.Factor(90), 12);
        Assert.Equal(0.1, w.Factor(120), 12);
    }

    [Fact]
    public void WarmupLRCosineShapeHandComputed()
    {
        var s = new optim.WarmupLR(1000, StartFactor: 0.1, Shape: optim.WarmupShape.Cosine);
        Assert.Equal(0.1, s.Factor(0), 12);
        Assert.Equal(0.231801948466053, s.Factor(250), 12);       // 0.1 + 0.45 * (1 - cos(pi/4))
        Assert.Equal(0.55, s.Factor(500), 12);
        Assert.Equal(0.868198051533946, s.Factor(750), 12);       // 0.1 + 0.45 * (1 + cos(pi/4))
        Assert.Equal(1.0, s.Factor(1000), 12);
        Assert.Equal(1.0, s.Factor(5000), 12);
        var linear = new optim.WarmupLR(100);
        Assert.Equal(0.25, linear.Factor(25), 12);
    }

    [Fact]
    public void LrSchedulerSetsGroupLearningRates()
    {
        using var scope = NewDisposeScope();
        var w = zeros(L(2), requires_grad: true);
        var b = zeros(L(1), requires_grad: true);
        using var opt = new optim.Adam([new optim.ParamGroup([w], 0.01), new optim.ParamGroup([b], 0.002)]);
        var sched = new optim.LrScheduler(opt, new optim.CosineLR(TotalSteps: 110, WarmupSteps: 10, MinFactor: 0.1));
        Assert.Equal(0.0, opt.ParamGroups[0].LearningRate!.Value, 15);
        for (var i = 0; i < 10; i++) sched.step();
        Assert.Equal(0.01, opt.ParamGroups[0].LearningRate!.Value, 15);
        Assert.Equal(0.002, opt.ParamGroups[1].LearningRate!.Value, 15);
        for (var i = 0; i < 50; i++) sched.step();
        Assert.Equal(60, sched.LastStep);
        Assert.Equal(0.0055, opt.ParamGroups[0].LearningRate!.Value, 15);
        Assert.Equal(0.0011, opt.ParamGroups[1].LearningRate!.Value, 15);
    }
}
