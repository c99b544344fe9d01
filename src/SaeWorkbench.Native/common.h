// Shared declarations of the SaeWorkbench native bridge.
//
// The bridge is a C ABI over libtorch. Its rules:
//   * A tensor crosses the boundary as `saewb_tensor`, an owning pointer to a heap `at::Tensor`
//     (one reference on the tensor's storage). C# frees it with saewb_tensor_free.
//   * No C++ exception crosses the boundary. Every entry point is wrapped in SAEWB_TRY /
//     SAEWB_CATCH_*: the message is stored per thread and the call returns a sentinel (null
//     handle, -1 status, NaN). C# sees the sentinel, reads saewb_last_error() and throws.
//   * Scalars are passed as a small tagged struct so integer tensors stay integer.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/function.h>
#include <torch/version.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#define SAEWB_API extern "C" __attribute__((visibility("default")))

typedef at::Tensor* saewb_tensor;
typedef at::Generator* saewb_generator;

// Tagged scalar: kind 0 = double, 1 = int64, 2 = bool.
typedef struct {
  double d;
  int64_t i;
  int32_t kind;
} saewb_scalar;

namespace saewb {

void set_last_error(const char* message);
const char* last_error();  // this thread's last message (runtime.cpp)

inline at::Scalar to_scalar(saewb_scalar s) {
  switch (s.kind) {
    case 1: return at::Scalar(s.i);
    case 2: return at::Scalar(s.i != 0);
    default: return at::Scalar(s.d);
  }
}

inline saewb_tensor wrap(at::Tensor&& t) { return new at::Tensor(std::move(t)); }
inline saewb_tensor wrap(const at::Tensor& t) { return new at::Tensor(t); }

inline at::IntArrayRef dims(const int64_t* data, int64_t n) { return at::IntArrayRef(data, static_cast<size_t>(n)); }

inline std::vector<at::Tensor> tensor_list(const saewb_tensor* ts, int64_t n) {
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out.push_back(*ts[i]);
  return out;
}

inline c10::optional<at::Tensor> optional_tensor(saewb_tensor t) {
  return t ? c10::optional<at::Tensor>(*t) : c10::nullopt;
}

inline at::TensorOptions options(int32_t dtype, int32_t device_type, int32_t device_index) {
  return at::TensorOptions()
      .dtype(static_cast<at::ScalarType>(dtype))
      .device(at::Device(static_cast<at::DeviceType>(device_type), static_cast<at::DeviceIndex>(device_index)));
}

inline c10::optional<at::Generator> optional_generator(saewb_generator g) {
  return g ? c10::optional<at::Generator>(*g) : c10::nullopt;
}

// var/std's `correction` became an optional Scalar in libtorch 2.0.
#if TORCH_VERSION_MAJOR >= 2
inline c10::optional<at::Scalar> correction_arg(int64_t c) { return c10::optional<at::Scalar>(at::Scalar(c)); }
#else
inline c10::optional<int64_t> correction_arg(int64_t c) { return c10::optional<int64_t>(c); }
#endif

}  // namespace saewb

#define SAEWB_TRY try {
#define SAEWB_CATCH(sentinel)                                  \
  }                                                            \
  catch (const c10::Error& e) {                                \
    saewb::set_last_error(e.what_without_backtrace());         \
    return sentinel;                                           \
  }                                                            \
  catch (const std::exception& e) {                            \
    saewb::set_last_error(e.what());                           \
    return sentinel;                                           \
  }                                                            \
  catch (...) {                                                \
    saewb::set_last_error("unknown native exception");         \
    return sentinel;                                           \
  }
#define SAEWB_CATCH_TENSOR SAEWB_CATCH(nullptr)
#define SAEWB_CATCH_STATUS SAEWB_CATCH(-1)

// Entry points that return a new tensor: `SAEWB_RETURN_TENSOR(expr)`.
#define SAEWB_TENSOR_FN(signature, expr) \
  SAEWB_API saewb_tensor signature {     \
    SAEWB_TRY return saewb::wrap(expr);  \
    SAEWB_CATCH_TENSOR                   \
  }
// Entry points that mutate in place and return a status (0 ok, -1 error).
#define SAEWB_STATUS_FN(signature, stmt) \
  SAEWB_API int32_t signature {          \
    SAEWB_TRY stmt;                      \
    return 0;                            \
    SAEWB_CATCH_STATUS                   \
  }
