// Indexing: gather/scatter, index_select/index_add, advanced indexing and index_put_,
// masked_select, nonzero.
#include "common.h"

using saewb::to_scalar;

SAEWB_TENSOR_FN(saewb_gather(saewb_tensor a, int64_t dim, saewb_tensor index), at::gather(*a, dim, *index))
SAEWB_TENSOR_FN(saewb_scatter(saewb_tensor a, int64_t dim, saewb_tensor index, saewb_tensor src), at::scatter(*a, dim, *index, *src))
SAEWB_TENSOR_FN(saewb_scatter_add(saewb_tensor a, int64_t dim, saewb_tensor index, saewb_tensor src),
                at::scatter_add(*a, dim, *index, *src))
SAEWB_STATUS_FN(saewb_scatter_(saewb_tensor a, int64_t dim, saewb_tensor index, saewb_tensor src), a->scatter_(dim, *index, *src))
SAEWB_STATUS_FN(saewb_scatter_scalar_(saewb_tensor a, int64_t dim, saewb_tensor index, saewb_scalar v),
                a->scatter_(dim, *index, to_scalar(v)))
SAEWB_STATUS_FN(saewb_scatter_add_(saewb_tensor a, int64_t dim, saewb_tensor index, saewb_tensor src),
                a->scatter_add_(dim, *index, *src))
SAEWB_TENSOR_FN(saewb_index_select(saewb_tensor a, int64_t dim, saewb_tensor index), at::index_select(*a, dim, *index))
SAEWB_TENSOR_FN(saewb_index_add(saewb_tensor a, int64_t dim, saewb_tensor index, saewb_tensor src, saewb_scalar alpha),
                at::index_add(*a, dim, *index, *src, to_scalar(alpha)))
SAEWB_STATUS_FN(saewb_index_add_(saewb_tensor a, int64_t dim, saewb_tensor index, saewb_tensor src, saewb_scalar alpha),
                a->index_add_(dim, *index, *src, to_scalar(alpha)))
SAEWB_TENSOR_FN(saewb_masked_select(saewb_tensor a, saewb_tensor mask), at::masked_select(*a, *mask))
SAEWB_TENSOR_FN(saewb_nonzero(saewb_tensor a), at::nonzero(*a))

// Advanced indexing a[i0, i1, ...] with one (possibly null = ":") index tensor per leading dim.
static c10::List<c10::optional<at::Tensor>> index_list(const saewb_tensor* idx, int64_t n) {
  c10::List<c10::optional<at::Tensor>> list;
  list.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) list.push_back(saewb::optional_tensor(idx[i]));
  return list;
}
SAEWB_TENSOR_FN(saewb_index(saewb_tensor a, const saewb_tensor* idx, int64_t n), at::index(*a, index_list(idx, n)))
SAEWB_STATUS_FN(saewb_index_put_(saewb_tensor a, const saewb_tensor* idx, int64_t n, saewb_tensor values, int32_t accumulate),
                a->index_put_(index_list(idx, n), *values, accumulate != 0))
