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
