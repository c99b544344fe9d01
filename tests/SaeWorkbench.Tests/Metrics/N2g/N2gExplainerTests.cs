using SaeWorkbench.Metrics.N2g;
namespace SaeWorkbench.Tests.Metrics.N2g;

/// <summary>
/// N2G explanations of latents built by hand (Gao et al. 2024, §4.3): each latent's explanation must be exactly its defining
/// pattern, with precision = recall = 1 on held-out tokens; wildcards, the "^" anchor and the 0.5 minimal-suffix rule
/// show up where the definition puts them; batching across latents changes nothing.
/// </summary>
public sealed class N2gExplainerTests
{
    private const int Pad = 0, A = 3, B = 7, C = 9, Z = 11, Any = N2gTrie.AnyToken;

    // Latent id -> activation at the last token of a prefix (tokens 0..t). Tokens of the data are in [1, 16); 0 is the pad.
    private static readonly Dictionary<long, Func<int[], float>> Latents = new()
    {
        [10] = p => p.Length >= 2 && p[^1] == B && p[^2] == A ? 1.0f : 0f,     // "A B": B right after A
        [11] = p => p.Length == 3 && p[^1] == C ? 2.0f : 0f,                    // C as the third token of the sequence
        [12] = p => p.Length >= 3 && p[^1] == C && p[^3] == A ? 1.5f : 0f,      // "A ? C"
        [13] = p => p.Length >= 2 && p[^2] == A ? 0.5f : 0f,                    // any token right after A
        [14] = p => p[^1] != Z ? 0f : p.Length >= 2 && p[^2] == A ? 1.0f : 0.6f, // Z; stronger after A
        [15] = p => p.Length == 2 && p[0] == A ? 1.0f : 0f,                     // the second token when the sequence starts with A
    };

    private static readonly int[][] Train = N2gTestData.Concat(
        N2gTestData.Sequences(1, 24, 12, 1, 16, [A, B], 0.7),
        N2gTestData.Sequences(2, 24, 12, 1, 16, [A, 5, C], 0.7),
        N2gTestData.Sequences(3, 24, 12, 1, 16, [A, Z], 0.5),
        N2gTestData.Sequences(4, 24, 12, 1, 16, [A, 4, C], 0.5, plantAtStart: true));

    private static readonly int[][] HeldOut = N2gTestData.Concat(
        N2gTestData.Sequences(11, 24, 12, 1, 16, [A, B], 0.7),
        N2gTestData.Sequences(12, 24, 12, 1, 16, [A, 6, C], 0.7),
        N2gTestData.Sequences(13, 24, 12, 1, 16, [A, Z], 0.5),
        N2gTestData.Sequences(14, 24, 12, 1, 16, [A, 2, C], 0.5, plantAtStart: true));

    private static readonly N2gConfig Config = new() { PadTokenId = Pad, TopExamples = 10, RandomExamples = 10 };

    private static (N2gExplainResult Result, N2gScoreReport Scores) ExplainAndScore(long[] ids, N2gConfig config)
    {
        var f = new HandBuiltLatents(Latents);
        var result = new N2gExplainer(f, config).Explain(N2gTestData.ToTensor(Train), ids);
        var scores = new N2gScoring(f, config).Score(result.Explanations, N2gTestData.ToTensor(HeldOut));
        return (result, scores);
    }

    private static readonly Lazy<(N2gExplainResult Result, N2gScoreReport Scores)> All = new(() => ExplainAndScore([10, 11, 12, 13, 14, 15], Config));

    private static void AssertExactly(long latent, int[] pattern, bool anchored, float value)
    {
        var (result, scores) = All.Value;
        var j = result.Explanations.Select(e => e.LatentId).ToList().IndexOf(latent);
        var e = result.Explanations[j];
        Assert.True(e.Patterns.Count >= 10, $"latent {latent}: only {e.Patterns.Count} examples");
        Assert.All(e.Patterns, p =>
        {
            Assert.Equal(pattern, p.Tokens);
            Assert.Equal(anchored, p.StartAnchored);
            Assert.True(p.MinimalSuffixFound);
        });
        var leaf = Assert.Single(e.Trie.Leaves());
        Assert.Equal(pattern, leaf.Pattern);
        Assert.Equal(anchored, leaf.StartAnchored);
        Assert.Equal(value, leaf.Value, 6);
        Assert.Equal(e.Patterns.Count, leaf.Examples);
        var s = scores.Latents[j];
        Assert.True(s.LatentFires > 0 && s.Tokens == HeldOut.Length * 12L, $"latent {latent}: {s}");
        Assert.Equal(1.0, s.Precision);
        Assert.Equal(1.0, s.Recall);
    }

