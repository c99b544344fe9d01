using System.Runtime.InteropServices;

namespace SaeWorkbench.Tokenization;

/// <summary>
/// Equality of byte strings by content, with span look-ups (<c>GetAlternateLookup&lt;ReadOnlySpan&lt;byte&gt;&gt;</c>) so
/// that the tokenizer's word cache and the trainer's word counts find a piece without copying it first.
/// </summary>
internal sealed class BpeByteStringComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly BpeByteStringComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    /// <summary>
    /// A multiply-xorshift hash over 8-byte words (most pieces are one or two words; this is several times faster than
    /// <see cref="HashCode.AddBytes"/> on them). Not seeded: the keys are text pieces, not adversarial input.
    /// </summary>
    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var s = alternate;
        var h = (ulong)s.Length * 0x9E3779B97F4A7C15UL;
        while (s.Length >= 8)
        {
            h = (h ^ MemoryMarshal.Read<ulong>(s)) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 32;
            s = s[8..];
        }
        if (!s.IsEmpty)
        {
            ulong t = 0;
            for (var i = 0; i < s.Length; i++) t |= (ulong)s[i] << (8 * i);
            h = (h ^ t) * 0xC4CEB9FE1A85EC53UL;
            h ^= h >> 29;
        }
        return (int)h ^ (int)(h >> 32);
    }

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
