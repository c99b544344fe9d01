// Tensors: lifetime, properties, creation, conversion, host copies, views and shape ops.
#include "common.h"

#include <sstream>

using saewb::dims;
using saewb::wrap;

// ---- lifetime ---------------------------------------------------------------------------
SAEWB_API void saewb_tensor_free(saewb_tensor t) { delete t; }
SAEWB_TENSOR_FN(saewb_tensor_alias(saewb_tensor t), *t)

// ---- properties -------------------------------------------------------------------------
SAEWB_API int64_t saewb_tensor_dim(saewb_tensor t) { return t->dim(); }
SAEWB_API int64_t saewb_tensor_numel(saewb_tensor t) { return t->numel(); }
SAEWB_API void saewb_tensor_sizes(saewb_tensor t, int64_t* out) {
  auto s = t->sizes();
  std::copy(s.begin(), s.end(), out);
}
SAEWB_API void saewb_tensor_strides(saewb_tensor t, int64_t* out) {
  auto s = t->strides();
  std::copy(s.begin(), s.end(), out);
}
SAEWB_API int32_t saewb_tensor_dtype(saewb_tensor t) { return static_cast<int32_t>(t->scalar_type()); }
SAEWB_API int32_t saewb_tensor_device_type(saewb_tensor t) { return static_cast<int32_t>(t->device().type()); }
SAEWB_API int32_t saewb_tensor_device_index(saewb_tensor t) { return t->device().index(); }
SAEWB_API int32_t saewb_tensor_is_contiguous(saewb_tensor t) { return t->is_contiguous() ? 1 : 0; }
SAEWB_API int64_t saewb_tensor_element_size(saewb_tensor t) { return static_cast<int64_t>(t->element_size()); }
SAEWB_API void* saewb_tensor_data_ptr(saewb_tensor t) { return t->data_ptr(); }
SAEWB_API int64_t saewb_tensor_storage_offset(saewb_tensor t) { return t->storage_offset(); }
SAEWB_API int32_t saewb_tensor_same_storage(saewb_tensor a, saewb_tensor b) {
  return a->storage().is_alias_of(b->storage()) ? 1 : 0;
}

SAEWB_API char* saewb_tensor_to_string(saewb_tensor t) {
  try {
    std::ostringstream os;
    os << *t;
    std::string s = os.str();
    char* out = static_cast<char*>(std::malloc(s.size() + 1));
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
  } catch (const std::exception& e) {
    saewb::set_last_error(e.what());
    return nullptr;
  }
}

// item() as double or int64; status return, value through the out pointer.
SAEWB_API int32_t saewb_tensor_item_double(saewb_tensor t, double* out) {
  SAEWB_TRY* out = t->item<double>();
  return 0;
  SAEWB_CATCH_STATUS
}
SAEWB_API int32_t saewb_tensor_item_int64(saewb_tensor t, int64_t* out) {
  SAEWB_TRY* out = t->item<int64_t>();
  return 0;
  SAEWB_CATCH_STATUS
}

// ---- creation ---------------------------------------------------------------------------
#define SAEWB_OPTS int32_t dtype, int32_t device_type, int32_t device_index
#define SAEWB_OPTS_ARGS saewb::options(dtype, device_type, device_index)

