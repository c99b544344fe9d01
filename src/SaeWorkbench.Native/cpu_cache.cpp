// A caching allocator for large CPU blocks, installed as libtorch's CPU allocator.
//
// Why: glibc serves every block above 32 MiB with a fresh mmap and returns it to the kernel on free, so a training step
// that allocates the same [B, N] pre-activations and [N, D] gradients each time pays a page fault (and the kernel's
// zeroing) per 4 KiB page every step: about 0.3 ms per MiB here, 0.15 s for a 512 MiB pre-activation matrix, as much as
// the top-k selection over it. Blocks of at least kMinBytes are rounded up to 2 MiB, aligned to 2 MiB (so the kernel may
// back them with huge pages: madvise), and on free they are kept, up to a limit, for the next request of about the same
// size (at most 1/8 larger), the way PyTorch's CUDA caching allocator keeps device blocks. Smaller blocks go to the
// allocator that was installed before (libtorch's default), whose deleter they keep.
//
// Every block's DataPtr carries its own deleter, so tensors made before the cache was installed, disabled or emptied are
// freed correctly; the cache's deleter recognises its own blocks by address (raw_deallocate passes only the address).
// The allocator object is never destroyed: tensors may be freed during process exit.
#include "common.h"

#include <c10/core/CPUAllocator.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <unordered_map>
#include <mutex>
#include <sys/mman.h>

namespace {

constexpr size_t kMinBytes = size_t(1) << 20;    // requests below 1 MiB are not cached
constexpr size_t kGranule = size_t(2) << 20;     // 2 MiB: rounding, alignment and the huge-page size on x86-64

struct Block {
  void* ptr;
  size_t size;
};

class CpuCache final : public c10::Allocator {
 public:
  explicit CpuCache(c10::Allocator* fallback) : fallback_(fallback) {}

  c10::DataPtr allocate(size_t nbytes) const override {
    if (nbytes < kMinBytes || !enabled_) return fallback_->allocate(nbytes);
    const size_t size = (nbytes + kGranule - 1) / kGranule * kGranule;
    Block block = take(size);
    if (!block.ptr) block = {fresh(size), size};
    {
      std::lock_guard<std::mutex> lock(mu_);
      live_.emplace(block.ptr, block.size);
      live_bytes_ += block.size;
    }
    // data == context, as raw_allocate requires.
    return {block.ptr, block.ptr, &CpuCache::release, c10::Device(c10::DeviceType::CPU)};
  }

  // raw_allocate/raw_deallocate (used inside some ATen kernels) free through this one function, whichever allocator
  // made the block: release() hands blocks it does not know to the previous allocator's deleter.
  c10::DeleterFnPtr raw_deleter() const override { return &CpuCache::release; }

  // PyTorch >= 2.3 asks allocators for a copy (clone of a storage); earlier versions do not have the method.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }

  static void release(void* ptr) {
    if (instance()->give_back(ptr)) return;
    if (c10::DeleterFnPtr previous = instance()->fallback_->raw_deleter()) previous(ptr);
    else std::free(ptr);
  }

  static CpuCache* instance() { return instance_; }
  static void install() {
    static std::once_flag once;
    std::call_once(once, [] {
      instance_ = new CpuCache(c10::GetCPUAllocator());   // never deleted: blocks may be freed at exit
      c10::SetCPUAllocator(instance_, /*priority=*/1);
    });
  }

  void configure(bool enabled, int64_t limit_bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      enabled_ = enabled;
      if (limit_bytes >= 0) limit_ = static_cast<size_t>(limit_bytes);
    }
    if (!enabled) empty();
    else trim(limit_);
  }

  void empty() { trim(0); }

  void stats(int64_t* out) {
    std::lock_guard<std::mutex> lock(mu_);
    out[0] = enabled_ ? 1 : 0;
    out[1] = static_cast<int64_t>(limit_);
    out[2] = static_cast<int64_t>(cached_bytes_);
    out[3] = static_cast<int64_t>(live_bytes_);
    out[4] = hits_;
    out[5] = misses_;
  }

