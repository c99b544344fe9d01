// Neural-network functions: activations, softmax, normalisation, embeddings, losses, dropout.
#include "common.h"

using saewb::dims;
using saewb::optional_tensor;

SAEWB_TENSOR_FN(saewb_relu(saewb_tensor a), at::relu(*a))
// approximate: 0 = exact erf GELU, 1 = tanh approximation (GPT-2's "gelu_new").
SAEWB_TENSOR_FN(saewb_gelu(saewb_tensor a, int32_t approximate), at::gelu(*a, approximate ? "tanh" : "none"))
SAEWB_TENSOR_FN(saewb_sigmoid(saewb_tensor a), at::sigmoid(*a))
SAEWB_TENSOR_FN(saewb_tanh(saewb_tensor a), at::tanh(*a))
SAEWB_TENSOR_FN(saewb_silu(saewb_tensor a), at::silu(*a))
SAEWB_TENSOR_FN(saewb_softplus(saewb_tensor a, double beta, double threshold), at::softplus(*a, beta, threshold))
SAEWB_TENSOR_FN(saewb_log_sigmoid(saewb_tensor a), at::log_sigmoid(*a))
SAEWB_TENSOR_FN(saewb_softmax(saewb_tensor a, int64_t dim), at::softmax(*a, dim))
SAEWB_TENSOR_FN(saewb_log_softmax(saewb_tensor a, int64_t dim), at::log_softmax(*a, dim))

SAEWB_TENSOR_FN(saewb_layer_norm(saewb_tensor x, const int64_t* shape, int64_t ndim, saewb_tensor w, saewb_tensor b, double eps),
                at::layer_norm(*x, dims(shape, ndim), optional_tensor(w), optional_tensor(b), eps))
SAEWB_TENSOR_FN(saewb_embedding(saewb_tensor weight, saewb_tensor indices), at::embedding(*weight, *indices))
// mode: 0 = sum, 1 = mean, 2 = max. Returns the bag outputs only.
SAEWB_TENSOR_FN(saewb_embedding_bag(saewb_tensor weight, saewb_tensor indices, saewb_tensor offsets, int32_t mode,
                                    saewb_tensor per_sample_weights, int32_t include_last_offset),
                std::get<0>(at::embedding_bag(*weight, *indices, *offsets, false, mode, false,
                                              optional_tensor(per_sample_weights), include_last_offset != 0)))
SAEWB_TENSOR_FN(saewb_dropout(saewb_tensor a, double p, int32_t train), at::dropout(*a, p, train != 0))

// reduction: 0 = none, 1 = mean, 2 = sum (at::Reduction's values).
SAEWB_TENSOR_FN(saewb_cross_entropy(saewb_tensor logits, saewb_tensor target, saewb_tensor weight, int32_t reduction,
                                    int64_t ignore_index, double label_smoothing),
                at::cross_entropy_loss(*logits, *target, optional_tensor(weight), reduction, ignore_index, label_smoothing))
SAEWB_TENSOR_FN(saewb_nll_loss(saewb_tensor logp, saewb_tensor target, int32_t reduction, int64_t ignore_index),
                at::nll_loss(*logp, *target, c10::nullopt, reduction, ignore_index))
// KL(target || exp(input)) with `input` log-probabilities, as torch.nn.functional.kl_div.
// reduction: 0 none, 1 mean (over all elements), 2 sum, 3 batchmean (sum / size(0)).
SAEWB_API saewb_tensor saewb_kl_div(saewb_tensor input, saewb_tensor target, int32_t reduction, int32_t log_target) {
  SAEWB_TRY
  if (reduction == 3) {
    at::Tensor s = at::kl_div(*input, *target, at::Reduction::Sum, log_target != 0);
    return saewb::wrap(input->dim() == 0 ? s : s / input->size(0));
  }
  return saewb::wrap(at::kl_div(*input, *target, reduction, log_target != 0));
  SAEWB_CATCH_TENSOR
}
SAEWB_TENSOR_FN(saewb_mse_loss(saewb_tensor a, saewb_tensor b, int32_t reduction), at::mse_loss(*a, *b, reduction))
SAEWB_TENSOR_FN(saewb_binary_cross_entropy_with_logits(saewb_tensor logits, saewb_tensor target, saewb_tensor weight,
                                                       int32_t reduction),
                at::binary_cross_entropy_with_logits(*logits, *target, optional_tensor(weight), c10::nullopt, reduction))