SAEWB_TENSOR_FN(saewb_empty(const int64_t* shape, int64_t ndim, SAEWB_OPTS), at::empty(dims(shape, ndim), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_zeros(const int64_t* shape, int64_t ndim, SAEWB_OPTS), at::zeros(dims(shape, ndim), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_ones(const int64_t* shape, int64_t ndim, SAEWB_OPTS), at::ones(dims(shape, ndim), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_full(const int64_t* shape, int64_t ndim, saewb_scalar value, SAEWB_OPTS),
                at::full(dims(shape, ndim), saewb::to_scalar(value), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_arange(saewb_scalar start, saewb_scalar end, saewb_scalar step, SAEWB_OPTS),
                at::arange(saewb::to_scalar(start), saewb::to_scalar(end), saewb::to_scalar(step), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_linspace(double start, double end, int64_t steps, SAEWB_OPTS),
                at::linspace(start, end, steps, SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_eye(int64_t n, SAEWB_OPTS), at::eye(n, SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_randn(const int64_t* shape, int64_t ndim, saewb_generator g, SAEWB_OPTS),
                at::randn(dims(shape, ndim), saewb::optional_generator(g), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_rand(const int64_t* shape, int64_t ndim, saewb_generator g, SAEWB_OPTS),
                at::rand(dims(shape, ndim), saewb::optional_generator(g), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, saewb_generator g, SAEWB_OPTS),
                at::randint(low, high, dims(shape, ndim), saewb::optional_generator(g), SAEWB_OPTS_ARGS))
SAEWB_TENSOR_FN(saewb_randperm(int64_t n, saewb_generator g, SAEWB_OPTS),
                at::randperm(n, saewb::optional_generator(g), SAEWB_OPTS_ARGS))

SAEWB_TENSOR_FN(saewb_empty_like(saewb_tensor t), at::empty_like(*t))
SAEWB_TENSOR_FN(saewb_zeros_like(saewb_tensor t), at::zeros_like(*t))
SAEWB_TENSOR_FN(saewb_ones_like(saewb_tensor t), at::ones_like(*t))
SAEWB_TENSOR_FN(saewb_full_like(saewb_tensor t, saewb_scalar v), at::full_like(*t, saewb::to_scalar(v)))

// A new CPU tensor holding a copy of `nbytes` bytes at `data` (C# pins its array or span).
SAEWB_API saewb_tensor saewb_from_data(const void* data, int64_t nbytes, const int64_t* shape, int64_t ndim, int32_t dtype) {
  SAEWB_TRY
  at::Tensor t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
  const int64_t expected = t.numel() * static_cast<int64_t>(t.element_size());
  TORCH_CHECK(expected == nbytes, "from_data: shape ", t.sizes(), " of ", t.scalar_type(), " needs ", expected,
              " bytes but ", nbytes, " were given");
  if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
  return wrap(std::move(t));
  SAEWB_CATCH_TENSOR
}

// Copies the tensor's elements (any device, any layout) into host memory, row-major.
SAEWB_API int32_t saewb_tensor_copy_to_host(saewb_tensor t, void* dst, int64_t nbytes) {
  SAEWB_TRY
  at::NoGradGuard no_grad;
  at::Tensor c = t->detach().to(at::kCPU).contiguous();
  const int64_t have = c.numel() * static_cast<int64_t>(c.element_size());
  TORCH_CHECK(have == nbytes, "copy to host: tensor holds ", have, " bytes but the destination has ", nbytes);
  if (nbytes > 0) std::memcpy(dst, c.data_ptr(), static_cast<size_t>(nbytes));
  return 0;
  SAEWB_CATCH_STATUS
}

// Overwrites the tensor's elements (any device, any layout) from host memory, row-major.
SAEWB_API int32_t saewb_tensor_copy_from_host(saewb_tensor t, const void* src, int64_t nbytes) {
  SAEWB_TRY
  const int64_t need = t->numel() * static_cast<int64_t>(t->element_size());
  TORCH_CHECK(need == nbytes, "copy from host: tensor needs ", need, " bytes but the source has ", nbytes);
  at::Tensor host = at::empty(t->sizes(), at::TensorOptions().dtype(t->scalar_type()));
  if (nbytes > 0) std::memcpy(host.data_ptr(), src, static_cast<size_t>(nbytes));
  at::NoGradGuard no_grad;
  t->copy_(host);
  return 0;
  SAEWB_CATCH_STATUS
}

// ---- conversion -------------------------------------------------------------------------
SAEWB_TENSOR_FN(saewb_to(saewb_tensor t, SAEWB_OPTS, int32_t non_blocking, int32_t copy),
                t->to(SAEWB_OPTS_ARGS, non_blocking != 0, copy != 0))
SAEWB_TENSOR_FN(saewb_to_dtype(saewb_tensor t, int32_t dtype), t->to(static_cast<at::ScalarType>(dtype)))
SAEWB_TENSOR_FN(saewb_contiguous(saewb_tensor t), t->contiguous())
SAEWB_TENSOR_FN(saewb_clone(saewb_tensor t), t->clone())
SAEWB_STATUS_FN(saewb_copy_(saewb_tensor dst, saewb_tensor src, int32_t non_blocking), dst->copy_(*src, non_blocking != 0))

// ---- views and shape --------------------------------------------------------------------
SAEWB_TENSOR_FN(saewb_view(saewb_tensor t, const int64_t* shape, int64_t ndim), t->view(dims(shape, ndim)))
SAEWB_TENSOR_FN(saewb_reshape(saewb_tensor t, const int64_t* shape, int64_t ndim), t->reshape(dims(shape, ndim)))
SAEWB_TENSOR_FN(saewb_transpose(saewb_tensor t, int64_t d0, int64_t d1), t->transpose(d0, d1))
SAEWB_TENSOR_FN(saewb_permute(saewb_tensor t, const int64_t* order, int64_t n), t->permute(dims(order, n)))
SAEWB_TENSOR_FN(saewb_narrow(saewb_tensor t, int64_t dim, int64_t start, int64_t length), t->narrow(dim, start, length))
SAEWB_TENSOR_FN(saewb_slice(saewb_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step), t->slice(dim, start, end, step))
SAEWB_TENSOR_FN(saewb_select(saewb_tensor t, int64_t dim, int64_t index), t->select(dim, index))
SAEWB_TENSOR_FN(saewb_unsqueeze(saewb_tensor t, int64_t dim), t->unsqueeze(dim))
SAEWB_TENSOR_FN(saewb_squeeze(saewb_tensor t), t->squeeze())
SAEWB_TENSOR_FN(saewb_squeeze_dim(saewb_tensor t, int64_t dim), t->squeeze(dim))
SAEWB_TENSOR_FN(saewb_expand(saewb_tensor t, const int64_t* shape, int64_t ndim), t->expand(dims(shape, ndim)))
SAEWB_TENSOR_FN(saewb_flatten(saewb_tensor t, int64_t start, int64_t end), t->flatten(start, end))
SAEWB_TENSOR_FN(saewb_unflatten(saewb_tensor t, int64_t dim, const int64_t* shape, int64_t ndim),
                t->view([&] {
                  std::vector<int64_t> s(t->sizes().begin(), t->sizes().end());
                  const int64_t d = c10::maybe_wrap_dim(dim, t->dim());
                  s.erase(s.begin() + d);
                  s.insert(s.begin() + d, shape, shape + ndim);
                  return s;
                }()))
SAEWB_TENSOR_FN(saewb_repeat(saewb_tensor t, const int64_t* reps, int64_t n), t->repeat(dims(reps, n)))
SAEWB_TENSOR_FN(saewb_flip(saewb_tensor t, const int64_t* d, int64_t n), t->flip(dims(d, n)))
SAEWB_TENSOR_FN(saewb_roll(saewb_tensor t, const int64_t* shifts, const int64_t* d, int64_t n), t->roll(dims(shifts, n), dims(d, n)))
SAEWB_TENSOR_FN(saewb_tril(saewb_tensor t, int64_t diagonal), t->tril(diagonal))
SAEWB_TENSOR_FN(saewb_triu(saewb_tensor t, int64_t diagonal), t->triu(diagonal))
SAEWB_TENSOR_FN(saewb_diag(saewb_tensor t, int64_t diagonal), t->diag(diagonal))
SAEWB_TENSOR_FN(saewb_cat(const saewb_tensor* ts, int64_t n, int64_t dim), at::cat(saewb::tensor_list(ts, n), dim))
SAEWB_TENSOR_FN(saewb_stack(const saewb_tensor* ts, int64_t n, int64_t dim), at::stack(saewb::tensor_list(ts, n), dim))

// Splitting into a variable number of pieces: the caller provides room for `capacity` handles
// and gets the count back (or -1).
static int64_t emit_list(const std::vector<at::Tensor>& parts, saewb_tensor* out, int64_t capacity) {
  TORCH_CHECK(static_cast<int64_t>(parts.size()) <= capacity, "internal: result list has ", parts.size(),
              " tensors but room for ", capacity);
  for (size_t i = 0; i < parts.size(); ++i) out[i] = wrap(parts[i]);
  return static_cast<int64_t>(parts.size());
}
SAEWB_API int64_t saewb_split(saewb_tensor t, int64_t size, int64_t dim, saewb_tensor* out, int64_t capacity) {
  SAEWB_TRY return emit_list(t->split(size, dim), out, capacity);
  SAEWB_CATCH_STATUS
}
SAEWB_API int64_t saewb_chunk(saewb_tensor t, int64_t chunks, int64_t dim, saewb_tensor* out, int64_t capacity) {
  SAEWB_TRY return emit_list(t->chunk(chunks, dim), out, capacity);
  SAEWB_CATCH_STATUS
}
SAEWB_API int64_t saewb_unbind(saewb_tensor t, int64_t dim, saewb_tensor* out, int64_t capacity) {
  SAEWB_TRY return emit_list(t->unbind(dim), out, capacity);
  SAEWB_CATCH_STATUS
}
