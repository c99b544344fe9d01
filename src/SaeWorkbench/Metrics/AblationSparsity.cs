using SaeWorkbench.Models;
using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>Settings of <see cref="AblationSparsity"/>.</summary>
public sealed record AblationSparsityConfig
{
    /// <summary>T, the positions whose logits are recorded: the ablated position and the next T - 1 (16 by default; the
    /// paper's text does not state T), >= 1.</summary>
    public int Positions { get; init; } = 16;

    /// <summary>How many (window, position) sites to sample, >= 1.</summary>
    public int Sites { get; init; } = 32;

    /// <summary>Seed of the site sample.</summary>
    public ulong Seed { get; init; } = 0;

    public void Validate()
    {
        if (Positions < 1) throw new ArgumentOutOfRangeException(nameof(Positions), Positions, "AblationSparsityConfig.Positions must be >= 1");
        if (Sites < 1) throw new ArgumentOutOfRangeException(nameof(Sites), Sites, "AblationSparsityConfig.Sites must be >= 1");
    }
}

/// <summary>
/// Sparsity of ablation effects (Gao et al. 2024, §4.5). At a token position, each active latent in turn is
/// zeroed, the code decoded and spliced in at that position only, and the V logit differences (against the unablated
/// reconstruction spliced at the same position) recorded at that position and the next T - 1. Each position's V
/// differences have their median subtracted (a constant shift changes no probability); the V*T vector's (L1/L2)^2 is the
/// effective number of affected logits, reported raw and as a fraction of V*T. Lower is sparser. The latents of one site
/// run as one batch (one sequence per active latent).
/// </summary>
public static class AblationSparsity
{
    /// <summary>(L1/L2)^2 of the median-centred differences diff [T, V] (0 when nothing changes).</summary>
    public static double EffectiveCount(Tensor diff_TV)
    {
        using var scope = NewDisposeScope();
        var d = diff_TV.to(float64);
        if (d.dim() != 2) throw new ArgumentException($"diff_TV must be [T, V], got {diff_TV.ShapeString}", nameof(diff_TV));
        var centred = d - d.LowerMedian(1).unsqueeze(1);
        var l1 = centred.abs().sum().ToDouble();
        var l2sq = centred.pow(2).sum().ToDouble();
        return l2sq == 0 ? 0 : l1 * l1 / l2sq;
    }

    /// <summary>Effective counts of a batch of differences [L, T, V] -> [L] (0 where nothing changes).</summary>
    public static Tensor EffectiveCounts(Tensor diff_LTV)
    {
        using var scope = NewDisposeScope();
        var d = diff_LTV.to(float64);
        var centred = d - d.LowerMedian(2).unsqueeze(2);
        var l1 = centred.abs().sum(new long[] { 1, 2 });
        var l2sq = centred.pow(2).sum(new long[] { 1, 2 });
        return where(l2sq.eq(0), zeros_like(l1), l1.pow(2) / l2sq.clamp_min(double.Epsilon)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Samples <see cref="AblationSparsityConfig.Sites"/> positions from <paramref name="windows"/> (each [1, T_ctx] or
    /// [B, T_ctx] int64) and measures every active latent's ablation effect there.
    /// </summary>
    public static AblationSparsityResult Evaluate(Gpt2 model, HookPoint hook, SparseAutoencoder sae, IReadOnlyList<Tensor> windows, AblationSparsityConfig? config = null)
    {
        config ??= new AblationSparsityConfig();
        config.Validate();
        if (windows.Count == 0) throw new ArgumentException("no token windows", nameof(windows));
        var ctx = windows[0].size(1);
        if (config.Positions > ctx) throw new ArgumentOutOfRangeException(nameof(config), config.Positions, $"AblationSparsityConfig.Positions exceeds the window length {ctx}");
        var v = model.Config.VocabSize;
        var counts = new List<double>();
        var perSiteL0 = new List<int>();
        using var noGrad = no_grad();
        var rows = windows.SelectMany(w => Enumerable.Range(0, (int)w.size(0)).Select(i => (w, i))).ToList();
        // Distinct sites (row, position), drawn without replacement with the seed.
        var perRow = ctx - config.Positions + 1;
        long[] picks;
        using (var gen = new Generator(config.Seed))
        using (var perm = randperm(rows.Count * perRow, generator: gen))
            picks = perm.narrow(0, 0, Math.Min(config.Sites, rows.Count * perRow)).ToArray<long>();
        foreach (var pick in picks)
        {
            using var scope = NewDisposeScope();
            var (w, i) = rows[(int)(pick / perRow)];
            var p = pick % perRow;
            var tokens_1T = w.narrow(0, i, 1);
            var acts_1TD = model.RunToHook(tokens_1T, hook);
            var x_1D = acts_1TD[0].narrow(0, p, 1);
            var (xn, state) = sae.Normalize(x_1D);
            var z_1N = sae.Encode(x_1D);
            var active = z_1N[0].nonzero().reshape(-1);                      // [L]
            var l = active.size(0);
            perSiteL0.Add((int)l);
            if (l == 0) continue;
            // Row 0: the unablated code; row j + 1: latent active[j] zeroed.
            var codes_RN = z_1N.expand(l + 1, z_1N.size(1)).clone();
            codes_RN.index_put_(zeros(new[] { l }, codes_RN.dtype), new[] { arange(1, l + 1), active });
            var spliced_RD = InputNormalizer.Undo(sae.Decode(codes_RN), new NormalizationState(
                state.Scale?.expand(l + 1, state.Scale.size(1)), state.Shift?.expand(l + 1, state.Shift.size(1))));
            var batch_RT = tokens_1T.expand(l + 1, ctx);
            var logits_RTV = model.Logits(batch_RT, new Hooks().Add(hook, a =>
            {
                var r = a.clone();
                r.select(1, p).copy_(spliced_RD.to(a.dtype));
                return r;
            }));
            var window_RTV = logits_RTV.narrow(1, p, config.Positions);
            var diff_LTV = window_RTV.narrow(0, 1, l) - window_RTV.narrow(0, 0, 1);
            counts.AddRange(EffectiveCounts(diff_LTV).ToArray<double>());
        }
        var vt = (double)v * config.Positions;
        var mean = counts.Count == 0 ? double.NaN : counts.Average();
        return new AblationSparsityResult(counts.ToArray(), mean, mean / vt, v, config.Positions, perSiteL0.ToArray());
    }
}

/// <summary>What <see cref="AblationSparsity.Evaluate"/> measured.</summary>
/// <param name="EffectiveCounts">(L1/L2)^2 per ablated (site, latent).</param>
/// <param name="MeanEffectiveCount">Their mean.</param>
/// <param name="MeanFractionOfVT">The mean as a fraction of V*T (the paper's figure plots this).</param>
/// <param name="Vocab">V.</param>
/// <param name="Positions">T.</param>
/// <param name="ActivePerSite">L0 at each sampled site.</param>
public sealed record AblationSparsityResult(double[] EffectiveCounts, double MeanEffectiveCount, double MeanFractionOfVT, long Vocab, int Positions, int[] ActivePerSite);
