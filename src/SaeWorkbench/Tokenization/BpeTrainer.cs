using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SaeWorkbench.Tokenization;

/// <summary>
/// One progress report of <see cref="BpeTokenizer.Train"/>.
/// </summary>
/// <param name="Stage">"counting" (pre-tokenizing the texts and counting words) or "merging".</param>
/// <param name="Bytes">UTF-8 bytes of text read so far.</param>
/// <param name="DistinctWords">Distinct pre-tokenizer pieces counted so far.</param>
/// <param name="Merges">Merges learned so far.</param>
/// <param name="TargetMerges">Merges needed to reach the requested vocabulary size (the count can stop short when the text runs out of pairs).</param>
/// <param name="Elapsed">Wall time since training started.</param>
public sealed record BpeTrainingProgress(string Stage, long Bytes, int DistinctWords, int Merges, int TargetMerges, TimeSpan Elapsed);

/// <summary>
/// Byte-level BPE learning (Sennrich et al. 2016, §3.2 Algorithm 1, on bytes as in GPT-2, Radford et al. 2019 §2.2):
/// start from the 256 byte tokens, cut the texts with GPT-2's pre-tokenizer, count each distinct piece ("word"), and
/// repeatedly merge the most frequent adjacent pair of tokens summed over all words (weighted by word count) into a new
/// token. Pair counts are updated incrementally: an index from each pair to the words that contain it limits each merge
/// to the words it changes, and a lazy max-heap finds the next pair.
/// <para>
/// Ties: among pairs of equal count the one with the smaller left id wins, then the smaller right id. Byte tokens have
/// GPT-2's ids (<see cref="BpeByteAlphabet.Order"/>: '!' is 0, the space 220) and merged tokens the ids after them in the
/// order they are learned, so the result depends only on the texts (their order included) and the arguments.
/// </para>
/// </summary>
internal static class BpeTrainer
{
    public static BpeTokenizer Train(
        IEnumerable<string> texts, int vocabSize, IReadOnlyList<string> specialTokens, int minPairCount,
        IProgress<BpeTrainingProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(specialTokens);
        var specials = CheckSpecials(specialTokens);
        if (vocabSize < 256 + specials.Length || vocabSize > 1 << 24)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"vocabSize must be in [{256 + specials.Length}, {1 << 24}]: the 256 byte tokens plus {specials.Length} special token(s), plus the merges to learn");
        if (minPairCount < 1)
            throw new ArgumentOutOfRangeException(nameof(minPairCount), minPairCount, "minPairCount must be >= 1 (a pair seen fewer times than this is never merged)");
        var clock = Stopwatch.StartNew();
        var targetMerges = vocabSize - 256 - specials.Length;

        // ---- count words
        var wordCounts = new Dictionary<byte[], long>(BpeByteStringComparer.Instance);
        var lookup = wordCounts.GetAlternateLookup<ReadOnlySpan<byte>>();
        var specialUtf8 = specials.Select(Encoding.UTF8.GetBytes).ToArray();
        long totalBytes = 0;
        var buffer = Array.Empty<byte>();
        var textsSeen = 0;
        foreach (var text in texts)
        {
            ct.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            var max = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (buffer.Length < max) buffer = new byte[Math.Max(max, 2 * buffer.Length)];
            var n = Encoding.UTF8.GetBytes(text, buffer);
            totalBytes += n;
            CountSegment(buffer.AsSpan(0, n));
            if (++textsSeen % 1000 == 0)
                progress?.Report(new BpeTrainingProgress("counting", totalBytes, wordCounts.Count, 0, targetMerges, clock.Elapsed));
        }
        progress?.Report(new BpeTrainingProgress("counting", totalBytes, wordCounts.Count, 0, targetMerges, clock.Elapsed));

        void CountSegment(ReadOnlySpan<byte> s)
        {
            // Special-token texts separate documents; they are cut out, never learned.
            while (!s.IsEmpty)
            {
                int at = -1, len = 0;
                foreach (var sp in specialUtf8)
                {
                    var i = s.IndexOf(sp);
                    if (i >= 0 && (at < 0 || i < at || (i == at && sp.Length > len))) (at, len) = (i, sp.Length);
                }
                var part = at < 0 ? s : s[..at];
                foreach (var piece in BpePreTokenizer.Split(part))
                {
                    var w = part.Slice(piece.Start, piece.Length);
                    CollectionsMarshal.GetValueRefOrAddDefault(lookup, w, out _)++;
                }
                if (at < 0) break;
                s = s[(at + len)..];
            }
        }

        // ---- the vocabulary so far
        var tokenBytes = new List<byte[]>(vocabSize);
        var idByBytes = new Dictionary<byte[], int>(BpeByteStringComparer.Instance);
        var byteId = new int[256];
        for (var order = 0; order < 256; order++)
        {
            var b = BpeByteAlphabet.ByteAt(order);
            byteId[b] = order;
            tokenBytes.Add([b]);
            idByBytes.Add([b], order);
        }
        var specialTexts = new HashSet<string>(specials, StringComparer.Ordinal);

