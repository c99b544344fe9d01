using SaeWorkbench.Tokenization;
using System.Text;
using System.Text.Json;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>
/// Encodings compared with python/bpe_reference.py, an independent rewrite of GPT-2's encoder.py (its regex with the
/// Unicode classes spelled out for Python's re, bytes_to_unicode, bpe() by rank), run by Debian's /usr/bin/python3.
/// </summary>
public sealed class BpeReferenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bpe-ref-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Characters whose Unicode category has been the same for many Unicode versions (Python 3.11 has Unicode 14).</summary>
    private const string Pool =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-()[]{}<>|/\\@#$%^&*_+=~`" +
        "         ''''sstmdlrve\n\n\t\r\u000B\u000C\u0085\u00A0\u2003\u3000\u2028\u001E\u001F" +
        "éèüßçñøÅæ¡¿«»°±²³½µ¶·" + "αβγΔΩ" + "абвЖЯ" + "東京日本語中文" + "٣٤५๓" + "\u0301\u0308" + "€£¥©®™…–—“”‘’";

    private static readonly string[] Supplementary = ["😀", "🎉", "𝐀", "𝐳", "𠀀", "𝟘"]; // So, Lu, Ll, Lo, Nd

    private static List<string> Texts()
    {
        var rng = new Random(21);
        var texts = new List<string>();
        foreach (var doc in BpeTestText.Documents(3_000, 8, seed: 77)) texts.Add(doc);
        var sb = new StringBuilder();
        for (var t = 0; t < 300; t++)
        {
            sb.Clear();
            var n = rng.Next(1, 80);
            for (var i = 0; i < n; i++)
                sb.Append(rng.Next(20) == 0 ? Supplementary[rng.Next(Supplementary.Length)] : Pool[rng.Next(Pool.Length)].ToString());
            texts.Add(sb.ToString());
        }
        // Long pieces (the priority-queue path beyond 64 bytes): letters, digits, punctuation, whitespace.
        foreach (var alphabet in new[] { "etaoinshr", "0123456789", "!?.,;-", " \n", "ab" })
            for (var t = 0; t < 4; t++)
                texts.Add(" " + new string([.. Enumerable.Range(0, 65 + rng.Next(400)).Select(_ => alphabet[rng.Next(alphabet.Length)])]));
        texts.Add(new string('a', 71));
        texts.Add("");
        return texts;
    }

    private void CompareWithPython(BpeTokenizer tok, List<string> texts)
    {
        tok.Save(_dir);
        var textsFile = Path.Combine(_dir, "texts.json");
        var outFile = Path.Combine(_dir, "ids.json");
        File.WriteAllText(textsFile, JsonSerializer.Serialize(texts));
        Python.Run("bpe_reference.py", Path.Combine(_dir, "vocab.json"), Path.Combine(_dir, "merges.txt"), textsFile, outFile);
        var expected = JsonSerializer.Deserialize<int[][]>(File.ReadAllText(outFile))!;
        Assert.Equal(texts.Count, expected.Length);
        for (var i = 0; i < texts.Count; i++)
        {
            var got = tok.Encode(texts[i]);
            Assert.True(expected[i].SequenceEqual(got),
                $"text {i} {JsonSerializer.Serialize(texts[i])}:\n python [{string.Join(",", expected[i])}]\n ours   [{string.Join(",", got)}]");
        }
    }

    [Fact]
    public void Trained_vocabulary_encodes_like_gpt2s_encoder() => CompareWithPython(BpeTestText.Tokenizer, Texts());

    [Fact]
    public void Merge_ranks_out_of_causal_order_encode_like_gpt2s_encoder()
    {
        // 0 "aa a", 1 "a a", 2 "Ġ a", 3 "Ġa a": a file whose ranks do not follow creation order.
        var tok = BpeTokenizerTests.HandMade(_dir, "aa a", "a a", "Ġ a", "Ġa a");
        var rng = new Random(3);
        var texts = Enumerable.Range(0, 60).Select(i => string.Concat(Enumerable.Range(0, 1 + rng.Next(i < 50 ? 12 : 120)).Select(_ => rng.Next(5) == 0 ? " " : "a"))).ToList();
        CompareWithPython(tok, texts);
    }
}