    [Fact]
    public void Token_B_right_after_token_A_is_explained_as_exactly_A_B_with_precision_and_recall_1() =>
        AssertExactly(10, [A, B], anchored: false, value: 1.0f);

    [Fact]
    public void A_latent_that_depends_on_the_start_of_the_sequence_gets_the_anchor() =>
        AssertExactly(11, [Any, Any, C], anchored: true, value: 2.0f);

    [Fact]
    public void A_first_token_condition_is_anchored_with_a_wildcard_at_the_firing_token() =>
        AssertExactly(15, [A, Any], anchored: true, value: 1.0f);

    [Fact]
    public void A_skipped_position_becomes_a_one_token_wildcard() =>
        AssertExactly(12, [A, Any, C], anchored: false, value: 1.5f);

    [Fact]
    public void Any_token_after_A_puts_the_wildcard_at_the_root() =>
        AssertExactly(13, [A, Any], anchored: false, value: 0.5f);

    [Fact]
    public void The_minimal_suffix_is_the_shortest_with_at_least_half_the_activation()
    {
        // Z alone gives 0.6 >= 0.5 x 1.0, so even the examples after A (1.0) stop at [Z], and the leaf stores 0.6.
        AssertExactly(14, [Z], anchored: false, value: 0.6f);
        // With a 0.7 fraction the examples after A need the suffix "A Z" (1.0); the others (0.6 alone) still stop at [Z].
        // In "A Z", padding A leaves 0.6: saliency 1 - 0.6 / 1.0 = 0.4 < 0.5, so A becomes a wildcard.
        var (result, _) = ExplainAndScore([14], Config with { MinimalSuffixFraction = 0.7 });
        var e = Assert.Single(result.Explanations);
        Assert.All(e.Patterns, p => Assert.Equal(p.Example.Activation == 1.0f ? new[] { Any, Z } : [Z], p.Tokens));
        Assert.All(e.Patterns.Where(p => p.Tokens.Length == 2), p => Assert.Equal(new[] { 0.4f, 1f }, p.Saliency, (x, y) => Math.Abs(x - y) < 1e-6));
        Assert.Contains(e.Patterns, p => p.Tokens.Length == 2);
        Assert.Contains(e.Patterns, p => p.Tokens.Length == 1);
    }

    [Fact]
    public void Saliency_is_one_minus_the_activation_with_the_position_padded_over_the_suffix_activation()
    {
        var e = All.Value.Result.Explanations.Single(x => x.LatentId == 12);
        Assert.All(e.Patterns, p => Assert.Equal(new[] { 1f, 0f, 1f }, p.Saliency));
        Assert.All(e.Patterns, p => Assert.Equal(1.5f, p.PaddedActivation));   // pad + "A x C" still fires: no anchor
        var anchored = All.Value.Result.Explanations.Single(x => x.LatentId == 11);
        Assert.All(anchored.Patterns, p => Assert.Equal(0f, p.PaddedActivation));
    }

    [Fact]
    public void Explaining_latents_together_or_one_at_a_time_in_tiny_calls_gives_the_same_explanations()
    {
        var together = All.Value.Result;
        var tiny = Config with { LatentsPerChunk = 1, MaxSequencesPerCall = 2, MaxActivationsPerCall = 7 };
        foreach (var e in together.Explanations)
        {
            var (alone, _) = ExplainAndScore([e.LatentId], tiny);
            var a = Assert.Single(alone.Explanations);
            Assert.Equal(e.Patterns.Count, a.Patterns.Count);
            for (var i = 0; i < e.Patterns.Count; i++)
            {
                Assert.Equal(e.Patterns[i].Example, a.Patterns[i].Example);
                Assert.Equal(e.Patterns[i].Tokens, a.Patterns[i].Tokens);
                Assert.Equal(e.Patterns[i].StartAnchored, a.Patterns[i].StartAnchored);
                Assert.Equal(e.Patterns[i].Activation, a.Patterns[i].Activation);
            }
            Assert.True(alone.ExplainCalls.Calls > 0);
        }
        // Shared calls: identical sequences asked for by several examples or latents are evaluated once.
        Assert.True(together.ExplainCalls.Sequences < together.ExplainCalls.Requests, together.ExplainCalls.ToString());
        Assert.Equal(together.Explanations.Sum(e => e.Stats.SequencesRequested), together.ExplainCalls.Requests);
    }

