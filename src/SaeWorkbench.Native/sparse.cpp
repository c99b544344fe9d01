// Sparse kernels for TopK SAEs (CPU, parallel over rows with at::parallel_for; other devices fall back to
// composite ATen ops with the same meaning). No autograd: they are used inside torch.autograd.Function forward and
// backward passes, which supply the gradients.
//
//   topk_of_sum(x [B,N], bias [N] or null, k) -> values, indices [B,k]: the k largest of x + bias per row, largest
//       first (NaN counts as largest, as at::topk), without materialising x + bias. One pass over each row (RowTopK):
//       32 values at a time are tested (AVX-512 where the CPU has it, else SSE2) against the k-th best so far and only
//       those above it are kept as candidates: about one read per value, instead of a copy, a selection and a bias pass.
//   spmm_coo(row [M], col [M], value [M], dense [K,D], num_rows) -> [num_rows, D]: out[r] = sum over m with row[m] = r
//       of value[m] * dense[col[m]] (sparse x dense). Entries are grouped by row with a stable counting sort, then
//       each output row is summed in entry order by one thread: deterministic for any thread count.
//   sddmm_coo(row [M], col [M], a [R,D], b [C,D]) -> [M]: out[m] = a[row[m]] . b[col[m]] (sampled dense x dense^T).
//   decode_backward_coo(token [M], latent [M], z [M], g [B,D], w [N,D]) -> dz [M], dw [N,D]: the sparse decode's
//       backward (sddmm_coo and spmm_coo of the same entries) in one pass grouped by latent, each row of w read once.
// The row loops are compiled per instruction set (SAEWB_CLONES, simd.h) with one rounding order for all of them.
#include "common.h"
#include "simd.h"

#include <algorithm>
#include <cmath>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

void check_index(const at::Tensor& t, const char* name, int64_t m) {
  TORCH_CHECK(t.dim() == 1 && t.scalar_type() == at::kLong, name, " must be a 1-D int64 tensor, got ", t.scalar_type(), " ", t.sizes());
  TORCH_CHECK(t.size(0) == m, name, " has ", t.size(0), " entries but there are ", m);
}

void check_range(const int64_t* idx, int64_t m, int64_t limit, const char* name) {
  for (int64_t i = 0; i < m; ++i)
    TORCH_CHECK(idx[i] >= 0 && idx[i] < limit, name, "[", i, "] = ", idx[i], " is out of range [0, ", limit, ")");
}

template <typename T>
inline bool greater(T a, T b) {
  return (std::isnan(a) && !std::isnan(b)) || a > b;
}

// Bit q of the result is set when v = row[q] + bias[q] (q < 32) satisfies !(v <= t): it may enter the top k (NaN
// included, as NaN counts as largest).
template <typename T>
inline uint32_t above_mask(const T* row, const T* bias, T t) {
  uint32_t mask = 0;
  for (int q = 0; q < 32; ++q) mask |= static_cast<uint32_t>(!((bias ? row[q] + bias[q] : row[q]) <= t)) << q;
  return mask;
}
#if defined(__SSE2__)
template <>
inline uint32_t above_mask<float>(const float* row, const float* bias, float t) {
  const __m128 tv = _mm_set1_ps(t);
  uint32_t mask = 0;
  for (int q = 0; q < 32; q += 4) {
    __m128 v = _mm_loadu_ps(row + q);
    if (bias) v = _mm_add_ps(v, _mm_loadu_ps(bias + q));
    mask |= static_cast<uint32_t>(_mm_movemask_ps(_mm_cmpnle_ps(v, tv))) << q;
  }
  return mask;
}
template <>
inline uint32_t above_mask<double>(const double* row, const double* bias, double t) {
  const __m128d tv = _mm_set1_pd(t);
  uint32_t mask = 0;
  for (int q = 0; q < 32; q += 2) {
    __m128d v = _mm_loadu_pd(row + q);
    if (bias) v = _mm_add_pd(v, _mm_loadu_pd(bias + q));
    mask |= static_cast<uint32_t>(_mm_movemask_pd(_mm_cmpnle_pd(v, tv))) << q;
  }
  return mask;
}
#endif

