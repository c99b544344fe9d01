using System.Globalization;
using System.Text;

namespace SaeWorkbench.Tokenization;

/// <summary>
/// GPT-2's pre-tokenizer (Radford et al. 2019, §2.2: BPE never merges across character categories): the text is cut
/// into pieces by the regular expression
/// <code>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</code>
/// and byte-pair merges apply within a piece only.
/// <para>
/// This is a hand-written matcher with exactly the regex's leftmost-first semantics, run on UTF-8 bytes and on Unicode
/// code points (so a letter outside the Basic Multilingual Plane, such as U+1D400, is a letter as in Python's
/// <c>regex</c> module, where .NET's UTF-16 <see cref="System.Text.RegularExpressions.Regex"/> would see two
/// surrogates). <c>\p{L}</c> and <c>\p{N}</c> are the Unicode general categories L* and N* (<see cref="Rune.GetUnicodeCategory"/>);
/// <c>\s</c> is the Unicode White_Space property (<see cref="Rune.IsWhiteSpace"/>; like the <c>regex</c> module and
/// unlike Python's <c>re</c>, it excludes U+001C..U+001F). The contractions are case-sensitive, as in GPT-2.
/// </para>
/// <para>
/// Byte strings that are not valid UTF-8: each maximal invalid subsequence (as <see cref="Rune.DecodeFromUtf8"/>
/// reports it, 1 to 3 bytes) counts as one character of the class <c>[^\s\p{L}\p{N}]</c>, so it joins the
/// punctuation-like run around it. Valid UTF-8 is split exactly as GPT-2 splits the decoded text, and the pieces
/// always cover the input exactly, in order, so encoding any byte string round-trips.
/// </para>
/// </summary>
public static class BpePreTokenizer
{
    /// <summary>Character classes of the pattern.</summary>
    private enum Cls : byte { Letter, Number, Space, Other }

    private static readonly Cls[] Ascii = BuildAscii();

    private static Cls[] BuildAscii()
    {
        var t = new Cls[128];
        for (var c = 0; c < 128; c++) t[c] = Classify(new Rune(c));
        return t;
    }

    private static Cls Classify(Rune r)
    {
        if (Rune.IsWhiteSpace(r)) return Cls.Space;
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return Cls.Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return Cls.Number;
            default:
                return Cls.Other;
        }
    }

    /// <summary>Class and UTF-8 length of the character at the start of <paramref name="s"/> (not empty).</summary>
    private static Cls Unit(ReadOnlySpan<byte> s, out int length)
    {
        var b = s[0];
        if (b < 0x80)
        {
            length = 1;
            return Ascii[b];
        }
        if (Rune.DecodeFromUtf8(s, out var rune, out length) == System.Buffers.OperationStatus.Done)
            return Classify(rune);
        return Cls.Other; // a maximal invalid subsequence: punctuation-like, see the class remarks
    }

    /// <summary>The pieces of <paramref name="utf8"/>, in order; they partition it.</summary>
    public static Enumerator Split(ReadOnlySpan<byte> utf8) => new(utf8);

    /// <summary>The pieces of <paramref name="text"/> as strings (a convenience for tests and display; encoding uses <see cref="Split"/>).</summary>
    public static List<string> SplitText(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var pieces = new List<string>();
        foreach (var range in Split(bytes))
            pieces.Add(Encoding.UTF8.GetString(bytes.AsSpan(range.Start, range.Length)));
        return pieces;
    }

    /// <summary>One piece: <see cref="Length"/> bytes from <see cref="Start"/>.</summary>
    public readonly record struct Piece(int Start, int Length);

    /// <summary>Walks the pieces without allocating.</summary>
    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _s;
        private int _pos;
        private Piece _current;

        internal Enumerator(ReadOnlySpan<byte> s)
        {
            _s = s;
            _pos = 0;
            _current = default;
        }

        public readonly Piece Current => _current;

        public readonly Enumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            var s = _s;
            var n = s.Length;
            var p = _pos;
            if (p >= n) return false;

            var end = Match(s, p, n);
            _current = new Piece(p, end - p);
            _pos = end;
            return true;
        }

        /// <summary>End of the match of the pattern at <paramref name="p"/>; alternatives tried in the pattern's order.</summary>
        private static int Match(ReadOnlySpan<byte> s, int p, int n)
        {
            var b = s[p];

            // 's|'t|'re|'ve|'m|'ll|'d
            if (b == (byte)'\'' && p + 1 < n)
            {
                var c1 = s[p + 1];
                if (c1 is (byte)'s' or (byte)'t' or (byte)'m' or (byte)'d') return p + 2;
                if (p + 2 < n)
                {
                    var c2 = s[p + 2];
                    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return p + 3;
                }
            }

            Cls cls;
            int len;
            if (b < 0x80)
            {
                cls = Ascii[b];
                len = 1;
            }
            else cls = Unit(s[p..], out len);

            // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': a space may lead a run of a non-space class.
            var q = p;
            if (b == (byte)' ' && p + 1 < n)
            {
                var b1 = s[p + 1];
                var nextLen = 1;
                var next = b1 < 0x80 ? Ascii[b1] : Unit(s[(p + 1)..], out nextLen);
                if (next != Cls.Space)
                {
                    cls = next;
                    q = p + 1;
                    len = nextLen;
                }
            }

            if (cls != Cls.Space)
            {
                q += len;
                while (q < n)
                {
                    var c = s[q];
                    if (c < 0x80)
                    {
                        if (Ascii[c] != cls) break;
                        q++;
                    }
                    else
                    {
                        if (Unit(s[q..], out len) != cls) break;
                        q += len;
                    }
                }
                return q;
            }

            // '\s+(?!\S)|\s+': the whitespace run; when a non-space follows it, leave its last character to lead the
            // next piece (the lookahead backtracks one character), unless the run is one character long.
            var last = p;
            q = p + len;
            while (q < n)
            {
                var c = s[q];
                if (c < 0x80)
                {
                    if (Ascii[c] != Cls.Space) break;
                    len = 1;
                }
                else if (Unit(s[q..], out len) != Cls.Space) break;
                last = q;
                q += len;
            }
            if (q == n || last == p) return q;
            return last;
        }
    }
}
