// Sparse kernels for TopK SAEs (CPU, parallel over rows with at::parallel_for; other devices fall back to
// composite ATen ops with the same meaning). No autograd: they are used inside torch.autograd.Function forward and
// backward passes, which supply the gradients.
//
//   topk_of_sum(x [B,N], bias [N] or null, k) -> values, indices [B,k]: the k largest of x + bias per row, largest
//       first (NaN counts as largest, as at::topk), without materialising x + bias. One pass over each row with a
//       k-element min-heap, tested 32 values at a time (SSE2) against its minimum: about one read per value, instead of a
//       copy, a selection and a bias pass.
//   spmm_coo(row [M], col [M], value [M], dense [K,D], num_rows) -> [num_rows, D]: out[r] = sum over m with row[m] = r
//       of value[m] * dense[col[m]] (sparse x dense). Entries are grouped by row with a stable counting sort, then
//       each output row is summed in entry order by one thread: deterministic for any thread count.
//   sddmm_coo(row [M], col [M], a [R,D], b [C,D]) -> [M]: out[m] = a[row[m]] . b[col[m]] (sampled dense x dense^T).
#include "common.h"

#include <algorithm>
#include <cmath>
#if defined(__SSE2__)
#include <emmintrin.h>
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

// True when some v = row[q] + bias[q] (q < 32) satisfies !(v <= t): it may enter the top k (NaN included).
template <typename T>
inline bool any_above(const T* row, const T* bias, T t) {
  bool any = false;
  for (int q = 0; q < 32; ++q) any |= !((bias ? row[q] + bias[q] : row[q]) <= t);
  return any;
}
#if defined(__SSE2__)
template <>
inline bool any_above<float>(const float* row, const float* bias, float t) {
  const __m128 tv = _mm_set1_ps(t);
  __m128 acc = _mm_setzero_ps();
  for (int q = 0; q < 32; q += 4) {
    __m128 v = _mm_loadu_ps(row + q);
    if (bias) v = _mm_add_ps(v, _mm_loadu_ps(bias + q));
    acc = _mm_or_ps(acc, _mm_cmpnle_ps(v, tv));
  }
  return _mm_movemask_ps(acc) != 0;
}
template <>
inline bool any_above<double>(const double* row, const double* bias, double t) {
  const __m128d tv = _mm_set1_pd(t);
  __m128d acc = _mm_setzero_pd();
  for (int q = 0; q < 32; q += 2) {
    __m128d v = _mm_loadu_pd(row + q);
    if (bias) v = _mm_add_pd(v, _mm_loadu_pd(bias + q));
    acc = _mm_or_pd(acc, _mm_cmpnle_pd(v, tv));
  }
  return _mm_movemask_pd(acc) != 0;
}
#endif

// x . y over d elements (four partial sums: a fixed order, so the result is deterministic).
template <typename T>
inline T dot(const T* x, const T* y, int64_t d) {
  T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t j = 0;
  for (; j + 4 <= d; j += 4) {
    s0 += x[j] * y[j];
    s1 += x[j + 1] * y[j + 1];
    s2 += x[j + 2] * y[j + 2];
    s3 += x[j + 3] * y[j + 3];
  }
  for (; j < d; ++j) s0 += x[j] * y[j];
  return (s0 + s1) + (s2 + s3);
}
#if defined(__SSE2__)
template <>
inline float dot<float>(const float* x, const float* y, int64_t d) {
  __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= d; j += 8) {
    a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(x + j), _mm_loadu_ps(y + j)));
    a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_loadu_ps(x + j + 4), _mm_loadu_ps(y + j + 4)));
  }
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, _mm_add_ps(a0, a1));
  float s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; j < d; ++j) s += x[j] * y[j];
  return s;
}
#endif

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
      std::vector<std::pair<scalar_t, int64_t>> heap(static_cast<size_t>(k));
      // Min-heap on "greater": heap.front() is the smallest of the current top k.
      auto cmp = [](const std::pair<scalar_t, int64_t>& a, const std::pair<scalar_t, int64_t>& c) {
        return greater(a.first, c.first) || (!greater(c.first, a.first) && a.second < c.second);
      };
      for (int64_t r = begin; r < end; ++r) {
        const scalar_t* row = xp + r * n;
        for (int64_t j = 0; j < k; ++j) heap[j] = {bp ? row[j] + bp[j] : row[j], j};
        std::make_heap(heap.begin(), heap.end(), cmp);
        // Blocks of 32: a vectorised test whether any value can enter the top k; after the first few blocks almost
        // none can, so most of the row costs one read per value.
        constexpr int64_t kBlock = 32;
        auto offer = [&](int64_t j) {
          const scalar_t v = bp ? row[j] + bp[j] : row[j];
          if (greater(v, heap.front().first)) {
            std::pop_heap(heap.begin(), heap.end(), cmp);
            heap.back() = {v, j};
            std::push_heap(heap.begin(), heap.end(), cmp);
          }
        };
        int64_t j = k;
        for (; j < n && j % kBlock != 0; ++j) offer(j);
        for (; j + kBlock <= n; j += kBlock)
          if (any_above<scalar_t>(row + j, bp ? bp + j : nullptr, heap.front().first))
            for (int64_t q = 0; q < kBlock; ++q) offer(j + q);
        for (; j < n; ++j) offer(j);
        std::sort_heap(heap.begin(), heap.end(), cmp);  // largest first (ties: lower index first)
        for (int64_t j = 0; j < k; ++j) {
          vp[r * k + j] = heap[j].first;
          ip[r * k + j] = heap[j].second;
        }
      }
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
  // Stable counting sort of the entries by output row.
  std::vector<int64_t> start(static_cast<size_t>(num_rows) + 1, 0);
  for (int64_t i = 0; i < m; ++i) ++start[rp[i] + 1];
  for (int64_t r = 0; r < num_rows; ++r) start[r + 1] += start[r];
  std::vector<int64_t> order(static_cast<size_t>(m));
  {
    std::vector<int64_t> next(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < m; ++i) order[next[rp[i]]++] = i;
  }
  at::Tensor out = at::empty({num_rows, d}, dense.options());
  AT_DISPATCH_FLOATING_TYPES(dense.scalar_type(), "spmm_coo", [&] {
    const scalar_t* xp = dense.data_ptr<scalar_t>();
    const scalar_t* wp = value.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, num_rows, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        scalar_t* o = op + r * d;
        std::fill(o, o + d, scalar_t(0));
        for (int64_t p = start[r]; p < start[r + 1]; ++p) {
          const int64_t e = order[p];
          const scalar_t a = wp[e];
          const scalar_t* src = xp + cp[e] * d;
          for (int64_t j = 0; j < d; ++j) o[j] += a * src[j];
        }
      }
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
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t* x = ap + rp[i] * d;
        const scalar_t* y = bp + cp[i] * d;
        op[i] = dot(x, y, d);
      }
    });
  });
  return saewb::wrap(std::move(out));
  SAEWB_CATCH_TENSOR
}
