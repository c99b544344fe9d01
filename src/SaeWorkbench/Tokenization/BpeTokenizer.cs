using System.Collections.Concurrent;
using System.Text;

namespace SaeWorkbench.Tokenization;

/// <summary>
/// GPT-2's byte-level byte-pair encoding (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword
/// Units", §3.2; Radford et al. 2019, GPT-2 paper §2.2 Input Representation). Text is UTF-8 bytes; the base vocabulary
/// is the 256 bytes, so every byte string encodes and <c>DecodeBytes(EncodeBytes(b)) == b</c> exactly. Encoding cuts the
/// bytes into pieces with GPT-2's pre-tokenizer (<see cref="BpePreTokenizer"/>) and, within each piece, applies the
/// learned merges by rank: repeatedly take the adjacent pair with the lowest merge rank and merge all its
/// non-overlapping occurrences left to right, until no adjacent pair has a merge (the loop of <c>bpe()</c> in
/// openai/gpt-2 <c>src/encoder.py</c>).
/// <para>
/// Files: <see cref="Load"/>/<see cref="FromFiles"/> read GPT-2's vocab.json + merges.txt (as published by OpenAI and
/// Hugging Face); <see cref="Save"/> writes the same format. <see cref="Train"/> learns a vocabulary from text.
/// </para>
/// <para>
/// Special tokens (GPT-2 has one, <c>&lt;|endoftext|&gt;</c>, id 50256) are vocabulary entries that are neither a byte
/// nor the result of a merge. By default they are ordinary text to <see cref="Encode(string)"/> (text that contains
/// "&lt;|endoftext|&gt;" encodes it as bytes and merges, so documents cannot inject a control token);
/// <c>Encode(text, recognizeSpecialTokens: true)</c> turns each occurrence into its one id. Decoding a special id
/// gives its text.
/// </para>
/// <para>
/// Thread safety: an instance is immutable except for its word cache (piece bytes to token ids, at most
/// <see cref="MaxCacheEntries"/> pieces of up to <see cref="MaxCachedPieceBytes"/> bytes, cleared when full), which is
/// a concurrent dictionary; encoding and decoding may run on many threads at once.
/// </para>
/// </summary>
public sealed partial class BpeTokenizer : ITokenizer
{
    /// <summary>GPT-2's end-of-text token, which separates documents.</summary>
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Pieces longer than this (bytes) are encoded afresh each time rather than cached.</summary>
    public const int MaxCachedPieceBytes = 256;

    /// <summary>Word-cache capacity (pieces); the cache is cleared when it reaches it.</summary>
    public const int MaxCacheEntries = 1 << 18;

    /// <summary>Pieces up to this many bytes use the quadratic scan of GPT-2's loop; longer ones a priority queue.</summary>
    private const int ScanLimit = 64;

    private readonly byte[][] _tokenBytes;          // id -> bytes (a special token: the UTF-8 of its text)
    private readonly bool[] _isSpecial;             // id -> special?
    private readonly int[] _byteToId = new int[256];
    private readonly int[] _mergeLeft, _mergeRight, _mergeResult; // rank -> merge
    private readonly Dictionary<ulong, ulong> _mergeTable;        // (left << 32 | right) -> (rank << 32 | result)
    private readonly Special[] _specials;           // longest text first
    private readonly Dictionary<string, int> _idByText;           // vocab.json key -> id
    private readonly ConcurrentDictionary<byte[], int[]> _cache = new(BpeByteStringComparer.Instance);
    private readonly ConcurrentDictionary<byte[], int[]>.AlternateLookup<ReadOnlySpan<byte>> _cacheLookup;
    private int _cacheCount;

    private sealed record Special(string Text, byte[] Utf8, int Id);