        // ---- words as token sequences, pair counts, pair -> words index
        var words = new int[wordCounts.Count][];
        var lens = new int[wordCounts.Count];
        var freq = new long[wordCounts.Count];
        var counts = new Dictionary<ulong, long>();
        var where = new Dictionary<ulong, List<int>>();
        var wi = 0;
        foreach (var (bytes, count) in wordCounts)
        {
            var sym = new int[bytes.Length];
            for (var i = 0; i < bytes.Length; i++) sym[i] = byteId[bytes[i]];
            words[wi] = sym;
            lens[wi] = sym.Length;
            freq[wi] = count;
            for (var i = 0; i + 1 < sym.Length; i++)
            {
                var key = Key(sym[i], sym[i + 1]);
                CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _) += count;
                AddWhere(key, wi);
            }
            wi++;
        }
        wordCounts.Clear();
        wordCounts.TrimExcess();

        var heap = new PriorityQueue<ulong, (long NegCount, ulong Key)>(counts.Count);
        foreach (var (key, c) in counts) heap.Enqueue(key, (-c, key));

        // ---- merge loop
        var merges = new List<(int Left, int Right, int Result)>(targetMerges);
        var deltas = new Dictionary<ulong, long>();
        var forbidden = new HashSet<ulong>();
        var reportEvery = Math.Max(1, targetMerges / 100);
        while (tokenBytes.Count < vocabSize - specials.Length)
        {
            ct.ThrowIfCancellationRequested();
            if (!heap.TryDequeue(out var pair, out var pri)) break;
            var current = counts.GetValueOrDefault(pair);
            if (-pri.NegCount != current)
            {
                // Stale: the count fell since this entry was queued. (Rises queue a fresh entry at once.)
                if (current > 0 && current < -pri.NegCount) heap.Enqueue(pair, (-current, pair));
                continue;
            }
            if (current < minPairCount) break;
            int left = (int)(pair >> 32), right = (int)(uint)pair;
            byte[] merged = [.. tokenBytes[left], .. tokenBytes[right]];
            if (specialTexts.Contains(BpeByteAlphabet.ToText(merged)))
            {
                // The new token would be written in vocab.json exactly as a special token; never learn it.
                forbidden.Add(pair);
                counts.Remove(pair);
                continue;
            }
            if (!idByBytes.TryGetValue(merged, out var m))
            {
                m = tokenBytes.Count;
                tokenBytes.Add(merged);
                idByBytes.Add(merged, m);
            }
            merges.Add((left, right, m));
            forbidden.Add(pair); // should the pair form again (a later merge re-creating `left`), it is not learned twice

            deltas.Clear();
            var affected = where[pair];
            affected.Sort();
            var last = -1;
            foreach (var w in affected)
            {
                if (w == last) continue;
                last = w;
                MergeInWord(w, left, right, m);
            }
            where.Remove(pair);
            foreach (var (key, d) in deltas)
            {
                if (d == 0) continue;
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
                c += d;
                if (c <= 0) counts.Remove(key);
                else if (d > 0 && !forbidden.Contains(key)) heap.Enqueue(key, (-c, key));
            }
            Debug.Assert(!counts.ContainsKey(pair));
            if (merges.Count % reportEvery == 0)
                progress?.Report(new BpeTrainingProgress("merging", totalBytes, words.Length, merges.Count, targetMerges, clock.Elapsed));
        }
        progress?.Report(new BpeTrainingProgress("merging", totalBytes, words.Length, merges.Count, targetMerges, clock.Elapsed));

        var v = tokenBytes.Count + specials.Length;
        var tokens = new byte[]?[v];
        var specialText = new string?[v];
        for (var id = 0; id < tokenBytes.Count; id++) tokens[id] = tokenBytes[id];
        for (var i = 0; i < specials.Length; i++) specialText[tokenBytes.Count + i] = specials[i];
        return new BpeTokenizer(tokens, specialText, merges);

        // Merges every non-overlapping (left, right), left to right, in word w, and records the pair-count changes.
        void MergeInWord(int w, int left, int right, int m)
        {
            var s = words[w];
            var len = lens[w];
            var f = freq[w];
            var o = 0;
            for (var i = 0; i < len;)
            {
                if (i + 1 < len && s[i] == left && s[i + 1] == right)
                {
                    if (o > 0)
                    {
                        Delta(Key(s[o - 1], left), -f);
                        Delta(Key(s[o - 1], m), f);
                        AddWhere(Key(s[o - 1], m), w);
                    }
                    Delta(Key(left, right), -f);
                    if (i + 2 < len)
                    {
                        Delta(Key(right, s[i + 2]), -f);
                        Delta(Key(m, s[i + 2]), f);
                        AddWhere(Key(m, s[i + 2]), w);
                    }
                    s[o++] = m;
                    i += 2;
                }
                else
                {
                    s[o++] = s[i++];
                }
            }
            lens[w] = o;
        }

        void Delta(ulong key, long d) => CollectionsMarshal.GetValueRefOrAddDefault(deltas, key, out _) += d;

        void AddWhere(ulong key, int w)
        {
            ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(where, key, out _);
            list ??= [];
            if (list.Count == 0 || list[^1] != w) list.Add(w);
        }
    }

    private static ulong Key(int left, int right) => ((ulong)(uint)left << 32) | (uint)right;

    private static string[] CheckSpecials(IReadOnlyList<string> specialTokens)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specialTokens.Count; i++)
        {
            var s = specialTokens[i];
            if (string.IsNullOrEmpty(s))
                throw new ArgumentException($"specialTokens[{i}] is empty; a special token needs text", nameof(specialTokens));
            if (s.Any(char.IsSurrogate) && !IsWellFormed(s))
                throw new ArgumentException($"specialTokens[{i}] '{s}' has an unpaired surrogate; it must be valid text", nameof(specialTokens));
            if (s.Length == 1 && BpeByteAlphabet.TryToByte(s[0], out _))
                throw new ArgumentException($"specialTokens[{i}] '{s}' is how vocab.json writes a byte token; pick a longer text such as <|{s}|>", nameof(specialTokens));
            if (!seen.Add(s))
                throw new ArgumentException($"specialTokens[{i}] '{s}' is listed twice", nameof(specialTokens));
        }
        return [.. specialTokens];
    }

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }
}
