namespace SaeWorkbench.Tokenization;

/// <summary>
/// GPT-2's byte-to-unicode table (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners", §2.2
/// Input Representation; <c>bytes_to_unicode</c> in openai/gpt-2 <c>src/encoder.py</c>): each of the 256 byte values
/// is shown as one printable character so that vocab.json and merges.txt can hold byte strings as text. The 188
/// printable bytes <c>!</c>..<c>~</c>, <c>¡</c>..<c>¬</c>, <c>®</c>..<c>ÿ</c> stand for themselves; the other 68 bytes
/// (0-32, 127-160, 173), in increasing order, become U+0100, U+0101, ... (byte 32, the space, is <c>Ġ</c> U+0120; byte
/// 10, the newline, is <c>Ċ</c> U+010A).
/// <para>
/// The same order gives the ids of the byte tokens in GPT-2's vocabulary: <c>!</c> is id 0, the newline id 198, the
/// space id 220. <see cref="BpeTokenizer.Train"/> numbers its byte tokens the same way.
/// </para>
/// </summary>
public static class BpeByteAlphabet
{
    private static readonly char[] ByteToChar = new char[256];
    private static readonly byte[] OrderToByte = new byte[256];
    private static readonly byte[] ByteToOrder = new byte[256];
    private static readonly short[] CharToByte = new short[512]; // every alphabet character is below U+0144

    static BpeByteAlphabet()
    {
        Array.Fill(CharToByte, (short)-1);
        var order = 0;
        var printable = new bool[256];
        for (var b = '!'; b <= '~'; b++) printable[b] = true;
        for (var b = '¡'; b <= '¬'; b++) printable[b] = true;
        for (var b = '®'; b <= 'ÿ'; b++) printable[b] = true;
        for (var b = 0; b < 256; b++)
            if (printable[b]) Assign(b, (char)b);
        var n = 0;
        for (var b = 0; b < 256; b++)
            if (!printable[b]) Assign(b, (char)(256 + n++));

        void Assign(int b, char c)
        {
            ByteToChar[b] = c;
            CharToByte[c] = (short)b;
            OrderToByte[order] = (byte)b;
            ByteToOrder[b] = (byte)order;
            order++;
        }
    }

    /// <summary>The character that stands for byte <paramref name="b"/> (e.g. 32 -> 'Ġ', 10 -> 'Ċ', 65 -> 'A').</summary>
    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>The byte that <paramref name="c"/> stands for, or false when <paramref name="c"/> is not one of the 256 alphabet characters.</summary>
    public static bool TryToByte(char c, out byte b)
    {
        var v = c < CharToByte.Length ? CharToByte[c] : (short)-1;
        b = (byte)Math.Max((short)0, v);
        return v >= 0;
    }

    /// <summary>Position of byte <paramref name="b"/> in the table's order: the id GPT-2's vocabulary gives that byte's token.</summary>
    public static int Order(byte b) => ByteToOrder[b];

    /// <summary>The byte at position <paramref name="order"/> (0..255) of the table's order; inverse of <see cref="Order"/>.</summary>
    public static byte ByteAt(int order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, 255);
        return OrderToByte[order];
    }

    /// <summary>The alphabet string of a byte string, as vocab.json and merges.txt write tokens (" the" -> "Ġthe").</summary>
    public static string ToText(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "";
        return string.Create(bytes.Length, bytes.ToArray(), static (span, arr) =>
        {
            for (var i = 0; i < arr.Length; i++) span[i] = ByteToChar[arr[i]];
        });
    }

    /// <summary>
    /// The byte string of an alphabet string ("Ġthe" -> " the"), or null when a character is not one of the 256
    /// alphabet characters (such a string names no byte string, e.g. a special token written in another way).
    /// </summary>
    public static byte[]? TryToBytes(ReadOnlySpan<char> text)
    {
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
            if (!TryToByte(text[i], out bytes[i])) return null;
        return bytes;
    }
}
