// Elementwise math with broadcasting: unary functions, binary ops with tensors and scalars,
// comparisons, logical ops, and their in-place forms.
#include "common.h"

using saewb::to_scalar;

#define UNARY(name, expr) SAEWB_TENSOR_FN(saewb_##name(saewb_tensor a), expr)
#define UNARY_INPLACE(name, stmt) SAEWB_STATUS_FN(saewb_##name##_(saewb_tensor a), stmt)

UNARY(neg, a->neg())
UNARY(exp, a->exp())
UNARY(log, a->log())
UNARY(log1p, a->log1p())
UNARY(expm1, a->expm1())
UNARY(sqrt, a->sqrt())
UNARY(rsqrt, a->rsqrt())
UNARY(abs, a->abs())
UNARY(sign, a->sign())
UNARY(sin, a->sin())
UNARY(cos, a->cos())
UNARY(floor, a->floor())
UNARY(ceil, a->ceil())
UNARY(round, a->round())
UNARY(reciprocal, a->reciprocal())
UNARY(square, a->square())
UNARY(erf, a->erf())
UNARY(logical_not, a->logical_not())
UNARY(isnan, a->isnan())
UNARY(isinf, a->isinf())
UNARY(isfinite, a->isfinite())

UNARY_INPLACE(neg, a->neg_())
UNARY_INPLACE(exp, a->exp_())
UNARY_INPLACE(log, a->log_())
UNARY_INPLACE(sqrt, a->sqrt_())
UNARY_INPLACE(abs, a->abs_())
UNARY_INPLACE(zero, a->zero_())
UNARY_INPLACE(relu, a->relu_())
UNARY_INPLACE(sigmoid, a->sigmoid_())
UNARY_INPLACE(tanh, a->tanh_())

// Binary tensor-tensor ops. add/sub carry PyTorch's alpha (a + alpha * b).
SAEWB_TENSOR_FN(saewb_add(saewb_tensor a, saewb_tensor b, saewb_scalar alpha), at::add(*a, *b, to_scalar(alpha)))
SAEWB_TENSOR_FN(saewb_sub(saewb_tensor a, saewb_tensor b, saewb_scalar alpha), at::sub(*a, *b, to_scalar(alpha)))
SAEWB_STATUS_FN(saewb_add_(saewb_tensor a, saewb_tensor b, saewb_scalar alpha), a->add_(*b, to_scalar(alpha)))
SAEWB_STATUS_FN(saewb_sub_(saewb_tensor a, saewb_tensor b, saewb_scalar alpha), a->sub_(*b, to_scalar(alpha)))

