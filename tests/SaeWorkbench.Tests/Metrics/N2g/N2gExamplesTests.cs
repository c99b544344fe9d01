using SaeWorkbench.Metrics.N2g;
namespace SaeWorkbench.Tests.Metrics.N2g;

/// <summary>The choice of top and random activating examples (Gao et al. 2024, §4.3), against brute force and a chi-square test.</summary>
public sealed class N2gExamplesTests
{
    // Fires on tokens >= 12 with token + position / 1000 (distinct within a sequence, repeated across sequences).
    private static readonly Dictionary<long, Func<int[], float>> Graded = new()
    {
        [3] = p => p[^1] >= 12 ? p[^1] + (p.Length - 1) / 1000f : 0f,
        [8] = p => p[^1] == 5 ? 1f : 0f,
    };

    private static readonly int[][] Rows = N2gTestData.Sequences(7, 40, 10, 1, 16);

    [Fact]
    public void Top_examples_are_the_sequences_with_the_largest_maximum_at_that_maximum()
    {
        var config = new N2gConfig { PadTokenId = 0, TopExamples = 6, RandomExamples = 0 };
        var set = N2gExampleSet.Select(new HandBuiltLatents(Graded), N2gTestData.ToTensor(Rows), [3], config);
        var expected = Rows.Select((r, s) =>
            {
                var acts = Enumerable.Range(0, r.Length).Select(t => Graded[3](r[..(t + 1)])).ToArray();
                var max = acts.Max();
                return (Sequence: s, Position: Array.IndexOf(acts, max), Activation: max);
            })
            .Where(x => x.Activation > 0).OrderByDescending(x => x.Activation).ThenBy(x => x.Sequence).Take(6).ToList();
        var got = set.Examples[0];
        Assert.Equal(expected.Select(x => (x.Sequence, x.Position, x.Activation)), got.Select(e => (e.Sequence, e.Position, e.Activation)));
        Assert.All(got, e => Assert.Equal(N2gExampleKind.Top, e.Kind));
        Assert.Equal(expected[0].Activation, set.MaxActivation[0]);
    }

    [Fact]
    public void The_selection_does_not_depend_on_how_calls_are_batched()
    {
        var config = new N2gConfig { PadTokenId = 0, TopExamples = 5, RandomExamples = 5, Seed = 3 };
        var tiny = config with { MaxSequencesPerCall = 3, MaxActivationsPerCall = 11 };
        var a = N2gExampleSet.Select(new HandBuiltLatents(Graded), N2gTestData.ToTensor(Rows), [3, 8], config);
        var b = N2gExampleSet.Select(new HandBuiltLatents(Graded), N2gTestData.ToTensor(Rows), [8, 3], tiny);
        Assert.Equal(a.Examples[0], b.Examples[1]);
        Assert.Equal(a.Examples[1], b.Examples[0]);
        Assert.Equal(a.Firings, b.Firings.Reverse());
        Assert.True(b.Calls.Calls > a.Calls.Calls);
        Assert.Equal(Rows.Sum(r => r.Count(t => t == 5)), a.Firings[1]);
    }

    [Fact]
    public void Random_examples_are_distinct_positive_positions_other_than_the_top_ones()
    {
        var config = new N2gConfig { PadTokenId = 0, TopExamples = 4, RandomExamples = 8, Seed = 1 };
        var set = N2gExampleSet.Select(new HandBuiltLatents(Graded), N2gTestData.ToTensor(Rows), [8], config);
        var ex = set.Examples[0];
        Assert.Equal(4, ex.Count(e => e.Kind == N2gExampleKind.Top));
        Assert.InRange(ex.Count(e => e.Kind == N2gExampleKind.Random), 4, 8);
        Assert.Equal(ex.Length, ex.Select(e => (e.Sequence, e.Position)).Distinct().Count());
        Assert.All(ex, e => Assert.Equal(5, Rows[e.Sequence][e.Position]));
    }

    [Fact]
    public void Random_examples_are_uniform_over_positive_positions()
    {
        // A latent positive at all 64 positions; 8 drawn per seed; over 400 seeds each position should be drawn ~50 times.
        var f = new HandBuiltLatents(new Dictionary<long, Func<int[], float>> { [0] = _ => 1f });
        var tokens = N2gTestData.ToTensor(N2gTestData.Sequences(0, 8, 8, 1, 16));
        var counts = new int[64];
        const int seeds = 400;
        for (var seed = 0UL; seed < seeds; seed++)
        {
            var set = N2gExampleSet.Select(f, tokens, [0], new N2gConfig { PadTokenId = 0, TopExamples = 0, RandomExamples = 8, Seed = seed });
            Assert.Equal(8, set.Examples[0].Length);
            foreach (var e in set.Examples[0]) counts[e.Sequence * 8 + e.Position]++;
        }
        var expected = seeds * 8 / 64.0;
        var chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < 120, $"chi-square {chi2:F1} with 63 degrees of freedom (mean 63, sd 11)");
    }
}
