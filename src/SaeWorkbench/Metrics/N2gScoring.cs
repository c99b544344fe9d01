using System.Diagnostics;
using SaeWorkbench.Torch;
using static SaeWorkbench.Torch.torch;

namespace SaeWorkbench.Metrics;

/// <summary>
/// How well one latent's N2G explanation predicts where it fires on held-out tokens (TopK paper, section 4,
/// explainability; facts sheet §5). The latent fires where its activation is &gt; <paramref name="Threshold"/>
/// (<see cref="N2gConfig.FiringFractionOfMax"/> times its training maximum; 0 by default); the explanation fires where a
/// pattern matches (prediction &gt; 0).
/// </summary>
/// <param name="LatentId">The latent.</param>
/// <param name="Tokens">Held-out tokens scored.</param>
/// <param name="LatentFires">Tokens where the latent fires.</param>
/// <param name="ExplanationFires">Tokens where the explanation fires.</param>
/// <param name="BothFire">Tokens where both fire.</param>
/// <param name="Threshold">The latent's firing threshold.</param>
public sealed record N2gScore(long LatentId, long Tokens, long LatentFires, long ExplanationFires, long BothFire, float Threshold)
{
    /// <summary>P(latent fires | explanation fires); NaN when the explanation never fires.</summary>
    public double Precision => ExplanationFires == 0 ? double.NaN : (double)BothFire / ExplanationFires;

    /// <summary>P(explanation fires | latent fires); NaN when the latent never fires.</summary>
    public double Recall => LatentFires == 0 ? double.NaN : (double)BothFire / LatentFires;

    /// <summary>The harmonic mean of precision and recall (NaN when either is; 0 when both are 0).</summary>
    public double F1 => double.IsNaN(Precision) || double.IsNaN(Recall) ? double.NaN
        : Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>Precision and recall of many latents' explanations on held-out tokens.</summary>
/// <param name="Latents">One score per explanation, in order.</param>
/// <param name="Calls">The activation-function calls of the held-out pass.</param>
/// <param name="Time">Wall time of the pass (activation function and simulation).</param>
public sealed record N2gScoreReport(IReadOnlyList<N2gScore> Latents, N2gCallStats Calls, TimeSpan Time)
{
    /// <summary>Mean precision over the latents where it is defined (NaN if none).</summary>
    public double MeanPrecision => MeanDefined(Latents.Select(s => s.Precision));

    /// <summary>Mean recall over the latents where it is defined (NaN if none).</summary>
    public double MeanRecall => MeanDefined(Latents.Select(s => s.Recall));

    private static double MeanDefined(IEnumerable<double> xs)
    {
        var defined = xs.Where(x => !double.IsNaN(x)).ToList();
        return defined.Count == 0 ? double.NaN : defined.Average();
    }
}

/// <summary>
/// Scores N2G explanations against the latents they explain: precision and recall on held-out tokens
/// (<see cref="Score"/>) and the least-squares scale of explanation reconstruction on training tokens
/// (<see cref="FitExplanationScale"/>). Both stream the sequences through the activation function in calls bounded
/// by <see cref="N2gConfig.MaxSequencesPerCall"/> and <see cref="N2gConfig.MaxActivationsPerCall"/>, each asking for
/// as many latents as fit, and simulate the same batch with <see cref="N2gSimulation"/>.
/// </summary>
public sealed class N2gScoring
{
    private readonly ILatentActivationFunction _function;

    public N2gScoring(ILatentActivationFunction function, N2gConfig config)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _function = function;
        Config = config;
    }

    public N2gConfig Config { get; }

