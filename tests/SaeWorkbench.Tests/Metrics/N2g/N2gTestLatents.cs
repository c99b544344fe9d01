using SaeWorkbench.Metrics.N2g;
namespace SaeWorkbench.Tests.Metrics.N2g;

/// <summary>
/// Latents defined by hand as functions of the tokens, for the N2G tests: each latent maps a prefix (tokens 0..t of a
/// sequence) to its activation at t, so every one is causal by construction and may depend on the absolute position
/// (the prefix length). Records every call's shape.
/// </summary>
internal sealed class HandBuiltLatents(IReadOnlyDictionary<long, Func<int[], float>> latents) : ILatentActivationFunction
{
    public List<(long B, long T, int L)> Calls { get; } = new();

    public Tensor Activations(Tensor tokens_BT, long[] latentIds)
    {
        var (b, t) = (tokens_BT.size(0), tokens_BT.size(1));
        Calls.Add((b, t, latentIds.Length));
        var toks = tokens_BT.ToArray<long>();
        var fs = latentIds.Select(id => latents[id]).ToArray();
        var acts = new float[b * t * fs.Length];
        for (var i = 0; i < b; i++)
            for (var p = 0; p < t; p++)
            {
                var prefix = new int[p + 1];
                for (var q = 0; q <= p; q++) prefix[q] = (int)toks[i * t + q];
                for (var j = 0; j < fs.Length; j++) acts[(i * t + p) * fs.Length + j] = fs[j](prefix);
            }
        return tensor(acts, [b, t, fs.Length]);
    }
}

/// <summary>Token data for the N2G tests: uniform random tokens with planted patterns, deterministic by seed.</summary>
internal static class N2gTestData
{
    /// <summary>[n, t] tokens uniform in [lo, hi), with <paramref name="plant"/> written at a random start in each sequence
    /// with probability <paramref name="plantProbability"/>.</summary>
    public static int[][] Sequences(int seed, int n, int t, int lo, int hi, int[]? plant = null, double plantProbability = 0.5, bool plantAtStart = false)
    {
        var rng = new Random(seed);
        var rows = new int[n][];
        for (var i = 0; i < n; i++)
        {
            rows[i] = Enumerable.Range(0, t).Select(_ => rng.Next(lo, hi)).ToArray();
            if (plant is not null && rng.NextDouble() < plantProbability)
            {
                var start = plantAtStart ? 0 : rng.Next(0, t - plant.Length + 1);
                plant.CopyTo(rows[i], start);
            }
        }
        return rows;
    }

    public static Tensor ToTensor(int[][] rows) =>
        tensor(rows.SelectMany(r => r.Select(x => (long)x)).ToArray(), [rows.Length, rows[0].Length]);

    public static int[][] Concat(params int[][][] parts) => parts.SelectMany(p => p).ToArray();

    public static string Decode(int tok) => $"t{tok}";
}
