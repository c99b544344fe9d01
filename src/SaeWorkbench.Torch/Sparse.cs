using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

public static partial class torch
{
    /// <summary>
    /// The k largest entries of x + bias in each row, largest first, and their column indices, without materialising
    /// x + bias: x [B, N], bias [N] (or null), k in [1, N]. Equal to <c>(x + bias).topk(k)</c> (NaN counts as largest;
    /// ties are broken towards the lower index). CPU float32/float64: one parallel pass over the rows, testing 32 values
    /// at a time against the k-th best so far; elsewhere the composite ops. No autograd (use it inside a <see cref="autograd.Function(string, Tensor[], Func{autograd.FunctionContext, Tensor[], Tensor[]}, Func{autograd.FunctionContext, Tensor[], Tensor?[]})"/>).
    /// </summary>
    public static (Tensor values, Tensor indices) topk_of_sum(Tensor x, Tensor? bias, long k)
    {
        N.Check(N.saewb_topk_of_sum(x.Handle, Tensor.HandleOrZero(bias), k, out var v, out var i));
        return (Tensor.Wrap(v), Tensor.Wrap(i));
    }

    /// <summary>
    /// Sparse x dense in coordinate form (SpMM): out [numRows, D] with out[r] = sum over m where row[m] = r of
    /// value[m] * dense[col[m]]. row, col: [M] int64; value: [M] in dense's dtype; dense: [K, D]. On CPU each output row
    /// sums its entries in their given order on one thread (deterministic for any thread count). No autograd.
    /// </summary>
    public static Tensor spmm_coo(Tensor row, Tensor col, Tensor value, Tensor dense, long numRows) =>
        Tensor.Wrap(N.saewb_spmm_coo(row.Handle, col.Handle, value.Handle, dense.Handle, numRows));

    /// <summary>
    /// Sampled dense x dense^T in coordinate form (SDDMM): out [M] with out[m] = a[row[m]] . b[col[m]]; a [R, D],
    /// b [C, D], row and col [M] int64. No autograd.
    /// </summary>
    public static Tensor sddmm_coo(Tensor row, Tensor col, Tensor a, Tensor b) =>
        Tensor.Wrap(N.saewb_sddmm_coo(row.Handle, col.Handle, a.Handle, b.Handle));

    /// <summary>
    /// The backward of a sparse decode x_hat[t] = sum over entries m of token t of z[m] w[latent[m]] (<see cref="spmm_coo"/>
    /// with row = token, col = latent), given g = dL/dx_hat [B, D]: dz [M] with dz[m] = g[token[m]] . w[latent[m]], and
    /// dw [N, D] with dw[n] = sum over entries m of latent n of z[m] g[token[m]]. On CPU one pass grouped by latent reads
    /// each row of w once, in order (instead of <see cref="sddmm_coo"/>'s random gather followed by a second grouped
    /// pass); deterministic for any thread count. token, latent: [M] int64; z: [M] in w's dtype. No autograd.
    /// </summary>
    public static (Tensor dz, Tensor dw) decode_backward_coo(Tensor token, Tensor latent, Tensor z, Tensor g, Tensor w)
    {
        N.Check(N.saewb_decode_backward_coo(token.Handle, latent.Handle, z.Handle, g.Handle, w.Handle, out var dz, out var dw));
        return (Tensor.Wrap(dz), Tensor.Wrap(dw));
    }
}
