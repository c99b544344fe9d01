using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Metrics;

namespace SaeWorkbench.Tests.Metrics.N2g;

/// <summary>Precision, recall, the firing threshold, batched simulation and the explanation-reconstruction scale of N2G
/// explanations, against counts made by brute force on the held-out tokens.</summary>
public sealed class N2gScoringTests
{
    private const int Pad = 0, A = 3, B = 7, X = 12, D = 16, Y = 17;

    private static readonly Dictionary<long, Func<int[], float>> Latents = new()
    {
        // B after A (1.0), and B after D (0.2), but D never occurs in the training data.
        [0] = p => p.Length >= 2 && p[^1] == B ? (p[^2] == A ? 1f : p[^2] == D ? 0.2f : 0f) : 0f,
        // B after A, unless the sequence starts with Y (never in the training data): a context N2G cannot see.
        [1] = p => p.Length >= 2 && p[^1] == B && p[^2] == A && p[0] != Y ? 1f : 0f,
        // B after A, twice as strong when X precedes A.
        [2] = p => p.Length >= 2 && p[^1] == B && p[^2] == A ? (p.Length >= 3 && p[^3] == X ? 2f : 1f) : 0f,
        // any token after A: the root of its trie is a wildcard.
        [3] = p => p.Length >= 2 && p[^2] == A ? 0.5f : 0f,
    };

    private static readonly int[][] Train = N2gTestData.Concat(
        N2gTestData.Sequences(1, 40, 12, 1, 16, [A, B], 0.8),
        N2gTestData.Sequences(2, 20, 12, 1, 16, [X, A, B], 0.8));

    private static readonly int[][] HeldOut = N2gTestData.Concat(
        N2gTestData.Sequences(21, 30, 12, 1, 16, [A, B], 0.8),
        N2gTestData.Sequences(22, 30, 12, 1, 16, [D, B], 0.8),
        N2gTestData.Sequences(23, 20, 12, 1, 16, [Y, A, B], 0.8, plantAtStart: true));

    private static readonly N2gConfig Config = new() { PadTokenId = Pad, TopExamples = 10, RandomExamples = 10 };

    private static readonly Lazy<N2gExplainResult> Explained = new(() =>
        new N2gExplainer(new HandBuiltLatents(Latents), Config).Explain(N2gTestData.ToTensor(Train), [0, 1, 2, 3]));

    private static int Count(int[][] rows, Func<int[], bool> firesAtLastOfPrefix) =>
        rows.Sum(r => Enumerable.Range(0, r.Length).Count(t => firesAtLastOfPrefix(r[..(t + 1)])));

    private static bool AfterA(int[] p) => p.Length >= 2 && p[^1] == B && p[^2] == A;

    [Fact]
    public void Recall_misses_the_firings_the_training_data_never_showed()
    {
        var e = Explained.Value.Explanations[0];
        Assert.Equal(new[] { A, B }, Assert.Single(e.Trie.Leaves()).Pattern);
        var s = new N2gScoring(new HandBuiltLatents(Latents), Config).Score([e], N2gTestData.ToTensor(HeldOut)).Latents[0];
        var ab = Count(HeldOut, AfterA);
        var db = Count(HeldOut, p => p.Length >= 2 && p[^1] == B && p[^2] == D);
        Assert.True(ab > 10 && db > 10);
        Assert.Equal(ab + db, s.LatentFires);
        Assert.Equal(ab, s.ExplanationFires);
        Assert.Equal(ab, s.BothFire);
        Assert.Equal(1.0, s.Precision);
        Assert.Equal((double)ab / (ab + db), s.Recall, 12);
        Assert.Equal(HeldOut.Length * 12L, s.Tokens);
        Assert.Equal(0f, s.Threshold);
    }

    [Fact]
    public void A_firing_threshold_of_half_the_maximum_ignores_the_weak_firings()
    {
        var e = Explained.Value.Explanations[0];
        var config = Config with { FiringFractionOfMax = 0.5 };
        var s = new N2gScoring(new HandBuiltLatents(Latents), config).Score([e], N2gTestData.ToTensor(HeldOut)).Latents[0];
        Assert.Equal(0.5f, s.Threshold);
        Assert.Equal(Count(HeldOut, AfterA), s.LatentFires);
        Assert.Equal(1.0, s.Precision);
        Assert.Equal(1.0, s.Recall);
    }

