using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// Sparse TopK compute (Gao et al. 2024, §2.3: the decoder and the encoder's backward only
/// need the k active latents per token). Two autograd functions with hand-written
/// backward passes, forward and backward side by side:
/// <list type="bullet">
/// <item><see cref="EncoderEntries"/>: the pre-activations at a code's entries,
///   pre[b, n] = (x_b - b_pre) . W_enc[n] + b_enc[n], as the selection found them in the one dense encoder GEMM
///   (the floor of a step); the backward forms the encoder gradients
///   from the M entries only: dW_enc[n] = sum_{entries at n} g x_b, db_enc[n] = sum g,
///   db_pre = -(db_enc @ W_enc) (as the released code does). Never a [B, N] gradient, never a second GEMM.</item>
/// <item><see cref="Decode"/>: x_hat_b = sum_{entries at b} z W_dec[n] (sparse x dense), and
///   its backward dz = g_b . W_dec[n], dW_dec[n] = sum_{entries at n} z g_b (<see cref="SparseKernels.DecodeBackwardCoo"/>:
///   one pass by latent, each decoder row read once).</item>
/// </list>
/// Cost of each: O(M d) with M = B k, against O(B n d) for the dense form. The gathers and scatters are the native
/// kernels <see cref="SparseKernels.SpmmCoo"/>, <see cref="SparseKernels.DecodeBackwardCoo"/> and <see cref="SparseKernels.EncoderGradient"/> (parallel, deterministic); the selection is
/// <see cref="SparseKernels.TopKOfSum"/> (top k of xW^T + b_enc without a bias pass over [B, N]). Checked against dense
/// autograd in the tests (SparseComputeTests). Shapes: B tokens, D = d_in, N latents, M entries.
/// </summary>
/// <remarks>
/// Gradient lifetimes: libtorch runs a CPU backward on the thread that called <c>backward()</c>, so the backward passes
/// below hand their results to that thread's dispose scope (MoveToOuterDisposeScope) rather than to the garbage
/// collector: the [N, D] gradients (100 MB each at n = 32768, d = 768) are then released when the training step's scope
/// ends (libtorch keeps its own reference in <c>.grad</c>), instead of piling up until a finalizer runs, which made
/// every step allocate, and page-fault, fresh gradient memory.
/// </remarks>
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
        return EncoderEntriesFunction.apply(W_enc_ND, b_enc_N, b_pre_D!, new EncoderEntriesData(values, xc_BD, codes)).ToArray();
    }

    /// <summary>What <see cref="EncoderEntriesFunction"/> takes besides its differentiable inputs.</summary>
    private sealed record EncoderEntriesData(IReadOnlyList<Tensor> Values, Tensor Xc_BD, IReadOnlyList<SparseCode> Codes);

    /// <summary>The encoder entries as a TorchSharp autograd function; inputs W_enc [N, D], b_enc [N], b_pre [D] or null.</summary>
    private sealed class EncoderEntriesFunction : autograd.MultiTensorFunction<EncoderEntriesFunction>
    {
        public override string Name => "SparseEncoderEntries";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var w = (Tensor)vars[0];
            var data = (EncoderEntriesData)vars[3];
            // The codes are saved too, so that backward works after the caller's dispose scope released its handles.
            var saved = new List<Tensor> { data.Xc_BD, w };
            foreach (var c in data.Codes) { saved.Add(c.Latents_M); saved.Add(c.Tokens_M); }
            ctx.save_for_backward(saved);
            ctx.save_data("codes", data.Codes.Count);
            ctx.save_data("has_b_pre", vars[2] is Tensor);
            return data.Values.Select(v => v.detach().clone()).ToList();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grads)
        {
            var saved = ctx.get_saved_variables();
            var codes = (int)ctx.get_data("codes");
            var hasBPre = (bool)ctx.get_data("has_b_pre");
            using var scope = NewDisposeScope();
            var xc = saved[0];
            var w = saved[1];
            var n = w.size(0);
            var latents = codes == 1 ? saved[2] : cat(Enumerable.Range(0, codes).Select(c => saved[2 + 2 * c]).ToList(), 0);
            var tokens = codes == 1 ? saved[3] : cat(Enumerable.Range(0, codes).Select(c => saved[3 + 2 * c]).ToList(), 0);
            var g = (codes == 1 ? grads[0] : cat(grads, 0)).to(w.dtype);
            var (dW, gN) = SparseKernels.EncoderGradient(latents, tokens, g.contiguous(), xc, n);   // dW_enc, db_enc = g_N
            var dPre = hasBPre ? gN.unsqueeze(0).mm(w).squeeze(0).neg() : null;            // db_pre = -(g_N @ W_enc)
            return [dW.MoveToOuterDisposeScope(), gN.MoveToOuterDisposeScope(), dPre?.MoveToOuterDisposeScope()!, null!];
        }
    }

    /// <summary>
    /// x_hat[b] = sum over b's entries of values[m] W_dec[latent m]: [B, D], differentiable with respect to
    /// <paramref name="values_M"/> and <paramref name="W_dec_ND"/>. No decoder bias is added.
    /// </summary>
    public static Tensor Decode(Tensor values_M, Tensor W_dec_ND, SparseCode code) => DecodeFunction.apply(values_M, W_dec_ND, code);

    /// <summary>The sparse decode as a TorchSharp autograd function: forward (SpMM) and backward side by side.</summary>
    private sealed class DecodeFunction : autograd.SingleTensorFunction<DecodeFunction>
    {
        public override string Name => "SparseDecode";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (values, w, code) = ((Tensor)vars[0], (Tensor)vars[1], (SparseCode)vars[2]);
            ctx.save_for_backward([values, w, code.Latents_M, code.Tokens_M]);
            using var scope = NewDisposeScope();
            return SparseKernels.SpmmCoo(code.Tokens_M, code.Latents_M, values.to(w.dtype), w, code.NumTokens).MoveToOuterDisposeScope();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor g_BD)
        {
            var saved = ctx.get_saved_variables();
            var (values, w, latents, tokens) = (saved[0], saved[1], saved[2], saved[3]);
            using var scope = NewDisposeScope();
            // dz[m] = g[b_m] . W_dec[n_m]; dW_dec[n] = sum over n's entries of z[m] g[b_m] (one pass by latent).
            var (dValues, dW) = SparseKernels.DecodeBackwardCoo(tokens, latents, values.to(w.dtype), g_BD.to(w.dtype), w);
            return [dValues.to(values.dtype).MoveToOuterDisposeScope(), dW.MoveToOuterDisposeScope(), null!];
        }
    }
}
