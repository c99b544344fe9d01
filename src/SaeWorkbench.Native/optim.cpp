// Optimiser kernels: one fused Adam/AdamW update per parameter (the same sequence of ops as
// PyTorch's single-tensor Adam, so results match it), and clip_grad_norm_.
#include "common.h"
#include "simd.h"

#include <algorithm>
#include <cmath>

// param <- Adam(param, grad); exp_avg, exp_avg_sq (and max_exp_avg_sq for AMSGrad) are the
// caller's state tensors, updated in place. `step` counts from 1. decoupled != 0 is AdamW.
SAEWB_API int32_t saewb_adam_step(saewb_tensor param, saewb_tensor grad_in, saewb_tensor exp_avg, saewb_tensor exp_avg_sq,
                                  saewb_tensor max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2,
                                  double eps, double weight_decay, int32_t decoupled, int32_t maximize) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  at::Tensor grad = maximize ? grad_in->neg() : *grad_in;
  if (weight_decay != 0) {
    if (decoupled) param->mul_(1 - lr * weight_decay);
    else grad = grad.add(*param, weight_decay);
  }
  exp_avg->mul_(beta1).add_(grad, 1 - beta1);
  exp_avg_sq->mul_(beta2).addcmul_(grad, grad, 1 - beta2);
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  at::Tensor denom;
  if (max_exp_avg_sq) {
    at::maximum_out(*max_exp_avg_sq, *max_exp_avg_sq, *exp_avg_sq);
    denom = (max_exp_avg_sq->sqrt() / bias_correction2_sqrt).add_(eps);
  } else {
    denom = (exp_avg_sq->sqrt() / bias_correction2_sqrt).add_(eps);
  }
  param->addcdiv_(*exp_avg, denom, -step_size);
  return 0;
  SAEWB_CATCH_STATUS
}

// Scales the gradients in place so that their joint p-norm is at most max_norm (p = inf
// for the max-abs norm). Writes the norm before clipping to *total_norm.
SAEWB_API int32_t saewb_clip_grad_norm_(const saewb_tensor* grads, int64_t n, double max_norm, double norm_type,
                                        double* total_norm) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  *total_norm = 0.0;
  if (n == 0) return 0;
  std::vector<at::Tensor> norms;
  norms.reserve(static_cast<size_t>(n));
  const bool inf = std::isinf(norm_type);
  for (int64_t i = 0; i < n; ++i) norms.push_back(inf ? grads[i]->abs().max() : at::norm(*grads[i], norm_type));
  at::Tensor stacked = at::stack(norms);
  at::Tensor total = inf ? stacked.max() : at::norm(stacked, norm_type);
  at::Tensor coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (int64_t i = 0; i < n; ++i) grads[i]->mul_(coef.to(grads[i]->device()));
  *total_norm = total.item<double>();
  return 0;
  SAEWB_CATCH_STATUS
}

SAEWB_API int32_t saewb_remove_parallel_rows_(saewb_tensor g_in, saewb_tensor w_in);
SAEWB_API int32_t saewb_normalize_rows_(saewb_tensor w_in);

namespace {

// The per-element constants of one fused Adam step (PyTorch's single-tensor Adam formula).
template <typename T>
struct AdamCoef {
  T b1, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, neg_step_size;
  T sign;    // -1 when maximising
  T wd_l2;   // weight_decay for Adam's L2 form, 0 for AdamW
  T decay;   // 1 - lr * weight_decay for AdamW, 1 for Adam
};

// One Adam update of `len` elements whose gradient is g - c * p (c = 0: the plain gradient; c = the row's parallel
// coefficient: the unit-norm projection). With c = 0, wd_l2 = 0 and decay = 1 the extra terms are exact no-ops for
// finite weights, so every variant shares this one loop.
template <typename T>
SAEWB_INLINE void adam_span(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, int64_t len, T c,
                             const AdamCoef<T>& k) {
  for (int64_t i = 0; i < len; ++i) {
    const T w0 = p[i];
    const T gi = k.sign * (g[i] - c * w0) + k.wd_l2 * w0;
    const T mi = m[i] * k.b1 + gi * k.one_minus_b1;
    const T vi = v[i] * k.b2 + gi * gi * k.one_minus_b2;
    m[i] = mi;
    v[i] = vi;
    p[i] = w0 * k.decay + k.neg_step_size * (mi / (std::sqrt(vi) / k.bc2_sqrt + k.eps));
  }
}

// The coefficient of the gradient's component parallel to a row: (g . w) / ||w||^2.
template <typename T>
SAEWB_INLINE T parallel_coefficient(const T* g, const T* w, int64_t d) {
  return saewb::dot(g, w, d) / std::max(saewb::dot(w, w, d), T(1e-30));
}

// Scales a row to unit L2 norm.
template <typename T>
SAEWB_INLINE void normalize_row(T* w, int64_t d) {
  const T inv = T(1) / std::max(std::sqrt(saewb::dot(w, w, d)), T(1e-30));
  for (int64_t j = 0; j < d; ++j) w[j] *= inv;
}

// Rows [begin, end) of [N, D] tensors: Adam with the unit-norm row constraint (projection, update, rescaling).
template <typename T>
SAEWB_INLINE void adam_unit_rows(int64_t begin, int64_t end, int64_t d, T* p, const T* g, T* m, T* v, const AdamCoef<T>& k) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t o = r * d;
    adam_span(p + o, g + o, m + o, v + o, d, parallel_coefficient(g + o, p + o, d), k);
    normalize_row(p + o, d);
  }
}

