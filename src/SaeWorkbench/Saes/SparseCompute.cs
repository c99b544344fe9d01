using SaeWorkbench.Torch;
using static SaeWorkbench.Torch.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// Sparse TopK compute (Gao et al. 2024, TopK paper: the decoder and the encoder's backward only
/// need the k active latents per token; facts sheet §2). Two autograd functions with hand-written
/// backward passes, forward and backward side by side:
/// <list type="bullet">
/// <item><see cref="EncoderEntries"/>: the pre-activations at a code's entries,
///   pre[b, n] = (x_b - b_pre) . W_enc[n] + b_enc[n], as the selection found them in the one dense encoder GEMM
///   (the floor of a step); the backward forms the encoder gradients
///   from the M entries only: dW_enc[n] = sum_{entries at n} g x_b, db_enc[n] = sum g,
///   db_pre = -(db_enc @ W_enc) (as the released code does). Never a [B, N] gradient, never a second GEMM.</item>
/// <item><see cref="Decode"/>: x_hat_b = sum_{entries at b} z W_dec[n] (sparse x dense), and
///   its backward dz = g_b . W_dec[n], dW_dec[n] = sum_{entries at n} z g_b (<see cref="torch.decode_backward_coo"/>:
///   one pass by latent, each decoder row read once).</item>
/// </list>
/// Cost of each: O(M d) with M = B k, against O(B n d) for the dense form. The gathers and scatters are the native
/// kernels <see cref="torch.spmm_coo"/> and <see cref="torch.sddmm_coo"/> (parallel, deterministic); the selection is
/// <see cref="torch.topk_of_sum"/> (top k of xW^T + b_enc without a bias pass over [B, N]). Checked against dense
/// autograd in the tests (SparseComputeTests). Shapes: B tokens, D = d_in, N latents, M entries.
/// </summary>
public static class SparseCompute
{
    /// <summary>
    /// The pre-activations at each code's entries, one [M_c] tensor per code, made differentiable with respect to
    /// <paramref name="W_enc_ND"/>, <paramref name="b_enc_N"/> and the pre-encoder bias <paramref name="b_pre_D"/> (null when
    /// the encoder input is not shifted). <paramref name="values"/> holds their values, computed without grad by the
    /// selection (pre[b, n] = xc_b . W_enc[n] + b_enc[n]); <paramref name="xc_BD"/> is the encoder input x - b_pre as data
    /// (no gradient: the activations are inputs). Several codes (TopK and AuxK) share one backward, so the encoder weight
    /// gradient is formed once:
    /// <code>
    ///   g_N = sum of the entries' gradients per latent    db_enc = g_N    db_pre = -(g_N @ W_enc)   (no [B, D] gradient needed)
    ///   dW_enc[n] = sum over n's entries of g x_c[b]      (sparse x dense: only latents with entries get nonzero rows)
    /// </code>
    /// </summary>
    public static Tensor[] EncoderEntries(IReadOnlyList<Tensor> values, Tensor xc_BD, Tensor W_enc_ND, Tensor b_enc_N, Tensor? b_pre_D, IReadOnlyList<SparseCode> codes)
    {
        if (codes.Count == 0 || codes.Count != values.Count) throw new ArgumentException($"one value tensor per code is needed ({values.Count} values, {codes.Count} codes)", nameof(values));
        var n = W_enc_ND.size(0);
        var inputs = b_pre_D is null ? new[] { W_enc_ND, b_enc_N } : new[] { W_enc_ND, b_enc_N, b_pre_D };
        return autograd.Function("SparseEncoderEntries", inputs,
            (ctx, i) =>
            {
                // The codes are saved too: the context owns handles on them, so backward works even when the
                // caller's dispose scope has released its own handles.
                ctx.save_for_backward(xc_BD, i[0]);
                foreach (var c in codes) ctx.save_for_backward(c.Latents_M, c.Tokens_M);
                return values.Select(v => v.detach().clone()).ToArray();
            },
            (ctx, grads) =>
            {
                var xc = ctx.saved_tensors[0];
                var w = ctx.saved_tensors[1];
                var latents = codes.Count == 1 ? ctx.saved_tensors[2] : cat(Enumerable.Range(0, codes.Count).Select(c => ctx.saved_tensors[2 + 2 * c]).ToArray());
                var tokens = codes.Count == 1 ? ctx.saved_tensors[3] : cat(Enumerable.Range(0, codes.Count).Select(c => ctx.saved_tensors[3 + 2 * c]).ToArray());
                var g = (codes.Count == 1 ? grads[0] : cat(grads)).to(w.dtype);
                var gN = zeros(new[] { n }, g.dtype, g.device).index_add_(0, latents, g);       // db_enc
                var dW = ScatterRows(latents, tokens, g, xc, n);                                // dW_enc
                if (b_pre_D is null) return new Tensor?[] { dW, gN };
                var dPre = gN.unsqueeze(0).mm(w).squeeze(0).neg();                             // db_pre = -(g_N @ W_enc)
                return new Tensor?[] { dW, gN, dPre };
            });
    }

    /// <summary>
    /// x_hat[b] = sum over b's entries of values[m] W_dec[latent m]: [B, D], differentiable with respect to
    /// <paramref name="values_M"/> and <paramref name="W_dec_ND"/>. No decoder bias is added.
    /// </summary>
    public static Tensor Decode(Tensor values_M, Tensor W_dec_ND, SparseCode code)
    {
        return autograd.Function("SparseDecode", new[] { values_M, W_dec_ND },
            (ctx, inputs) =>
            {
                ctx.save_for_backward(inputs[0], inputs[1], code.Latents_M, code.Tokens_M);
                return spmm_coo(code.Tokens_M, code.Latents_M, inputs[0].to(inputs[1].dtype), inputs[1], code.NumTokens);
            },
            (ctx, g_BD) =>
            {
                var values = ctx.saved_tensors[0];
                var w = ctx.saved_tensors[1];
                var latents = ctx.saved_tensors[2];
                var tokens = ctx.saved_tensors[3];
                // dz[m] = g[b_m] . W_dec[n_m]; dW_dec[n] = sum over n's entries of z[m] g[b_m] (one pass by latent).
                var (dValues, dW) = decode_backward_coo(tokens, latents, values.to(w.dtype), g_BD.to(w.dtype), w);
                return new Tensor?[] { dValues.to(values.dtype), dW };
            });
    }

    /// <summary>
    /// G[n] = sum over entries m with latent n of weights[m] X[token m]: [N, D] (sparse x dense, <see cref="torch.spmm_coo"/>:
    /// grouped by latent, summed in entry order, so deterministic). Latents without entries get zero rows. Cost O(M D).
    /// </summary>
    public static Tensor ScatterRows(Tensor latents_M, Tensor tokens_M, Tensor weights_M, Tensor X_BD, long numLatents) =>
        spmm_coo(latents_M, tokens_M, weights_M, X_BD, numLatents);
}
