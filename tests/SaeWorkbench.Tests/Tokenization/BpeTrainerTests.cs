using SaeWorkbench.Tokenization;
using System.Text;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>
/// BPE learning: merges worked out by hand on a tiny text, and the whole merge list on a larger text against a naive
/// trainer in this file that recounts every pair before each merge (no incremental bookkeeping to get wrong).
/// </summary>
public class BpeTrainerTests(ITestOutputHelper output)
{
    private static int B(char c) => BpeByteAlphabet.Order((byte)c);

    [Fact]
    public void First_merges_by_hand()
    {
        // Words: "aaa" x1, " aaa" x2, " ab" x1. Pair counts: (a,a) 2 + 2*2 = 6, (Ġ,a) 2 + 1 = 3, (a,b) 1.
        // 1: (a,a) -> "aa" 256. Then (aa,a) 1 + 2 = 3, (Ġ,aa) 2, (Ġ,a) 1, (a,b) 1.
        // 2: (aa,a) -> "aaa" 257. Then (Ġ,aaa) 2.   3: (Ġ,aaa) -> "Ġaaa" 258.
        // 4: (Ġ,a) and (a,b) tie at 1; 'a' (id 64) < 'Ġ' (id 220), so (a,b) -> "ab" 259.   5: (Ġ,ab) -> "Ġab" 260.
        var tok = BpeTokenizer.Train(["aaa aaa aaa ab"], vocabSize: 300, [BpeTokenizer.EndOfText], minPairCount: 1);
        Assert.Equal(5, tok.MergeCount); // then no pair is left
        Assert.Equal((B('a'), B('a'), 256), tok.Merge(0));
        Assert.Equal((256, B('a'), 257), tok.Merge(1));
        Assert.Equal((B(' '), 257, 258), tok.Merge(2));
        Assert.Equal((B('a'), B('b'), 259), tok.Merge(3));
        Assert.Equal((B(' '), 259, 260), tok.Merge(4));
        Assert.Equal(262, tok.VocabSize);
        Assert.Equal(261, tok.EndOfTextId);
        Assert.Equal([257, 258, 258, 260], tok.Encode("aaa aaa aaa ab"));

        // With minPairCount 2 the pairs seen once are never merged.
        Assert.Equal(3, BpeTokenizer.Train(["aaa aaa aaa ab"], 300, [], minPairCount: 2).MergeCount);
        // vocabSize caps the merges: 256 + 2 merges + 1 special.
        var capped = BpeTokenizer.Train(["aaa aaa aaa ab"], 259, [BpeTokenizer.EndOfText], minPairCount: 1);
        Assert.Equal(259, capped.VocabSize);
        Assert.Equal(2, capped.MergeCount);
    }

    [Fact]
    public void Most_frequent_pairs_of_a_sentence_by_hand()
    {
        // "the", " cat", " sat", " on", " the", " mat": (a,t) 3; then (t,h) 2 and (h,e) 2 tie, 'h' (71) < 't' (83);
        // then (t,he) 2; then nine pairs seen once, of which (c,at) has the smallest left id ('c' 66).
        var tok = BpeTokenizer.Train(["the cat sat on the mat"], 300, [], minPairCount: 1);
        string[] expected = ["a t", "h e", "t he", "c at"];
        Assert.Equal(expected, Enumerable.Range(0, 4).Select(r => $"{tok.TokenText(tok.Merge(r).Left)} {tok.TokenText(tok.Merge(r).Right)}"));
        Assert.Equal([258, 259], tok.Encode("thecat"));
    }

    [Fact]
    public void Merge_list_matches_a_naive_recounting_trainer()
    {
        var texts = BpeTestText.Documents(6_000, 3, seed: 2).ToList();
        texts.Add("<|endoftext|>" + string.Concat(Enumerable.Repeat("abab<|endoftext|>", 40))); // overlapping pairs, and cut-out specials
        const int merges = 200;
        var tok = BpeTokenizer.Train(texts, 256 + merges + 1, [BpeTokenizer.EndOfText], minPairCount: 1);
        var expected = NaiveMerges(texts, merges, BpeTokenizer.EndOfText);
        Assert.Equal(expected.Count, tok.MergeCount);
        for (var r = 0; r < expected.Count; r++)
            Assert.True(expected[r] == (tok.TokenText(tok.Merge(r).Left), tok.TokenText(tok.Merge(r).Right)),
                $"merge {r}: trainer {tok.TokenText(tok.Merge(r).Left)} {tok.TokenText(tok.Merge(r).Right)}, naive {expected[r]}");
        Assert.DoesNotContain(Enumerable.Range(0, tok.MergeCount), r => tok.TokenText(tok.Merge(r).Result).Contains('|'));
    }