template <typename T>
SAEWB_INLINE void remove_parallel_range(int64_t begin, int64_t end, int64_t d, T* g, const T* w) {
  for (int64_t r = begin; r < end; ++r) {
    T* gr = g + r * d;
    const T* wr = w + r * d;
    const T c = parallel_coefficient(gr, wr, d);
    for (int64_t j = 0; j < d; ++j) gr[j] = gr[j] - c * wr[j];
  }
}

template <typename T>
SAEWB_INLINE void normalize_range(int64_t begin, int64_t end, int64_t d, T* w) {
  for (int64_t r = begin; r < end; ++r) normalize_row(w + r * d, d);
}

// Each loop compiled for AVX-512, AVX2 and baseline x86-64 (SAEWB_CLONES), float and double. No FMA contraction (the
// build uses -ffp-contract=off) and lane-wise dot products, so every version rounds alike.
SAEWB_CLONES void adam_span_f32(float* p, const float* g, float* m, float* v, int64_t len, float c, const AdamCoef<float>& k) {
  adam_span<float>(p, g, m, v, len, c, k);
}
SAEWB_CLONES void adam_span_f64(double* p, const double* g, double* m, double* v, int64_t len, double c, const AdamCoef<double>& k) {
  adam_span<double>(p, g, m, v, len, c, k);
}
SAEWB_CLONES void adam_unit_rows_f32(int64_t begin, int64_t end, int64_t d, float* p, const float* g, float* m, float* v,
                                     const AdamCoef<float>& k) {
  adam_unit_rows<float>(begin, end, d, p, g, m, v, k);
}
SAEWB_CLONES void adam_unit_rows_f64(int64_t begin, int64_t end, int64_t d, double* p, const double* g, double* m, double* v,
                                     const AdamCoef<double>& k) {
  adam_unit_rows<double>(begin, end, d, p, g, m, v, k);
}
SAEWB_CLONES void remove_parallel_range_f32(int64_t begin, int64_t end, int64_t d, float* g, const float* w) {
  remove_parallel_range<float>(begin, end, d, g, w);
}
SAEWB_CLONES void remove_parallel_range_f64(int64_t begin, int64_t end, int64_t d, double* g, const double* w) {
  remove_parallel_range<double>(begin, end, d, g, w);
}
SAEWB_CLONES void normalize_range_f32(int64_t begin, int64_t end, int64_t d, float* w) { normalize_range<float>(begin, end, d, w); }
SAEWB_CLONES void normalize_range_f64(int64_t begin, int64_t end, int64_t d, double* w) { normalize_range<double>(begin, end, d, w); }


bool cpu_fast_path(const at::Tensor& t) {
  return t.device().is_cpu() && (t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble) && t.is_contiguous();
}

}  // namespace

