using System.Diagnostics;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// Builds N2G explanations in the simplified variant of the TopK paper's code (Gao et al. 2024, §4.3,
/// explainability; N2G is Foote et al. 2023), for many latents at once:
/// <list type="number">
/// <item>take each latent's top and random activating examples on the training sequences (<see cref="N2gExampleSet"/>);</item>
/// <item>truncate after the selected token and keep the shortest suffix whose activation at its last token is
/// &gt;= <see cref="N2gConfig.MinimalSuffixFraction"/> (0.5) of the original;</item>
/// <item>prepend the pad token: if the activation falls below <see cref="N2gConfig.StartAnchorFraction"/> (0.5) of the
/// original, the start of the sequence matters and the pattern gets the "^" anchor;</item>
/// <item>saliency of each suffix position = 1 - act(position replaced by the pad token) / act(suffix); positions below
/// <see cref="N2gConfig.SaliencyThreshold"/> (0.5) become one-token wildcards;</item>
/// <item>insert each pattern reversed into the latent's <see cref="N2gTrie"/>, the leaf storing the suffix activation.</item>
/// </list>
/// </summary>
/// <remarks>
/// Batching. Latents are taken <see cref="N2gConfig.LatentsPerChunk"/> at a time. The suffix search runs in rounds of
/// one length: round l asks, for every example of every latent of the chunk still without a minimal suffix, for its suffix
/// of l tokens, so each round is a few calls of equal-length sequences; an example stops at its first success, so the
/// search costs the minimal suffix lengths, not all lengths. Anchor and saliency sequences of the whole chunk follow in one
/// batch grouped by length. Sequences are never padded (a suffix's activation must not depend on padding, and a model with
/// absolute positions such as GPT-2 sees them exactly as written); identical sequences are evaluated once for all the
/// latents that need them (<see cref="N2gCallStats.Requests"/> against <see cref="N2gCallStats.Sequences"/>), and the rows
/// of one length are packed into calls in latent order, each call asking only for the latents its rows need. A language
/// model then runs one forward pass per call whatever the number of latents it serves: with 20 + 20 examples and context
/// 64, about 0.1 calls and 130 tokens per latent (bench/SaeWorkbench.Metrics.Bench), against about 4 calls and 210 tokens
/// per latent one latent at a time.
/// </remarks>
public sealed class N2gExplainer
{
    private readonly ILatentActivationFunction _function;

