using SaeWorkbench.Metrics.N2g;
namespace SaeWorkbench.Tests.Metrics.N2g;

/// <summary>The N2G trie's prediction rule (Gao et al. 2024, §4.3, as its released code has it), on tries built by hand.</summary>
public sealed class N2gTrieTests
{
    private const int Any = N2gTrie.AnyToken;

    private static float[] Predict(N2gTrie trie, params int[] tokens)
    {
        var p = new float[tokens.Length];
        trie.Predict(tokens, p);
        return p;
    }

    [Fact]
    public void A_pattern_fires_at_its_last_token_wherever_it_occurs()
    {
        var trie = new N2gTrie();
        trie.Insert([1, 2], false, 3f);
        Assert.Equal(new[] { 0f, 3f, 0f, 0f, 3f }, Predict(trie, 1, 2, 2, 1, 2));
        Assert.Equal(new[] { 0f, 0f }, Predict(trie, 2, 1));
    }

    [Fact]
    public void The_first_node_with_a_value_wins_so_a_shorter_pattern_shadows_a_longer_one()
    {
        var trie = new N2gTrie();
        trie.Insert([2], false, 1f);
        trie.Insert([1, 2], false, 5f);
        Assert.Equal(new[] { 0f, 1f, 1f }, Predict(trie, 1, 2, 2));
    }

    [Fact]
    public void An_exact_token_beats_the_wildcard_without_backtracking()
    {
        var trie = new N2gTrie();
        trie.Insert([1, Any, 3], false, 1f);
        trie.Insert([4, 2, 3], false, 2f);
        Assert.Equal(1f, Predict(trie, 1, 5, 3)[2]);   // 5 has no exact edge: the wildcard is taken
        Assert.Equal(2f, Predict(trie, 4, 2, 3)[2]);
        Assert.Equal(0f, Predict(trie, 1, 2, 3)[2]);   // 2 takes the exact edge, then 1 fails there: no retry through the wildcard
    }

    [Fact]
    public void An_anchored_pattern_matches_only_at_the_start_of_the_sequence()
    {
        var trie = new N2gTrie();
        trie.Insert([Any, 7], true, 2f);
        Assert.Equal(new[] { 0f, 2f, 0f }, Predict(trie, 5, 7, 7));
        Assert.Equal(new[] { 0f, 0f, 0f }, Predict(trie, 7, 5, 5));
        Assert.Equal(0f, Predict(trie, 1, 5, 7)[2]);
        Assert.Equal(0f, Predict(trie, 7)[0]);          // too short: the wildcard needs a token
    }

    [Fact]
    public void A_wildcard_pattern_needs_a_token_at_every_position()
    {
        var trie = new N2gTrie();
        trie.Insert([Any, Any, 9], false, 1f);
        Assert.Equal(new[] { 0f, 0f, 1f, 1f }, Predict(trie, 9, 9, 9, 9));
    }

    [Theory]
    [InlineData(N2gLeafValue.Mean, 2f)]
    [InlineData(N2gLeafValue.Max, 3f)]
    [InlineData(N2gLeafValue.Last, 1f)]
    public void A_leaf_aggregates_the_examples_that_share_its_pattern(N2gLeafValue how, float expected)
    {
        var trie = new N2gTrie(how);
        trie.Insert([1, 2], false, 2f);
        trie.Insert([1, 2], false, 3f);
        trie.Insert([1, 2], false, 1f);
        Assert.Equal(expected, Predict(trie, 1, 2)[1], 6);
        var leaf = Assert.Single(trie.Leaves());
        Assert.Equal(3, leaf.Examples);
        Assert.Equal(3, trie.PatternsInserted);
    }

    [Fact]
    public void Leaves_list_each_pattern_in_reading_order_with_its_anchor()
    {
        var trie = new N2gTrie();
        trie.Insert([1, Any, 3], false, 1f);
        trie.Insert([4, 3], true, 2f);
        var leaves = trie.Leaves().OrderBy(l => l.Value).ToList();
        Assert.Equal(new[] { 1, Any, 3 }, leaves[0].Pattern);
        Assert.False(leaves[0].StartAnchored);
        Assert.Equal(new[] { 4, 3 }, leaves[1].Pattern);
        Assert.True(leaves[1].StartAnchored);
        Assert.Equal(new[] { 3 }, trie.RootTokens);
        Assert.False(trie.RootHasWildcard);
    }

    [Fact]
    public void Bad_patterns_are_refused()
    {
        var trie = new N2gTrie();
        Assert.Throws<ArgumentException>(() => trie.Insert([], false, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => trie.Insert([1], false, 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => trie.Insert([-5], false, 1f));
    }
}
