using SaeWorkbench.Tokenization;
namespace SaeWorkbench.Corpus;

/// <summary>Disjoint ranges of document indices, so that language-model training, SAE training and evaluation never
/// see the same document: split s holds indices <c>SyntheticCorpus.SplitStart(s) + i</c> for i in [0, 2^40).</summary>
public enum CorpusSplit { Train, Validation, Test }

/// <summary>
/// A deterministic, seeded generator of English-like documents whose every token carries ground-truth labels
/// (<see cref="CorpusLabel"/>, 62 binary labels in five families): the corpus a small language model is trained on,
/// and the probe tasks and N2G ground truth of the evaluation (Gao et al. 2024, §4.2-4.3). The grammar (docs/synthetic-corpus.md)
/// writes ten topics with their own vocabularies, dialogue in quotes, nested brackets, lists, agreement across
/// attractors, negation, arithmetic with correct results, counting, and random spans repeated later in the document
/// (learnable only by induction).
/// <para>Random access: <see cref="Generate"/> of document i depends only on the config and (seed, i), through a
/// xoshiro256** stream of its own (<see cref="CorpusRandom"/>), so documents can be made in any order or in parallel.</para>
/// </summary>
public sealed class SyntheticCorpus
{
    public SyntheticCorpus(CorpusConfig config)
    {
        config.Validate();
        Config = config;
    }

    public CorpusConfig Config { get; }

    /// <summary>Names of the ten topics, index t labelled <c>CorpusLabel.Topics[t]</c>.</summary>
    public static IReadOnlyList<string> TopicNames { get; } = CorpusLexicon.Topics.Select(t => t.Name).ToArray();

    /// <summary>First document index of a split (Train 0, Validation 2^40, Test 2^41).</summary>
    public static long SplitStart(CorpusSplit split) => split switch
    {
        CorpusSplit.Train => 0,
        CorpusSplit.Validation => 1L << 40,
        CorpusSplit.Test => 2L << 40,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
    };

    /// <summary>Document <paramref name="documentIndex"/> (>= 0).</summary>
    public CorpusDocument Generate(long documentIndex)
    {
        if (documentIndex < 0) throw new ArgumentOutOfRangeException(nameof(documentIndex), documentIndex, "document indices are >= 0");
        return DocumentSampler.Generate(Config, documentIndex);
    }

    /// <summary>Documents <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1, in order.</summary>
    public IEnumerable<CorpusDocument> Documents(long first, long count)
    {
        CheckRange(first, count);
        for (var i = 0L; i < count; i++) yield return Generate(first + i);
    }

    /// <summary>The plain texts of a range of documents (for training a tokenizer).</summary>
    public IEnumerable<string> Texts(long first, long count) => Documents(first, count).Select(d => d.Text);

    /// <summary>
    /// The token stream for language-model training, activation harvesting and probing: documents
    /// <paramref name="firstDocument"/>, +1, ... (all of them when <paramref name="documentCount"/> is null), each
    /// preceded by <paramref name="endOfTextId"/> (label mask 0) and encoded piece by piece, cut into windows of
    /// <paramref name="length"/> tokens that start every <paramref name="stride"/> tokens (default: length, no overlap;
    /// for next-token training with targets in the same window use length = context + 1, stride = context). Windows
    /// cross document boundaries; a final partial window is dropped. Pieces are encoded once and cached.
    /// </summary>
    public IEnumerable<TokenWindow> Windows(ITokenizer tokenizer, int endOfTextId, int length = 64, int? stride = null,
        long firstDocument = 0, long? documentCount = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (endOfTextId < 0 || endOfTextId >= tokenizer.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(endOfTextId), endOfTextId, $"endOfTextId must be in [0, VocabSize = {tokenizer.VocabSize})");
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "length must be >= 1");
        var step = stride ?? length;
        if (step < 1 || step > length) throw new ArgumentOutOfRangeException(nameof(stride), step, $"stride must be in [1, length = {length}]");
        CheckRange(firstDocument, documentCount ?? 0);
        return WindowsIterator(new CachingTokenizer(tokenizer), endOfTextId, length, step, firstDocument, documentCount);
    }

    private IEnumerable<TokenWindow> WindowsIterator(ITokenizer tokenizer, int eot, int length, int stride, long first, long? count)
    {
        var tokens = new List<int>();
        var labels = new List<ulong>();
        var docs = new List<long>();
        for (var d = first; count is null || d < first + count; d++)
        {
            var doc = Generate(d).Tokenize(tokenizer);
            tokens.Add(eot);
            labels.Add(0);
            docs.Add(d);
            tokens.AddRange(doc.Tokens);
            labels.AddRange(doc.Labels);
            for (var i = 0; i < doc.Length; i++) docs.Add(d);
            var start = 0;
            while (tokens.Count - start >= length)
            {
                yield return new TokenWindow(tokens.GetRange(start, length).ToArray(), labels.GetRange(start, length).ToArray(), docs.GetRange(start, length).ToArray());
                start += stride;
            }
            tokens.RemoveRange(0, start);
            labels.RemoveRange(0, start);
            docs.RemoveRange(0, start);
        }
    }

    /// <summary>
    /// The fraction of pieces (or, given a <paramref name="tokenizer"/>, of tokens) that carry each label over documents
    /// <paramref name="first"/> .. + <paramref name="count"/> - 1; index i is <c>CorpusLabel.All[i]</c>. End-of-text
    /// tokens are not counted.
    /// </summary>
    public double[] BaseRates(long first, int count, ITokenizer? tokenizer = null)
    {
        CheckRange(first, count);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be >= 1");
        var hits = new long[CorpusLabel.All.Count];
        long total = 0;
        var cached = tokenizer is null ? null : new CachingTokenizer(tokenizer);
        foreach (var doc in Documents(first, count))
        {
            IEnumerable<ulong> masks = cached is null ? doc.Pieces.Select(p => p.Labels) : doc.Tokenize(cached).Labels;
            foreach (var m in masks)
            {
                total++;
                for (var i = 0; i < hits.Length; i++)
                    if ((m & (1UL << i)) != 0) hits[i]++;
            }
        }
        return hits.Select(h => (double)h / total).ToArray();
    }

    private static void CheckRange(long first, long count)
    {
        if (first < 0) throw new ArgumentOutOfRangeException(nameof(first), first, "document indices are >= 0");
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be >= 0");
        if (count > long.MaxValue - first) throw new ArgumentOutOfRangeException(nameof(count), count, $"first + count overflows (first = {first})");
    }

    /// <summary>Encodes each distinct piece once: the corpus has a few thousand distinct pieces, so a stream reuses them.</summary>
    private sealed class CachingTokenizer(ITokenizer inner) : ITokenizer
    {
        private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);

        public int VocabSize => inner.VocabSize;

        public int[] Encode(string text)
        {
            if (!_cache.TryGetValue(text, out var ids)) _cache[text] = ids = inner.Encode(text);
            return ids;
        }

        public string Decode(ReadOnlySpan<int> ids) => inner.Decode(ids);
    }
}