 private:
  // A cached block of at least `size` and at most size + size/8, smallest first; {null, 0} when none.
  Block take(size_t size) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.lower_bound(size);
    if (it == free_.end() || it->first > size + size / 8) {
      ++misses_;
      return {nullptr, 0};
    }
    Block b{it->second, it->first};
    cached_bytes_ -= it->first;
    free_.erase(it);
    ++hits_;
    return b;
  }

  void* fresh(size_t size) const {
    void* p = nullptr;
    if (posix_memalign(&p, kGranule, size) != 0) {
      const_cast<CpuCache*>(this)->empty();   // the cache may hold what the request needs
      if (posix_memalign(&p, kGranule, size) != 0)
        TORCH_CHECK(false, "out of CPU memory: cannot allocate ", size, " bytes (", size >> 20, " MiB)");
    }
#if defined(MADV_HUGEPAGE)
    madvise(p, size, MADV_HUGEPAGE);   // a hint: fewer page faults where transparent huge pages are on (madvise mode)
#endif
    return p;
  }

  // False when the block is not one of this cache's (the previous allocator made it).
  bool give_back(void* p) {
    size_t size = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = live_.find(p);
      if (it == live_.end()) return false;
      size = it->second;
      live_.erase(it);
      live_bytes_ -= size;
      if (enabled_ && cached_bytes_ + size <= limit_) {
        free_.emplace(size, p);
        cached_bytes_ += size;
        return true;
      }
    }
    std::free(p);
    return true;
  }

  // Frees cached blocks, largest first, until at most `keep` bytes stay cached.
  void trim(size_t keep) {
    std::vector<void*> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (cached_bytes_ > keep && !free_.empty()) {
        auto it = std::prev(free_.end());
        cached_bytes_ -= it->first;
        out.push_back(it->second);
        free_.erase(it);
      }
    }
    for (void* p : out) std::free(p);
  }

  c10::Allocator* fallback_;
  mutable std::mutex mu_;
  mutable std::multimap<size_t, void*> free_;        // cached blocks by size
  mutable std::unordered_map<void*, size_t> live_;   // blocks held by tensors -> size
  mutable size_t cached_bytes_ = 0, live_bytes_ = 0;
  mutable int64_t hits_ = 0, misses_ = 0;
  std::atomic<bool> enabled_{true};
  size_t limit_ = size_t(4) << 30;
  static CpuCache* instance_;
};

CpuCache* CpuCache::instance_ = nullptr;

}  // namespace

// Installs the cache as libtorch's CPU allocator (once; later calls only reconfigure it). enabled = 0 frees every cached
// block and sends later requests to the previous allocator; limit_bytes < 0 keeps the current limit.
SAEWB_API int32_t saewb_cpu_cache_configure(int32_t enabled, int64_t limit_bytes) {
  SAEWB_TRY
  CpuCache::install();
  CpuCache::instance()->configure(enabled != 0, limit_bytes);
  return 0;
  SAEWB_CATCH_STATUS
}

// Frees every cached block (live tensors are untouched).
SAEWB_API int32_t saewb_cpu_cache_empty() {
  SAEWB_TRY
  if (CpuCache::instance()) CpuCache::instance()->empty();
  return 0;
  SAEWB_CATCH_STATUS
}

// out[6] = enabled, limit bytes, cached bytes, live bytes (blocks of >= 1 MiB held by tensors), hits, misses; all zero
// before the cache is installed.
SAEWB_API int32_t saewb_cpu_cache_stats(int64_t* out) {
  SAEWB_TRY
  if (CpuCache::instance()) CpuCache::instance()->stats(out);
  else std::fill(out, out + 6, int64_t(0));
  return 0;
  SAEWB_CATCH_STATUS
}
