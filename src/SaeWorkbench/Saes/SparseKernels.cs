using SaeWorkbench.Engine;
using SaeWorkbench.Saes.FastTopK;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// The kernels of sparse TopK compute (Gao et al. 2024, §2.3 and appendix: only the k active latents per token are
/// touched after the one dense encoder GEMM) on TorchSharp tensors. For contiguous CPU float32/float64 tensors each runs
/// the workbench's managed SIMD kernel (<see cref="TensorKernels"/>, FastTopK/); elsewhere (CUDA, other dtypes, views) the
/// composite TorchSharp ops that compute the same thing. No autograd: <see cref="SparseCompute"/> wraps them in autograd
/// functions.
/// Shapes: B tokens, N latents, D = d_in, M entries.
/// </summary>
public static class SparseKernels
{
    /// <summary>
    /// The k largest entries of x + bias in each row, largest first, and their column indices (int64), without
    /// materialising x + bias: x [B, N], bias [N] or null, k in [1, N]. NaN counts as largest; ties go to the lower index.
    /// </summary>
    public static (Tensor values_BK, Tensor indices_BK) TopKOfSum(Tensor x_BN, Tensor? bias_N, long k)
    {
        if (x_BN.dim() != 2) throw new ArgumentException($"x must be [B, N], got {x_BN.ShapeString}", nameof(x_BN));
        var n = x_BN.size(1);
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {n}]");
        if (bias_N is not null && (bias_N.dim() != 1 || bias_N.size(0) != n))
            throw new ArgumentException($"bias must be [{n}], got {bias_N.ShapeString}", nameof(bias_N));
        if (TensorKernels.Supports(x_BN, bias_N)) return TensorKernels.TopKOfSum(x_BN, bias_N, k);
        using var scope = NewDisposeScope();
        var sum = bias_N is null ? x_BN : x_BN + bias_N;
        var (v, i) = sum.topk(checked((int)k));
        return (v.MoveToOuterDisposeScope(), i.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Sparse x dense in coordinate form (SpMM): out [numRows, D] with out[r] = sum over m where row[m] = r of
    /// value[m] * dense[col[m]]. row, col: [M] int64; value: [M] in dense's dtype; dense: [K, D]. Each output row sums its
    /// entries in their given order (deterministic for any thread count).
    /// </summary>
    public static Tensor SpmmCoo(Tensor row_M, Tensor col_M, Tensor value_M, Tensor dense_KD, long numRows)
    {
        if (TensorKernels.Supports(dense_KD, value_M, row_M, col_M)) return TensorKernels.Spmm(row_M, col_M, value_M, dense_KD, numRows);
        using var scope = NewDisposeScope();
        var rows = dense_KD.index_select(0, col_M) * value_M.unsqueeze(1);
        return zeros(new[] { numRows, dense_KD.size(1) }, dense_KD.dtype, dense_KD.device).index_add_(0, row_M, rows, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The backward of a sparse decode x_hat[t] = sum over entries m of token t of z[m] w[latent[m]], given g = dL/dx_hat
    /// [B, D]: dz [M] with dz[m] = g[token[m]] . w[latent[m]], and dw [N, D] with dw[n] = sum over entries m of latent n of
    /// z[m] g[token[m]]. On CPU one pass grouped by latent reads each row of w once.
    /// </summary>
    public static (Tensor dz_M, Tensor dw_ND) DecodeBackwardCoo(Tensor token_M, Tensor latent_M, Tensor z_M, Tensor g_BD, Tensor w_ND)
    {
        if (TensorKernels.Supports(w_ND, g_BD, z_M, token_M, latent_M)) return TensorKernels.DecodeBackward(token_M, latent_M, z_M, g_BD, w_ND);
        using var scope = NewDisposeScope();
        var gRows = g_BD.index_select(0, token_M);
        var dz = (gRows * w_ND.index_select(0, latent_M)).sum(1);
        var dw = zeros_like(w_ND).index_add_(0, latent_M, gRows * z_M.unsqueeze(1), 1);
        return (dz.MoveToOuterDisposeScope(), dw.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The encoder gradient from a code's entries: dW_enc [N, D] with dW[n] = sum over entries m of latent n of
    /// g[m] xc[token m], and db_enc [N] = the entries' gradients summed per latent. Latents without entries get zeros.
    /// </summary>
    public static (Tensor dW_ND, Tensor db_N) EncoderGradient(Tensor latent_M, Tensor token_M, Tensor g_M, Tensor xc_BD, long numLatents)
    {
        if (TensorKernels.Supports(xc_BD, g_M, latent_M, token_M)) return TensorKernels.EncoderGradient(latent_M, token_M, g_M, xc_BD, numLatents);
        using var scope = NewDisposeScope();
        var db = zeros(new[] { numLatents }, g_M.dtype, g_M.device).index_add_(0, latent_M, g_M, 1);
        var dW = SpmmCoo(latent_M, token_M, g_M, xc_BD, numLatents);
        return (dW.MoveToOuterDisposeScope(), db.MoveToOuterDisposeScope());
    }

}
