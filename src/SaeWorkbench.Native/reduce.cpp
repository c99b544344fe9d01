// Reductions, sorting and selection: sum/mean/prod/max/min/argmax/norm/var/std/logsumexp,
// median/quantile, topk/sort/argsort, cumsum, any/all.
// Dimension lists arrive as (pointer, count); an optional dtype arrives as -1 for "none".
#include "common.h"

using saewb::dims;
using saewb::wrap;

static c10::optional<at::ScalarType> opt_dtype(int32_t dtype) {
  return dtype < 0 ? c10::nullopt : c10::optional<at::ScalarType>(static_cast<at::ScalarType>(dtype));
}

// Two results (values, indices) go through out pointers.
static int32_t emit_pair(std::tuple<at::Tensor, at::Tensor>&& r, saewb_tensor* values, saewb_tensor* indices) {
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  return 0;
}
#define PAIR_FN(signature, expr)            \
  SAEWB_API int32_t signature {             \
    SAEWB_TRY return emit_pair(expr, values, indices); \
    SAEWB_CATCH_STATUS                      \
  }

SAEWB_TENSOR_FN(saewb_sum_all(saewb_tensor a, int32_t dtype), at::sum(*a, opt_dtype(dtype)))
SAEWB_TENSOR_FN(saewb_sum(saewb_tensor a, const int64_t* d, int64_t n, int32_t keepdim, int32_t dtype),
                at::sum(*a, dims(d, n), keepdim != 0, opt_dtype(dtype)))
SAEWB_TENSOR_FN(saewb_mean_all(saewb_tensor a, int32_t dtype), at::mean(*a, opt_dtype(dtype)))
SAEWB_TENSOR_FN(saewb_mean(saewb_tensor a, const int64_t* d, int64_t n, int32_t keepdim, int32_t dtype),
                at::mean(*a, dims(d, n), keepdim != 0, opt_dtype(dtype)))
SAEWB_TENSOR_FN(saewb_prod_all(saewb_tensor a), at::prod(*a))
SAEWB_TENSOR_FN(saewb_prod(saewb_tensor a, int64_t dim, int32_t keepdim), at::prod(*a, dim, keepdim != 0))
SAEWB_TENSOR_FN(saewb_max_all(saewb_tensor a), at::max(*a))
SAEWB_TENSOR_FN(saewb_min_all(saewb_tensor a), at::min(*a))
PAIR_FN(saewb_max(saewb_tensor a, int64_t dim, int32_t keepdim, saewb_tensor* values, saewb_tensor* indices),
        at::max(*a, dim, keepdim != 0))
PAIR_FN(saewb_min(saewb_tensor a, int64_t dim, int32_t keepdim, saewb_tensor* values, saewb_tensor* indices),
        at::min(*a, dim, keepdim != 0))
SAEWB_TENSOR_FN(saewb_amax(saewb_tensor a, const int64_t* d, int64_t n, int32_t keepdim), at::amax(*a, dims(d, n), keepdim != 0))
SAEWB_TENSOR_FN(saewb_amin(saewb_tensor a, const int64_t* d, int64_t n, int32_t keepdim), at::amin(*a, dims(d, n), keepdim != 0))
// has_dim = 0: over the flattened tensor.
SAEWB_TENSOR_FN(saewb_argmax(saewb_tensor a, int64_t dim, int32_t has_dim, int32_t keepdim),
                at::argmax(*a, has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0))
SAEWB_TENSOR_FN(saewb_argmin(saewb_tensor a, int64_t dim, int32_t has_dim, int32_t keepdim),
                at::argmin(*a, has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0))
// Vector p-norm over `d` (all dims when n == 0).
SAEWB_TENSOR_FN(saewb_norm(saewb_tensor a, double p, const int64_t* d, int64_t n, int32_t keepdim),
                n == 0 ? at::norm(*a, p) : at::norm(*a, p, dims(d, n), keepdim != 0))
// correction = 1 is the unbiased (Bessel) estimator, 0 the population variance.
SAEWB_TENSOR_FN(saewb_var(saewb_tensor a, const int64_t* d, int64_t n, int64_t correction, int32_t keepdim),
                at::var(*a, n == 0 ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dims(d, n)),
                        saewb::correction_arg(correction), keepdim != 0))
SAEWB_TENSOR_FN(saewb_std(saewb_tensor a, const int64_t* d, int64_t n, int64_t correction, int32_t keepdim),
                at::std(*a, n == 0 ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dims(d, n)),
                        saewb::correction_arg(correction), keepdim != 0))
SAEWB_TENSOR_FN(saewb_logsumexp(saewb_tensor a, const int64_t* d, int64_t n, int32_t keepdim),
                at::logsumexp(*a, dims(d, n), keepdim != 0))
SAEWB_TENSOR_FN(saewb_any_all(saewb_tensor a), at::any(*a))
SAEWB_TENSOR_FN(saewb_all_all(saewb_tensor a), at::all(*a))
SAEWB_TENSOR_FN(saewb_any(saewb_tensor a, int64_t dim, int32_t keepdim), at::any(*a, dim, keepdim != 0))
SAEWB_TENSOR_FN(saewb_all(saewb_tensor a, int64_t dim, int32_t keepdim), at::all(*a, dim, keepdim != 0))
SAEWB_TENSOR_FN(saewb_count_nonzero(saewb_tensor a, const int64_t* d, int64_t n), at::count_nonzero(*a, dims(d, n)))

// median: the lower of the two middle values for an even count, as in PyTorch.
SAEWB_TENSOR_FN(saewb_median_all(saewb_tensor a), at::median(*a))
PAIR_FN(saewb_median(saewb_tensor a, int64_t dim, int32_t keepdim, saewb_tensor* values, saewb_tensor* indices),
        at::median(*a, dim, keepdim != 0))
// quantile with q a tensor of probabilities; interpolation is one of
// "linear", "lower", "higher", "midpoint", "nearest".
SAEWB_TENSOR_FN(saewb_quantile(saewb_tensor a, saewb_tensor q, int64_t dim, int32_t has_dim, int32_t keepdim,
                               const char* interpolation),
                at::quantile(*a, *q, has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim != 0,
                             c10::string_view(interpolation)))

PAIR_FN(saewb_topk(saewb_tensor a, int64_t k, int64_t dim, int32_t largest, int32_t sorted, saewb_tensor* values,
                   saewb_tensor* indices),
        at::topk(*a, k, dim, largest != 0, sorted != 0))
PAIR_FN(saewb_sort(saewb_tensor a, int64_t dim, int32_t descending, int32_t stable, saewb_tensor* values,
                   saewb_tensor* indices),
        at::sort(*a, c10::optional<bool>(stable != 0), dim, descending != 0))
SAEWB_TENSOR_FN(saewb_argsort(saewb_tensor a, int64_t dim, int32_t descending),
                std::get<1>(at::sort(*a, c10::optional<bool>(true), dim, descending != 0)))
SAEWB_TENSOR_FN(saewb_cumsum(saewb_tensor a, int64_t dim, int32_t dtype), at::cumsum(*a, dim, opt_dtype(dtype)))
SAEWB_TENSOR_FN(saewb_bincount(saewb_tensor a, saewb_tensor weights, int64_t minlength),
                at::bincount(*a, saewb::optional_tensor(weights), minlength))
