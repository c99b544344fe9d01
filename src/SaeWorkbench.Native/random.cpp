// Random numbers: the global seed, explicit generators (with saveable state), in-place
// sampling. On CPU the same seed gives the same numbers on every run.
#include "common.h"

#ifdef SAEWB_WITH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

using saewb::optional_generator;
using saewb::wrap;

SAEWB_STATUS_FN(saewb_manual_seed(uint64_t seed), at::manual_seed(seed))

SAEWB_API saewb_generator saewb_generator_new(uint64_t seed, int32_t device_type, int32_t device_index) {
  SAEWB_TRY
  const auto type = static_cast<at::DeviceType>(device_type);
  if (type == at::kCPU) return new at::Generator(at::detail::createCPUGenerator(seed));
#ifdef SAEWB_WITH_CUDA
  if (type == at::kCUDA) {
    auto g = at::cuda::detail::createCUDAGenerator(static_cast<at::DeviceIndex>(device_index));
    g.set_current_seed(seed);
    return new at::Generator(std::move(g));
  }
#endif
#ifdef SAEWB_WITH_CUDA
  const char* supported = "cpu and cuda";
#else
  const char* supported = "cpu (this bridge was built without CUDA)";
#endif
  TORCH_CHECK(false, "generators are supported on ", supported, ", not on ", type);
  SAEWB_CATCH_TENSOR
}
// A handle sharing the default CPU generator (what manual_seed reseeds).
SAEWB_API saewb_generator saewb_generator_default_cpu() {
  SAEWB_TRY return new at::Generator(at::detail::getDefaultCPUGenerator());
  SAEWB_CATCH_TENSOR
}
SAEWB_API void saewb_generator_free(saewb_generator g) { delete g; }
SAEWB_STATUS_FN(saewb_generator_set_seed(saewb_generator g, uint64_t seed), {
  std::lock_guard<std::mutex> lock(g->mutex());
  g->set_current_seed(seed);
})
SAEWB_API uint64_t saewb_generator_initial_seed(saewb_generator g) { return g->current_seed(); }
// The full state as a uint8 tensor (for checkpoints), and restoring it.
SAEWB_API saewb_tensor saewb_generator_get_state(saewb_generator g) {
  SAEWB_TRY
  std::lock_guard<std::mutex> lock(g->mutex());
  return wrap(g->get_state());
  SAEWB_CATCH_TENSOR
}
SAEWB_STATUS_FN(saewb_generator_set_state(saewb_generator g, saewb_tensor state), {
  std::lock_guard<std::mutex> lock(g->mutex());
  g->set_state(*state);
})

SAEWB_STATUS_FN(saewb_normal_(saewb_tensor t, double mean, double std, saewb_generator g), t->normal_(mean, std, optional_generator(g)))
SAEWB_STATUS_FN(saewb_uniform_(saewb_tensor t, double from, double to, saewb_generator g), t->uniform_(from, to, optional_generator(g)))
SAEWB_STATUS_FN(saewb_bernoulli_(saewb_tensor t, double p, saewb_generator g), t->bernoulli_(p, optional_generator(g)))
SAEWB_TENSOR_FN(saewb_bernoulli(saewb_tensor probs, saewb_generator g), at::bernoulli(*probs, optional_generator(g)))
SAEWB_TENSOR_FN(saewb_multinomial(saewb_tensor probs, int64_t n, int32_t replacement, saewb_generator g),
                at::multinomial(*probs, n, replacement != 0, optional_generator(g)))