    /// <summary>Textbook BPE with a full recount per merge; ties to the smallest (left id, right id), as documented.</summary>
    private static List<(string, string)> NaiveMerges(List<string> texts, int merges, string special)
    {
        var counts = new Dictionary<string, long>();
        foreach (var t in texts)
            foreach (var part in t.Split(special))
                foreach (var piece in BpePreTokenizer.SplitText(part))
                {
                    var key = BpeByteAlphabet.ToText(Encoding.UTF8.GetBytes(piece));
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
        var ids = new Dictionary<string, int>();
        for (var i = 0; i < 256; i++) ids[BpeByteAlphabet.ToChar(BpeByteAlphabet.ByteAt(i)).ToString()] = i;
        var words = counts.Select(kv => (Syms: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value)).ToList();
        var result = new List<(string, string)>();
        while (result.Count < merges)
        {
            var pairs = new Dictionary<(string, string), long>();
            foreach (var (syms, c) in words)
                for (var i = 0; i + 1 < syms.Count; i++)
                    pairs[(syms[i], syms[i + 1])] = pairs.GetValueOrDefault((syms[i], syms[i + 1])) + c;
            if (pairs.Count == 0) break;
            var best = pairs.First().Key;
            foreach (var (p, c) in pairs)
            {
                var bc = pairs[best];
                if (c > bc || (c == bc && (ids[p.Item1], ids[p.Item2]).CompareTo((ids[best.Item1], ids[best.Item2])) < 0)) best = p;
            }
            result.Add(best);
            ids.TryAdd(best.Item1 + best.Item2, ids.Count);
            foreach (var (syms, _) in words)
                for (var i = 0; i + 1 < syms.Count; i++)
                    if (syms[i] == best.Item1 && syms[i + 1] == best.Item2)
                    {
                        syms[i] += syms[i + 1];
                        syms.RemoveAt(i + 1);
                    }
        }
        return result;
    }

    [Fact]
    public void Training_is_deterministic_and_reports_progress()
    {
        var reports = new List<BpeTrainingProgress>();
        var a = BpeTokenizer.Train(BpeTestText.Documents(10_000, 3, seed: 4), 600, [BpeTokenizer.EndOfText], 2, new Sync(reports));
        var b = BpeTokenizer.Train(BpeTestText.Documents(10_000, 3, seed: 4), 600, [BpeTokenizer.EndOfText]);
        Assert.Equal(a.VocabSize, b.VocabSize);
        for (var r = 0; r < a.MergeCount; r++) Assert.Equal(a.Merge(r), b.Merge(r));
        Assert.Equal(343, a.MergeCount);
        Assert.Contains(reports, p => p.Stage == "counting" && p.DistinctWords > 0);
        var last = reports[^1];
        Assert.Equal(("merging", a.MergeCount, 343), (last.Stage, last.Merges, last.TargetMerges));
        Assert.True(reports.Count > 50);
    }

    [Fact]
    public void Arguments_are_checked()
    {
        string[] text = ["hello"];
        Assert.Contains("vocabSize must be in [257", Assert.Throws<ArgumentOutOfRangeException>(() => BpeTokenizer.Train(text, 256, ["<|x|>"])).Message);
        Assert.Contains("minPairCount", Assert.Throws<ArgumentOutOfRangeException>(() => BpeTokenizer.Train(text, 300, [], 0)).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => BpeTokenizer.Train(text, 300, ["<|x|>", "<|x|>"])).Message);
        Assert.Contains("is empty", Assert.Throws<ArgumentException>(() => BpeTokenizer.Train(text, 300, [""])).Message);
        Assert.Contains("byte token", Assert.Throws<ArgumentException>(() => BpeTokenizer.Train(text, 300, ["A"])).Message);
        Assert.Contains("no special token <|endoftext|>", Assert.Throws<InvalidOperationException>(() => BpeTokenizer.Train(text, 300, []).EndOfTextId).Message);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => BpeTokenizer.Train(text, 300, [], cancellationToken: cts.Token));
    }

    [Fact]
    public void A_merge_that_would_spell_a_special_token_is_not_learned()
    {
        // "zq" would be the top merge, but vocab.json would then hold "zq" twice (token and special).
        var tok = BpeTokenizer.Train(["zq zq zq zq"], 300, ["zq"], minPairCount: 1);
        Assert.True(tok.TryGetSpecialTokenId("zq", out var id) && tok.IsSpecial(id));
        Assert.DoesNotContain(Enumerable.Range(0, tok.MergeCount), r => tok.TokenText(tok.Merge(r).Result) == "zq");
        output.WriteLine(string.Join(" ", Enumerable.Range(0, tok.MergeCount).Select(r => tok.TokenText(tok.Merge(r).Result))));
    }

    private sealed class Sync(List<BpeTrainingProgress> sink) : IProgress<BpeTrainingProgress>
    {
        public void Report(BpeTrainingProgress value) => sink.Add(value);
    }
}