    [Fact]
    public void Precision_counts_the_matches_where_the_latent_stays_silent()
    {
        var e = Explained.Value.Explanations[1];
        Assert.Equal(new[] { A, B }, Assert.Single(e.Trie.Leaves()).Pattern);
        var s = new N2gScoring(new HandBuiltLatents(Latents), Config).Score([e], N2gTestData.ToTensor(HeldOut)).Latents[0];
        var matches = Count(HeldOut, AfterA);
        var fires = Count(HeldOut, p => AfterA(p) && p[0] != Y);
        Assert.True(fires < matches);
        Assert.Equal(matches, s.ExplanationFires);
        Assert.Equal(fires, s.BothFire);
        Assert.Equal((double)fires / matches, s.Precision, 12);
        Assert.Equal(1.0, s.Recall);
        Assert.Equal(2 * s.Precision / (s.Precision + 1), s.F1, 12);
    }

    [Fact]
    public void Batched_simulation_equals_walking_each_trie_over_each_sequence()
    {
        var explanations = Explained.Value.Explanations;
        Assert.True(explanations[3].Trie.RootHasWildcard);
        var pred_BTL = N2gSimulation.Predict(explanations, N2gTestData.ToTensor(HeldOut));
        Assert.Equal(new long[] { HeldOut.Length, 12, 4 }, pred_BTL.shape);
        var got = pred_BTL.ToArray<float>();
        for (var b = 0; b < HeldOut.Length; b++)
            for (var l = 0; l < 4; l++)
            {
                var expected = explanations[l].Predict(HeldOut[b]);
                for (var t = 0; t < 12; t++) Assert.Equal(expected[t], got[(b * 12 + t) * 4 + l]);
            }
        Assert.Contains(got, v => v > 0);
    }

    [Fact]
    public void Scores_do_not_depend_on_how_calls_are_batched()
    {
        var explanations = Explained.Value.Explanations;
        var f = new HandBuiltLatents(Latents);
        var a = new N2gScoring(f, Config).Score(explanations, N2gTestData.ToTensor(HeldOut));
        var b = new N2gScoring(f, Config with { MaxSequencesPerCall = 7, MaxActivationsPerCall = 30 }).Score(explanations, N2gTestData.ToTensor(HeldOut));
        Assert.Equal(a.Latents, b.Latents);
        Assert.True(b.Calls.Calls > a.Calls.Calls);
        Assert.Equal(HeldOut.Length, a.Calls.Sequences);
    }

    [Fact]
    public void The_explanation_scale_is_the_least_squares_fit_on_training_tokens()
    {
        // Latent 2's patterns are all [A, B] with suffix activation 1 (1 >= 0.5 x 2 for the examples after X), so s = 1 where
        // A B occurs and 0 elsewhere, and E[s a] / E[s^2] is the mean activation over the A B positions.
        var e = Explained.Value.Explanations[2];
        Assert.Equal(new[] { A, B }, Assert.Single(e.Trie.Leaves()).Pattern);
        Assert.Equal(1f, Assert.Single(e.Trie.Leaves()).Value);
        var scale = new N2gScoring(new HandBuiltLatents(Latents), Config with { MaxSequencesPerCall = 9 })
            .FitExplanationScale([e, Explained.Value.Explanations[0]], N2gTestData.ToTensor(Train)).ToArray<float>();
        var ab = Count(Train, AfterA);
        var xab = Count(Train, p => AfterA(p) && p.Length >= 3 && p[^3] == X);
        Assert.True(xab > 5);
        Assert.Equal((ab + xab) / (double)ab, scale[0], 5);
        Assert.Equal(1.0, scale[1], 6);                  // latent 0 equals its simulation on the training tokens
    }

    [Fact]
    public void The_streamed_sparse_scale_equals_the_dense_fit_of_the_simulation()
    {
        var explanations = Explained.Value.Explanations;
        var f = new HandBuiltLatents(Latents);
        var tokens = N2gTestData.ToTensor(Train);
        var sparse = new N2gScoring(f, Config with { MaxSequencesPerCall = 13 }).FitExplanationScale(explanations, tokens).ToArray<float>();
        var dense = ExplanationScale.Fit(N2gSimulation.Predict(explanations, tokens), f.Activations(tokens, [0, 1, 2, 3])).ToArray<float>();
        for (var l = 0; l < 4; l++) Assert.Equal(dense[l], sparse[l], 5);
    }
}