// The start of the first block of 32 in [j, end) (end - j a multiple of 32) holding a value that passes above_mask, with
// its mask in *mask; end (and *mask = 0) when none does. The float form runs 16 lanes at a time where the CPU has
// AVX-512 (a leaf function compiled for it alone, chosen once at run time; everything else stays baseline x86-64).
template <typename T>
inline int64_t find_above_baseline(const T* row, const T* bias, int64_t j, int64_t end, T t, uint32_t* mask) {
  for (; j < end; j += 32)
    if ((*mask = above_mask<T>(row + j, bias ? bias + j : nullptr, t)) != 0) return j;
  *mask = 0;
  return end;
}
template <typename T>
inline int64_t find_above(const T* row, const T* bias, int64_t j, int64_t end, T t, uint32_t* mask) {
  return find_above_baseline(row, bias, j, end, t, mask);
}
#if defined(__x86_64__)
__attribute__((target("avx512f"), noinline)) int64_t find_above_avx512(const float* row, const float* bias, int64_t j,
                                                                        int64_t end, float t, uint32_t* mask) {
  const __m512 tv = _mm512_set1_ps(t);
  for (; j < end; j += 32) {
    __m512 a = _mm512_loadu_ps(row + j), b = _mm512_loadu_ps(row + j + 16);
    if (bias) {
      a = _mm512_add_ps(a, _mm512_loadu_ps(bias + j));
      b = _mm512_add_ps(b, _mm512_loadu_ps(bias + j + 16));
    }
    const uint32_t m = static_cast<uint32_t>(_mm512_cmp_ps_mask(a, tv, _CMP_NLE_UQ)) |
                       (static_cast<uint32_t>(_mm512_cmp_ps_mask(b, tv, _CMP_NLE_UQ)) << 16);
    if (m != 0) {
      *mask = m;
      return j;
    }
  }
  *mask = 0;
  return end;
}
const bool kHaveAvx512 = __builtin_cpu_supports("avx512f");
template <>
inline int64_t find_above<float>(const float* row, const float* bias, int64_t j, int64_t end, float t, uint32_t* mask) {
  return kHaveAvx512 ? find_above_avx512(row, bias, j, end, t, mask) : find_above_baseline(row, bias, j, end, t, mask);
}
#endif



// The k largest of row[j] + bias[j] over j < n, largest first, under the order "greater value first (NaN counts as
// largest), then lower index" (at::topk's order). Values that beat the threshold (the k-th best found so far) are
// appended to a buffer of max(4k, 64) candidates; a full buffer is cut back to its best k (nth_element), which raises
// the threshold. Amortised O(1) per candidate, and after the first few blocks of 32 almost no value is one, so the row
// costs about one vectorised read per value. The final k are sorted.
template <typename T>
class RowTopK {
 public:
  explicit RowTopK(int64_t k) : k_(k), cap_(std::max<int64_t>(4 * k, 64)) { buf_.reserve(static_cast<size_t>(cap_)); }

  void select(const T* row, const T* bias, int64_t n, T* values_out, int64_t* indices_out) {
    buf_.clear();
    have_threshold_ = false;
    auto value = [&](int64_t j) { return bias ? row[j] + bias[j] : row[j]; };
    int64_t j = 0;
    for (; j < n && (!have_threshold_ || j % kBlock != 0); ++j) consider(value(j), j);   // until a threshold exists
    const int64_t blocks_end = j + (n - j) / kBlock * kBlock;
    uint32_t mask = 0;
    while ((j = find_above<T>(row, bias, j, blocks_end, threshold_, &mask)) < blocks_end) {
      for (; mask != 0; mask &= mask - 1) {
        const int64_t q = j + __builtin_ctz(mask);
        consider(value(q), q);   // re-tested: an earlier candidate of the block may have raised the threshold
      }
      j += kBlock;
    }
    for (; j < n; ++j) consider(value(j), j);
    if (static_cast<int64_t>(buf_.size()) > k_) cut();
    std::sort(buf_.begin(), buf_.end(), better);
    for (int64_t i = 0; i < k_; ++i) {
      values_out[i] = buf_[static_cast<size_t>(i)].first;
      indices_out[i] = buf_[static_cast<size_t>(i)].second;
    }
  }