    [Fact]
    public void Every_call_holds_sequences_of_one_length_and_stays_within_the_limits()
    {
        var f = new HandBuiltLatents(Latents);
        var config = Config with { MaxSequencesPerCall = 16, MaxActivationsPerCall = 200 };
        new N2gExplainer(f, config).Explain(N2gTestData.ToTensor(Train), [10, 11, 12, 13, 14, 15]);
        Assert.NotEmpty(f.Calls);
        Assert.All(f.Calls, c => Assert.True(c.B <= 16 && (c.B == 1 || c.B * c.T * c.L <= 200), $"call {c}"));
    }

    [Fact]
    public void Without_a_suffix_reaching_the_fraction_the_whole_truncated_sequence_is_kept()
    {
        // A non-causal latent: fires at A when the NEXT token is B. Truncated after A it is silent.
        var f = new NonCausal();
        var rows = N2gTestData.Sequences(5, 16, 10, 1, 16, [A, B], 1.0);
        var result = new N2gExplainer(f, Config).Explain(N2gTestData.ToTensor(rows), [0]);
        var e = Assert.Single(result.Explanations);
        Assert.NotEmpty(e.Patterns);
        Assert.All(e.Patterns, p =>
        {
            Assert.False(p.MinimalSuffixFound);
            Assert.Equal(p.Example.Position + 1, p.Suffix.Length);
            Assert.Equal(p.Example.Activation, p.Activation);
        });
        Assert.Equal(e.Patterns.Count, e.Stats.MinimalSuffixMissing);
    }

    [Fact]
    public void A_latent_that_never_fires_has_no_patterns_and_predicts_zero()
    {
        var f = new HandBuiltLatents(new Dictionary<long, Func<int[], float>> { [0] = _ => 0f });
        var result = new N2gExplainer(f, Config).Explain(N2gTestData.ToTensor(Train), [0]);
        var e = Assert.Single(result.Explanations);
        Assert.Empty(e.Patterns);
        Assert.All(e.Predict(Train[0]), v => Assert.Equal(0f, v));
        var s = Assert.Single(new N2gScoring(f, Config).Score(result.Explanations, N2gTestData.ToTensor(HeldOut)).Latents);
        Assert.Equal(0, s.LatentFires);
        Assert.True(double.IsNaN(s.Precision) && double.IsNaN(s.Recall));
    }

    [Fact]
    public void Stats_count_examples_patterns_and_training_firings()
    {
        var e = All.Value.Result.Explanations.Single(x => x.LatentId == 10);
        var firings = Train.Sum(r => Enumerable.Range(1, r.Length - 1).Count(t => r[t] == B && r[t - 1] == A));
        Assert.Equal(firings, e.Stats.TrainingFirings);
        Assert.Equal(Train.Length * 12L, e.Stats.TrainingTokens);
        Assert.Equal(1.0f, e.Stats.MaxActivation);
        Assert.Equal(10, e.Stats.TopExamples);
        Assert.InRange(e.Stats.RandomExamples, 1, 10);                         // random draws that repeat a top example are dropped
        Assert.Equal(e.Stats.TopExamples + e.Stats.RandomExamples, e.Patterns.Select(p => (p.Example.Sequence, p.Example.Position)).Distinct().Count());
        Assert.Equal(1, e.Stats.DistinctPatterns);
        Assert.Equal(2.0, e.Stats.MeanPatternLength);
        Assert.Equal(0.0, e.Stats.WildcardFraction);
    }

    private sealed class NonCausal : ILatentActivationFunction
    {
        public Tensor Activations(Tensor tokens_BT, long[] latentIds)
        {
            var (b, t) = ((int)tokens_BT.size(0), (int)tokens_BT.size(1));
            var toks = tokens_BT.ToArray<long>();
            var acts = new float[b * t * latentIds.Length];
            for (var i = 0; i < b; i++)
                for (var p = 0; p + 1 < t; p++)
                    if (toks[i * t + p] == A && toks[i * t + p + 1] == B)
                        for (var j = 0; j < latentIds.Length; j++) acts[(i * t + p) * latentIds.Length + j] = 1f;
            return tensor(acts, [b, t, latentIds.Length]);
        }
    }
}
