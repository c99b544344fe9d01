using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>Views and shape manipulation. Views share storage with their base, as in PyTorch.</summary>
public sealed partial class Tensor
{
    private unsafe Tensor WithLongs(long[] values, Func<IntPtr, IntPtr, long, IntPtr> f)
    {
        var h = Handle;
        fixed (long* p = values) return Wrap(f(h, (IntPtr)p, values.Length));
    }

    public unsafe Tensor view(params long[] shape) => WithLongs(shape, (h, p, n) => N.saewb_view(h, (long*)p, n));
    public unsafe Tensor reshape(params long[] shape) => WithLongs(shape, (h, p, n) => N.saewb_reshape(h, (long*)p, n));
    public Tensor view_as(Tensor other) => view(other.Shape);
    public Tensor transpose(long dim0, long dim1) => Wrap(N.saewb_transpose(Handle, dim0, dim1));
    /// <summary>Transpose of a 2-D tensor.</summary>
    public Tensor t() => transpose(0, 1);
    /// <summary>Transpose of a 2-D tensor (PyTorch's .T).</summary>
    public Tensor T => transpose(0, 1);
    public unsafe Tensor permute(params long[] dims) => WithLongs(dims, (h, p, n) => N.saewb_permute(h, (long*)p, n));
    public Tensor narrow(long dim, long start, long length) => Wrap(N.saewb_narrow(Handle, dim, start, length));
    /// <summary>Elements start..end (exclusive) with a step along dim, like a[start:end:step].</summary>
    public Tensor slice(long dim, long start, long end, long step = 1) => Wrap(N.saewb_slice(Handle, dim, start, end, step));
    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="dim"/> (that dimension removed).</summary>
    public Tensor select(long dim, long index) => Wrap(N.saewb_select(Handle, dim, index));
    public Tensor unsqueeze(long dim) => Wrap(N.saewb_unsqueeze(Handle, dim));
    public Tensor squeeze() => Wrap(N.saewb_squeeze(Handle));
    public Tensor squeeze(long dim) => Wrap(N.saewb_squeeze_dim(Handle, dim));
    public unsafe Tensor expand(params long[] shape) => WithLongs(shape, (h, p, n) => N.saewb_expand(h, (long*)p, n));
    public Tensor expand_as(Tensor other) => expand(other.Shape);
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => Wrap(N.saewb_flatten(Handle, start_dim, end_dim));
    public unsafe Tensor unflatten(long dim, params long[] sizes) => WithLongs(sizes, (h, p, n) => N.saewb_unflatten(h, dim, (long*)p, n));
    public unsafe Tensor repeat(params long[] repeats) => WithLongs(repeats, (h, p, n) => N.saewb_repeat(h, (long*)p, n));
    public unsafe Tensor flip(params long[] dims) => WithLongs(dims, (h, p, n) => N.saewb_flip(h, (long*)p, n));

    public unsafe Tensor roll(long[] shifts, long[] dims)
    {
        if (shifts.Length != dims.Length) throw new ArgumentException($"roll: {shifts.Length} shifts but {dims.Length} dims");
        var h = Handle;
        fixed (long* s = shifts)
        fixed (long* d = dims)
            return Wrap(N.saewb_roll(h, s, d, dims.Length));
    }

    public Tensor tril(long diagonal = 0) => Wrap(N.saewb_tril(Handle, diagonal));
    public Tensor triu(long diagonal = 0) => Wrap(N.saewb_triu(Handle, diagonal));
    public Tensor diag(long diagonal = 0) => Wrap(N.saewb_diag(Handle, diagonal));

    private unsafe Tensor[] List(long capacity, Func<IntPtr, long> f)
    {
        var buffer = new IntPtr[Math.Max(capacity, 1)];
        long count;
        fixed (IntPtr* p = buffer) count = N.CheckCount(f((IntPtr)p));
        var result = new Tensor[count];
        for (var i = 0; i < count; i++) result[i] = Wrap(buffer[i]);
        return result;
    }

    private long DimSize(long dim) => Shape[WrapDim(dim)];

    /// <summary>Pieces of <paramref name="split_size"/> along dim (the last may be smaller).</summary>
    public unsafe Tensor[] split(long split_size, long dim = 0)
    {
        if (split_size <= 0) throw new ArgumentOutOfRangeException(nameof(split_size), split_size, "split_size must be positive");
        var h = Handle;
        var capacity = Math.Max(1, (DimSize(dim) + split_size - 1) / split_size);
        return List(capacity, p => N.saewb_split(h, split_size, dim, (IntPtr*)p, capacity));
    }

    public unsafe Tensor[] chunk(long chunks, long dim = 0)
    {
        var h = Handle;
        return List(chunks, p => N.saewb_chunk(h, chunks, dim, (IntPtr*)p, chunks));
    }

    public unsafe Tensor[] unbind(long dim = 0)
    {
        var h = Handle;
        var n = DimSize(dim);
        return List(n, p => N.saewb_unbind(h, dim, (IntPtr*)p, Math.Max(n, 1)));
    }
}
