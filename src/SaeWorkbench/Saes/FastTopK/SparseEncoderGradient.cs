using System.Numerics;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The encoder's gradients of a TopK SAE from its chosen entries only (Gao et al. 2024, §2.3: pre[t, n] =
/// xc[t] . W_enc[n] + b_enc[n] is used only at the k chosen latents per token, so only those M = B k entries carry
/// gradient). Given the entries' gradients g[m] = dL/dpre[token m, latent m]:
/// <code>
///   dW_enc[n] = sum over entries m of latent n of g[m] xc[token m]     [N, D]   (sparse x dense, grouped by latent)
///   db_enc[n] = sum over entries m of latent n of g[m]                 [N]
/// </code>
/// Never a [B, N] gradient, never a second GEMM. (The forward is the dense encoder GEMM followed by
/// <see cref="TopKOfSum"/>; the pre-encoder bias gradient, db_pre = -(db_enc @ W_enc), is a small dense product left to
/// the caller.) dW_enc is <see cref="SparseCoo.Spmm{T}"/> with row = latent, col = token: bit for bit the native
/// former C++ bridge's <c>spmm_coo</c> as the encoder's backward called it (now <c>SparseKernels.EncoderGradient</c>).
/// </summary>
public static unsafe class SparseEncoderGradient
{
    /// <summary>
    /// dW_enc_ND[n] = sum over entries m with latent_M[m] = n of g_M[m] * xc_BD[token_M[m]], and, when db_enc_N is not
    /// null, db_enc_N[n] = the sum of those g_M[m] (from 0, in entry order). Both are summed per latent in the entries'
    /// given order on one thread; latents without entries get zeros.
    /// </summary>
    /// <param name="latent_M">[m] latents, in [0, n).</param>
    /// <param name="token_M">[m] tokens, in [0, b).</param>
    /// <param name="g_M">[m] gradients of the loss with respect to the pre-activations at the entries.</param>
    /// <param name="m">Number of entries (may be 0).</param>
    /// <param name="xc_BD">[b, d] the encoder input (x - b_pre).</param>
    /// <param name="b">Tokens.</param>
    /// <param name="d">Model width.</param>
    /// <param name="dW_enc_ND">Output [n, d], overwritten.</param>
    /// <param name="db_enc_N">Output [n], overwritten; or null.</param>
    /// <param name="n">Latents.</param>
    public static void Backward<T>(long* latent_M, long* token_M, T* g_M, long m, T* xc_BD, long b, long d,
                                   T* dW_enc_ND, T* db_enc_N, long n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        SparseCoo.Spmm(latent_M, token_M, g_M, m, xc_BD, b, d, dW_enc_ND, n);
        if (db_enc_N == null) return;
        for (long i = 0; i < n; i++) db_enc_N[i] = T.Zero;
        for (long i = 0; i < m; i++) db_enc_N[latent_M[i]] += g_M[i];
    }
}
