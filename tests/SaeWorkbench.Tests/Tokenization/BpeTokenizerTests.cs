using SaeWorkbench.Tokenization;
using System.Text;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>
/// Encoding with a hand-made vocabulary (every expected id computed by hand from GPT-2's bpe() loop), round trips of
/// random bytes and random text, special tokens.
/// </summary>
public sealed class BpeTokenizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bpe-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The 256 byte tokens with GPT-2's ids, then the given merges (ids 256, 257, ...), then &lt;|endoftext|&gt;.
    /// </summary>
    internal static BpeTokenizer HandMade(string dir, params string[] merges)
    {
        var entries = new List<string>();
        for (var id = 0; id < 256; id++) entries.Add(BpeByteAlphabet.ToChar(BpeByteAlphabet.ByteAt(id)).ToString());
        foreach (var m in merges) entries.Add(m.Replace(" ", ""));
        entries.Add(BpeTokenizer.EndOfText);
        var json = "{" + string.Join(", ", entries.Select((e, i) => $"{System.Text.Json.JsonSerializer.Serialize(e)}: {i}")) + "}";
        File.WriteAllText(Path.Combine(dir, "vocab.json"), json);
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges) + "\n");
        return BpeTokenizer.Load(dir);
    }

    private static int B(char c) => BpeByteAlphabet.Order((byte)c);

    [Fact]
    public void Hand_made_vocabulary_encodes_by_rank()
    {
        // ranks: 0 "Ġ t" -> 256 "Ġt", 1 "h e" -> 257, 2 "Ġt he" -> 258 "Ġthe", 3 "l l" -> 259, 4 "he ll" -> 260, 5 "o w" -> 261
        var tok = HandMade(_dir, "Ġ t", "h e", "Ġt he", "l l", "he ll", "o w");
        Assert.Equal(263, tok.VocabSize);
        Assert.Equal(262, tok.EndOfTextId);
        Assert.Equal(6, tok.MergeCount);

        // "hello": h e l l o -> (h,e) rank 1 -> he l l o -> (l,l) rank 3 -> he ll o -> (he,ll) rank 4 -> hell o
        Assert.Equal([260, B('o')], tok.Encode("hello"));
        // " the": Ġ t h e -> (Ġ,t) rank 0 -> Ġt h e -> (h,e) -> Ġt he -> (Ġt,he) -> Ġthe
        Assert.Equal([258], tok.Encode(" the"));
        // " hello" has no (Ġ,h) merge: Ġ, hell, o
        Assert.Equal([258, 220, 260, B('o')], tok.Encode(" the hello"));
        Assert.Equal([B('h'), 261], tok.Encode("how"));
        Assert.Equal([B('H'), B('e'), 259, B('o')], tok.Encode("Hello")); // no (H,e) merge; (l,l) still applies
        // Pieces never merge across the pre-tokenizer's cuts: "he" + "ll" in different pieces.
        Assert.Equal([257, B('!'), 259], tok.Encode("he!ll"));
        Assert.Equal([198], tok.Encode("\n"));
        Assert.Equal("Ġthe", tok.TokenText(258));
        Assert.True(tok.TryGetTokenId("hell", out var hell) && hell == 260);
        Assert.Equal("the hello how", tok.Decode(tok.Encode("the hello how")));
    }

    [Fact]
    public void Gpt2s_first_merges_give_gpt2s_ids()
    {
        // The first 23 lines of GPT-2's merges.txt. GPT-2's vocab.json numbers merged tokens 256 + rank, so the ids
        // below are GPT-2's own (" the" is 262 in GPT-2).
        var tok = HandMade(_dir, "Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he", "e r", "Ġ s", "a t", "Ġ w", "Ġ o",
            "e n", "Ġ c", "i t", "i s", "a n", "o r", "e s", "Ġ b", "e d", "Ġ f", "in g");
        Assert.Equal([262], tok.Encode(" the"));
        Assert.Equal([257], tok.Encode(" a"));
        // " sing": (i,n) rank 3 -> Ġ s in g; (Ġ,s) rank 8 -> Ġs in g; (in,g) rank 22 -> Ġs ing
        Assert.Equal([264, 278], tok.Encode(" sing"));
        // "There": T h e r e -> (h,e) 2 -> T he r e -> (r,e) 4 -> T he re
        Assert.Equal([B('T'), 258, 260], tok.Encode("There"));
    }

    [Fact]
    public void All_occurrences_of_the_best_pair_merge_before_new_pairs_are_considered()
    {
        // Ranks out of causal order: 0 "aa a" -> 256 "aaa", 1 "a a" -> 257 "aa". GPT-2 merges every (a,a) first,
        // then looks at the new pairs: "aaaa" -> aa aa (a one-merge-at-a-time encoder would give aaa a).
        var tok = HandMade(_dir, "aa a", "a a");
        Assert.Equal([257, 257], tok.Encode("aaaa"));
        Assert.Equal([257, 256], tok.Encode("aaaaa")); // aa aa a -> (aa,a) rank 0 -> aa aaa
        // The same rules on pieces longer than the short-piece scan (64 bytes): the priority-queue path.
        Assert.Equal(Enumerable.Repeat(257, 35).ToArray(), tok.Encode(new string('a', 70)));
        Assert.Equal([.. Enumerable.Repeat(257, 34), 256], tok.Encode(new string('a', 71)));
    }

    [Fact]
    public void Special_tokens_are_text_unless_recognised()
    {
        var tok = HandMade(_dir, "Ġ t", "h e", "Ġt he");
        var eot = tok.EndOfTextId;
        var plain = tok.Encode("the<|endoftext|> the");
        Assert.DoesNotContain(eot, plain);
        Assert.Equal([B('t'), 257, B('<'), B('|'), .. "endoftext".Select(B), B('|'), B('>'), 258], plain);
        Assert.Equal([B('t'), 257, eot, 258], tok.Encode("the<|endoftext|> the", recognizeSpecialTokens: true));
        Assert.Equal([eot, eot], tok.Encode("<|endoftext|><|endoftext|>", true));
        Assert.Equal("a<|endoftext|>b", tok.Decode(tok.Encode("a<|endoftext|>b", true)));
        Assert.True(tok.IsSpecial(eot));
        Assert.False(tok.IsSpecial(258));
        Assert.Equal([BpeTokenizer.EndOfText], tok.SpecialTokens);
    }

    [Fact]
    public void Random_bytes_round_trip_including_invalid_utf8()
    {
        foreach (var tok in new[] { BpeTestText.Tokenizer, HandMade(_dir, "Ġ t", "h e", "a a", "aa a") })
        {
            var rng = new Random(5);
            for (var t = 0; t < 400; t++)
            {
                var s = new byte[t < 390 ? rng.Next(300) : 5000 + rng.Next(5000)]; // the last ones: long pieces
                rng.NextBytes(s);
                if (t % 3 == 1) // text-like bytes with a few invalid ones
                    for (var i = 0; i < s.Length; i++) s[i] = s[i] < 240 ? (byte)"the a\n  b'sc,d.1é"[s[i] % 16] : s[i];
                var ids = tok.EncodeBytes(s);
                Assert.Equal(s, tok.DecodeBytes(ids));
                Assert.Equal(s, tok.DecodeBytes(tok.EncodeBytes(s, recognizeSpecialTokens: true)));
                Assert.All(ids, id => Assert.InRange(id, 0, tok.VocabSize - 1));
            }
        }
    }

    [Fact]
    public void Random_unicode_text_round_trips()
    {
        var tok = BpeTestText.Tokenizer;
        var rng = new Random(6);
        var sb = new StringBuilder();
        for (var t = 0; t < 300; t++)
        {
            sb.Clear();
            var n = rng.Next(120);
            for (var i = 0; i < n; i++)
            {
                int cp;
                do cp = rng.Next(4) switch { 0 => rng.Next(0x80), 1 => rng.Next(0x800), 2 => rng.Next(0x10000), _ => rng.Next(0x110000) };
                while (cp is >= 0xD800 and <= 0xDFFF);
                sb.Append(char.ConvertFromUtf32(cp));
            }
            var text = sb.ToString();
            Assert.Equal(text, tok.Decode(tok.Encode(text)));
        }
    }

    [Fact]
    public void Corpus_round_trips_and_compresses()
    {
        var tok = BpeTestText.Tokenizer;
        var text = BpeTestText.Generate(50_000, seed: 99); // not the training text
        var ids = tok.Encode(text);
        Assert.Equal(text, tok.Decode(ids));
        var bytesPerToken = Encoding.UTF8.GetByteCount(text) / (double)ids.Length;
        Assert.InRange(bytesPerToken, 2.5, 10); // a 1024-id vocabulary on its own kind of text: well above 1 byte per token
    }

    [Fact]
    public void Decode_rejects_ids_out_of_range()
    {
        var tok = BpeTestText.Tokenizer;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([1, tok.VocabSize]));
        Assert.Contains($"0..{tok.VocabSize - 1}", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.DecodeBytes([-1]));
    }

    [Fact]
    public void Encoding_is_the_same_on_many_threads()
    {
        var tok = HandMade(_dir, "Ġ t", "h e", "Ġt he", "l l", "he ll", "o w");
        var text = BpeTestText.Generate(20_000, seed: 3);
        var expected = tok.Encode(text);
        var results = new int[8][];
        Parallel.For(0, 8, i => results[i] = tok.Encode(text));
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
