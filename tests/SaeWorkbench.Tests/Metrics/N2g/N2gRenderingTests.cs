using SaeWorkbench.Metrics.N2g;
namespace SaeWorkbench.Tests.Metrics.N2g;

/// <summary>Readable forms of N2G explanations: pattern text, the explanation as text and as an HTML snippet.</summary>
public sealed class N2gRenderingTests
{
    private const int Any = N2gTrie.AnyToken;

    private static N2gExplanation Explanation(params (int[] Pattern, bool Anchored, float Value)[] patterns)
    {
        var trie = new N2gTrie();
        var list = new List<N2gPattern>();
        foreach (var (p, anchored, v) in patterns)
        {
            trie.Insert(p, anchored, v);
            list.Add(new N2gPattern(p, p, new float[p.Length], anchored, v, 0, new N2gExample(0, p.Length - 1, v, N2gExampleKind.Top), true));
        }
        var stats = new N2gExplanationStats(list.Count, 0, trie.Leaves().Count(), list.Count(p => p.StartAnchored), 0, 2, 0, 0, 1, 1, 10);
        return new N2gExplanation(42, list, trie, stats);
    }

    private static readonly Dictionary<int, string> Vocab = new() { [1] = " the", [2] = " cat", [3] = "<b>", [4] = "\n", [5] = " " };

    [Fact]
    public void A_pattern_reads_like_caret_the_wildcard_cat()
    {
        Assert.Equal("^ the [*] cat", N2gRendering.PatternText([1, Any, 2], true, t => Vocab[t]));
        Assert.Equal("<b> ⏎ ␣", N2gRendering.PatternText([3, 4, 5], false, t => Vocab[t]));
    }

    [Fact]
    public void The_text_lists_distinct_patterns_most_examples_first()
    {
        var e = Explanation(([1, Any, 2], true, 2f), ([1, 2], false, 1f), ([1, 2], false, 3f));
        var lines = N2gRendering.ToText(e, t => Vocab[t]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("latent 42: 3 examples (3 top, 0 random), 2 patterns, 1 anchored", lines[0]);
        Assert.Contains("x2", lines[1]);
        Assert.EndsWith("the cat", lines[1]);
        Assert.Contains(" 2 ", lines[1]);                 // the mean of 1 and 3
        Assert.EndsWith("^ the [*] cat", lines[2]);
        Assert.Contains("1 more patterns", N2gRendering.ToText(e, t => Vocab[t], maxPatterns: 1));
    }

    [Fact]
    public void The_html_snippet_escapes_tokens_and_shows_the_score()
    {
        var e = Explanation(([3, Any, 1], true, 1f));
        var score = new N2gScore(42, 100, 10, 8, 6, 0f);
        var html = new N2gExplanationView(e, t => Vocab[t], score).ToHtmlFragment();
        Assert.StartsWith("<div class=\"n2g-explanation\"", html);
        Assert.Contains("&lt;b&gt;", html);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains(">^</span>", html);
        Assert.Contains(">*</span>", html);
        Assert.Contains("> the</span>", html);             // the exact token text, leading space kept
        Assert.Contains("precision 0.750, recall 0.600", html);
        Assert.EndsWith("</div>", html);
    }
}