#define BINARY(name, fn)                                                                          \
  SAEWB_TENSOR_FN(saewb_##name(saewb_tensor a, saewb_tensor b), at::fn(*a, *b))                   \
  SAEWB_TENSOR_FN(saewb_##name##_scalar(saewb_tensor a, saewb_scalar b), at::fn(*a, to_scalar(b)))

BINARY(mul, mul)
BINARY(div, div)
BINARY(pow, pow)
BINARY(remainder, remainder)
BINARY(fmod, fmod)
BINARY(eq, eq)
BINARY(ne, ne)
BINARY(lt, lt)
BINARY(le, le)
BINARY(gt, gt)
BINARY(ge, ge)
SAEWB_TENSOR_FN(saewb_add_scalar(saewb_tensor a, saewb_scalar b), at::add(*a, to_scalar(b)))
SAEWB_TENSOR_FN(saewb_sub_scalar(saewb_tensor a, saewb_scalar b), at::sub(*a, to_scalar(b)))
// scalar - tensor and scalar / tensor (the reversed forms C# operators need).
SAEWB_TENSOR_FN(saewb_rsub_scalar(saewb_tensor a, saewb_scalar b), at::rsub(*a, to_scalar(b)))
// Out of place (as PyTorch's __rdiv__): reciprocal's backward reuses its output, so scaling that
// output in place would make backward fail ("modified by an inplace operation").
SAEWB_TENSOR_FN(saewb_rdiv_scalar(saewb_tensor a, saewb_scalar b), a->reciprocal().mul(to_scalar(b)))
SAEWB_TENSOR_FN(saewb_rpow_scalar(saewb_tensor a, saewb_scalar b), at::pow(to_scalar(b), *a))
SAEWB_TENSOR_FN(saewb_div_mode(saewb_tensor a, saewb_tensor b, int32_t mode),
                at::div(*a, *b, mode == 1 ? c10::optional<c10::string_view>("trunc")
                                           : mode == 2 ? c10::optional<c10::string_view>("floor") : c10::nullopt))

SAEWB_TENSOR_FN(saewb_maximum(saewb_tensor a, saewb_tensor b), at::maximum(*a, *b))
SAEWB_TENSOR_FN(saewb_minimum(saewb_tensor a, saewb_tensor b), at::minimum(*a, *b))
SAEWB_TENSOR_FN(saewb_atan2(saewb_tensor a, saewb_tensor b), at::atan2(*a, *b))
SAEWB_TENSOR_FN(saewb_logical_and(saewb_tensor a, saewb_tensor b), at::logical_and(*a, *b))
SAEWB_TENSOR_FN(saewb_logical_or(saewb_tensor a, saewb_tensor b), at::logical_or(*a, *b))
SAEWB_TENSOR_FN(saewb_logical_xor(saewb_tensor a, saewb_tensor b), at::logical_xor(*a, *b))

SAEWB_TENSOR_FN(saewb_clamp(saewb_tensor a, saewb_scalar lo, saewb_scalar hi, int32_t has_lo, int32_t has_hi),
                at::clamp(*a, has_lo ? c10::optional<at::Scalar>(to_scalar(lo)) : c10::nullopt,
                          has_hi ? c10::optional<at::Scalar>(to_scalar(hi)) : c10::nullopt))
SAEWB_STATUS_FN(saewb_clamp_(saewb_tensor a, saewb_scalar lo, saewb_scalar hi, int32_t has_lo, int32_t has_hi),
                a->clamp_(has_lo ? c10::optional<at::Scalar>(to_scalar(lo)) : c10::nullopt,
                          has_hi ? c10::optional<at::Scalar>(to_scalar(hi)) : c10::nullopt))
SAEWB_TENSOR_FN(saewb_where(saewb_tensor cond, saewb_tensor a, saewb_tensor b), at::where(*cond, *a, *b))
SAEWB_TENSOR_FN(saewb_where_scalar(saewb_tensor cond, saewb_tensor a, saewb_scalar b), at::where(*cond, *a, to_scalar(b)))
SAEWB_TENSOR_FN(saewb_lerp(saewb_tensor a, saewb_tensor b, saewb_scalar w), at::lerp(*a, *b, to_scalar(w)))

// In-place binary ops.
SAEWB_STATUS_FN(saewb_mul_(saewb_tensor a, saewb_tensor b), a->mul_(*b))
SAEWB_STATUS_FN(saewb_div_(saewb_tensor a, saewb_tensor b), a->div_(*b))
SAEWB_STATUS_FN(saewb_add_scalar_(saewb_tensor a, saewb_scalar b), a->add_(to_scalar(b)))
SAEWB_STATUS_FN(saewb_sub_scalar_(saewb_tensor a, saewb_scalar b), a->sub_(to_scalar(b)))
SAEWB_STATUS_FN(saewb_mul_scalar_(saewb_tensor a, saewb_scalar b), a->mul_(to_scalar(b)))
SAEWB_STATUS_FN(saewb_div_scalar_(saewb_tensor a, saewb_scalar b), a->div_(to_scalar(b)))
SAEWB_STATUS_FN(saewb_pow_scalar_(saewb_tensor a, saewb_scalar b), a->pow_(to_scalar(b)))
SAEWB_STATUS_FN(saewb_fill_(saewb_tensor a, saewb_scalar v), a->fill_(to_scalar(v)))
SAEWB_STATUS_FN(saewb_addcmul_(saewb_tensor a, saewb_tensor t1, saewb_tensor t2, saewb_scalar v), a->addcmul_(*t1, *t2, to_scalar(v)))
SAEWB_STATUS_FN(saewb_addcdiv_(saewb_tensor a, saewb_tensor t1, saewb_tensor t2, saewb_scalar v), a->addcdiv_(*t1, *t2, to_scalar(v)))
SAEWB_STATUS_FN(saewb_lerp_(saewb_tensor a, saewb_tensor b, saewb_scalar w), a->lerp_(*b, to_scalar(w)))
SAEWB_STATUS_FN(saewb_masked_fill_(saewb_tensor a, saewb_tensor mask, saewb_scalar v), a->masked_fill_(*mask, to_scalar(v)))
SAEWB_TENSOR_FN(saewb_masked_fill(saewb_tensor a, saewb_tensor mask, saewb_scalar v), a->masked_fill(*mask, to_scalar(v)))

// Whole-tensor predicates (-1 on error).
SAEWB_API int32_t saewb_equal(saewb_tensor a, saewb_tensor b) {
  SAEWB_TRY return at::equal(*a, *b) ? 1 : 0;
  SAEWB_CATCH_STATUS
}
SAEWB_API int32_t saewb_allclose(saewb_tensor a, saewb_tensor b, double rtol, double atol, int32_t equal_nan) {
  SAEWB_TRY return at::allclose(*a, *b, rtol, atol, equal_nan != 0) ? 1 : 0;
  SAEWB_CATCH_STATUS
}
