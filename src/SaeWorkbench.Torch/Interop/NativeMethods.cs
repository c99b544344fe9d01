using System.Runtime.InteropServices;

namespace SaeWorkbench.Torch.Interop;

/// <summary>
/// The C ABI of libsaewb_native, one declaration per native entry point, grouped like the
/// native source files (runtime, tensor, elementwise, reduce, linalg, indexing, nn_functional,
/// sparse, autograd, random, optim). Tensors are opaque handles (<c>IntPtr</c>); a null handle or a
/// non-zero status means the call failed and <see cref="Check(IntPtr)"/> turns libtorch's
/// message into a <see cref="TorchException"/>. Shapes and dimension lists are passed as
/// (pointer, count).
/// </summary>
internal static unsafe partial class NativeMethods
{
    private const string Lib = NativeLibraryLoader.LibraryName;

    static NativeMethods()
    {
        NativeLibraryLoader.Register();
        // libtorch may start with a single intra-op thread; use every core, as PyTorch does.
        saewb_set_num_threads(Environment.ProcessorCount);
        // Large CPU blocks are cached between steps (no page faults on the same shapes each step); see torch.cpu_cache.
        torch.cpu_cache.ConfigureFromEnvironment();
        // C# backward passes of custom autograd functions (torch.autograd.Function).
        saewb_set_custom_function_callbacks(&torch.autograd.BackwardCallback, &torch.autograd.ReleaseCallback);
    }

    /// <summary>Forces the static initialiser (library resolution, thread count) to run.</summary>
    internal static void EnsureLoaded() { }

    internal static IntPtr Check(IntPtr handle) => handle != IntPtr.Zero ? handle : throw LastError();
    internal static void Check(int status) { if (status != 0) throw LastError(); }
    internal static long CheckCount(long count) => count >= 0 ? count : throw LastError();

    internal static TorchException LastError() =>
        new(Marshal.PtrToStringUTF8(saewb_last_error()) ?? "unknown error in the native bridge");

    internal static string TakeString(IntPtr s)
    {
        if (s == IntPtr.Zero) throw LastError();
        try { return Marshal.PtrToStringUTF8(s) ?? ""; }
        finally { saewb_free_string(s); }
    }

    // ---- runtime ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_last_error();
    [LibraryImport(Lib)] internal static partial void saewb_free_string(IntPtr s);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_torch_version();
    [LibraryImport(Lib)] internal static partial int saewb_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int saewb_get_num_threads();
    [LibraryImport(Lib)] internal static partial int saewb_set_num_interop_threads(int n);
    [LibraryImport(Lib)] internal static partial int saewb_get_num_interop_threads();
    [LibraryImport(Lib)] internal static partial IntPtr saewb_parallel_info();
    [LibraryImport(Lib)] internal static partial IntPtr saewb_blas_info();
    [LibraryImport(Lib)] internal static partial int saewb_cpu_cache_configure(int enabled, long limitBytes);
    [LibraryImport(Lib)] internal static partial int saewb_cpu_cache_empty();
    [LibraryImport(Lib)] internal static partial int saewb_cpu_cache_stats(long* stats);
    [LibraryImport(Lib)] internal static partial int saewb_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int saewb_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int saewb_cuda_synchronize(int device);

