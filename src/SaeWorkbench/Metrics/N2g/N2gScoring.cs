using System.Diagnostics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// How well one latent's N2G explanation predicts where it fires on held-out tokens (Gao et al. 2024, §4.3,
/// explainability). The latent fires where its activation is &gt; <paramref name="Threshold"/>
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
/// as many latents as fit, and simulate the same batch with <see cref="N2gSimulation"/>, keeping only the nonzero
/// predictions (an explanation fires on few tokens), so no dense [B, T, L] simulation is formed.
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
        var calls = ForEachBatch(explanations, heldOutTokens_NT, (j0, c, acts_BTC, predicted) =>
        {
            // Latent firings: one scan of the nonzero activations.
            var rows = acts_BTC.Length / c;
            for (var r = 0; r < rows; r++)
            {
                var row = acts_BTC.AsSpan(r * c, c);
                var bits = MemoryMarshal.Cast<float, int>(row);
                for (var j = NextNonzero(bits, 0); j >= 0; j = NextNonzero(bits, j + 1))
                    if (row[j] > thresholds[j0 + j]) latentFires[j0 + j]++;
            }
            // Explanation firings (every prediction is > 0) and the tokens where both fire.
            Parallel.For(0, c, j =>
            {
                var (positions, _) = predicted[j];
                var bothHere = 0L;
                foreach (var p in positions) if (acts_BTC[(long)p * c + j] > thresholds[j0 + j]) bothHere++;
                explFires[j0 + j] += positions.Count;
                both[j0 + j] += bothHere;
            });
        });
        var tokens = heldOutTokens_NT.size(0) * heldOutTokens_NT.size(1);
        var scores = explanations.Select((e, j) => new N2gScore(e.LatentId, tokens, latentFires[j], explFires[j], both[j], thresholds[j])).ToList();
        return new N2gScoreReport(scores, calls, sw.Elapsed);
    }

    /// <summary>
    /// The explanation-reconstruction scale E[s a] / E[s^2] of each explanation (float32 [L], in order), fitted on
    /// <paramref name="trainTokens_NT"/> (the rule of <see cref="ExplanationScale"/>; the sums run over the tokens where
    /// the simulation s is nonzero, the only ones that contribute).
    /// </summary>
    public Tensor FitExplanationScale(IReadOnlyList<N2gExplanation> explanations, Tensor trainTokens_NT)
    {
        var l = explanations.Count;
        var (sa, ss) = (new double[l], new double[l]);
        ForEachBatch(explanations, trainTokens_NT, (j0, c, acts_BTC, predicted) =>
            Parallel.For(0, c, j =>
            {
                var (positions, values) = predicted[j];
                for (var k = 0; k < positions.Count; k++)
                {
                    double s = values[k], a = acts_BTC[(long)positions[k] * c + j];
                    sa[j0 + j] += s * a;
                    ss[j0 + j] += s * s;
                }
            }));
        return ExplanationScale.FromSums(sa, ss);
    }

    /// <summary>
    /// Streams sequence batches x latent chunks: for explanations [j0, j0 + c), the actual activations [b, T, c] (flat, row
    /// major) and each explanation's nonzero predictions (flat positions b * T + t, values).
    /// </summary>
    private N2gCallStats ForEachBatch(IReadOnlyList<N2gExplanation> explanations, Tensor tokens_NT,
        Action<int, int, float[], (List<int> Positions, List<float> Values)[]> body)
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
        var buffer = new float[(long)Math.Min(seqPerCall, n) * t * latPerCall];
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
                var acts = b * t * c == buffer.Length ? buffer : new float[b * t * c];
                using (NewDisposeScope()) counter.Call(batch, ids.AsSpan(j0, c).ToArray()).contiguous().CopyTo<float>(acts);
                var predicted = new (List<int>, List<float>)[c];
                Parallel.For(0, c, j =>
                {
                    var (positions, values) = (new List<int>(), new List<float>());
                    N2gSimulation.PredictNonzero(explanations[j0 + j].Trie, index, positions, values);
                    predicted[j] = (positions, values);
                });
                body(j0, c, acts, predicted);
            }
        }
        return counter.Snapshot();
    }

    private static int NextNonzero(ReadOnlySpan<int> bits, int from)
    {
        if (from >= bits.Length) return -1;
        var k = bits[from..].IndexOfAnyExcept(0);
        return k < 0 ? -1 : from + k;
    }
}