 private:
  static constexpr int64_t kBlock = 32;
  using Entry = std::pair<T, int64_t>;
  static bool better(const Entry& a, const Entry& c) {
    return greater(a.first, c.first) || (!greater(c.first, a.first) && a.second < c.second);
  }

  // Later indices lose ties, so a value equal to the threshold can never enter.
  void consider(T v, int64_t j) {
    if (have_threshold_ && !greater(v, threshold_)) return;
    buf_.emplace_back(v, j);
    if (static_cast<int64_t>(buf_.size()) == cap_) cut();
  }

  void cut() {
    std::nth_element(buf_.begin(), buf_.begin() + (k_ - 1), buf_.end(), better);
    buf_.resize(static_cast<size_t>(k_));
    threshold_ = buf_[static_cast<size_t>(k_ - 1)].first;
    have_threshold_ = true;
  }

  const int64_t k_, cap_;
  std::vector<Entry> buf_;
  T threshold_ = T(0);
  bool have_threshold_ = false;
};

// Entries grouped by index (a stable counting sort): the entries with idx = r are order[start[r] .. start[r + 1]), in
// their original order.
struct Grouping {
  std::vector<int64_t> start, order;
};
Grouping group_by(const int64_t* idx, int64_t m, int64_t groups) {
  Grouping g;
  g.start.assign(static_cast<size_t>(groups) + 1, 0);
  for (int64_t i = 0; i < m; ++i) ++g.start[idx[i] + 1];
  for (int64_t r = 0; r < groups; ++r) g.start[r + 1] += g.start[r];
  g.order.resize(static_cast<size_t>(m));
  std::vector<int64_t> next(g.start.begin(), g.start.end() - 1);
  for (int64_t i = 0; i < m; ++i) g.order[next[idx[i]]++] = i;
  return g;
}

// The per-thread loops of the kernels below, compiled once per instruction set (SAEWB_CLONES); float and double each.
template <typename T>
SAEWB_INLINE void spmm_rows(int64_t begin, int64_t end, int64_t d, const int64_t* start, const int64_t* order,
                            const int64_t* col, const T* value, const T* dense, T* out) {
  for (int64_t r = begin; r < end; ++r) {
    T* o = out + r * d;
    for (int64_t j = 0; j < d; ++j) o[j] = T(0);
    for (int64_t p = start[r]; p < start[r + 1]; ++p) {
      const int64_t e = order[p];
      saewb::axpy(o, value[e], dense + col[e] * d, d);
    }
  }
}
SAEWB_CLONES void spmm_rows_f32(int64_t begin, int64_t end, int64_t d, const int64_t* start, const int64_t* order,
                                const int64_t* col, const float* value, const float* dense, float* out) {
  spmm_rows<float>(begin, end, d, start, order, col, value, dense, out);
}
SAEWB_CLONES void spmm_rows_f64(int64_t begin, int64_t end, int64_t d, const int64_t* start, const int64_t* order,
                                const int64_t* col, const double* value, const double* dense, double* out) {
  spmm_rows<double>(begin, end, d, start, order, col, value, dense, out);
}

template <typename T>
SAEWB_INLINE void sddmm_range(int64_t begin, int64_t end, int64_t d, const int64_t* row, const int64_t* col, const T* a,
                              const T* b, T* out) {
  for (int64_t i = begin; i < end; ++i) out[i] = saewb::dot(a + row[i] * d, b + col[i] * d, d);
}
SAEWB_CLONES void sddmm_range_f32(int64_t begin, int64_t end, int64_t d, const int64_t* row, const int64_t* col,
                                  const float* a, const float* b, float* out) {
  sddmm_range<float>(begin, end, d, row, col, a, b, out);
}
SAEWB_CLONES void sddmm_range_f64(int64_t begin, int64_t end, int64_t d, const int64_t* row, const int64_t* col,
                                  const double* a, const double* b, double* out) {
  sddmm_range<double>(begin, end, d, row, col, a, b, out);
}

