// Small vector helpers shared by the native kernels. Each has one fixed order of operations (lane by lane, then a fixed
// tree), so it gives the same bits whatever the CPU's vector width and the thread count: the build uses
// -ffp-contract=off, and the hot loops are compiled for AVX-512, AVX2 and baseline x86-64 (SAEWB_CLONES), each clone
// doing the same arithmetic per lane.
#pragma once

#include <cstdint>
#include <type_traits>

// Forces a helper into its caller, so that it is compiled for the caller's target (a clone's vector width).
#define SAEWB_INLINE __attribute__((always_inline)) inline
// One copy of the function per instruction set, chosen when the library is loaded.
#if defined(__x86_64__) && !defined(SAEWB_NO_CLONES)
#define SAEWB_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SAEWB_CLONES
#endif

namespace saewb {

// x . y over d elements: 16 lane sums (element j goes to lane j mod 16, the tail to lanes 0, 1, ...), then a fixed tree.
template <typename T>
SAEWB_INLINE T dot(const T* x, const T* y, int64_t d) {
  T acc[16] = {};
  int64_t j = 0;
  for (; j + 16 <= d; j += 16)
    for (int l = 0; l < 16; ++l) acc[l] += x[j + l] * y[j + l];
  for (int l = 0; j < d; ++j, ++l) acc[l] += x[j] * y[j];
  for (int w = 8; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

// o[j] += a * x[j] for j < d.
template <typename T>
SAEWB_INLINE void axpy(T* __restrict o, T a, const T* __restrict x, int64_t d) {
  for (int64_t j = 0; j < d; ++j) o[j] += a * x[j];
}

// Calls f32(args...) for T = float and f64(args...) for T = double: picks a kernel's per-dtype clone inside
// AT_DISPATCH_FLOATING_TYPES (target_clones functions cannot be templates).
template <typename T, typename F32, typename F64, typename... Args>
inline void by_dtype(F32 f32, F64 f64, Args... args) {
  if constexpr (std::is_same<T, float>::value) f32(args...);
  else f64(args...);
}

}  // namespace saewb
