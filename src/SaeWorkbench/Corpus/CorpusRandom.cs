namespace SaeWorkbench.Corpus;

/// <summary>
/// The random stream of one synthetic-corpus document: xoshiro256** (Blackman and Vigna 2018) seeded through
/// SplitMix64 from (corpus seed, document index). Written out here rather than taken from <see cref="System.Random"/>,
/// whose algorithm .NET does not promise to keep, so that a seed names the same corpus on every runtime. Documents
/// own independent streams, so they can be generated in any order or in parallel.
/// </summary>
public sealed class CorpusRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A stream seeded by SplitMix64 from <paramref name="seed"/> (the reference seeding of xoshiro).</summary>
    public CorpusRandom(ulong seed)
    {
        var sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>The stream of document <paramref name="documentIndex"/> of the corpus with seed <paramref name="seed"/>:
    /// the two numbers are mixed through SplitMix64's finaliser, so neighbouring indices give unrelated streams.</summary>
    public static CorpusRandom ForDocument(ulong seed, long documentIndex)
    {
        var s = seed;
        var a = SplitMix64(ref s);
        var d = unchecked((ulong)documentIndex) ^ 0xD1B54A32D192ED03UL;
        var b = SplitMix64(ref d);
        return new CorpusRandom(a ^ RotateLeft(b, 17) ^ b);
    }

    /// <summary>One step of SplitMix64 (Steele, Lea and Flood 2014): advances <paramref name="state"/> by the golden
    /// gamma and returns the mixed value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        unchecked
        {
            var result = RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = RotateLeft(_s3, 45);
            return result;
        }
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>), without modulo bias (Lemire's multiply-and-reject).</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "n must be > 0");
        var range = (ulong)n;
        var hi = Math.BigMul(NextUInt64(), range, out var lo);
        if (lo < range)
        {
            var threshold = unchecked(0 - range) % range;
            while (lo < threshold) hi = Math.BigMul(NextUInt64(), range, out lo);
        }
        return (int)hi;
    }

    /// <summary>A uniform integer in [<paramref name="min"/>, <paramref name="max"/>] (both ends included).</summary>
    public int Between(int min, int max)
    {
        if (max < min) throw new ArgumentOutOfRangeException(nameof(max), max, $"max must be >= min = {min}");
        return min + Next(max - min + 1);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>A uniformly chosen element of <paramref name="items"/>.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>An index drawn with probability proportional to <paramref name="weights"/> (non-negative, positive sum).</summary>
    public int PickWeighted(ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        var u = NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        for (var i = weights.Length - 1; i >= 0; i--)
            if (weights[i] > 0) return i;
        throw new ArgumentException("weights must have a positive sum", nameof(weights));
    }
}