// Per latent n in [begin, end): dw[n] = sum of z[e] g[token e] and dz[e] = g[token e] . w[n] over n's entries e.
template <typename T>
SAEWB_INLINE void decode_backward_rows(int64_t begin, int64_t end, int64_t d, const int64_t* start, const int64_t* order,
                                       const int64_t* token, const T* z, const T* g, const T* w, T* dz, T* dw) {
  for (int64_t r = begin; r < end; ++r) {
    const T* wr = w + r * d;
    T* o = dw + r * d;
    for (int64_t j = 0; j < d; ++j) o[j] = T(0);
    for (int64_t q = start[r]; q < start[r + 1]; ++q) {
      const int64_t e = order[q];
      const T* gr = g + token[e] * d;
      dz[e] = saewb::dot(gr, wr, d);
      saewb::axpy(o, z[e], gr, d);
    }
  }
}
SAEWB_CLONES void decode_backward_rows_f32(int64_t begin, int64_t end, int64_t d, const int64_t* start, const int64_t* order,
                                           const int64_t* token, const float* z, const float* g, const float* w, float* dz,
                                           float* dw) {
  decode_backward_rows<float>(begin, end, d, start, order, token, z, g, w, dz, dw);
}
SAEWB_CLONES void decode_backward_rows_f64(int64_t begin, int64_t end, int64_t d, const int64_t* start, const int64_t* order,
                                           const int64_t* token, const double* z, const double* g, const double* w,
                                           double* dz, double* dw) {
  decode_backward_rows<double>(begin, end, d, start, order, token, z, g, w, dz, dw);
}
}  // namespace

SAEWB_API int32_t saewb_topk_of_sum(saewb_tensor x_in, saewb_tensor bias_in, int64_t k, saewb_tensor* values_out,
                                    saewb_tensor* indices_out) {
  SAEWB_TRY
  const at::Tensor& x0 = *x_in;
  TORCH_CHECK(x0.dim() == 2, "topk_of_sum: x must be [B, N], got ", x0.sizes());
  const int64_t b = x0.size(0), n = x0.size(1);
  TORCH_CHECK(k >= 1 && k <= n, "topk_of_sum: k = ", k, " is out of range [1, ", n, "]");
  if (bias_in) {
    TORCH_CHECK(bias_in->dim() == 1 && bias_in->size(0) == n, "topk_of_sum: bias must be [", n, "], got ", bias_in->sizes());
    TORCH_CHECK(bias_in->scalar_type() == x0.scalar_type(), "topk_of_sum: bias dtype ", bias_in->scalar_type(), " differs from x's ", x0.scalar_type());
  }
  if (!x0.device().is_cpu() || !(x0.scalar_type() == at::kFloat || x0.scalar_type() == at::kDouble)) {
    auto r = (bias_in ? x0 + *bias_in : x0).topk(k, 1, true, true);
    *values_out = saewb::wrap(std::get<0>(r));
    *indices_out = saewb::wrap(std::get<1>(r));
    return 0;
  }
  at::Tensor x = x0.contiguous();
  at::Tensor bias = bias_in ? bias_in->contiguous() : at::Tensor();
  at::Tensor values = at::empty({b, k}, x.options());
  at::Tensor indices = at::empty({b, k}, x.options().dtype(at::kLong));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "topk_of_sum", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    const scalar_t* bp = bias.defined() ? bias.data_ptr<scalar_t>() : nullptr;
    scalar_t* vp = values.data_ptr<scalar_t>();
    int64_t* ip = indices.data_ptr<int64_t>();
    at::parallel_for(0, b, 16, [&](int64_t begin, int64_t end) {
      RowTopK<scalar_t> selector(k);
      for (int64_t r = begin; r < end; ++r) selector.select(xp + r * n, bp, n, vp + r * k, ip + r * k);
    });
  });
  *values_out = saewb::wrap(std::move(values));
  *indices_out = saewb::wrap(std::move(indices));
  return 0;
  SAEWB_CATCH_STATUS
}

