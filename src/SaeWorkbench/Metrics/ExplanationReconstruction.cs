using SaeWorkbench.Models;
using SaeWorkbench.Saes;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>What <see cref="ExplanationReconstruction.Evaluate"/> measured: the same downstream loss for the SAE itself and
/// for its latents replaced by their scaled simulations (ablation baselines included in both).</summary>
/// <param name="Sae">Downstream loss with the SAE's reconstruction spliced in.</param>
/// <param name="Explanations">Downstream loss with the decode of the scaled simulations spliced in.</param>
/// <param name="SimulatedLatents">How many latents were simulated (the others are zero, or kept, per the options).</param>
public sealed record ExplanationReconstructionResult(DownstreamLossResult Sae, DownstreamLossResult Explanations, int SimulatedLatents);

/// <summary>
/// Explanation reconstruction (Gao et al. 2024, §4.4): each latent a_i is replaced by its explanation's
/// simulation s_i (e.g. N2G's prediction) scaled by E[s a] / E[s^2] (the least-squares scale, fitted on training tokens
/// with <see cref="ExplanationScale"/>), the code is decoded (normalisation undone) and spliced in at the SAE's hook, and
/// the downstream loss is compared with the SAE's own and with ablating the site. It rewards recall more for densely
/// firing latents: a missed firing of a frequent latent costs much reconstruction.
/// </summary>
public static class ExplanationReconstruction
{
    /// <summary>
    /// Evaluates the simulation of <paramref name="latentIds"/> on <paramref name="windows"/>.
    /// </summary>
    /// <param name="model">The language model.</param>
    /// <param name="hook">The SAE's site.</param>
    /// <param name="sae">The SAE whose latents are explained.</param>
    /// <param name="simulate">tokens [B, T] -&gt; simulated activations [B, T, L] of the latents, in the order of <paramref name="latentIds"/>
    ///   (for N2G: <c>t =&gt; N2gSimulation.Predict(explanations, t)</c>).</param>
    /// <param name="latentIds">The simulated latents, [L].</param>
    /// <param name="scale_L">E[s a] / E[s^2] per simulated latent, [L].</param>
    /// <param name="windows">int64 [B, T] token batches.</param>
    /// <param name="keepUnsimulated">Unsimulated latents keep their true values (true) or are zeroed (false, the paper's
    ///   setting when every latent is explained).</param>
    /// <param name="baseline">The <see cref="DownstreamLoss.Baseline"/> of this hook and these windows, shared with other
    ///   evaluations on them (computed here when null).</param>
    public static ExplanationReconstructionResult Evaluate(Gpt2 model, HookPoint hook, SparseAutoencoder sae, Func<Tensor, Tensor> simulate,
        long[] latentIds, Tensor scale_L, IReadOnlyList<Tensor> windows, bool keepUnsimulated = false, DownstreamLossBaseline? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(simulate);
        if (scale_L.dim() != 1 || scale_L.size(0) != latentIds.Length)
            throw new ArgumentException($"scale_L must be [{latentIds.Length}] (one per simulated latent), got {scale_L.ShapeString}", nameof(scale_L));
        if (latentIds.Any(i => i < 0 || i >= sae.NumLatents) || latentIds.Distinct().Count() != latentIds.Length)
            throw new ArgumentException($"latentIds must be distinct latents in [0, {sae.NumLatents})", nameof(latentIds));
        var d = sae.DIn;
        using var own = baseline is null ? DownstreamLoss.Baseline(model, hook, windows) : null;
        baseline ??= own!;
        var saeResult = DownstreamLoss.Evaluate(model, hook, (x, _) => sae.Reconstruct(x.reshape(-1, d)).view(x.shape), windows, baseline: baseline);
        using var ids = tensor(latentIds);
        var explained = DownstreamLoss.Evaluate(model, hook, (x_BTD, tokens_BT) =>
        {
            using var scope = NewDisposeScope();
            var x_MD = x_BTD.reshape(-1, d);
            var (_, state) = sae.Normalize(x_MD);
            var s_BTL = simulate(tokens_BT);
            var expected = new[] { tokens_BT.size(0), tokens_BT.size(1), (long)latentIds.Length };
            if (!s_BTL.shape.SequenceEqual(expected))
                throw new ArgumentException($"simulate returned {s_BTL.ShapeString}; expected [{string.Join(", ", expected)}] (B, T, one column per latent id)");
            var values_ML = s_BTL.reshape(-1, latentIds.Length).to(x_MD.dtype) * scale_L.to(x_MD.dtype);
            var latents_MN = keepUnsimulated ? sae.Encode(x_MD) : zeros(new[] { x_MD.size(0), sae.NumLatents }, x_MD.dtype);
            latents_MN[TensorIndex.Colon, TensorIndex.Tensor(ids)] = values_ML;
            return InputNormalizer.Undo(sae.Decode(latents_MN), state).view(x_BTD.shape).MoveToOuterDisposeScope();
        }, windows, baseline: baseline);
        return new ExplanationReconstructionResult(saeResult, explained, latentIds.Length);
    }
}
