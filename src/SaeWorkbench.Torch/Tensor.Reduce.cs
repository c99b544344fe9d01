using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>Reductions, sorting and selection.</summary>
public sealed partial class Tensor
{
    private static int Dt(ScalarType? t) => t.HasValue ? (int)t.Value : -1;

    private unsafe Tensor ReduceDims(long[] dims, Func<IntPtr, IntPtr, long, IntPtr> f)
    {
        var h = Handle;
        fixed (long* p = dims) return Wrap(f(h, (IntPtr)p, dims.Length));
    }

    private static (Tensor values, Tensor indices) Pair(int status, IntPtr values, IntPtr indices)
    {
        N.Check(status);
        return (Wrap(values), Wrap(indices));
    }

    public Tensor sum(ScalarType? dtype = null) => Wrap(N.saewb_sum_all(Handle, Dt(dtype)));
    public Tensor sum(long dim, bool keepdim = false, ScalarType? dtype = null) => sum(new[] { dim }, keepdim, dtype);
    // The int overloads make x.sum(0) / x.mean(0) mean "along dimension 0", as in PyTorch. Without them C#
    // converts the literal 0 to ScalarType (any enum accepts it) and picks sum(ScalarType? dtype): the whole
    // tensor summed as uint8.
    public Tensor sum(int dim, bool keepdim = false, ScalarType? dtype = null) => sum(new long[] { dim }, keepdim, dtype);
    public unsafe Tensor sum(long[] dims, bool keepdim = false, ScalarType? dtype = null) =>
        ReduceDims(dims, (h, p, n) => N.saewb_sum(h, (long*)p, n, keepdim ? 1 : 0, Dt(dtype)));

    public Tensor mean(ScalarType? dtype = null) => Wrap(N.saewb_mean_all(Handle, Dt(dtype)));
    public Tensor mean(long dim, bool keepdim = false, ScalarType? dtype = null) => mean(new[] { dim }, keepdim, dtype);
    public Tensor mean(int dim, bool keepdim = false, ScalarType? dtype = null) => mean(new long[] { dim }, keepdim, dtype);
    public unsafe Tensor mean(long[] dims, bool keepdim = false, ScalarType? dtype = null) =>
        ReduceDims(dims, (h, p, n) => N.saewb_mean(h, (long*)p, n, keepdim ? 1 : 0, Dt(dtype)));

    public Tensor prod() => Wrap(N.saewb_prod_all(Handle));
    public Tensor prod(long dim, bool keepdim = false) => Wrap(N.saewb_prod(Handle, dim, keepdim ? 1 : 0));

