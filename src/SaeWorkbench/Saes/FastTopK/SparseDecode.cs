using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The TopK SAE's decode from its sparse code (Gao et al. 2024, §2.3; the decoder bias is added by the caller), forward
/// and backward side by side. The code is M entries (token[m], latent[m], z[m]), k per token:
/// <code>
///   forward:  x_hat[t] = sum over entries m of token t of z[m] W_dec[latent m]          [B, D]
///   backward: dz[m]    = g[token m] . W_dec[latent m]                                   [M]
///             dW_dec[n] = sum over entries m of latent n of z[m] g[token m]            [N, D]
/// </code>
/// with g = dL/dx_hat. O(M D) each, against O(B N D) for the dense decode. Bit for bit the former C++ bridge's
/// <c>spmm_coo</c> (forward) and <c>decode_backward_coo</c> (backward), for any thread count and vector width.
/// </summary>
public static unsafe class SparseDecode
{
    /// <summary>
    /// x_hat_BD[t] = sum over entries m with token_M[m] = t of z_M[m] * W_dec_ND[latent_M[m]], in entry order
    /// (<see cref="SparseCoo.Spmm{T}"/> with row = token, col = latent). Tokens without entries get zero rows.
    /// </summary>
    /// <param name="token_M">[m] tokens, in [0, b).</param>
    /// <param name="latent_M">[m] latents, in [0, n).</param>
    /// <param name="z_M">[m] latent activations.</param>
    /// <param name="m">Number of entries (may be 0).</param>
    /// <param name="W_dec_ND">[n, d] decoder.</param>
    /// <param name="n">Latents.</param>
    /// <param name="d">Model width.</param>
    /// <param name="x_hat_BD">Output [b, d], overwritten.</param>
    /// <param name="b">Tokens.</param>
    public static void Forward<T>(long* token_M, long* latent_M, T* z_M, long m, T* W_dec_ND, long n, long d, T* x_hat_BD, long b)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        SparseCoo.Spmm(token_M, latent_M, z_M, m, W_dec_ND, n, d, x_hat_BD, b);

    /// <summary>
    /// The gradients of <see cref="Forward{T}"/> given g_BD = dL/dx_hat: dz_M[m] = g_BD[token m] . W_dec_ND[latent m] and
    /// dW_dec_ND[n] = sum over entries m of latent n of z_M[m] g_BD[token m], in one pass grouped by latent: each decoder
    /// row is read once, in order, and each gradient row written once (instead of an SDDMM gathering random decoder rows
    /// followed by a second grouped pass). Per latent the entries are taken in their given order on one thread.
    /// Latents without entries get zero gradient rows.
    /// </summary>
    /// <param name="token_M">[m] tokens, in [0, b).</param>
    /// <param name="latent_M">[m] latents, in [0, n).</param>
    /// <param name="z_M">[m] latent activations (the forward's).</param>
    /// <param name="m">Number of entries (may be 0).</param>
    /// <param name="g_BD">[b, d] gradient of the loss with respect to x_hat.</param>
    /// <param name="b">Tokens.</param>
    /// <param name="W_dec_ND">[n, d] decoder.</param>
    /// <param name="n">Latents.</param>
    /// <param name="d">Model width.</param>
    /// <param name="dz_M">Output [m].</param>
    /// <param name="dW_dec_ND">Output [n, d], overwritten.</param>
    public static void Backward<T>(long* token_M, long* latent_M, T* z_M, long m, T* g_BD, long b, T* W_dec_ND, long n, long d,
                                   T* dz_M, T* dW_dec_ND) where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(m, nameof(m));
        KernelChecks.NonNegative(b, nameof(b));
        KernelChecks.NonNegative(n, nameof(n));
        KernelChecks.NonNegative(d, nameof(d));
        KernelChecks.NotNull(token_M, m, nameof(token_M));
        KernelChecks.NotNull(latent_M, m, nameof(latent_M));
        KernelChecks.NotNull(z_M, m, nameof(z_M));
        KernelChecks.NotNull(dz_M, m, nameof(dz_M));
        KernelChecks.NotNull(dW_dec_ND, n * d, nameof(dW_dec_ND));
        KernelChecks.InRange(token_M, m, b, nameof(token_M));
        KernelChecks.InRange(latent_M, m, n, nameof(latent_M));
        KernelChecks.NotNull(g_BD, m > 0 ? b * d : 0, nameof(g_BD));
        KernelChecks.NotNull(W_dec_ND, m > 0 ? n * d : 0, nameof(W_dec_ND));
        var isa = KernelIsaScope.Current;
        using var groups = new CooGrouping(latent_M, m, n);
        var start = groups.Start;
        var order = groups.Order;
        RowParallel.For(n, 64, (begin, end) => BackwardRows(begin, end, start, order, token_M, z_M, g_BD, W_dec_ND, d, dz_M, dW_dec_ND, isa));
    }

    /// <summary>Latents [begin, end): per latent, its decoder row read once, its gradient row written once.</summary>
    [MethodImpl(KernelJit.Optimized)]
    private static void BackwardRows<T>(long begin, long end, long[] start, long[] order, long* token_M, T* z_M, T* g_BD, T* W_dec_ND,
                                        long d, T* dz_M, T* dW_dec_ND, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = begin; r < end; r++)
        {
            var w = W_dec_ND + r * d;
            var o = dW_dec_ND + r * d;
            NativeMemory.Clear(o, (nuint)(d * sizeof(T)));
            for (var p = start[r]; p < start[r + 1]; p++)
            {
                var e = order[p];
                var g = g_BD + token_M[e] * d;
                dz_M[e] = FixedOrderMath.Dot(g, w, d, isa);
                FixedOrderMath.Axpy(o, z_M[e], g, d, isa);
            }
        }
    }
}
