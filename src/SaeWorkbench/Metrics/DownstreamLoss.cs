using SaeWorkbench.Models;
using SaeWorkbench.Torch;
using static SaeWorkbench.Torch.torch;

namespace SaeWorkbench.Metrics;

/// <summary>
/// Downstream loss (Gao et al. 2024, §4.1; facts sheet §5): the SAE's reconstruction replaces the activation at its hook
/// during the forward pass and the rest of the model runs on it. Reported over every predicted token:
/// <list type="bullet">
/// <item>KL(p_orig || p_recon), per token and averaged (nats);</item>
/// <item>delta loss = CE_recon - CE_orig (next-token cross-entropy, nats);</item>
/// <item>loss recovered = (CE_ablate - CE_recon) / (CE_ablate - CE_orig) against zero ablation of the site and against
///   mean ablation (the site's mean activation over the evaluated tokens, computed in a first pass).</item>
/// </list>
/// Every position of every window is spliced (also position 0); CE counts positions 0..T-2 (each predicts the next
/// token), KL counts all T positions.
/// </summary>
public static class DownstreamLoss
{
    /// <summary>
    /// Evaluates a replacement of the activation at <paramref name="hook"/> on token windows.
    /// </summary>
    /// <param name="model">The language model.</param>
    /// <param name="hook">TransformerLens hook name of the SAE's site, e.g. "blocks.2.hook_resid_post".</param>
    /// <param name="replace">Given the site's activation [B, T, D] and the tokens [B, T], the tensor spliced in instead
    ///   (the SAE reconstruction; for explanation reconstruction, the decode of simulated latents).</param>
    /// <param name="windows">Token windows as int64 [B, T] batches.</param>
    /// <param name="keepPerToken">Keep the per-token KL values (for histograms), [total tokens].</param>
    public static DownstreamLossResult Evaluate(Gpt2 model, string hook, Func<Tensor, Tensor, Tensor> replace, IReadOnlyList<Tensor> windows,
        bool keepPerToken = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(replace);
        if (windows.Count == 0) throw new ArgumentException("no token windows to evaluate", nameof(windows));
        HookPoint.Parse(hook, model.Config.NLayer);
        using var noGrad = no_grad();

        // Pass 1: the site's mean activation over all evaluated positions (for mean ablation).
        Tensor mean_D;
        {
            using var scope = NewDisposeScope();
            Tensor? sum = null;
            long count = 0;
            foreach (var tokens in windows)
            {
                var acts = model.RunToHook(tokens, hook).to(float64);
                var s = acts.reshape(-1, acts.size(-1)).sum(0);
                sum = sum is null ? s : sum + s;
                count += acts.size(0) * acts.size(1);
            }
            mean_D = (sum! / count).MoveToOuterDisposeScope();
        }

        double ceOrig = 0, ceRecon = 0, ceZero = 0, ceMean = 0, klSum = 0;
        long nCe = 0, nKl = 0;
        var perToken = keepPerToken ? new List<float>() : null;
        foreach (var tokens in windows)
        {
            using var scope = NewDisposeScope();
            var orig_BTV = model.Logits(tokens);
            var recon_BTV = model.Logits(tokens, new Hooks().Add(hook, x => replace(x, tokens)));
            var zero_BTV = model.Logits(tokens, new Hooks().Add(hook, x => zeros_like(x)));
            var mean_BTV = model.Logits(tokens, new Hooks().Add(hook, x => mean_D.to(x.dtype).expand_as(x)));
            long b = tokens.size(0), t = tokens.size(1);
            nCe += b * (t - 1);
            ceOrig += Gpt2.NextTokenLoss(orig_BTV, tokens, nn.Reduction.None).to(float64).sum().item<double>();
            ceRecon += Gpt2.NextTokenLoss(recon_BTV, tokens, nn.Reduction.None).to(float64).sum().item<double>();
            ceZero += Gpt2.NextTokenLoss(zero_BTV, tokens, nn.Reduction.None).to(float64).sum().item<double>();
            ceMean += Gpt2.NextTokenLoss(mean_BTV, tokens, nn.Reduction.None).to(float64).sum().item<double>();
            var kl_BT = KlPerToken(orig_BTV, recon_BTV);
            klSum += kl_BT.to(float64).sum().item<double>();
            nKl += b * t;
            if (perToken is not null) perToken.AddRange(kl_BT.reshape(-1).to(float32).ToArray<float>());
        }
        mean_D.Dispose();
        ceOrig /= nCe;
        ceRecon /= nCe;
        ceZero /= nCe;
        ceMean /= nCe;
        return new DownstreamLossResult(
            Tokens: nCe, CeOriginal: ceOrig, CeReconstructed: ceRecon, DeltaLoss: ceRecon - ceOrig, KlMean: klSum / nKl,
            CeZeroAblation: ceZero, CeMeanAblation: ceMean,
            LossRecoveredZero: LossRecovered(ceOrig, ceRecon, ceZero), LossRecoveredMean: LossRecovered(ceOrig, ceRecon, ceMean),
            KlPerToken: perToken?.ToArray());
    }

    /// <summary>KL(p || q) per position of logits [B, T, V] (p from <paramref name="p_BTV"/>, q from <paramref name="q_BTV"/>), [B, T], nats.</summary>
    public static Tensor KlPerToken(Tensor p_BTV, Tensor q_BTV)
    {
        using var scope = NewDisposeScope();
        var logp = p_BTV.log_softmax(-1);
        var logq = q_BTV.log_softmax(-1);
        return (logp.exp() * (logp - logq)).sum(-1).MoveToOuterDisposeScope();
    }

    /// <summary>(CE_ablate - CE_recon) / (CE_ablate - CE_orig): 1 for a perfect splice, 0 for one as bad as the ablation.</summary>
    public static double LossRecovered(double ceOrig, double ceRecon, double ceAblate) => (ceAblate - ceRecon) / (ceAblate - ceOrig);
}

/// <summary>What <see cref="DownstreamLoss.Evaluate"/> measured.</summary>
/// <param name="Tokens">Predicted tokens counted in the cross-entropies.</param>
/// <param name="CeOriginal">Next-token cross-entropy of the unmodified model (nats).</param>
/// <param name="CeReconstructed">The same with the replacement spliced in.</param>
/// <param name="DeltaLoss">CeReconstructed - CeOriginal (the paper's downstream loss).</param>
/// <param name="KlMean">Mean KL(p_orig || p_recon) per token (nats).</param>
/// <param name="CeZeroAblation">Cross-entropy with the site set to zero.</param>
/// <param name="CeMeanAblation">Cross-entropy with the site set to its mean activation.</param>
/// <param name="LossRecoveredZero">Loss recovered against zero ablation.</param>
/// <param name="LossRecoveredMean">Loss recovered against mean ablation.</param>
/// <param name="KlPerToken">Per-token KL, when asked for.</param>
public sealed record DownstreamLossResult(long Tokens, double CeOriginal, double CeReconstructed, double DeltaLoss, double KlMean,
    double CeZeroAblation, double CeMeanAblation, double LossRecoveredZero, double LossRecoveredMean, float[]? KlPerToken);
