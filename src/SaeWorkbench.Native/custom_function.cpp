// Custom autograd functions whose backward is written in C# (torch.autograd.Function).
//
// C# computes the forward outputs under no_grad, then calls saewb_custom_function_connect: if
// any input requires grad, a CSharpFunctionNode is put in the graph with the inputs' gradient
// edges as its next edges and becomes the grad_fn of every output. During backward the engine
// calls the node, which calls back into C# (backward callback) with the incoming gradients and
// receives one gradient (or null) per input. When the node is destroyed (graph freed) it calls
// the release callback so that C# frees the context it kept (saved tensors, closures).
#include "common.h"

#include <torch/csrc/autograd/functions/utils.h>

using torch::autograd::variable_list;

// Returns 0 on success; on failure sets the error message (saewb_set_last_error) and returns -1.
typedef int32_t (*saewb_backward_callback)(int64_t ctx, const saewb_tensor* grads, int64_t n_grads, saewb_tensor* out,
                                           int64_t n_out);
typedef void (*saewb_release_callback)(int64_t ctx);

namespace {
saewb_backward_callback g_backward = nullptr;
saewb_release_callback g_release = nullptr;

struct CSharpFunctionNode : public torch::autograd::Node {
  CSharpFunctionNode(int64_t ctx, std::string name) : ctx_(ctx), name_(std::move(name)) {}
  ~CSharpFunctionNode() override {
    if (g_release) g_release(ctx_);
  }
  std::string name() const override { return name_; }

  variable_list apply(variable_list&& grads) override {
    // Materialise missing output gradients as zeros, as PyTorch's custom Functions do.
    std::vector<saewb_tensor> in(grads.size());
    for (size_t i = 0; i < grads.size(); ++i) {
      at::Tensor g = grads[i].defined() ? grads[i] : input_metadata(i).zeros_like();
      in[i] = new at::Tensor(std::move(g));
    }
    const auto n_out = static_cast<int64_t>(num_outputs());
    std::vector<saewb_tensor> out(static_cast<size_t>(n_out), nullptr);
    const int32_t status = g_backward(ctx_, in.data(), static_cast<int64_t>(in.size()), out.data(), n_out);
    for (auto* t : in) delete t;
    variable_list result(static_cast<size_t>(n_out));
    for (int64_t i = 0; i < n_out; ++i) {
      if (out[i]) {
        result[i] = std::move(*out[i]);
        delete out[i];
      }
    }
    if (status != 0) throw std::runtime_error(saewb::last_error());
    return result;
  }

 private:
  int64_t ctx_;
  std::string name_;
};
}  // namespace


SAEWB_API void saewb_set_custom_function_callbacks(saewb_backward_callback backward, saewb_release_callback release) {
  g_backward = backward;
  g_release = release;
}

// Lets a C# callback report an error message through the usual channel.
SAEWB_API void saewb_set_last_error(const char* message) { saewb::set_last_error(message); }

// Returns 1 if a node was created (the C# context now lives until the release callback),
// 0 if no input requires grad (nothing recorded: the caller releases the context), -1 on error.
SAEWB_API int32_t saewb_custom_function_connect(const saewb_tensor* inputs, int64_t n_in, const saewb_tensor* outputs,
                                                int64_t n_out, int64_t ctx, const char* name) {
  SAEWB_TRY
  TORCH_CHECK(g_backward && g_release, "custom functions: callbacks were not registered");
  variable_list ins = saewb::tensor_list(inputs, n_in);
  if (!torch::autograd::compute_requires_grad(ins)) return 0;
  std::shared_ptr<CSharpFunctionNode> node(new CSharpFunctionNode(ctx, name ? name : "CSharpFunctionBackward"),
                                           torch::autograd::deleteNode);
  node->set_next_edges(torch::autograd::collect_next_edges(ins));
  for (int64_t i = 0; i < n_out; ++i) {
    at::Tensor& out = *outputs[i];
    TORCH_CHECK(out.is_leaf() && !out.requires_grad(),
                "custom function '", node->name(), "': forward output ", i,
                " is already part of a graph; compute outputs from the inputs under no_grad");
    TORCH_CHECK(at::isFloatingType(out.scalar_type()) || at::isComplexType(out.scalar_type()),
                "custom function '", node->name(), "': output ", i, " has dtype ", out.scalar_type(),
                " which cannot carry a gradient; return it separately");
    torch::autograd::set_history(out, node);
  }
  return 1;
  SAEWB_CATCH_STATUS
}