    /// <summary>
    /// Builds a tokenizer from checked parts. <paramref name="tokens"/>: for each id, its bytes, or for a special token
    /// its text (<paramref name="specialText"/>[id] non-null). <paramref name="merges"/>: (left id, right id, result id)
    /// by rank. Throws <see cref="ArgumentException"/> on an inconsistency; the file loader checks first and names the file.
    /// </summary>
    internal BpeTokenizer(byte[]?[] tokens, string?[] specialText, IReadOnlyList<(int Left, int Right, int Result)> merges)
    {
        var v = tokens.Length;
        if (specialText.Length != v) throw new ArgumentException("one special-text slot per token id is needed", nameof(specialText));
        _tokenBytes = new byte[v][];
        _isSpecial = new bool[v];
        _idByText = new Dictionary<string, int>(v, StringComparer.Ordinal);
        Array.Fill(_byteToId, -1);
        var specials = new List<Special>();
        for (var id = 0; id < v; id++)
        {
            if (specialText[id] is { } text)
            {
                if (text.Length == 0) throw new ArgumentException($"special token id {id} has empty text");
                _isSpecial[id] = true;
                _tokenBytes[id] = Encoding.UTF8.GetBytes(text);
                specials.Add(new Special(text, _tokenBytes[id], id));
                if (!_idByText.TryAdd(text, id)) throw new ArgumentException($"ids {_idByText[text]} and {id} are both '{text}'");
                continue;
            }
            var bytes = tokens[id] ?? throw new ArgumentException($"token id {id} has neither bytes nor special text");
            if (bytes.Length == 0) throw new ArgumentException($"token id {id} is empty");
            _tokenBytes[id] = bytes;
            if (bytes.Length == 1)
            {
                if (_byteToId[bytes[0]] >= 0) throw new ArgumentException($"ids {_byteToId[bytes[0]]} and {id} are both byte 0x{bytes[0]:X2}");
                _byteToId[bytes[0]] = id;
            }
            var key = BpeByteAlphabet.ToText(bytes);
            if (!_idByText.TryAdd(key, id)) throw new ArgumentException($"ids {_idByText[key]} and {id} are both '{key}'");
        }
        for (var b = 0; b < 256; b++)
            if (_byteToId[b] < 0)
                throw new ArgumentException($"no token for byte 0x{b:X2} ('{BpeByteAlphabet.ToChar((byte)b)}'): byte-level BPE needs all 256 byte tokens");

        var m = merges.Count;
        _mergeLeft = new int[m];
        _mergeRight = new int[m];
        _mergeResult = new int[m];
        _mergeTable = new Dictionary<ulong, ulong>(m);
        for (var r = 0; r < m; r++)
        {
            var (l, rt, res) = merges[r];
            foreach (var t in (ReadOnlySpan<int>)[l, rt, res])
                if ((uint)t >= (uint)v || _isSpecial[t]) throw new ArgumentException($"merge {r} uses id {t}, which is not a byte or merged token");
            if (!_tokenBytes[res].AsSpan().SequenceEqual([.. _tokenBytes[l], .. _tokenBytes[rt]]))
                throw new ArgumentException($"merge {r}: id {res} is not the concatenation of ids {l} and {rt}");
            if (!_mergeTable.TryAdd(PairKey(l, rt), ((ulong)(uint)r << 32) | (uint)res))
                throw new ArgumentException($"merge {r} repeats the pair ({l}, {rt})");
            _mergeLeft[r] = l;
            _mergeRight[r] = rt;
            _mergeResult[r] = res;
        }
        specials.Sort((a, b) => b.Utf8.Length.CompareTo(a.Utf8.Length));
        _specials = [.. specials];
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Number of token ids: bytes, merged tokens and special tokens.</summary>
    public int VocabSize => _tokenBytes.Length;

    /// <summary>Number of merges (ranks 0 .. MergeCount-1).</summary>
    public int MergeCount => _mergeResult.Length;

    /// <summary>Texts of the special tokens, by increasing id.</summary>
    public IReadOnlyList<string> SpecialTokens => [.. _specials.OrderBy(s => s.Id).Select(s => s.Text)];

    /// <summary>Id of <see cref="EndOfText"/>; throws when the vocabulary has no such special token.</summary>
    public int EndOfTextId => TryGetSpecialTokenId(EndOfText, out var id)
        ? id
        : throw new InvalidOperationException($"this vocabulary has no special token {EndOfText}; train with it in specialTokens (GPT-2's vocabulary has it as id 50256)");

    /// <summary>Id of the special token <paramref name="text"/>, if the vocabulary has it.</summary>
    public bool TryGetSpecialTokenId(string text, out int id)
    {
        if (_idByText.TryGetValue(text, out id) && _isSpecial[id]) return true;
        id = -1;
        return false;
    }

    /// <summary>Whether <paramref name="id"/> is a special token.</summary>
    public bool IsSpecial(int id) => _isSpecial[CheckId(id)];

    /// <summary>The bytes of token <paramref name="id"/> (a special token: the UTF-8 of its text).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => _tokenBytes[CheckId(id)];

    /// <summary>The token as vocab.json writes it: the byte alphabet string ("Ġthe" for " the"), or a special token's text.</summary>
    public string TokenText(int id) => _isSpecial[CheckId(id)] ? Encoding.UTF8.GetString(_tokenBytes[id]) : BpeByteAlphabet.ToText(_tokenBytes[id]);

    /// <summary>Id of the token that vocab.json writes as <paramref name="tokenText"/> ("Ġthe", "&lt;|endoftext|&gt;").</summary>
    public bool TryGetTokenId(string tokenText, out int id)
    {
        if (_idByText.TryGetValue(tokenText, out id)) return true;
        id = -1;
        return false;
    }

    /// <summary>The merge of rank <paramref name="rank"/>: (left id, right id, result id).</summary>
    public (int Left, int Right, int Result) Merge(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, MergeCount);
        return (_mergeLeft[rank], _mergeRight[rank], _mergeResult[rank]);
    }

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)_tokenBytes.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token ids are 0..{_tokenBytes.Length - 1}");
        return id;
    }

    private static ulong PairKey(int left, int right) => ((ulong)(uint)left << 32) | (uint)right;

    // ---------------------------------------------------------------- encoding

    /// <summary>Token ids of <paramref name="text"/> (its UTF-8 bytes); special-token texts are ordinary text here.</summary>
    public int[] Encode(string text) => Encode(text, recognizeSpecialTokens: false);

    /// <summary>Token ids of <paramref name="text"/>; with <paramref name="recognizeSpecialTokens"/> each occurrence of a special token's text becomes its id.</summary>
    public int[] Encode(string text, bool recognizeSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var n = Encoding.UTF8.GetBytes(text, rented);
            return EncodeBytes(rented.AsSpan(0, n), recognizeSpecialTokens);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Token ids of any byte string (valid UTF-8 or not); <c>DecodeBytes(EncodeBytes(b))</c> is <paramref name="bytes"/>.</summary>
    public int[] EncodeBytes(ReadOnlySpan<byte> bytes, bool recognizeSpecialTokens = false)
    {
        var ids = new List<int>(bytes.Length / 3 + 4);
        EncodeBytes(bytes, ids, recognizeSpecialTokens);
        return [.. ids];
    }

    /// <summary>Appends the token ids of <paramref name="bytes"/> to <paramref name="ids"/> (for streaming large corpora).</summary>
    public void EncodeBytes(ReadOnlySpan<byte> bytes, List<int> ids, bool recognizeSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (!recognizeSpecialTokens || _specials.Length == 0)
        {
            EncodeOrdinary(bytes, ids);
            return;
        }
        // Next occurrence of each special token at or after `pos` (absolute; -1 = none left).
        Span<int> nextAt = _specials.Length <= 16 ? stackalloc int[_specials.Length] : new int[_specials.Length];
        for (var i = 0; i < _specials.Length; i++) nextAt[i] = bytes.IndexOf(_specials[i].Utf8);
        var pos = 0;
        while (true)
        {
            var best = -1;
            for (var i = 0; i < _specials.Length; i++)
            {
                if (nextAt[i] >= 0 && nextAt[i] < pos)
                {
                    var found = bytes[pos..].IndexOf(_specials[i].Utf8);
                    nextAt[i] = found < 0 ? -1 : pos + found;
                }
                // Earliest occurrence; on a tie the longest text (specials are sorted longest first).
                if (nextAt[i] >= 0 && (best < 0 || nextAt[i] < nextAt[best])) best = i;
            }
            if (best < 0)
            {
                EncodeOrdinary(bytes[pos..], ids);
                return;
            }
            EncodeOrdinary(bytes[pos..nextAt[best]], ids);
            ids.Add(_specials[best].Id);
            pos = nextAt[best] + _specials[best].Utf8.Length;
        }
    }

    private void EncodeOrdinary(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        foreach (var piece in BpePreTokenizer.Split(bytes))
        {
            var word = bytes.Slice(piece.Start, piece.Length);
            if (word.Length == 1)
            {
                ids.Add(_byteToId[word[0]]);
                continue;
            }
            if (_cacheLookup.TryGetValue(word, out var cached))
            {
                ids.AddRange(cached);
                continue;
            }
            var start = ids.Count;
            if (word.Length <= ScanLimit) BpeScan(word, ids);
            else BpeQueue(word, ids);
            if (word.Length <= MaxCachedPieceBytes)
            {
                if (Interlocked.Increment(ref _cacheCount) > MaxCacheEntries)
                {
                    _cache.Clear();
                    Interlocked.Exchange(ref _cacheCount, 0);
                }
                _cacheLookup.TryAdd(word, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids)[start..].ToArray());
            }
        }
    }

    private bool TryMerge(int left, int right, out int rank, out int result)
    {
        if (_mergeTable.TryGetValue(PairKey(left, right), out var packed))
        {
            rank = (int)(packed >> 32);
            result = (int)(uint)packed;
            return true;
        }
        rank = int.MaxValue;
        result = -1;
        return false;
    }

    /// <summary>GPT-2's loop on a short piece: find the lowest-rank pair, merge all its occurrences, repeat.</summary>
    private void BpeScan(ReadOnlySpan<byte> word, List<int> ids)
    {
        var n = word.Length;
        Span<int> sym = stackalloc int[n];
        Span<int> rank = stackalloc int[n]; // rank[i]: rank of the pair (sym[i], sym[i+1]); int.MaxValue = no merge
        for (var i = 0; i < n; i++) sym[i] = _byteToId[word[i]];
        for (var i = 0; i + 1 < n; i++) TryMerge(sym[i], sym[i + 1], out rank[i], out _);
        const int Dirty = -1;
        while (n > 1)
        {
            var best = int.MaxValue;
            for (var i = 0; i + 1 < n; i++)
                if (rank[i] < best) best = rank[i];
            if (best == int.MaxValue) break;
            int l = _mergeLeft[best], r = _mergeRight[best], m = _mergeResult[best];
            var w = 0;
            for (var i = 0; i < n;)
            {
                if (i + 1 < n && sym[i] == l && sym[i + 1] == r)
                {
                    sym[w] = m;
                    rank[w] = Dirty;
                    if (w > 0) rank[w - 1] = Dirty;
                    w++;
                    i += 2;
                }
                else
                {
                    sym[w] = sym[i];
                    rank[w] = rank[i];
                    w++;
                    i++;
                }
            }
            n = w;
            for (var i = 0; i + 1 < n; i++)
                if (rank[i] == Dirty) TryMerge(sym[i], sym[i + 1], out rank[i], out _);
        }
        for (var i = 0; i < n; i++) ids.Add(sym[i]);
    }

    /// <summary>
    /// The same result as <see cref="BpeScan"/> for long pieces in O(n log n): a priority queue of (rank, position) over a
    /// linked list of symbols. Occurrences of one pair pop left to right; pairs that a merge creates wait until every
    /// occurrence of the current pair is merged (GPT-2 merges all of them before it looks at the new pairs).
    /// </summary>
    private void BpeQueue(ReadOnlySpan<byte> word, List<int> ids)
    {
        var n = word.Length;
        var sym = new int[n];
        var next = new int[n];
        var prev = new int[n];
        for (var i = 0; i < n; i++)
        {
            sym[i] = _byteToId[word[i]];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        var queue = new PriorityQueue<(int Pos, int Left, int Right), long>(n);
        var pending = new List<(int Pos, int Left, int Right, int Rank)>();
        for (var i = 0; i + 1 < n; i++)
            if (TryMerge(sym[i], sym[i + 1], out var r0, out _))
                queue.Enqueue((i, sym[i], sym[i + 1]), ((long)r0 << 32) | (uint)i);

        var current = -1;
        while (true)
        {
            if (!queue.TryPeek(out var e, out var priority))
            {
                if (pending.Count == 0) break;
                Flush();
                continue;
            }
            var rank = (int)(priority >> 32);
            if (pending.Count > 0 && rank != current)
            {
                Flush();
                continue;
            }
            queue.Dequeue();
            var p = e.Pos;
            if (sym[p] != e.Left || next[p] < 0 || sym[next[p]] != e.Right) continue; // stale
            current = rank;
            var q = next[p];
            sym[p] = _mergeResult[rank];
            sym[q] = -1;
            next[p] = next[q];
            if (next[q] >= 0) prev[next[q]] = p;
            if (prev[p] >= 0) Offer(prev[p]);
            if (next[p] >= 0) Offer(p);
        }

        for (var i = 0; i >= 0; i = next[i]) ids.Add(sym[i]);

        void Offer(int at)
        {
            if (!TryMerge(sym[at], sym[next[at]], out var r, out _)) return;
            if (r > current) queue.Enqueue((at, sym[at], sym[next[at]]), ((long)r << 32) | (uint)at);
            else pending.Add((at, sym[at], sym[next[at]], r));
        }

        void Flush()
        {
            foreach (var (pos, l, rt, r) in pending) queue.Enqueue((pos, l, rt), ((long)r << 32) | (uint)pos);
            pending.Clear();
        }
    }

    // ---------------------------------------------------------------- training

    /// <summary>
    /// Learns a byte-level BPE vocabulary of <paramref name="vocabSize"/> ids from <paramref name="texts"/>: the 256 byte
    /// tokens (GPT-2's ids), then merged tokens in the order learned, then <paramref name="specialTokens"/> (e.g.
    /// <see cref="EndOfText"/>) as the last ids, as in GPT-2. The algorithm and its tie-breaking are described on
    /// <see cref="BpeTrainer"/>; the same texts and arguments always give the same tokenizer. Learning stops early, with
    /// a smaller vocabulary, when no pair occurs at least <paramref name="minPairCount"/> times. Special-token texts
    /// inside the texts are cut out before counting.
    /// </summary>
    /// <param name="texts">Training documents, read once, in order.</param>
    /// <param name="vocabSize">Ids wanted in all: 256 + merges + special tokens; at least 256 + specialTokens.Count.</param>
    /// <param name="specialTokens">Special token texts, distinct, non-empty; may be empty.</param>
    /// <param name="minPairCount">A pair is merged only if it occurs at least this many times (weighted by word counts); at least 1.</param>
    /// <param name="progress">Receives a report every 1000 texts while counting and every 1% of the merges.</param>
    /// <param name="cancellationToken">Checked once per text and once per merge.</param>
    public static BpeTokenizer Train(
        IEnumerable<string> texts, int vocabSize, IReadOnlyList<string> specialTokens, int minPairCount = 2,
        IProgress<BpeTrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        BpeTrainer.Train(texts, vocabSize, specialTokens, minPairCount, progress, cancellationToken);

    // ---------------------------------------------------------------- decoding

    /// <summary>The bytes of a token sequence (special tokens give their text's UTF-8).</summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        var total = 0;
        foreach (var id in ids) total += _tokenBytes[CheckId(id)].Length;
        var bytes = new byte[total];
        var at = 0;
        foreach (var id in ids)
        {
            var t = _tokenBytes[id];
            t.CopyTo(bytes, at);
            at += t.Length;
        }
        return bytes;
    }

    /// <summary>The text of a token sequence (its bytes as UTF-8; invalid sequences, e.g. a cut-off character, become U+FFFD).</summary>
    public string Decode(ReadOnlySpan<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));
}
