using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// N2G simulation (Gao et al. 2024, §4.3-4.4): the activation each explanation predicts at every token of a batch of sequences,
/// for many latents at once. Each trie is walked backwards from a position (<see cref="N2gTrie.PredictAt"/>); a position
/// is only visited for a latent if its token is one on which that latent's patterns can end (an index of the batch by
/// token gives those positions), or everywhere if a pattern ends in a wildcard. Latents run in parallel on the CPU.
/// </summary>
public static class N2gSimulation
{
    /// <summary>Simulated activations, float32 [B, T, L], of <paramref name="explanations"/> (L of them, in order) on
    /// <paramref name="tokens_BT"/> (integer [B, T]).</summary>
    public static Tensor Predict(IReadOnlyList<N2gExplanation> explanations, Tensor tokens_BT)
    {
        ArgumentNullException.ThrowIfNull(explanations);
        N2gExampleSet.CheckTokens(tokens_BT, nameof(tokens_BT));
        int[] flat;
        using (NewDisposeScope()) flat = tokens_BT.to(int32).contiguous().ToArray<int>();
        var index = new TokenIndex(flat, (int)tokens_BT.size(0), (int)tokens_BT.size(1));
        return Predict(explanations, 0, explanations.Count, index);
    }

    /// <summary>Predictions of explanations [start, start + count) on an indexed batch: float32 [B, T, count].</summary>
    internal static Tensor Predict(IReadOnlyList<N2gExplanation> explanations, int start, int count, TokenIndex index)
    {
        var out_BTL = new float[(long)index.Tokens.Length * count];
        Parallel.For(0, count, j =>
        {
            var (positions, values) = (new List<int>(), new List<float>());
            PredictNonzero(explanations[start + j].Trie, index, positions, values);
            for (var k = 0; k < positions.Count; k++) out_BTL[(long)positions[k] * count + j] = values[k];
        });
        return tensor(out_BTL, [index.B, index.T, count]);
    }

    /// <summary>The positions (flat b * T + t, ascending within each token) and values where <paramref name="trie"/> predicts &gt; 0.</summary>
    internal static void PredictNonzero(N2gTrie trie, TokenIndex index, List<int> positions, List<float> values)
    {
        var t = index.T;
        void At(int p)
        {
            var v = trie.PredictAt(index.Tokens.AsSpan(p - p % t, t), p % t);
            if (v > 0) { positions.Add(p); values.Add(v); }
        }
        if (trie.RootHasWildcard)
        {
            for (var p = 0; p < index.Tokens.Length; p++) At(p);
            return;
        }
        foreach (var tok in trie.RootTokens)
            foreach (var p in index.PositionsOf(tok)) At(p);
    }

    /// <summary>A batch of sequences, flat [B * T], with the positions of each token id.</summary>
    internal sealed class TokenIndex
    {
        private readonly int[] _positionsByToken;
        private readonly Dictionary<int, (int Start, int Count)> _ranges = new();

        public TokenIndex(int[] tokens, int b, int t)
        {
            Tokens = tokens;
            B = b;
            T = t;
            var keys = (int[])tokens.Clone();
            _positionsByToken = Enumerable.Range(0, tokens.Length).ToArray();
            Array.Sort(keys, _positionsByToken);
            for (var i = 0; i < keys.Length;)
            {
                var k = i;
                while (k < keys.Length && keys[k] == keys[i]) k++;
                _ranges[keys[i]] = (i, k - i);
                i = k;
            }
        }

        public int[] Tokens { get; }
        public int B { get; }
        public int T { get; }

        public ReadOnlySpan<int> PositionsOf(int token) =>
            _ranges.TryGetValue(token, out var r) ? _positionsByToken.AsSpan(r.Start, r.Count) : ReadOnlySpan<int>.Empty;
    }
}
