using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>Indexing: subscripts, gather/scatter, index_select/index_add, masks, advanced indexing.</summary>
public sealed partial class Tensor
{
    public Tensor gather(long dim, Tensor index) => Wrap(N.saewb_gather(Handle, dim, index.Handle));
    public Tensor scatter(long dim, Tensor index, Tensor src) => Wrap(N.saewb_scatter(Handle, dim, index.Handle, src.Handle));
    public Tensor scatter_add(long dim, Tensor index, Tensor src) => Wrap(N.saewb_scatter_add(Handle, dim, index.Handle, src.Handle));
    public Tensor scatter_(long dim, Tensor index, Tensor src) => Inplace(N.saewb_scatter_(Handle, dim, index.Handle, src.Handle));
    public Tensor scatter_(long dim, Tensor index, Scalar value) => Inplace(N.saewb_scatter_scalar_(Handle, dim, index.Handle, value));
    public Tensor scatter_add_(long dim, Tensor index, Tensor src) => Inplace(N.saewb_scatter_add_(Handle, dim, index.Handle, src.Handle));
    public Tensor index_select(long dim, Tensor index) => Wrap(N.saewb_index_select(Handle, dim, index.Handle));
    /// <summary>A copy of this with alpha * source added at <paramref name="index"/> along dim (repeated indices accumulate).</summary>
    public Tensor index_add(long dim, Tensor index, Tensor source, Scalar? alpha = null) =>
        Wrap(N.saewb_index_add(Handle, dim, index.Handle, source.Handle, alpha ?? 1));
    public Tensor index_add_(long dim, Tensor index, Tensor source, Scalar? alpha = null) =>
        Inplace(N.saewb_index_add_(Handle, dim, index.Handle, source.Handle, alpha ?? 1));
    public Tensor masked_select(Tensor mask) => Wrap(N.saewb_masked_select(Handle, mask.Handle));
    /// <summary>Indices of non-zero elements, shape [count, ndim].</summary>
    public Tensor nonzero() => Wrap(N.saewb_nonzero(Handle));

    /// <summary>Advanced indexing this[i0, i1, ...] with one index tensor (or null for ":") per leading dim.</summary>
    public unsafe Tensor index(params Tensor?[] indices)
    {
        var h = Handle;
        var hs = new IntPtr[indices.Length];
        for (var i = 0; i < hs.Length; i++) hs[i] = HandleOrZero(indices[i]);
        fixed (IntPtr* p = hs) return Wrap(N.saewb_index(h, p, hs.Length));
    }

    /// <summary>this[i0, i1, ...] = values (accumulate: +=, summing over repeated indices).</summary>
    public unsafe Tensor index_put_(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        var h = Handle;
        var hs = new IntPtr[indices.Length];
        for (var i = 0; i < hs.Length; i++) hs[i] = HandleOrZero(indices[i]);
        fixed (IntPtr* p = hs) return Inplace(N.saewb_index_put_(h, p, hs.Length, values.Handle, accumulate ? 1 : 0));
    }

    /// <summary>
    /// PyTorch-style subscript: <c>x[0]</c>, <c>x[.., 1]</c>, <c>x[1..3, TensorIndex.Ellipsis]</c>,
    /// <c>x[idx]</c>. Integer and range subscripts give views; index tensors give copies.
    /// Assignment copies (broadcasting) into the selected elements.
    /// </summary>
    public Tensor this[params TensorIndex[] indices]
    {
        get => ApplyIndices(indices, out var advanced) is var basic && advanced == null ? basic : IndexAdvanced(basic, advanced!);
        set
        {
            using var scope = torch.NewDisposeScope();
            var basic = ApplyIndices(indices, out var advanced);
            if (advanced == null) basic.copy_(value);
            else basic.index_put_(advanced, value);
        }
    }

    private static Tensor IndexAdvanced(Tensor basic, Tensor?[] advanced)
    {
        var result = basic.index(advanced);
        basic.Dispose();
        return result;
    }

    /// <summary>Applies integer/range/None/ellipsis subscripts as views; collects index tensors by dimension.</summary>
    private Tensor ApplyIndices(TensorIndex[] indices, out Tensor?[]? advanced)
    {
        var current = alias();
        var dim = 0;      // position in the current (partly indexed) view
        var realDim = 0;  // position in this tensor, for error messages (as PyTorch reports it)
        var consumed = indices.Count(i => i.K is TensorIndex.Kind.Single or TensorIndex.Kind.Slice or TensorIndex.Kind.Tensor);
        if (consumed > Shape.Length)
        {
            current.Dispose();
            throw new IndexOutOfRangeException($"too many indices for a tensor of shape {ShapeString}: {consumed} given");
        }
        List<Tensor?>? adv = null;
        foreach (var idx in indices)
        {
            Tensor next;
            switch (idx.K)
            {
                case TensorIndex.Kind.Single:
                    var size = current.size(dim);
                    if (idx.Index < -size || idx.Index >= size)
                    {
                        current.Dispose();
                        throw new IndexOutOfRangeException($"index {idx.Index} is out of bounds for dimension {realDim} with size {size}");
                    }
                    next = current.select(dim, idx.Index);
                    realDim++;
                    break;
                case TensorIndex.Kind.Slice:
                    var n = current.size(dim);
                    next = current.slice(dim, idx.ResolveStart(n), Math.Max(idx.ResolveStart(n), idx.ResolveStop(n)), idx.Step);
                    dim++;
                    realDim++;
                    break;
                case TensorIndex.Kind.None:
                    next = current.unsqueeze(dim);
                    dim++;
                    break;
                case TensorIndex.Kind.Ellipsis:
                    var after = indices.SkipWhile(i => i.K != TensorIndex.Kind.Ellipsis).Skip(1)
                        .Count(i => i.K is TensorIndex.Kind.Slice or TensorIndex.Kind.Single or TensorIndex.Kind.Tensor);
                    dim = current.dim() - after;
                    realDim = Shape.Length - after;
                    continue;
                default: // index tensor: resolved after the views
                    adv ??= new List<Tensor?>();
                    while (adv.Count < dim) adv.Add(null);
                    adv.Add(idx.IndexTensor);
                    dim++;
                    realDim++;
                    continue;
            }
            current.Dispose();
            current = next;
        }
        advanced = adv?.ToArray();
        return current;
    }
}