    public N2gExplainer(ILatentActivationFunction function, N2gConfig config)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _function = function;
        Config = config;
    }

    public N2gConfig Config { get; }

    /// <summary>Explains <paramref name="latentIds"/> on the training sequences <paramref name="trainTokens_NT"/> (int64 [N, T]).</summary>
    public N2gExplainResult Explain(Tensor trainTokens_NT, long[] latentIds)
    {
        var counter = new N2gCallCounter(_function);
        var sw = Stopwatch.StartNew();
        var examples = N2gExampleSet.Select(counter, trainTokens_NT, latentIds, Config);
        var harvestTime = sw.Elapsed;
        return Explain(counter, examples, trainTokens_NT, harvestTime);
    }

    /// <summary>Explains the latents of an existing example set, chosen on <paramref name="trainTokens_NT"/>.</summary>
    public N2gExplainResult Explain(N2gExampleSet examples, Tensor trainTokens_NT) =>
        Explain(new N2gCallCounter(_function), examples, trainTokens_NT, TimeSpan.Zero);

    private sealed class Item(int col, N2gExample example)
    {
        public readonly int Col = col;
        public readonly N2gExample Example = example;
        public int Length;
        public float Activation;
        public bool Found;
    }

    private N2gExplainResult Explain(N2gCallCounter counter, N2gExampleSet set, Tensor trainTokens_NT, TimeSpan harvestTime)
    {
        N2gExampleSet.CheckTokens(trainTokens_NT, nameof(trainTokens_NT));
        var (n, t) = ((int)trainTokens_NT.size(0), (int)trainTokens_NT.size(1));
        int[] rows;
        using (NewDisposeScope()) rows = trainTokens_NT.to(int32).contiguous().ToArray<int>();
        foreach (var ex in set.Examples.SelectMany(e => e))
            if (ex.Sequence >= n || ex.Position >= t)
                throw new ArgumentException($"example (sequence {ex.Sequence}, position {ex.Position}) lies outside the training tokens [{n}, {t}]", nameof(set));

        var sw = Stopwatch.StartNew();
        var before = counter.Snapshot();
        var evaluator = new N2gLastTokenEvaluator(counter, Config);
        var pad = (int)Config.PadTokenId;
        var result = new N2gExplanation[set.LatentIds.Length];
        for (var j0 = 0; j0 < set.LatentIds.Length; j0 += Config.LatentsPerChunk)
        {
            var c = Math.Min(Config.LatentsPerChunk, set.LatentIds.Length - j0);
            var ids = set.LatentIds.AsSpan(j0, c).ToArray();
            var requested = new long[c];
            var items = new List<Item>();
            for (var j = 0; j < c; j++)
                foreach (var ex in set.Examples[j0 + j]) items.Add(new Item(j, ex));
            ReadOnlySpan<int> Suffix(Item it, int len) => rows.AsSpan(it.Example.Sequence * t + it.Example.Position - len + 1, len);

            // 1. Minimal suffix: round `len` evaluates the suffix of `len` tokens of every example still searching.
            var pending = items;
            for (var len = 1; pending.Count > 0; len++)
            {
                var seqs = new List<int[]>(pending.Count);
                var cols = new List<int>(pending.Count);
                foreach (var it in pending) { seqs.Add(Suffix(it, len).ToArray()); cols.Add(it.Col); requested[it.Col]++; }
                var acts = evaluator.Evaluate(seqs, cols, ids);
                var next = new List<Item>();
                for (var k = 0; k < pending.Count; k++)
                {
                    var it = pending[k];
                    if (acts[k] >= Config.MinimalSuffixFraction * it.Example.Activation) { it.Length = len; it.Activation = acts[k]; it.Found = true; }
                    else if (len == it.Example.Position + 1) { it.Length = len; it.Activation = it.Example.Activation; it.Found = false; }
                    else next.Add(it);
                }
                pending = next;
            }

            // 2. Start anchor (pad + suffix) and saliency (each position replaced by pad), all in one length-grouped batch.
            var seqs2 = new List<int[]>();
            var cols2 = new List<int>();
            foreach (var it in items)
            {
                var suffix = Suffix(it, it.Length);
                var padded = new int[it.Length + 1];
                padded[0] = pad;
                suffix.CopyTo(padded.AsSpan(1));
                seqs2.Add(padded);
                cols2.Add(it.Col);
                for (var i = 0; i < it.Length; i++)
                {
                    var edited = suffix.ToArray();
                    edited[i] = pad;
                    seqs2.Add(edited);
                    cols2.Add(it.Col);
                }
                requested[it.Col] += it.Length + 1;
            }
            var acts2 = evaluator.Evaluate(seqs2, cols2, ids);

            // 3. Patterns and tries.
            var patterns = new List<N2gPattern>[c];
            for (var j = 0; j < c; j++) patterns[j] = new List<N2gPattern>();
            var r = 0;
            foreach (var it in items)
            {
                var suffix = Suffix(it, it.Length).ToArray();
                var paddedAct = acts2[r++];
                var anchored = !(paddedAct >= Config.StartAnchorFraction * it.Example.Activation);
                var saliency = new float[it.Length];
                var tokens = new int[it.Length];
                for (var i = 0; i < it.Length; i++)
                {
                    saliency[i] = (float)(1.0 - acts2[r++] / (double)it.Activation);
                    tokens[i] = saliency[i] >= Config.SaliencyThreshold ? suffix[i] : N2gTrie.AnyToken;
                }
                patterns[it.Col].Add(new N2gPattern(tokens, suffix, saliency, anchored, it.Activation, paddedAct, it.Example, it.Found));
            }
            for (var j = 0; j < c; j++)
            {
                var trie = new N2gTrie(Config.LeafValue);
                foreach (var p in patterns[j]) trie.Insert(p.Tokens, p.StartAnchored, p.Activation);
                var ps = patterns[j];
                var positions = ps.Sum(p => p.Tokens.Length);
                var stats = new N2gExplanationStats(
                    TopExamples: ps.Count(p => p.Example.Kind == N2gExampleKind.Top),
                    RandomExamples: ps.Count(p => p.Example.Kind == N2gExampleKind.Random),
                    DistinctPatterns: trie.Leaves().Count(),
                    StartAnchored: ps.Count(p => p.StartAnchored),
                    MinimalSuffixMissing: ps.Count(p => !p.MinimalSuffixFound),
                    MeanPatternLength: ps.Count == 0 ? 0 : (double)positions / ps.Count,
                    WildcardFraction: positions == 0 ? 0 : (double)ps.Sum(p => p.Wildcards) / positions,
                    SequencesRequested: requested[j],
                    MaxActivation: set.MaxActivation[j0 + j],
                    TrainingFirings: set.Firings[j0 + j],
                    TrainingTokens: set.Tokens);
                result[j0 + j] = new N2gExplanation(ids[j], ps, trie, stats);
            }
        }
        return new N2gExplainResult(result, set.Calls, N2gCallCounter.Difference(counter.Snapshot(), before), harvestTime, sw.Elapsed);
    }
}
