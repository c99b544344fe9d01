// Runtime: error channel, version, threads, the active BLAS, CUDA availability.
#include "common.h"

#include <dlfcn.h>
#include <climits>
#include <cstdlib>

namespace saewb {
namespace {
thread_local std::string g_last_error;
}
void set_last_error(const char* message) { g_last_error = message ? message : "(null)"; }
const char* last_error() { return g_last_error.c_str(); }
}  // namespace saewb

static char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

// The message of the last failed call on this thread (valid until the next failure).
SAEWB_API const char* saewb_last_error() { return saewb::last_error(); }

SAEWB_API void saewb_free_string(char* s) { std::free(s); }

SAEWB_API char* saewb_torch_version() { return copy_string(TORCH_VERSION); }

SAEWB_API int32_t saewb_set_num_threads(int32_t n) {
  SAEWB_TRY at::set_num_threads(n);
  return 0;
  SAEWB_CATCH_STATUS
}
SAEWB_API int32_t saewb_get_num_threads() { return at::get_num_threads(); }
SAEWB_API int32_t saewb_set_num_interop_threads(int32_t n) {
  SAEWB_TRY at::set_num_interop_threads(n);
  return 0;
  SAEWB_CATCH_STATUS
}
SAEWB_API int32_t saewb_get_num_interop_threads() { return at::get_num_interop_threads(); }
SAEWB_API char* saewb_parallel_info() { return copy_string(at::get_parallel_info()); }

// Which library provides the BLAS symbol libtorch calls (sgemm_), resolved the same way the
// dynamic linker resolved it for libtorch. Returns "name|path|config": name is "openblas",
// "mkl", "blis", "reference" or "unknown"; config is OpenBLAS's own configuration string.
// The implementation is identified from that library and its dependencies only: another BLAS
// loaded elsewhere in the process (e.g. OpenBLAS pulled in by liblapack.so.3 while sgemm_ comes
// from a preloaded reference libblas) must not make the reference BLAS look like OpenBLAS.
SAEWB_API char* saewb_blas_info() {
  std::string name = "unknown", path = "(sgemm_ not found)", config;
  void* lib = nullptr;
  void* sym = dlsym(RTLD_DEFAULT, "sgemm_");
  if (sym) {
    Dl_info info;
    if (dladdr(sym, &info) && info.dli_fname) {
      char resolved[PATH_MAX];
      path = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
      // Already loaded: RTLD_NOLOAD only returns a handle on it (searched with its dependencies).
      lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    }
  }
  auto lookup = [lib](const char* symbol) { return lib ? dlsym(lib, symbol) : nullptr; };
  using config_fn = char* (*)();
  if (auto f = reinterpret_cast<config_fn>(lookup("openblas_get_config"))) {
    name = "openblas";
    if (char* c = f()) config = c;
  } else if (lookup("mkl_get_version")) {
    name = "mkl";
  } else if (lookup("bli_info_get_version_str")) {
    name = "blis";
  } else if (path.find("/blas/") != std::string::npos || path.find("libblas.so") != std::string::npos) {
    name = "reference";
  }
  if (lib) dlclose(lib);
  return copy_string(name + "|" + path + "|" + config);
}

SAEWB_API int32_t saewb_cuda_is_available() { return at::globalContext().hasCUDA() ? 1 : 0; }
SAEWB_API int32_t saewb_cuda_device_count() {
  SAEWB_TRY return at::globalContext().hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0;
  SAEWB_CATCH_STATUS
}
// Waits for every kernel queued on the device (through ATen's CUDA hooks, so no CUDA header is
// needed here; on a CPU-only build the hooks raise a clear error).
SAEWB_API int32_t saewb_cuda_synchronize(int32_t device) {
  SAEWB_TRY
  TORCH_CHECK(at::globalContext().hasCUDA(), "cuda synchronize: CUDA is not available (CPU-only libtorch or no GPU)");
  at::detail::getCUDAHooks().deviceSynchronize(device);
  return 0;
  SAEWB_CATCH_STATUS
}
