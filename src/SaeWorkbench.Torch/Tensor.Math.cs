using SaeWorkbench.Torch.Interop;
using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>Elementwise math with broadcasting, C# operators, comparisons, logical ops, in-place forms.</summary>
public sealed partial class Tensor
{
    private Tensor Inplace(int status)
    {
        N.Check(status);
        return this;
    }

    // ---- operators (broadcasting; scalars on either side) ----------------------------------
    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, Scalar b) => a.add(b);
    public static Tensor operator +(Scalar a, Tensor b) => b.add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, Scalar b) => a.sub(b);
    public static Tensor operator -(Scalar a, Tensor b) => Wrap(N.saewb_rsub_scalar(b.Handle, a));
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, Scalar b) => a.mul(b);
    public static Tensor operator *(Scalar a, Tensor b) => b.mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, Scalar b) => a.div(b);
    public static Tensor operator /(Scalar a, Tensor b) => Wrap(N.saewb_rdiv_scalar(b.Handle, a));
    public static Tensor operator %(Tensor a, Tensor b) => a.remainder(b);
    public static Tensor operator %(Tensor a, Scalar b) => a.remainder(b);
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator <(Tensor a, Tensor b) => a.lt(b);
    public static Tensor operator <(Tensor a, Scalar b) => a.lt(b);
    public static Tensor operator >(Tensor a, Tensor b) => a.gt(b);
    public static Tensor operator >(Tensor a, Scalar b) => a.gt(b);
    public static Tensor operator <=(Tensor a, Tensor b) => a.le(b);
    public static Tensor operator <=(Tensor a, Scalar b) => a.le(b);
    public static Tensor operator >=(Tensor a, Tensor b) => a.ge(b);
    public static Tensor operator >=(Tensor a, Scalar b) => a.ge(b);
    public static Tensor operator <(Scalar a, Tensor b) => b.gt(a);
    public static Tensor operator >(Scalar a, Tensor b) => b.lt(a);
    public static Tensor operator <=(Scalar a, Tensor b) => b.ge(a);
    public static Tensor operator >=(Scalar a, Tensor b) => b.le(a);
    public static Tensor operator &(Tensor a, Tensor b) => a.logical_and(b);
    public static Tensor operator |(Tensor a, Tensor b) => a.logical_or(b);
    public static Tensor operator ^(Tensor a, Tensor b) => a.logical_xor(b);
    public static Tensor operator !(Tensor a) => a.logical_not();

    // ---- arithmetic ---------------------------------------------------------------------------
    /// <summary>this + alpha * other.</summary>
    public Tensor add(Tensor other, Scalar? alpha = null) => Wrap(N.saewb_add(Handle, other.Handle, alpha ?? 1));
    public Tensor add(Scalar other) => Wrap(N.saewb_add_scalar(Handle, other));
    /// <summary>this - alpha * other.</summary>
    public Tensor sub(Tensor other, Scalar? alpha = null) => Wrap(N.saewb_sub(Handle, other.Handle, alpha ?? 1));
    public Tensor sub(Scalar other) => Wrap(N.saewb_sub_scalar(Handle, other));
    public Tensor mul(Tensor other) => Wrap(N.saewb_mul(Handle, other.Handle));
    public Tensor mul(Scalar other) => Wrap(N.saewb_mul_scalar(Handle, other));
    public Tensor div(Tensor other) => Wrap(N.saewb_div(Handle, other.Handle));
    public Tensor div(Scalar other) => Wrap(N.saewb_div_scalar(Handle, other));
    /// <summary>Division with rounding: "trunc" or "floor" (null: true division).</summary>
    public Tensor div(Tensor other, string? rounding_mode) => Wrap(N.saewb_div_mode(Handle, other.Handle, rounding_mode switch
    {
        null => 0,
        "trunc" => 1,
        "floor" => 2,
        _ => throw new ArgumentException($"rounding_mode '{rounding_mode}' is not one of: null, \"trunc\", \"floor\"", nameof(rounding_mode)),
    }));
    public Tensor pow(Tensor exponent) => Wrap(N.saewb_pow(Handle, exponent.Handle));
    public Tensor pow(Scalar exponent) => Wrap(N.saewb_pow_scalar(Handle, exponent));
    public Tensor remainder(Tensor other) => Wrap(N.saewb_remainder(Handle, other.Handle));
    public Tensor remainder(Scalar other) => Wrap(N.saewb_remainder_scalar(Handle, other));
    public Tensor fmod(Tensor other) => Wrap(N.saewb_fmod(Handle, other.Handle));
    public Tensor fmod(Scalar other) => Wrap(N.saewb_fmod_scalar(Handle, other));
    public Tensor maximum(Tensor other) => Wrap(N.saewb_maximum(Handle, other.Handle));
    public Tensor minimum(Tensor other) => Wrap(N.saewb_minimum(Handle, other.Handle));
    public Tensor atan2(Tensor other) => Wrap(N.saewb_atan2(Handle, other.Handle));
    public Tensor lerp(Tensor end, Scalar weight) => Wrap(N.saewb_lerp(Handle, end.Handle, weight));

    public Tensor clamp(Scalar? min = null, Scalar? max = null) =>
        Wrap(N.saewb_clamp(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0));
    public Tensor clamp_min(Scalar min) => clamp(min: min);
    public Tensor clamp_max(Scalar max) => clamp(max: max);

    // ---- unary ----------------------------------------------------------------------------------
    public Tensor neg() => Wrap(N.saewb_neg(Handle));
    public Tensor exp() => Wrap(N.saewb_exp(Handle));
    public Tensor log() => Wrap(N.saewb_log(Handle));
    public Tensor log1p() => Wrap(N.saewb_log1p(Handle));
    public Tensor expm1() => Wrap(N.saewb_expm1(Handle));
    public Tensor sqrt() => Wrap(N.saewb_sqrt(Handle));
    public Tensor rsqrt() => Wrap(N.saewb_rsqrt(Handle));
    public Tensor abs() => Wrap(N.saewb_abs(Handle));
    public Tensor sign() => Wrap(N.saewb_sign(Handle));
    public Tensor sin() => Wrap(N.saewb_sin(Handle));
    public Tensor cos() => Wrap(N.saewb_cos(Handle));
    public Tensor floor() => Wrap(N.saewb_floor(Handle));
    public Tensor ceil() => Wrap(N.saewb_ceil(Handle));
    public Tensor round() => Wrap(N.saewb_round(Handle));
    public Tensor reciprocal() => Wrap(N.saewb_reciprocal(Handle));
    public Tensor square() => Wrap(N.saewb_square(Handle));
    public Tensor erf() => Wrap(N.saewb_erf(Handle));
    public Tensor relu() => Wrap(N.saewb_relu(Handle));
    public Tensor sigmoid() => Wrap(N.saewb_sigmoid(Handle));
    public Tensor tanh() => Wrap(N.saewb_tanh(Handle));
    public Tensor softmax(long dim) => Wrap(N.saewb_softmax(Handle, dim));
    public Tensor log_softmax(long dim) => Wrap(N.saewb_log_softmax(Handle, dim));
    public Tensor isnan() => Wrap(N.saewb_isnan(Handle));
    public Tensor isinf() => Wrap(N.saewb_isinf(Handle));
    public Tensor isfinite() => Wrap(N.saewb_isfinite(Handle));

    // ---- comparisons and logic (bool results) ------------------------------------------------
    public Tensor eq(Tensor other) => Wrap(N.saewb_eq(Handle, other.Handle));
    public Tensor eq(Scalar other) => Wrap(N.saewb_eq_scalar(Handle, other));
    public Tensor ne(Tensor other) => Wrap(N.saewb_ne(Handle, other.Handle));
    public Tensor ne(Scalar other) => Wrap(N.saewb_ne_scalar(Handle, other));
    public Tensor lt(Tensor other) => Wrap(N.saewb_lt(Handle, other.Handle));
    public Tensor lt(Scalar other) => Wrap(N.saewb_lt_scalar(Handle, other));
    public Tensor le(Tensor other) => Wrap(N.saewb_le(Handle, other.Handle));
    public Tensor le(Scalar other) => Wrap(N.saewb_le_scalar(Handle, other));
    public Tensor gt(Tensor other) => Wrap(N.saewb_gt(Handle, other.Handle));
    public Tensor gt(Scalar other) => Wrap(N.saewb_gt_scalar(Handle, other));
    public Tensor ge(Tensor other) => Wrap(N.saewb_ge(Handle, other.Handle));
    public Tensor ge(Scalar other) => Wrap(N.saewb_ge_scalar(Handle, other));
    public Tensor logical_and(Tensor other) => Wrap(N.saewb_logical_and(Handle, other.Handle));
    public Tensor logical_or(Tensor other) => Wrap(N.saewb_logical_or(Handle, other.Handle));
    public Tensor logical_xor(Tensor other) => Wrap(N.saewb_logical_xor(Handle, other.Handle));
    public Tensor logical_not() => Wrap(N.saewb_logical_not(Handle));

    /// <summary>True when both have the same shape and elements.</summary>
    public bool equal(Tensor other)
    {
        var r = N.saewb_equal(Handle, other.Handle);
        if (r < 0) throw N.LastError();
        return r != 0;
    }

    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false)
    {
        var r = N.saewb_allclose(Handle, other.Handle, rtol, atol, equal_nan ? 1 : 0);
        if (r < 0) throw N.LastError();
        return r != 0;
    }

    /// <summary>Elementwise selection: where(condition) this, else other.</summary>
    public Tensor where(Tensor condition, Tensor other) => Wrap(N.saewb_where(condition.Handle, Handle, other.Handle));
    public Tensor where(Tensor condition, Scalar other) => Wrap(N.saewb_where_scalar(condition.Handle, Handle, other));
    public Tensor masked_fill(Tensor mask, Scalar value) => Wrap(N.saewb_masked_fill(Handle, mask.Handle, value));

    // ---- in place -------------------------------------------------------------------------------
    public Tensor add_(Tensor other, Scalar? alpha = null) => Inplace(N.saewb_add_(Handle, other.Handle, alpha ?? 1));
    public Tensor add_(Scalar other) => Inplace(N.saewb_add_scalar_(Handle, other));
    public Tensor sub_(Tensor other, Scalar? alpha = null) => Inplace(N.saewb_sub_(Handle, other.Handle, alpha ?? 1));
    public Tensor sub_(Scalar other) => Inplace(N.saewb_sub_scalar_(Handle, other));
    public Tensor mul_(Tensor other) => Inplace(N.saewb_mul_(Handle, other.Handle));
    public Tensor mul_(Scalar other) => Inplace(N.saewb_mul_scalar_(Handle, other));
    public Tensor div_(Tensor other) => Inplace(N.saewb_div_(Handle, other.Handle));
    public Tensor div_(Scalar other) => Inplace(N.saewb_div_scalar_(Handle, other));
    public Tensor pow_(Scalar exponent) => Inplace(N.saewb_pow_scalar_(Handle, exponent));
    public Tensor neg_() => Inplace(N.saewb_neg_(Handle));
    public Tensor exp_() => Inplace(N.saewb_exp_(Handle));
    public Tensor log_() => Inplace(N.saewb_log_(Handle));
    public Tensor sqrt_() => Inplace(N.saewb_sqrt_(Handle));
    public Tensor abs_() => Inplace(N.saewb_abs_(Handle));
    public Tensor relu_() => Inplace(N.saewb_relu_(Handle));
    public Tensor sigmoid_() => Inplace(N.saewb_sigmoid_(Handle));
    public Tensor tanh_() => Inplace(N.saewb_tanh_(Handle));
    public Tensor zero_() => Inplace(N.saewb_zero_(Handle));
    public Tensor fill_(Scalar value) => Inplace(N.saewb_fill_(Handle, value));
    public Tensor clamp_(Scalar? min = null, Scalar? max = null) =>
        Inplace(N.saewb_clamp_(Handle, min ?? 0, max ?? 0, min.HasValue ? 1 : 0, max.HasValue ? 1 : 0));
    /// <summary>this += value * t1 * t2.</summary>
    public Tensor addcmul_(Tensor t1, Tensor t2, Scalar? value = null) => Inplace(N.saewb_addcmul_(Handle, t1.Handle, t2.Handle, value ?? 1));
    /// <summary>this += value * t1 / t2.</summary>
    public Tensor addcdiv_(Tensor t1, Tensor t2, Scalar? value = null) => Inplace(N.saewb_addcdiv_(Handle, t1.Handle, t2.Handle, value ?? 1));
    public Tensor lerp_(Tensor end, Scalar weight) => Inplace(N.saewb_lerp_(Handle, end.Handle, weight));
    public Tensor masked_fill_(Tensor mask, Scalar value) => Inplace(N.saewb_masked_fill_(Handle, mask.Handle, value));

    // ---- matrix products -------------------------------------------------------------------------
    public Tensor matmul(Tensor other) => Wrap(N.saewb_matmul(Handle, other.Handle));
    public Tensor mm(Tensor other) => Wrap(N.saewb_mm(Handle, other.Handle));
    public Tensor bmm(Tensor other) => Wrap(N.saewb_bmm(Handle, other.Handle));
    public Tensor mv(Tensor vec) => Wrap(N.saewb_mv(Handle, vec.Handle));
    public Tensor dot(Tensor other) => Wrap(N.saewb_dot(Handle, other.Handle));
    public Tensor outer(Tensor other) => Wrap(N.saewb_outer(Handle, other.Handle));
    /// <summary>beta * this + alpha * (mat1 @ mat2).</summary>
    public Tensor addmm(Tensor mat1, Tensor mat2, Scalar? beta = null, Scalar? alpha = null) =>
        Wrap(N.saewb_addmm(Handle, mat1.Handle, mat2.Handle, beta ?? 1, alpha ?? 1));
    public Tensor baddbmm(Tensor batch1, Tensor batch2, Scalar? beta = null, Scalar? alpha = null) =>
        Wrap(N.saewb_baddbmm(Handle, batch1.Handle, batch2.Handle, beta ?? 1, alpha ?? 1));

    // ---- random fills -------------------------------------------------------------------------------
    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null) =>
        Inplace(N.saewb_normal_(Handle, mean, std, Generator.HandleOrZero(generator)));
    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null) =>
        Inplace(N.saewb_uniform_(Handle, from, to, Generator.HandleOrZero(generator)));
    public Tensor bernoulli_(double p = 0.5, Generator? generator = null) =>
        Inplace(N.saewb_bernoulli_(Handle, p, Generator.HandleOrZero(generator)));
}
