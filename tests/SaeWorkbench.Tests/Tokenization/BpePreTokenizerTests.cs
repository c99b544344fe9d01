using SaeWorkbench.Tokenization;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>GPT-2's pre-tokenizer regex, hand-evaluated on cases that exercise each alternative.</summary>
public class BpePreTokenizerTests
{
    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("I'm don't we'll they've you're it's he'd", new[] { "I", "'m", " don", "'t", " we", "'ll", " they", "'ve", " you", "'re", " it", "'s", " he", "'d" })]
    [InlineData("It'S 'sam", new[] { "It", "'", "S", " '", "sam" })] // contractions are case-sensitive; a leading space is not part of them
    [InlineData("x'''s", new[] { "x", "'''", "s" })]
    [InlineData("  hello", new[] { " ", " hello" })] // the whitespace run leaves its last space to the word
    [InlineData("hello   \n\n world", new[] { "hello", "   \n\n", " world" })]
    [InlineData("a\tb", new[] { "a", "\t", "b" })] // a single whitespace before a non-space: \s+
    [InlineData("a\n\nb", new[] { "a", "\n", "\n", "b" })]
    [InlineData("x  \n", new[] { "x", "  \n" })] // a run at the end is one piece
    [InlineData("abc123 456 7.5", new[] { "abc", "123", " 456", " 7", ".", "5" })]
    [InlineData("hi!!! ?? ok", new[] { "hi", "!!!", " ??", " ok" })]
    [InlineData("naïve café 𝐀𝐁 ٣٤", new[] { "naïve", " café", " 𝐀𝐁", " ٣٤" })] // U+1D400.. are letters (outside the BMP); Arabic-Indic digits are numbers
    [InlineData("e\u0301t", new[] { "e", "\u0301", "t" })] // a combining mark is neither letter nor number
    [InlineData("\u00A0x", new[] { "\u00A0", "x" })] // NBSP is whitespace but not the optional ' '
    [InlineData("\u001Ex", new[] { "\u001E", "x" })] // U+001E is not White_Space (Python's re would say it is)
    [InlineData(" ", new[] { " " })]
    [InlineData("", new string[0])]
    public void Splits_like_gpt2s_regex(string text, string[] pieces) => Assert.Equal(pieces, BpePreTokenizer.SplitText(text));

    [Fact]
    public void Invalid_utf8_is_punctuation_like()
    {
        byte[] s = [(byte)'a', 0xFF, 0xFE, (byte)' ', 0xFF, (byte)'b', 0xE2, 0x82]; // ... "b" and a cut-off 3-byte character
        var pieces = Pieces(s);
        Assert.Equal([[(byte)'a'], [0xFF, 0xFE], [(byte)' ', 0xFF], [(byte)'b'], [0xE2, 0x82]], pieces);
    }

    [Fact]
    public void Pieces_partition_random_bytes()
    {
        var rng = new Random(11);
        for (var t = 0; t < 300; t++)
        {
            var s = new byte[rng.Next(200)];
            rng.NextBytes(s);
            if (t % 2 == 0) // mostly ASCII text with spaces
                for (var i = 0; i < s.Length; i++) s[i] = s[i] < 200 ? (byte)" ae1'\n.\t"[s[i] % 8] : s[i];
            var at = 0;
            foreach (var p in BpePreTokenizer.Split(s))
            {
                Assert.Equal(at, p.Start);
                Assert.True(p.Length > 0);
                at += p.Length;
            }
            Assert.Equal(s.Length, at);
        }
    }

    private static byte[][] Pieces(byte[] s)
    {
        var list = new List<byte[]>();
        foreach (var p in BpePreTokenizer.Split(s)) list.Add(s.AsSpan(p.Start, p.Length).ToArray());
        return [.. list];
    }
}