    // ---- tensor: lifetime and properties ----
    [LibraryImport(Lib)] internal static partial void saewb_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_tensor_alias(IntPtr t);
    [LibraryImport(Lib)] internal static partial long saewb_tensor_dim(IntPtr t);
    [LibraryImport(Lib)] internal static partial long saewb_tensor_numel(IntPtr t);
    [LibraryImport(Lib)] internal static partial void saewb_tensor_sizes(IntPtr t, long* output);
    [LibraryImport(Lib)] internal static partial void saewb_tensor_strides(IntPtr t, long* output);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_dtype(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_device_type(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_device_index(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_is_contiguous(IntPtr t);
    [LibraryImport(Lib)] internal static partial long saewb_tensor_element_size(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_tensor_data_ptr(IntPtr t);
    [LibraryImport(Lib)] internal static partial long saewb_tensor_storage_offset(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_same_storage(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_tensor_to_string(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_item_double(IntPtr t, out double value);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_item_int64(IntPtr t, out long value);

    // ---- tensor: creation ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_empty(long* shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_zeros(long* shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_ones(long* shape, long ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_full(long* shape, long ndim, Scalar value, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_arange(Scalar start, Scalar end, Scalar step, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_linspace(double start, double end, long steps, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_eye(long n, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_randn(long* shape, long ndim, IntPtr generator, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_rand(long* shape, long ndim, IntPtr generator, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_randint(long low, long high, long* shape, long ndim, IntPtr generator, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_randperm(long n, IntPtr generator, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_empty_like(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_zeros_like(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_ones_like(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_full_like(IntPtr t, Scalar value);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_from_data(void* data, long nbytes, long* shape, long ndim, int dtype);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_copy_to_host(IntPtr t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int saewb_tensor_copy_from_host(IntPtr t, void* src, long nbytes);

    // ---- tensor: conversion, views, shape ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_to(IntPtr t, int dtype, int deviceType, int deviceIndex, int nonBlocking, int copy);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_to_dtype(IntPtr t, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_contiguous(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_clone(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_copy_(IntPtr dst, IntPtr src, int nonBlocking);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_view(IntPtr t, long* shape, long ndim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_reshape(IntPtr t, long* shape, long ndim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_transpose(IntPtr t, long d0, long d1);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_permute(IntPtr t, long* order, long n);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_narrow(IntPtr t, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_slice(IntPtr t, long dim, long start, long end, long step);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_select(IntPtr t, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_unsqueeze(IntPtr t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_squeeze(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_squeeze_dim(IntPtr t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_expand(IntPtr t, long* shape, long ndim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_flatten(IntPtr t, long start, long end);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_unflatten(IntPtr t, long dim, long* shape, long ndim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_repeat(IntPtr t, long* reps, long n);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_flip(IntPtr t, long* dims, long n);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_roll(IntPtr t, long* shifts, long* dims, long n);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_tril(IntPtr t, long diagonal);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_triu(IntPtr t, long diagonal);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_diag(IntPtr t, long diagonal);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_cat(IntPtr* ts, long n, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_stack(IntPtr* ts, long n, long dim);
    [LibraryImport(Lib)] internal static partial long saewb_split(IntPtr t, long size, long dim, IntPtr* output, long capacity);
    [LibraryImport(Lib)] internal static partial long saewb_chunk(IntPtr t, long chunks, long dim, IntPtr* output, long capacity);
    [LibraryImport(Lib)] internal static partial long saewb_unbind(IntPtr t, long dim, IntPtr* output, long capacity);

    // ---- elementwise ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_neg(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_exp(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_log(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_log1p(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_expm1(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sqrt(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_rsqrt(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_abs(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sign(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sin(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_cos(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_floor(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_ceil(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_round(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_reciprocal(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_square(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_erf(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_logical_not(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_isnan(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_isinf(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_isfinite(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_neg_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_exp_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_log_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_sqrt_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_abs_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_zero_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_relu_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_sigmoid_(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_tanh_(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_add(IntPtr a, IntPtr b, Scalar alpha);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sub(IntPtr a, IntPtr b, Scalar alpha);
    [LibraryImport(Lib)] internal static partial int saewb_add_(IntPtr a, IntPtr b, Scalar alpha);
    [LibraryImport(Lib)] internal static partial int saewb_sub_(IntPtr a, IntPtr b, Scalar alpha);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_mul(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_div(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_pow(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_remainder(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_fmod(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_eq(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_ne(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_lt(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_le(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_gt(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_ge(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_add_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sub_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_mul_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_div_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_pow_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_remainder_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_fmod_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_eq_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_ne_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_lt_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_le_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_gt_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_ge_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_rsub_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_rdiv_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_rpow_scalar(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_div_mode(IntPtr a, IntPtr b, int mode);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_maximum(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_minimum(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_atan2(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_logical_and(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_logical_or(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_logical_xor(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_clamp(IntPtr a, Scalar lo, Scalar hi, int hasLo, int hasHi);
    [LibraryImport(Lib)] internal static partial int saewb_clamp_(IntPtr a, Scalar lo, Scalar hi, int hasLo, int hasHi);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_where(IntPtr cond, IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_where_scalar(IntPtr cond, IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_lerp(IntPtr a, IntPtr b, Scalar w);
    [LibraryImport(Lib)] internal static partial int saewb_mul_(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial int saewb_div_(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial int saewb_add_scalar_(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial int saewb_sub_scalar_(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial int saewb_mul_scalar_(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial int saewb_div_scalar_(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial int saewb_pow_scalar_(IntPtr a, Scalar b);
    [LibraryImport(Lib)] internal static partial int saewb_fill_(IntPtr a, Scalar v);
    [LibraryImport(Lib)] internal static partial int saewb_addcmul_(IntPtr a, IntPtr t1, IntPtr t2, Scalar v);
    [LibraryImport(Lib)] internal static partial int saewb_addcdiv_(IntPtr a, IntPtr t1, IntPtr t2, Scalar v);
    [LibraryImport(Lib)] internal static partial int saewb_lerp_(IntPtr a, IntPtr b, Scalar w);
    [LibraryImport(Lib)] internal static partial int saewb_masked_fill_(IntPtr a, IntPtr mask, Scalar v);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_masked_fill(IntPtr a, IntPtr mask, Scalar v);
    [LibraryImport(Lib)] internal static partial int saewb_equal(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial int saewb_allclose(IntPtr a, IntPtr b, double rtol, double atol, int equalNan);

    // ---- reduce ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sum_all(IntPtr a, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sum(IntPtr a, long* dims, long n, int keepdim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_mean_all(IntPtr a, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_mean(IntPtr a, long* dims, long n, int keepdim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_prod_all(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_prod(IntPtr a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_max_all(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_min_all(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_max(IntPtr a, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int saewb_min(IntPtr a, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_amax(IntPtr a, long* dims, long n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_amin(IntPtr a, long* dims, long n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_argmax(IntPtr a, long dim, int hasDim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_argmin(IntPtr a, long dim, int hasDim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_norm(IntPtr a, double p, long* dims, long n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_var(IntPtr a, long* dims, long n, long correction, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_std(IntPtr a, long* dims, long n, long correction, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_logsumexp(IntPtr a, long* dims, long n, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_any_all(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_all_all(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_any(IntPtr a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_all(IntPtr a, long dim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_count_nonzero(IntPtr a, long* dims, long n);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_median_all(IntPtr a);
    [LibraryImport(Lib)] internal static partial int saewb_median(IntPtr a, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr saewb_quantile(IntPtr a, IntPtr q, long dim, int hasDim, int keepdim, string interpolation);
    [LibraryImport(Lib)] internal static partial int saewb_topk(IntPtr a, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int saewb_sort(IntPtr a, long dim, int descending, int stable, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_argsort(IntPtr a, long dim, int descending);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_cumsum(IntPtr a, long dim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_bincount(IntPtr a, IntPtr weights, long minlength);

    // ---- linalg ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_matmul(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_mm(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_bmm(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_mv(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_dot(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_outer(IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_addmm(IntPtr input, IntPtr a, IntPtr b, Scalar beta, Scalar alpha);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_baddbmm(IntPtr input, IntPtr a, IntPtr b, Scalar beta, Scalar alpha);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_linear(IntPtr x, IntPtr w, IntPtr b);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr saewb_einsum(string equation, IntPtr* ts, long n);

    // ---- indexing ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_gather(IntPtr a, long dim, IntPtr index);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_scatter(IntPtr a, long dim, IntPtr index, IntPtr src);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_scatter_add(IntPtr a, long dim, IntPtr index, IntPtr src);
    [LibraryImport(Lib)] internal static partial int saewb_scatter_(IntPtr a, long dim, IntPtr index, IntPtr src);
    [LibraryImport(Lib)] internal static partial int saewb_scatter_scalar_(IntPtr a, long dim, IntPtr index, Scalar v);
    [LibraryImport(Lib)] internal static partial int saewb_scatter_add_(IntPtr a, long dim, IntPtr index, IntPtr src);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_index_select(IntPtr a, long dim, IntPtr index);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_index_add(IntPtr a, long dim, IntPtr index, IntPtr src, Scalar alpha);
    [LibraryImport(Lib)] internal static partial int saewb_index_add_(IntPtr a, long dim, IntPtr index, IntPtr src, Scalar alpha);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_masked_select(IntPtr a, IntPtr mask);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_nonzero(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_index(IntPtr a, IntPtr* idx, long n);
    [LibraryImport(Lib)] internal static partial int saewb_index_put_(IntPtr a, IntPtr* idx, long n, IntPtr values, int accumulate);

    // ---- nn functional ----
    [LibraryImport(Lib)] internal static partial IntPtr saewb_relu(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_gelu(IntPtr a, int approximate);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sigmoid(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_tanh(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_silu(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_softplus(IntPtr a, double beta, double threshold);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_log_sigmoid(IntPtr a);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_softmax(IntPtr a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_log_softmax(IntPtr a, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_layer_norm(IntPtr x, long* shape, long ndim, IntPtr w, IntPtr b, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_embedding(IntPtr weight, IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_embedding_bag(IntPtr weight, IntPtr indices, IntPtr offsets, int mode, IntPtr perSampleWeights, int includeLastOffset);

    // ---- sparse (sparse.cpp) ----
    [LibraryImport(Lib)] internal static partial int saewb_topk_of_sum(IntPtr x, IntPtr bias, long k, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_spmm_coo(IntPtr row, IntPtr col, IntPtr value, IntPtr dense, long numRows);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_sddmm_coo(IntPtr row, IntPtr col, IntPtr a, IntPtr b);
    [LibraryImport(Lib)] internal static partial int saewb_decode_backward_coo(IntPtr token, IntPtr latent, IntPtr z, IntPtr g, IntPtr w, out IntPtr dz, out IntPtr dw);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_dropout(IntPtr a, double p, int train);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_cross_entropy(IntPtr logits, IntPtr target, IntPtr weight, int reduction, long ignoreIndex, double labelSmoothing);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_nll_loss(IntPtr logp, IntPtr target, int reduction, long ignoreIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_kl_div(IntPtr input, IntPtr target, int reduction, int logTarget);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_mse_loss(IntPtr a, IntPtr b, int reduction);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_binary_cross_entropy_with_logits(IntPtr logits, IntPtr target, IntPtr weight, int reduction);

    // ---- autograd ----
    [LibraryImport(Lib)] internal static partial int saewb_set_requires_grad(IntPtr t, int on);
    [LibraryImport(Lib)] internal static partial int saewb_requires_grad(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_is_leaf(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_retain_grad(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_grad(IntPtr t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int saewb_set_grad(IntPtr t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int saewb_grad_fn_name(IntPtr t, byte* buffer, int capacity);
    [LibraryImport(Lib)] internal static partial int saewb_backward(IntPtr t, IntPtr grad, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial int saewb_autograd_grad(IntPtr* outputs, IntPtr* gradOutputs, long nOut, IntPtr* inputs, long nIn, int retainGraph, int createGraph, int allowUnused, IntPtr* output);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_detach(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_detach_(IntPtr t);
    [LibraryImport(Lib)] internal static partial int saewb_set_grad_enabled(int on);
    [LibraryImport(Lib)] internal static partial int saewb_is_grad_enabled();
    [LibraryImport(Lib)] internal static partial int saewb_set_data(IntPtr t, IntPtr src);

    // ---- custom autograd functions ----
    [LibraryImport(Lib)] internal static partial void saewb_set_custom_function_callbacks(
        delegate* unmanaged<long, IntPtr*, long, IntPtr*, long, int> backward, delegate* unmanaged<long, void> release);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial void saewb_set_last_error(string message);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int saewb_custom_function_connect(IntPtr* inputs, long nIn, IntPtr* outputs, long nOut, long ctx, string name);

    // ---- random ----
    [LibraryImport(Lib)] internal static partial int saewb_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_generator_new(ulong seed, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_generator_default_cpu();
    [LibraryImport(Lib)] internal static partial void saewb_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial int saewb_generator_set_seed(IntPtr g, ulong seed);
    [LibraryImport(Lib)] internal static partial ulong saewb_generator_initial_seed(IntPtr g);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_generator_get_state(IntPtr g);
    [LibraryImport(Lib)] internal static partial int saewb_generator_set_state(IntPtr g, IntPtr state);
    [LibraryImport(Lib)] internal static partial int saewb_normal_(IntPtr t, double mean, double std, IntPtr g);
    [LibraryImport(Lib)] internal static partial int saewb_uniform_(IntPtr t, double from, double to, IntPtr g);
    [LibraryImport(Lib)] internal static partial int saewb_bernoulli_(IntPtr t, double p, IntPtr g);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_bernoulli(IntPtr probs, IntPtr g);
    [LibraryImport(Lib)] internal static partial IntPtr saewb_multinomial(IntPtr probs, long n, int replacement, IntPtr g);

    // ---- optim ----
    [LibraryImport(Lib)] internal static partial int saewb_adam_step(IntPtr param, IntPtr grad, IntPtr expAvg, IntPtr expAvgSq, IntPtr maxExpAvgSq, long step, double lr, double beta1, double beta2, double eps, double weightDecay, int decoupled, int maximize);
    [LibraryImport(Lib)] internal static partial int saewb_clip_grad_norm_(IntPtr* grads, long n, double maxNorm, double normType, out double totalNorm);
    [LibraryImport(Lib)] internal static partial int saewb_adam_step_fused(IntPtr param, IntPtr grad, IntPtr expAvg, IntPtr expAvgSq, long step, double lr, double beta1, double beta2, double eps, double weightDecay, int decoupled, int maximize, int unitNormRows);
    [LibraryImport(Lib)] internal static partial int saewb_remove_parallel_rows_(IntPtr g, IntPtr w);
    [LibraryImport(Lib)] internal static partial int saewb_normalize_rows_(IntPtr w);
}