// Adam (or AdamW with decoupled != 0) in one parallel pass over each element, for CPU float32/float64 without AMSGrad:
// the same formula as saewb_adam_step (PyTorch's single-tensor Adam), each element read and written once instead of by
// a sequence of in-place ops (about 8 passes). Results agree with the op sequence up to float rounding. Other devices
// and dtypes fall back to saewb_adam_step.
//
// unit_norm_rows != 0 (param [N, D]): the constraint of rows kept at unit L2 norm (an SAE decoder), in the same pass: per
// row, the gradient's component parallel to the row is removed, the row is updated, and it is rescaled to unit norm.
// Bit for bit the same as saewb_remove_parallel_rows_ on the gradient, this update, then saewb_normalize_rows_ (the
// gradient tensor itself is left as it was), with one read of each row instead of three.
SAEWB_API int32_t saewb_adam_step_fused(saewb_tensor param, saewb_tensor grad_in, saewb_tensor exp_avg, saewb_tensor exp_avg_sq,
                                        int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay,
                                        int32_t decoupled, int32_t maximize, int32_t unit_norm_rows) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  at::Tensor& p = *param;
  if (unit_norm_rows) TORCH_CHECK(p.dim() == 2, "adam_step_fused: unit-norm rows need a 2-D parameter [N, D], got ", p.sizes());
  const bool fast = cpu_fast_path(p) && grad_in->is_contiguous() && exp_avg->is_contiguous() && exp_avg_sq->is_contiguous() &&
                    grad_in->scalar_type() == p.scalar_type() && grad_in->numel() == p.numel();
  if (!fast) {
    if (unit_norm_rows) {
      at::Tensor g = grad_in->clone();
      saewb_tensor gh = &g;
      if (saewb_remove_parallel_rows_(gh, param) != 0) return -1;
      if (saewb_adam_step(param, gh, exp_avg, exp_avg_sq, nullptr, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize) != 0)
        return -1;
      return saewb_normalize_rows_(param);
    }
    return saewb_adam_step(param, grad_in, exp_avg, exp_avg_sq, nullptr, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize);
  }
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "adam_step_fused", [&] {
    using T = scalar_t;
    const AdamCoef<T> k{static_cast<T>(beta1),
                        static_cast<T>(1 - beta1),
                        static_cast<T>(beta2),
                        static_cast<T>(1 - beta2),
                        static_cast<T>(bias_correction2_sqrt),
                        static_cast<T>(eps),
                        static_cast<T>(-(lr / bias_correction1)),
                        maximize ? T(-1) : T(1),
                        decoupled ? T(0) : static_cast<T>(weight_decay),
                        decoupled ? static_cast<T>(1 - lr * weight_decay) : T(1)};
    T* pp = p.data_ptr<T>();
    const T* gp = grad_in->data_ptr<T>();
    T* mp = exp_avg->data_ptr<T>();
    T* vp = exp_avg_sq->data_ptr<T>();
    if (unit_norm_rows) {
      const int64_t rows = p.size(0), d = p.size(1);
      at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
        saewb::by_dtype<T>(adam_unit_rows_f32, adam_unit_rows_f64, begin, end, d, pp, gp, mp, vp, k);
      });
    } else {
      at::parallel_for(0, p.numel(), 32768, [&](int64_t begin, int64_t end) {
        saewb::by_dtype<T>(adam_span_f32, adam_span_f64, pp + begin, gp + begin, mp + begin, vp + begin, end - begin, T(0), k);
      });
    }
  });
  return 0;
  SAEWB_CATCH_STATUS
}

// For each row n of g and w ([N, D]): g[n] -= (g[n] . w[n] / ||w[n]||^2) w[n], in place on g: the gradient component
// parallel to each row removed (the unit-norm decoder constraint, before a step). One pass per row.
SAEWB_API int32_t saewb_remove_parallel_rows_(saewb_tensor g_in, saewb_tensor w_in) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  at::Tensor& g = *g_in;
  const at::Tensor& w = *w_in;
  TORCH_CHECK(g.dim() == 2 && g.sizes() == w.sizes(), "remove_parallel_rows_: g and w must be the same [N, D] shape, got ", g.sizes(), " and ", w.sizes());
  if (!cpu_fast_path(g) || !w.is_contiguous() || w.scalar_type() != g.scalar_type()) {
    g.sub_((g * w).sum(1, true) / w.square().sum(1, true).clamp_min(1e-30) * w);
    return 0;
  }
  const int64_t n = g.size(0), d = g.size(1);
  AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "remove_parallel_rows_", [&] {
    scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* wp = w.data_ptr<scalar_t>();
    at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
      saewb::by_dtype<scalar_t>(remove_parallel_range_f32, remove_parallel_range_f64, begin, end, d, gp, wp);
    });
  });
  return 0;
  SAEWB_CATCH_STATUS
}

// Scales each row of w ([N, D]) to unit L2 norm in place.
SAEWB_API int32_t saewb_normalize_rows_(saewb_tensor w_in) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  at::Tensor& w = *w_in;
  TORCH_CHECK(w.dim() == 2, "normalize_rows_: w must be [N, D], got ", w.sizes());
  if (!cpu_fast_path(w)) {
    w.div_(w.norm(2, 1, true).clamp_min(1e-30));
    return 0;
  }
  const int64_t n = w.size(0), d = w.size(1);
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "normalize_rows_", [&] {
    scalar_t* wp = w.data_ptr<scalar_t>();
    at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
      saewb::by_dtype<scalar_t>(normalize_range_f32, normalize_range_f64, begin, end, d, wp);
    });
  });
  return 0;
  SAEWB_CATCH_STATUS
}