    /// <summary>Precision, recall and counts of each explanation on <paramref name="heldOutTokens_NT"/> (int64 [N, T]), which
    /// should not overlap the training sequences.</summary>
    public N2gScoreReport Score(IReadOnlyList<N2gExplanation> explanations, Tensor heldOutTokens_NT)
    {
        var sw = Stopwatch.StartNew();
        var l = explanations.Count;
        var (latentFires, explFires, both) = (new long[l], new long[l], new long[l]);
        var thresholds = explanations.Select(e => (float)(Config.FiringFractionOfMax * e.Stats.MaxActivation)).ToArray();
        var calls = ForEachBatch(explanations, heldOutTokens_NT, (j0, acts_BTC, pred_BTC) =>
        {
            var c = (int)acts_BTC.size(2);
            var thr_C = tensor(thresholds.AsSpan(j0, c).ToArray());
            var latent = acts_BTC.gt(thr_C);
            var expl = pred_BTC.gt(0);
            var lf = latent.sum([0, 1], dtype: int64).ToArray<long>();
            var ef = expl.sum([0, 1], dtype: int64).ToArray<long>();
            var bf = latent.logical_and(expl).sum([0, 1], dtype: int64).ToArray<long>();
            for (var j = 0; j < c; j++) { latentFires[j0 + j] += lf[j]; explFires[j0 + j] += ef[j]; both[j0 + j] += bf[j]; }
        });
        var tokens = heldOutTokens_NT.size(0) * heldOutTokens_NT.size(1);
        var scores = explanations.Select((e, j) => new N2gScore(e.LatentId, tokens, latentFires[j], explFires[j], both[j], thresholds[j])).ToList();
        return new N2gScoreReport(scores, calls, sw.Elapsed);
    }

    /// <summary>
    /// The explanation-reconstruction scale E[s a] / E[s^2] of each explanation (float32 [L], in order), fitted on
    /// <paramref name="trainTokens_NT"/> (<see cref="ExplanationScale"/>).
    /// </summary>
    public Tensor FitExplanationScale(IReadOnlyList<N2gExplanation> explanations, Tensor trainTokens_NT)
    {
        var l = explanations.Count;
        var (sa, ss) = (new double[l], new double[l]);
        ForEachBatch(explanations, trainTokens_NT, (j0, acts_BTC, pred_BTC) =>
        {
            var c = (int)acts_BTC.size(2);
            using var fit = new ExplanationScale(c);
            fit.Add(pred_BTC, acts_BTC);
            var (psa, pss) = fit.Sums();
            for (var j = 0; j < c; j++) { sa[j0 + j] += psa[j]; ss[j0 + j] += pss[j]; }
        });
        var scale = sa.Select((x, j) => ss[j] == 0 ? 0f : (float)(x / ss[j])).ToArray();
        return tensor(scale);
    }

    /// <summary>Streams sequence batches x latent chunks: actual [b, T, c] and simulated [b, T, c] activations of explanations
    /// [j0, j0 + c), inside a dispose scope per call.</summary>
    private N2gCallStats ForEachBatch(IReadOnlyList<N2gExplanation> explanations, Tensor tokens_NT, Action<int, Tensor, Tensor> body)
    {
        ArgumentNullException.ThrowIfNull(explanations);
        if (explanations.Count == 0) throw new ArgumentException("no explanations given", nameof(explanations));
        N2gExampleSet.CheckTokens(tokens_NT, nameof(tokens_NT));
        var ids = explanations.Select(e => e.LatentId).ToArray();
        N2gExampleSet.CheckLatents(ids, nameof(explanations));
        var counter = new N2gCallCounter(_function);
        var (n, t) = ((int)tokens_NT.size(0), (int)tokens_NT.size(1));
        var l = ids.Length;
        var latPerCall = (int)Math.Min(l, Math.Max(1, Config.MaxActivationsPerCall / t));
        var seqPerCall = (int)Math.Clamp(Config.MaxActivationsPerCall / ((long)t * latPerCall), 1, Config.MaxSequencesPerCall);
        for (var s0 = 0; s0 < n; s0 += seqPerCall)
        {
            var b = Math.Min(seqPerCall, n - s0);
            using var batchScope = NewDisposeScope();
            var batch = tokens_NT.narrow(0, s0, b).to(int64).contiguous();
            var index = new N2gSimulation.TokenIndex(batch.to(int32).ToArray<int>(), b, t);
            counter.Requests += b;
            for (var j0 = 0; j0 < l; j0 += latPerCall)
            {
                var c = Math.Min(latPerCall, l - j0);
                using var scope = NewDisposeScope();
                var acts = counter.Call(batch, ids.AsSpan(j0, c).ToArray());
                var pred = N2gSimulation.Predict(explanations, j0, c, index);
                body(j0, acts, pred);
            }
        }
        return counter.Snapshot();
    }
}
