// Autograd: requires_grad, backward, .grad, detach, grad mode, torch.autograd.grad.
#include "common.h"

using saewb::wrap;

SAEWB_STATUS_FN(saewb_set_requires_grad(saewb_tensor t, int32_t on), t->requires_grad_(on != 0))
SAEWB_API int32_t saewb_requires_grad(saewb_tensor t) { return t->requires_grad() ? 1 : 0; }
SAEWB_API int32_t saewb_is_leaf(saewb_tensor t) { return t->is_leaf() ? 1 : 0; }
SAEWB_STATUS_FN(saewb_retain_grad(saewb_tensor t), t->retain_grad())

// The accumulated gradient, or null in *out when there is none yet (status 0 either way).
SAEWB_API int32_t saewb_grad(saewb_tensor t, saewb_tensor* out) {
  SAEWB_TRY
  const at::Tensor& g = t->grad();
  *out = g.defined() ? wrap(g) : nullptr;
  return 0;
  SAEWB_CATCH_STATUS
}
// Replaces .grad (null clears it).
SAEWB_STATUS_FN(saewb_set_grad(saewb_tensor t, saewb_tensor g), t->mutable_grad() = g ? *g : at::Tensor())

// Name of the node that produced this tensor ("AddBackward0"...), or an empty string.
SAEWB_API int32_t saewb_grad_fn_name(saewb_tensor t, char* buffer, int32_t capacity) {
  SAEWB_TRY
  std::string name = t->grad_fn() ? t->grad_fn()->name() : std::string();
  std::snprintf(buffer, static_cast<size_t>(capacity), "%s", name.c_str());
  return 0;
  SAEWB_CATCH_STATUS
}

SAEWB_STATUS_FN(saewb_backward(saewb_tensor t, saewb_tensor grad, int32_t retain_graph, int32_t create_graph),
                t->backward(grad ? *grad : at::Tensor(), c10::optional<bool>(retain_graph != 0), create_graph != 0))

// torch.autograd.grad(outputs, inputs, grad_outputs): writes one handle per input into `out`
// (null where allow_unused and the input was not used).
SAEWB_API int32_t saewb_autograd_grad(const saewb_tensor* outputs, const saewb_tensor* grad_outputs, int64_t n_out,
                                      const saewb_tensor* inputs, int64_t n_in, int32_t retain_graph,
                                      int32_t create_graph, int32_t allow_unused, saewb_tensor* out) {
  SAEWB_TRY
  std::vector<at::Tensor> outs = saewb::tensor_list(outputs, n_out);
  std::vector<at::Tensor> grads;
  if (grad_outputs) {
    for (int64_t i = 0; i < n_out; ++i) grads.push_back(grad_outputs[i] ? *grad_outputs[i] : at::Tensor());
  }
  std::vector<at::Tensor> ins = saewb::tensor_list(inputs, n_in);
  auto result = torch::autograd::grad(outs, ins, grads, c10::optional<bool>(retain_graph != 0), create_graph != 0,
                                      allow_unused != 0);
  for (int64_t i = 0; i < n_in; ++i) out[i] = result[i].defined() ? wrap(result[i]) : nullptr;
  return 0;
  SAEWB_CATCH_STATUS
}

SAEWB_TENSOR_FN(saewb_detach(saewb_tensor t), t->detach())
SAEWB_STATUS_FN(saewb_detach_(saewb_tensor t), t->detach_())

// Grad mode is per thread, as in PyTorch. Returns the previous mode.
SAEWB_API int32_t saewb_set_grad_enabled(int32_t on) {
  const bool prev = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(on != 0);
  return prev ? 1 : 0;
}
SAEWB_API int32_t saewb_is_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }

// Replaces the data (storage, shape, dtype, device) of `t` by that of `src` while keeping the
// tensor's identity, as PyTorch's `param.data = src`. Used by Module.to(device/dtype).
SAEWB_STATUS_FN(saewb_set_data(saewb_tensor t, saewb_tensor src), t->set_data(*src))
