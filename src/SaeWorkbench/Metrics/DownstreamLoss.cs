using SaeWorkbench.Models;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>
/// Downstream loss (Gao et al. 2024, §4.1): the SAE's reconstruction replaces the activation at its hook
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
    /// What every splice at <paramref name="hook"/> on <paramref name="windows"/> is compared with, computed once: the
    /// site's mean activation (for mean ablation) and the cross-entropies of the unmodified model and of zero and mean
    /// ablation. Pass it to <see cref="Evaluate"/> when scoring several SAEs on the same windows so that these passes are
    /// not repeated per SAE.
    /// </summary>
    public static DownstreamLossBaseline Baseline(Gpt2 model, HookPoint hook, IReadOnlyList<Tensor> windows)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (windows.Count == 0) throw new ArgumentException("no token windows to evaluate", nameof(windows));
        hook.CheckFor(model.Config.NLayer);
        using var noGrad = no_grad();

        // Pass 1: the site's mean activation over all evaluated positions.
        Tensor mean_D;
        {
            using var scope = NewDisposeScope();
            Tensor? sum = null;
            long count = 0;
            foreach (var tokens in windows)
            {
                var acts = model.RunToHook(tokens, hook).to(float64);
                var s = acts.reshape(-1, acts.size(-1)).sum(0L);
                sum = sum is null ? s : sum + s;
                count += acts.size(0) * acts.size(1);
            }
            mean_D = (sum! / count).MoveToOuterDisposeScope().DetachFromDisposeScope();
        }

        // Pass 2: the unmodified model and the two ablations.
        double ceOrig = 0, ceZero = 0, ceMean = 0;
        long nCe = 0;
        foreach (var tokens in windows)
        {
            using var scope = NewDisposeScope();
            nCe += tokens.size(0) * (tokens.size(1) - 1);
            ceOrig += CeSum(model.Logits(tokens), tokens);
            ceZero += CeSum(model.Logits(tokens, new Hooks().Add(hook, x => zeros_like(x))), tokens);
            ceMean += CeSum(model.Logits(tokens, new Hooks().Add(hook, x => mean_D.to(x.dtype).expand_as(x))), tokens);
        }
        return new DownstreamLossBaseline(hook, windows, mean_D, nCe, ceOrig / nCe, ceZero / nCe, ceMean / nCe);
    }

    /// <summary>
    /// Evaluates a replacement of the activation at <paramref name="hook"/> on token windows.
    /// </summary>
    /// <param name="model">The language model.</param>
    /// <param name="hook">The SAE's site, e.g. blocks.2.hook_resid_post (<see cref="HookPoint.Parse(string, int)"/>).</param>
    /// <param name="replace">Given the site's activation [B, T, D] and the tokens [B, T], the tensor spliced in instead
    ///   (the SAE reconstruction; for explanation reconstruction, the decode of simulated latents).</param>
    /// <param name="windows">Token windows as int64 [B, T] batches.</param>
    /// <param name="keepPerToken">Keep the per-token KL values (for histograms), [total tokens].</param>
    /// <param name="baseline">The <see cref="Baseline"/> of the same hook and windows, when several replacements are scored
    ///   on them (computed here, and disposed, when null).</param>
    public static DownstreamLossResult Evaluate(Gpt2 model, HookPoint hook, Func<Tensor, Tensor, Tensor> replace, IReadOnlyList<Tensor> windows,
        bool keepPerToken = false, DownstreamLossBaseline? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(replace);
        if (baseline is not null && (baseline.Hook != hook || !ReferenceEquals(baseline.Windows, windows)))
            throw new ArgumentException($"the baseline was computed for '{baseline.Hook}' on another list of windows; compute it with " +
                                        "DownstreamLoss.Baseline for this hook and these windows", nameof(baseline));
        var own = baseline is null ? Baseline(model, hook, windows) : null;
        var b = baseline ?? own!;
        try
        {
            using var noGrad = no_grad();
            double ceRecon = 0, klSum = 0;
            long nKl = 0;
            var perToken = keepPerToken ? new List<float>() : null;
            foreach (var tokens in windows)
            {
                using var scope = NewDisposeScope();
                var orig_BTV = model.Logits(tokens);
                var recon_BTV = model.Logits(tokens, new Hooks().Add(hook, x => replace(x, tokens)));
                ceRecon += CeSum(recon_BTV, tokens);
                var kl_BT = KlPerToken(orig_BTV, recon_BTV);
                klSum += kl_BT.to(float64).sum().ToDouble();
                nKl += tokens.size(0) * tokens.size(1);
                if (perToken is not null) perToken.AddRange(kl_BT.reshape(-1).to(float32).ToArray<float>());
            }
            ceRecon /= b.Tokens;
            return new DownstreamLossResult(
                Tokens: b.Tokens, CeOriginal: b.CeOriginal, CeReconstructed: ceRecon, DeltaLoss: ceRecon - b.CeOriginal, KlMean: klSum / nKl,
                CeZeroAblation: b.CeZeroAblation, CeMeanAblation: b.CeMeanAblation,
                LossRecoveredZero: LossRecovered(b.CeOriginal, ceRecon, b.CeZeroAblation),
                LossRecoveredMean: LossRecovered(b.CeOriginal, ceRecon, b.CeMeanAblation),
                KlPerToken: perToken?.ToArray());
        }
        finally
        {
            own?.Dispose();
        }
    }

    /// <summary>Summed next-token cross-entropy of logits [B, T, V] against tokens [B, T] (nats).</summary>
    private static double CeSum(Tensor logits_BTV, Tensor tokens_BT) =>
        Gpt2.NextTokenLoss(logits_BTV, tokens_BT, nn.Reduction.None).to(float64).sum().ToDouble();

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

/// <summary>
/// The reference numbers of <see cref="DownstreamLoss.Evaluate"/> for one hook and one list of windows
/// (<see cref="DownstreamLoss.Baseline"/>): shared by every replacement scored on them.
/// </summary>
/// <param name="Hook">The site.</param>
/// <param name="Windows">The token batches it was computed on (the same list must be evaluated).</param>
/// <param name="Mean_D">The site's mean activation over every evaluated position, float64 [D].</param>
/// <param name="Tokens">Predicted tokens counted in the cross-entropies.</param>
/// <param name="CeOriginal">Cross-entropy of the unmodified model.</param>
/// <param name="CeZeroAblation">Cross-entropy with the site set to zero.</param>
/// <param name="CeMeanAblation">Cross-entropy with the site set to <paramref name="Mean_D"/>.</param>
public sealed record DownstreamLossBaseline(HookPoint Hook, IReadOnlyList<Tensor> Windows, Tensor Mean_D, long Tokens,
    double CeOriginal, double CeZeroAblation, double CeMeanAblation) : IDisposable
{
    public void Dispose() => Mean_D.Dispose();
}
