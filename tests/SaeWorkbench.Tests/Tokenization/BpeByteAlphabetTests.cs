using SaeWorkbench.Tokenization;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>GPT-2's bytes_to_unicode table: known entries from encoder.py and GPT-2's vocab.json.</summary>
public class BpeByteAlphabetTests
{
    [Theory]
    [InlineData(32, '\u0120')]  // space -> 'Ġ'
    [InlineData(10, '\u010A')]  // newline -> 'Ċ'
    [InlineData(9, '\u0109')]   // tab -> 'ĉ'
    [InlineData(0, '\u0100')]   // first non-printable -> U+0100
    [InlineData(127, '\u0121')] // DEL follows the 33 bytes 0..32
    [InlineData(160, '\u0142')] // NBSP, last of 127..160
    [InlineData(173, '\u0143')] // soft hyphen, the last non-printable
    [InlineData(65, 'A')]
    [InlineData(33, '!')]
    [InlineData(161, '¡')]
    [InlineData(255, 'ÿ')]
    public void Known_entries(int b, char c)
    {
        Assert.Equal(c, BpeByteAlphabet.ToChar((byte)b));
        Assert.True(BpeByteAlphabet.TryToByte(c, out var back));
        Assert.Equal(b, back);
    }

    [Theory]
    [InlineData((byte)'!', 0)]
    [InlineData((byte)'A', 32)]
    [InlineData((byte)'\n', 198)] // GPT-2's vocab.json: "Ċ": 198
    [InlineData((byte)' ', 220)]  // "Ġ": 220
    [InlineData((byte)0xFF, 187)] // the last of the 188 printable bytes
    [InlineData((byte)0xAD, 255)]
    public void Order_is_gpt2s_byte_token_id(byte b, int id)
    {
        Assert.Equal(id, BpeByteAlphabet.Order(b));
        Assert.Equal(b, BpeByteAlphabet.ByteAt(id));
    }

    [Fact]
    public void Table_is_a_bijection_onto_256_printable_characters()
    {
        var chars = new HashSet<char>();
        for (var b = 0; b < 256; b++)
        {
            var c = BpeByteAlphabet.ToChar((byte)b);
            Assert.True(chars.Add(c));
            Assert.False(char.IsWhiteSpace(c) || char.IsControl(c), $"byte {b} maps to non-printable U+{(int)c:X4}");
        }
        Assert.False(BpeByteAlphabet.TryToByte(' ', out _));
        Assert.False(BpeByteAlphabet.TryToByte('\u0144', out _));
        Assert.False(BpeByteAlphabet.TryToByte('€', out _));
    }

    [Fact]
    public void Text_conversion_round_trips()
    {
        Assert.Equal("Ġthe", BpeByteAlphabet.ToText(" the"u8));
        Assert.Equal("ĠcafÃ©", BpeByteAlphabet.ToText(" café"u8)); // é is C3 A9
        Assert.Equal(" the"u8.ToArray(), BpeByteAlphabet.TryToBytes("Ġthe"));
        Assert.Null(BpeByteAlphabet.TryToBytes("a b"));
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Assert.Equal(all, BpeByteAlphabet.TryToBytes(BpeByteAlphabet.ToText(all)));
    }
}