    /// <summary>The largest element.</summary>
    public Tensor max() => Wrap(N.saewb_max_all(Handle));
    /// <summary>Largest values along a dimension and where they are.</summary>
    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false) =>
        Pair(N.saewb_max(Handle, dim, keepdim ? 1 : 0, out var v, out var i), v, i);
    public Tensor min() => Wrap(N.saewb_min_all(Handle));
    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false) =>
        Pair(N.saewb_min(Handle, dim, keepdim ? 1 : 0, out var v, out var i), v, i);
    public unsafe Tensor amax(long[] dims, bool keepdim = false) => ReduceDims(dims, (h, p, n) => N.saewb_amax(h, (long*)p, n, keepdim ? 1 : 0));
    public unsafe Tensor amin(long[] dims, bool keepdim = false) => ReduceDims(dims, (h, p, n) => N.saewb_amin(h, (long*)p, n, keepdim ? 1 : 0));
    public Tensor argmax() => Wrap(N.saewb_argmax(Handle, 0, 0, 0));
    public Tensor argmax(long dim, bool keepdim = false) => Wrap(N.saewb_argmax(Handle, dim, 1, keepdim ? 1 : 0));
    public Tensor argmin() => Wrap(N.saewb_argmin(Handle, 0, 0, 0));
    public Tensor argmin(long dim, bool keepdim = false) => Wrap(N.saewb_argmin(Handle, dim, 1, keepdim ? 1 : 0));

    /// <summary>Vector p-norm of all elements (p = double.PositiveInfinity for max-abs).</summary>
    public unsafe Tensor norm(double p = 2) => Wrap(N.saewb_norm(Handle, p, null, 0, 0));
    /// <summary>Vector p-norm along <paramref name="dim"/> (argument order as PyTorch: p first).</summary>
    public Tensor norm(double p, long dim, bool keepdim = false) => norm(p, new[] { dim }, keepdim);
    public unsafe Tensor norm(double p, long[] dims, bool keepdim = false)
    {
        if (dims.Length == 0) throw new ArgumentException("norm: give at least one dimension, or call norm(p) for all", nameof(dims));
        var h = Handle;
        fixed (long* d = dims) return Wrap(N.saewb_norm(h, p, d, dims.Length, keepdim ? 1 : 0));
    }

    /// <summary>
    /// Variance over <paramref name="dims"/> (null: all elements); <paramref name="correction"/> 1 is unbiased
    /// (PyTorch's default), 0 the population variance. As in PyTorch a positional integer is a dimension:
    /// x.var(1) is the variance along dim 1; pass the correction by name (x.var(correction: 0)).
    /// </summary>
    public unsafe Tensor var(long[]? dims = null, long correction = 1, bool keepdim = false) =>
        ReduceDims(dims ?? Array.Empty<long>(), (h, p, n) => N.saewb_var(h, (long*)p, n, correction, keepdim ? 1 : 0));
    public Tensor var(long dim, long correction = 1, bool keepdim = false) => var(new[] { dim }, correction, keepdim);
    /// <summary>Standard deviation; arguments as <see cref="var(long[], long, bool)"/>.</summary>
    public unsafe Tensor std(long[]? dims = null, long correction = 1, bool keepdim = false) =>
        ReduceDims(dims ?? Array.Empty<long>(), (h, p, n) => N.saewb_std(h, (long*)p, n, correction, keepdim ? 1 : 0));
    public Tensor std(long dim, long correction = 1, bool keepdim = false) => std(new[] { dim }, correction, keepdim);
    public Tensor logsumexp(long dim, bool keepdim = false) => logsumexp(new[] { dim }, keepdim);
    public unsafe Tensor logsumexp(long[] dims, bool keepdim = false) =>
        ReduceDims(dims, (h, p, n) => N.saewb_logsumexp(h, (long*)p, n, keepdim ? 1 : 0));

    public Tensor any() => Wrap(N.saewb_any_all(Handle));
    public Tensor any(long dim, bool keepdim = false) => Wrap(N.saewb_any(Handle, dim, keepdim ? 1 : 0));
    public Tensor all() => Wrap(N.saewb_all_all(Handle));
    public Tensor all(long dim, bool keepdim = false) => Wrap(N.saewb_all(Handle, dim, keepdim ? 1 : 0));
    public unsafe Tensor count_nonzero(params long[] dims) => ReduceDims(dims, (h, p, n) => N.saewb_count_nonzero(h, (long*)p, n));

    /// <summary>The median of all elements (the lower middle value for an even count, as PyTorch).</summary>
    public Tensor median() => Wrap(N.saewb_median_all(Handle));
    public (Tensor values, Tensor indices) median(long dim, bool keepdim = false) =>
        Pair(N.saewb_median(Handle, dim, keepdim ? 1 : 0, out var v, out var i), v, i);

    /// <summary>Quantiles q (a tensor of probabilities in [0,1]) over all elements or along <paramref name="dim"/>.
    /// interpolation: linear, lower, higher, midpoint or nearest.</summary>
    public Tensor quantile(Tensor q, long? dim = null, bool keepdim = false, string interpolation = "linear") =>
        Wrap(N.saewb_quantile(Handle, q.Handle, dim ?? 0, dim.HasValue ? 1 : 0, keepdim ? 1 : 0, interpolation));

    public Tensor quantile(double q, long? dim = null, bool keepdim = false, string interpolation = "linear")
    {
        using var qt = torch.tensor(q, ScalarType.Float64).to(dtype);
        return quantile(qt, dim, keepdim, interpolation);
    }

    /// <summary>The k largest (or smallest) entries along <paramref name="dim"/> and their indices.</summary>
    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true) =>
        Pair(N.saewb_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i), v, i);
    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false, bool stable = false) =>
        Pair(N.saewb_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, out var v, out var i), v, i);
    public Tensor argsort(long dim = -1, bool descending = false) => Wrap(N.saewb_argsort(Handle, dim, descending ? 1 : 0));
    public Tensor cumsum(long dim, ScalarType? dtype = null) => Wrap(N.saewb_cumsum(Handle, dim, Dt(dtype)));
    public Tensor bincount(Tensor? weights = null, long minlength = 0) => Wrap(N.saewb_bincount(Handle, HandleOrZero(weights), minlength));
}