SAEWB_API saewb_tensor saewb_spmm_coo(saewb_tensor row_in, saewb_tensor col_in, saewb_tensor value_in, saewb_tensor dense_in,
                                      int64_t num_rows) {
  SAEWB_TRY
  const at::Tensor& dense0 = *dense_in;
  TORCH_CHECK(dense0.dim() == 2, "spmm_coo: dense must be [K, D], got ", dense0.sizes());
  TORCH_CHECK(num_rows >= 0, "spmm_coo: num_rows = ", num_rows, " must be >= 0");
  const int64_t m = value_in->numel();
  TORCH_CHECK(value_in->dim() == 1, "spmm_coo: value must be 1-D, got ", value_in->sizes());
  check_index(*row_in, "spmm_coo: row", m);
  check_index(*col_in, "spmm_coo: col", m);
  TORCH_CHECK(value_in->scalar_type() == dense0.scalar_type(), "spmm_coo: value dtype ", value_in->scalar_type(),
              " differs from dense's ", dense0.scalar_type());
  const int64_t d = dense0.size(1), kk = dense0.size(0);
  if (!dense0.device().is_cpu() || !(dense0.scalar_type() == at::kFloat || dense0.scalar_type() == at::kDouble)) {
    at::Tensor out = at::zeros({num_rows, d}, dense0.options());
    out.index_add_(0, *row_in, dense0.index_select(0, *col_in) * value_in->unsqueeze(1));
    return saewb::wrap(std::move(out));
  }
  at::Tensor dense = dense0.contiguous(), row = row_in->contiguous(), col = col_in->contiguous(), value = value_in->contiguous();
  const int64_t* rp = row.data_ptr<int64_t>();
  const int64_t* cp = col.data_ptr<int64_t>();
  check_range(rp, m, num_rows, "spmm_coo: row");
  check_range(cp, m, kk, "spmm_coo: col");
  const Grouping groups = group_by(rp, m, num_rows);
  const int64_t* start = groups.start.data();
  const int64_t* order = groups.order.data();
  at::Tensor out = at::empty({num_rows, d}, dense.options());
  AT_DISPATCH_FLOATING_TYPES(dense.scalar_type(), "spmm_coo", [&] {
    const scalar_t* xp = dense.data_ptr<scalar_t>();
    const scalar_t* wp = value.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, num_rows, 64, [&](int64_t begin, int64_t end) {
      saewb::by_dtype<scalar_t>(spmm_rows_f32, spmm_rows_f64, begin, end, d, start, order, cp, wp, xp, op);
    });
  });
  return saewb::wrap(std::move(out));
  SAEWB_CATCH_TENSOR
}

SAEWB_API saewb_tensor saewb_sddmm_coo(saewb_tensor row_in, saewb_tensor col_in, saewb_tensor a_in, saewb_tensor b_in) {
  SAEWB_TRY
  const at::Tensor& a0 = *a_in;
  const at::Tensor& b0 = *b_in;
  TORCH_CHECK(a0.dim() == 2 && b0.dim() == 2 && a0.size(1) == b0.size(1), "sddmm_coo: a [R, D] and b [C, D] must share D, got ",
              a0.sizes(), " and ", b0.sizes());
  TORCH_CHECK(a0.scalar_type() == b0.scalar_type(), "sddmm_coo: a is ", a0.scalar_type(), " but b is ", b0.scalar_type());
  const int64_t m = row_in->numel();
  check_index(*row_in, "sddmm_coo: row", m);
  check_index(*col_in, "sddmm_coo: col", m);
  const int64_t d = a0.size(1);
  if (!a0.device().is_cpu() || !(a0.scalar_type() == at::kFloat || a0.scalar_type() == at::kDouble)) {
    return saewb::wrap((a0.index_select(0, *row_in) * b0.index_select(0, *col_in)).sum(1));
  }
  at::Tensor a = a0.contiguous(), bb = b0.contiguous(), row = row_in->contiguous(), col = col_in->contiguous();
  const int64_t* rp = row.data_ptr<int64_t>();
  const int64_t* cp = col.data_ptr<int64_t>();
  check_range(rp, m, a.size(0), "sddmm_coo: row");
  check_range(cp, m, bb.size(0), "sddmm_coo: col");
  at::Tensor out = at::empty({m}, a.options());
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "sddmm_coo", [&] {
    const scalar_t* ap = a.data_ptr<scalar_t>();
    const scalar_t* bp = bb.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, m, 256, [&](int64_t begin, int64_t end) {
      saewb::by_dtype<scalar_t>(sddmm_range_f32, sddmm_range_f64, begin, end, d, rp, cp, ap, bp, op);
    });
  });
  return saewb::wrap(std::move(out));
  SAEWB_CATCH_TENSOR
}

