using SaeWorkbench.Torch;
using static SaeWorkbench.Torch.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// Sparse TopK compute (Gao et al. 2024, TopK paper: the decoder and the encoder's backward only
/// need the k active latents per token; facts sheet §2). Two autograd functions with hand-written
/// backward passes, forward and backward side by side:
/// <list type="bullet">
/// <item><see cref="GatherPreActivations"/>: the pre-activations at a code's entries,
///   pre[b, n] = (x_b - b_pre) . W_enc[n] + b_enc[n]. The forward reads them from the dense pre-activation
///   matrix (the one encoder GEMM, the floor of a step); the backward forms the encoder gradients
///   from the M entries only: dW_enc[n] = sum_{entries at n} g x_b, db_enc[n] = sum g,
///   db_pre = -(db_enc @ W_enc) (as the released code does). Never a [B, N] gradient, never a second GEMM.</item>
/// <item><see cref="Decode"/>: x_hat_b = sum_{entries at b} z W_dec[n] (an embedding-bag sum), and
///   its backward dz = g_b . W_dec[n], dW_dec[n] = sum_{entries at n} z g_b.</item>
/// </list>
/// Cost of each: O(M d) with M = B k, against O(B n d) for the dense form. Checked against dense
/// autograd in the tests (SparseComputeTests). Shapes: B tokens, D = d_in, N latents, M entries.
/// </summary>
public static class SparseCompute
{
    /// <summary>Entries per chunk of the gather-dot in the backward passes (bounds temporary memory to 2 chunk x D).</summary>
    private const long GatherChunk = 8192;

    /// <summary>
    /// The pre-activations at each code's entries, one [M_c] tensor per code, differentiable with respect to
    /// <paramref name="W_enc_ND"/>, <paramref name="b_enc_N"/> and the pre-encoder bias <paramref name="b_pre_D"/> (null when
    /// the encoder input is not shifted). <paramref name="xc_BD"/> is the encoder input x - b_pre as data (no gradient: the
    /// activations are inputs) and <paramref name="pre_BN"/> = xc W_enc^T + b_enc, computed without grad, is only read.
    /// Several codes (TopK and AuxK) share one backward, so the encoder weight gradient is formed once:
    /// <code>
    ///   g_N = sum of the entries' gradients per latent    db_enc = g_N    db_pre = -(g_N @ W_enc)   (no [B, D] gradient needed)
    ///   dW_enc[n] = sum over n's entries of g x_c[b]      (an embedding-bag sum over the entries grouped by latent)
    /// </code>
    /// </summary>
    public static Tensor[] GatherPreActivations(Tensor pre_BN, Tensor xc_BD, Tensor W_enc_ND, Tensor b_enc_N, Tensor? b_pre_D, IReadOnlyList<SparseCode> codes)
    {
        if (codes.Count == 0) throw new ArgumentException("at least one code is needed", nameof(codes));
        var n = W_enc_ND.size(0);
        var inputs = b_pre_D is null ? new[] { W_enc_ND, b_enc_N } : new[] { W_enc_ND, b_enc_N, b_pre_D };
        return autograd.Function("SparseEncoderGather", inputs,
            (ctx, i) =>
            {
                // The codes are saved too: the context owns handles on them, so backward works even when the
                // caller's dispose scope has released its own handles.
                ctx.save_for_backward(xc_BD, i[0]);
                foreach (var c in codes) ctx.save_for_backward(c.Latents_M, c.Tokens_M);
                var flatPre = pre_BN.detach().reshape(-1);
                return codes.Select(c => flatPre.index_select(0, c.Tokens_M * n + c.Latents_M)).ToArray();
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
                return nn.functional.embedding_bag(code.Latents_M, inputs[1], code.Offsets_B, "sum", inputs[0].to(inputs[1].dtype));
            },
            (ctx, g_BD) =>
            {
                var values = ctx.saved_tensors[0];
                var w = ctx.saved_tensors[1];
                var latents = ctx.saved_tensors[2];
                var tokens = ctx.saved_tensors[3];
                // dz[m] = g[b_m] . W_dec[n_m]; dW_dec[n] = sum over n's entries of z[m] g[b_m].
                var dValues = GatherDot(g_BD, tokens, w, latents).to(values.dtype);
                var dW = ScatterRows(latents, tokens, values.to(w.dtype), g_BD, w.size(0));
                return new Tensor?[] { dValues, dW };
            });
    }

    /// <summary>
    /// G[n] = sum over entries m with latent n of weights[m] X[token m]: [N, D]. Entries are grouped by latent
    /// with a stable sort (deterministic summation order), then summed with one embedding bag per latent.
    /// Latents without entries get zero rows. Cost O(M D + M log M).
    /// </summary>
    public static Tensor ScatterRows(Tensor latents_M, Tensor tokens_M, Tensor weights_M, Tensor X_BD, long numLatents)
    {
        using var scope = NewDisposeScope();
        var (_, order) = latents_M.sort(stable: true);
        var counts = latents_M.bincount(minlength: numLatents);
        var offsets = counts.cumsum(0) - counts;
        var result = nn.functional.embedding_bag(tokens_M.index_select(0, order), X_BD.contiguous(), offsets, "sum",
            weights_M.index_select(0, order));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>r[m] = X[token m] . W[latent m]: [M], computed in chunks of entries.</summary>
    public static Tensor GatherDot(Tensor X_BD, Tensor tokens_M, Tensor W_ND, Tensor latents_M)
    {
        var m = tokens_M.size(0);
        if (m <= GatherChunk)
        {
            using var s = NewDisposeScope();
            return (X_BD.index_select(0, tokens_M) * W_ND.index_select(0, latents_M)).sum(1).MoveToOuterDisposeScope();
        }
        var parts = new List<Tensor>();
        for (long start = 0; start < m; start += GatherChunk)
        {
            using var s = NewDisposeScope();
            var len = Math.Min(GatherChunk, m - start);
            var t = tokens_M.narrow(0, start, len);
            var l = latents_M.narrow(0, start, len);
            parts.Add((X_BD.index_select(0, t) * W_ND.index_select(0, l)).sum(1).MoveToOuterDisposeScope());
        }
        var result = cat(parts);
        foreach (var p in parts) p.Dispose();
        return result;
    }
}
