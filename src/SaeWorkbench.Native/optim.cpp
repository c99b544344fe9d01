// Optimiser kernels: one fused Adam/AdamW update per parameter (the same sequence of ops as
// PyTorch's single-tensor Adam, so results match it), and clip_grad_norm_.
#include "common.h"

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

// Adam (or AdamW with decoupled != 0) in one parallel pass over each element, for CPU float32/float64 without AMSGrad:
// the same formula as saewb_adam_step (PyTorch's single-tensor Adam), each element read and written once instead of by
// a sequence of in-place ops (about 8 passes). Results agree with the op sequence up to float rounding. Other devices
// and dtypes fall back to saewb_adam_step.
SAEWB_API int32_t saewb_adam_step_fused(saewb_tensor param, saewb_tensor grad_in, saewb_tensor exp_avg, saewb_tensor exp_avg_sq,
                                        int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay,
                                        int32_t decoupled, int32_t maximize) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  at::Tensor& p = *param;
  const bool fast = p.device().is_cpu() && (p.scalar_type() == at::kFloat || p.scalar_type() == at::kDouble) && p.is_contiguous() &&
                    grad_in->is_contiguous() && exp_avg->is_contiguous() && exp_avg_sq->is_contiguous() &&
                    grad_in->scalar_type() == p.scalar_type() && grad_in->numel() == p.numel();
  if (!fast)
    return saewb_adam_step(param, grad_in, exp_avg, exp_avg_sq, nullptr, step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize);
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
  const double step_size = lr / bias_correction1;
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "adam_step_fused", [&] {
    using T = scalar_t;
    T* pp = p.data_ptr<T>();
    const T* gp = grad_in->data_ptr<T>();
    T* mp = exp_avg->data_ptr<T>();
    T* vp = exp_avg_sq->data_ptr<T>();
    const T b1 = static_cast<T>(beta1), one_minus_b1 = static_cast<T>(1 - beta1);
    const T b2 = static_cast<T>(beta2), one_minus_b2 = static_cast<T>(1 - beta2);
    const T bc2 = static_cast<T>(bias_correction2_sqrt), e = static_cast<T>(eps), neg_step = static_cast<T>(-step_size);
    const T wd = static_cast<T>(weight_decay), decay = static_cast<T>(1 - lr * weight_decay);
    at::parallel_for(0, p.numel(), 32768, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        T g = maximize ? -gp[i] : gp[i];
        T w = pp[i];
        if (weight_decay != 0) {
          if (decoupled) w = w * decay;
          else g = g + w * wd;
        }
        const T m = mp[i] * b1 + g * one_minus_b1;
        const T v = vp[i] * b2 + g * g * one_minus_b2;
        mp[i] = m;
        vp[i] = v;
        pp[i] = w + neg_step * (m / (std::sqrt(v) / bc2 + e));
      }
    });
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
  if (!g.device().is_cpu() || !(g.scalar_type() == at::kFloat || g.scalar_type() == at::kDouble) || !g.is_contiguous() ||
      !w.is_contiguous() || w.scalar_type() != g.scalar_type()) {
    g.sub_((g * w).sum(1, true) / w.square().sum(1, true).clamp_min(1e-30) * w);
    return 0;
  }
  const int64_t n = g.size(0), d = g.size(1);
  AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "remove_parallel_rows_", [&] {
    scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* wp = w.data_ptr<scalar_t>();
    at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        scalar_t* gr = gp + r * d;
        const scalar_t* wr = wp + r * d;
        scalar_t gw = 0, ww = 0;
        for (int64_t j = 0; j < d; ++j) {
          gw += gr[j] * wr[j];
          ww += wr[j] * wr[j];
        }
        const scalar_t c = gw / std::max(ww, scalar_t(1e-30));
        for (int64_t j = 0; j < d; ++j) gr[j] -= c * wr[j];
      }
    });
  });
  return 0;
  SAEWB_CATCH_STATUS
}

// Scales each row of w ([N, D]) to unit L2 norm in place (rows of norm below 1e-30 are divided by 1e-30). One pass per row.
SAEWB_API int32_t saewb_normalize_rows_(saewb_tensor w_in) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  at::Tensor& w = *w_in;
  TORCH_CHECK(w.dim() == 2, "normalize_rows_: w must be [N, D], got ", w.sizes());
  if (!w.device().is_cpu() || !(w.scalar_type() == at::kFloat || w.scalar_type() == at::kDouble) || !w.is_contiguous()) {
    w.div_(w.norm(2, 1, true).clamp_min(1e-30));
    return 0;
  }
  const int64_t n = w.size(0), d = w.size(1);
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "normalize_rows_", [&] {
    scalar_t* wp = w.data_ptr<scalar_t>();
    at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        scalar_t* wr = wp + r * d;
        scalar_t ss = 0;
        for (int64_t j = 0; j < d; ++j) ss += wr[j] * wr[j];
        const scalar_t inv = scalar_t(1) / std::max(std::sqrt(ss), scalar_t(1e-30));
        for (int64_t j = 0; j < d; ++j) wr[j] *= inv;
      }
    });
  });
  return 0;
  SAEWB_CATCH_STATUS
}