// The backward of the sparse decode x_hat[t] = sum over entries m of token t of z[m] * w[latent m], given g = dL/dx_hat:
//   dz[m] = g[token m] . w[latent m]                     [M]
//   dw[n] = sum over entries m of latent n of z[m] * g[token m]   [N, D]
// in one pass grouped by latent: each row of w is read once, in order, and each row of dw written once, instead of a
// gather over random rows of w (sddmm_coo) followed by a second grouped pass (spmm_coo). Per latent the entries are
// summed in their given order on one thread: deterministic for any thread count.
SAEWB_API int32_t saewb_decode_backward_coo(saewb_tensor token_in, saewb_tensor latent_in, saewb_tensor z_in, saewb_tensor g_in,
                                            saewb_tensor w_in, saewb_tensor* dz_out, saewb_tensor* dw_out) {
  SAEWB_TRY
  const at::Tensor& w0 = *w_in;
  const at::Tensor& g0 = *g_in;
  TORCH_CHECK(w0.dim() == 2 && g0.dim() == 2 && w0.size(1) == g0.size(1), "decode_backward_coo: g [B, D] and w [N, D] must share D, got ",
              g0.sizes(), " and ", w0.sizes());
  TORCH_CHECK(w0.scalar_type() == g0.scalar_type() && z_in->scalar_type() == w0.scalar_type(), "decode_backward_coo: g, w and z must share a dtype, got ",
              g0.scalar_type(), ", ", w0.scalar_type(), " and ", z_in->scalar_type());
  const int64_t m = z_in->numel();
  TORCH_CHECK(z_in->dim() == 1, "decode_backward_coo: z must be 1-D, got ", z_in->sizes());
  check_index(*token_in, "decode_backward_coo: token", m);
  check_index(*latent_in, "decode_backward_coo: latent", m);
  const int64_t n = w0.size(0), d = w0.size(1), b = g0.size(0);
  if (!w0.device().is_cpu() || !(w0.scalar_type() == at::kFloat || w0.scalar_type() == at::kDouble)) {
    at::Tensor gs = g0.index_select(0, *token_in);
    *dz_out = saewb::wrap((gs * w0.index_select(0, *latent_in)).sum(1));
    *dw_out = saewb::wrap(at::zeros({n, d}, w0.options()).index_add_(0, *latent_in, gs * z_in->unsqueeze(1)));
    return 0;
  }
  at::Tensor w = w0.contiguous(), g = g0.contiguous(), z = z_in->contiguous(), token = token_in->contiguous(),
             latent = latent_in->contiguous();
  const int64_t* tp = token.data_ptr<int64_t>();
  const int64_t* lp = latent.data_ptr<int64_t>();
  check_range(tp, m, b, "decode_backward_coo: token");
  check_range(lp, m, n, "decode_backward_coo: latent");
  const Grouping groups = group_by(lp, m, n);
  at::Tensor dz = at::empty({m}, w.options());
  at::Tensor dw = at::empty({n, d}, w.options());
  AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "decode_backward_coo", [&] {
    const scalar_t* wp = w.data_ptr<scalar_t>();
    const scalar_t* gp = g.data_ptr<scalar_t>();
    const scalar_t* zp = z.data_ptr<scalar_t>();
    scalar_t* dzp = dz.data_ptr<scalar_t>();
    scalar_t* dwp = dw.data_ptr<scalar_t>();
    const int64_t* start = groups.start.data();
    const int64_t* order = groups.order.data();
    at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
      saewb::by_dtype<scalar_t>(decode_backward_rows_f32, decode_backward_rows_f64, begin, end, d, start, order, tp, zp, gp, wp, dzp, dwp);
    });
  });
  *dz_out = saewb::wrap(std::move(dz));
  *dw_out = saewb::wrap(std::move(dw));
  return 0;
  SAEWB_CATCH_STATUS
}
