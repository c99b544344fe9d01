namespace SaeWorkbench.Subject;

/// <summary>
/// Unigram and bigram next-token baselines for a language model's loss: what a model that ignores context (unigram)
/// or sees only the previous token (bigram) would score on the same windows. The built-in model's report states its
/// loss against both, so that "it learned something beyond token frequencies and pairs" is a measured claim.
/// <list type="bullet">
/// <item>Targets are positions 1..T-1 of each window (position 0 has no context inside the window), as in the
///   language model's loss.</item>
/// <item>Unigram: add-one (Laplace) smoothing over the vocabulary, p(t) = (c(t) + 1) / (N + V).</item>
/// <item>Bigram: Jelinek-Mercer interpolation p(t | s) = lambda c(s, t) / c(s) + (1 - lambda) p_uni(t) (the unigram
///   alone when s was never seen), lambda picked from a grid by the likelihood of the last <c>heldOutFraction</c> of the
///   training windows, then the counts refitted on all of them.</item>
/// </list>
/// Cross-entropies are in nats per target token.
/// </summary>
public sealed class NgramBaseline
{
    private readonly long[] _unigram;                 // [V] target counts
    private readonly long _total;
    private readonly Dictionary<long, long> _bigram;  // key s * V + t
    private readonly long[] _context;                 // [V] counts of s as the previous token of a target

    /// <summary>Vocabulary size V.</summary>
    public int VocabSize { get; }

    /// <summary>The interpolation weight of the bigram estimate, chosen on held-out windows.</summary>
    public double Lambda { get; }

    private NgramBaseline(int vocabSize, IReadOnlyList<int[]> windows, double lambda)
    {
        VocabSize = vocabSize;
        Lambda = lambda;
        _unigram = new long[vocabSize];
        _context = new long[vocabSize];
        _bigram = new Dictionary<long, long>();
        foreach (var w in windows)
            for (var i = 1; i < w.Length; i++)
            {
                Check(w[i - 1]);
                Check(w[i]);
                _unigram[w[i]]++;
                _total++;
                _context[w[i - 1]]++;
                var key = (long)w[i - 1] * vocabSize + w[i];
                _bigram[key] = _bigram.GetValueOrDefault(key) + 1;
            }
    }

    private void Check(int id)
    {
        if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary [0, {VocabSize})");
    }

    /// <summary>Counts unigrams and bigrams of <paramref name="windows"/> and picks lambda on a held-out tail.</summary>
    /// <param name="windows">Token windows (each of length >= 2 contributes its positions 1..T-1).</param>
    /// <param name="vocabSize">V, > 0.</param>
    /// <param name="heldOutFraction">Share of the windows (the last ones) used to choose lambda, in (0, 1).</param>
    public static NgramBaseline Fit(IReadOnlyList<int[]> windows, int vocabSize, double heldOutFraction = 0.1)
    {
        if (vocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "vocabSize must be > 0");
        if (!(heldOutFraction > 0 && heldOutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "heldOutFraction must be in (0, 1)");
        if (windows.Count < 2) throw new ArgumentException($"need at least 2 windows to fit and choose lambda, got {windows.Count}", nameof(windows));
        var nHeld = Math.Clamp((int)Math.Round(windows.Count * heldOutFraction), 1, windows.Count - 1);
        var train = windows.Take(windows.Count - nHeld).ToList();
        var held = windows.Skip(windows.Count - nHeld).ToList();
        var best = double.PositiveInfinity;
        var bestLambda = 0.0;
        for (var i = 0; i <= 20; i++)
        {
            var lambda = Math.Min(i * 0.05, 0.99);
            var ce = new NgramBaseline(vocabSize, train, lambda).BigramCrossEntropy(held);
            if (ce < best)
            {
                best = ce;
                bestLambda = lambda;
            }
        }
        return new NgramBaseline(vocabSize, windows, bestLambda);
    }

    /// <summary>p_uni(t), add-one smoothed.</summary>
    public double UnigramProbability(int t) => (_unigram[t] + 1.0) / (_total + VocabSize);

    /// <summary>p(t | s), interpolated.</summary>
    public double BigramProbability(int s, int t)
    {
        var uni = UnigramProbability(t);
        if (_context[s] == 0) return uni;
        var pair = _bigram.GetValueOrDefault((long)s * VocabSize + t);
        return Lambda * pair / _context[s] + (1 - Lambda) * uni;
    }

    /// <summary>Mean -log p_uni over the targets of <paramref name="windows"/> (nats per token).</summary>
    public double UnigramCrossEntropy(IEnumerable<int[]> windows) => Mean(windows, (s, t) => UnigramProbability(t));

    /// <summary>Mean -log p(t | s) over the targets of <paramref name="windows"/> (nats per token).</summary>
    public double BigramCrossEntropy(IEnumerable<int[]> windows) => Mean(windows, BigramProbability);

    private double Mean(IEnumerable<int[]> windows, Func<int, int, double> p)
    {
        double sum = 0;
        long n = 0;
        foreach (var w in windows)
            for (var i = 1; i < w.Length; i++)
            {
                Check(w[i - 1]);
                Check(w[i]);
                sum -= Math.Log(p(w[i - 1], w[i]));
                n++;
            }
        if (n == 0) throw new ArgumentException("no targets: every window needs at least 2 tokens", nameof(windows));
        return sum / n;
    }
}
