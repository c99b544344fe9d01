using SaeWorkbench.Metrics.N2g;
using System.Diagnostics;
using TorchSharp;
using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Metrics.Bench;

/// <summary>The ground truth of a synthetic latent.</summary>
internal enum PatternKind { Unigram, Bigram, Skip, Anchored }

/// <summary>
/// Synthetic latents with known token patterns, computed sparsely as an SAE's latents are (per token only the latents
/// whose pattern ends on that token are checked; the output is dense [B, T, L]), so that explaining thousands of latents
/// measures N2G's own work and its calls rather than a slow stand-in for the model: a unigram fires on token b; a
/// bigram on b right after a; a skip-gram on b two after a ("a ? b"); an anchored latent on b at absolute position p (so its
/// explanation is "^ [*] ... b"). Activations are value * (1 + 0.1 * (previous token mod 3)), so suffixes change them a
/// little (never below the 0.5 fraction). Causal by construction. Tokens come from a Zipf law over the vocabulary (token id =
/// frequency rank), the pattern tokens from the frequent end so that every latent fires on a few thousand sequences.
/// </summary>
internal sealed class SyntheticPatternLatents : ILatentActivationFunction
{
    private readonly float[] _value;
    private readonly int[][] _byLastToken;    // token -> the latents whose pattern ends on it

    public SyntheticPatternLatents(int numLatents, int vocab, ulong seed)
    {
        var rng = new Random((int)seed);
        Kinds = new PatternKind[numLatents];
        A = new int[numLatents];
        B = new int[numLatents];
        Pos = new int[numLatents];
        var value = new float[numLatents];
        for (var l = 0; l < numLatents; l++)
        {
            Kinds[l] = (PatternKind)(l % 4);
            (A[l], B[l], Pos[l]) = Kinds[l] switch
            {
                PatternKind.Unigram => (0, rng.Next(16, Math.Min(vocab, 400)), 0),
                PatternKind.Bigram or PatternKind.Skip => (rng.Next(0, 16), rng.Next(0, 16), 0),
                _ => (0, rng.Next(0, 16), rng.Next(1, 4)),
            };
            value[l] = 0.5f + 1.5f * (float)rng.NextDouble();
        }
        _value = value;
        _byLastToken = Enumerable.Range(0, vocab).Select(tok => Enumerable.Range(0, numLatents).Where(l => B[l] == tok).ToArray()).ToArray();
    }

    public PatternKind[] Kinds { get; }
    public int[] A { get; }
    public int[] B { get; }
    public int[] Pos { get; }

    /// <summary>Seconds spent inside <see cref="Activations"/>.</summary>
    public double Seconds { get; private set; }


    /// <summary>The pattern N2G should find for latent <paramref name="l"/>: tokens (wildcards as -1) and the anchor.</summary>
    public (int[] Pattern, bool Anchored) Truth(int l) => Kinds[l] switch
    {
        PatternKind.Unigram => ([B[l]], false),
        PatternKind.Bigram => ([A[l], B[l]], false),
        PatternKind.Skip => ([A[l], N2gTrie.AnyToken, B[l]], false),
        _ => (Enumerable.Repeat(N2gTrie.AnyToken, Pos[l]).Append(B[l]).ToArray(), true),
    };

    public Tensor Activations(Tensor tokens_BT, long[] latentIds)
    {
        var sw = Stopwatch.StartNew();
        var (b, t, l) = ((int)tokens_BT.size(0), (int)tokens_BT.size(1), latentIds.Length);
        var toks = tokens_BT.ToArray<long>();
        var column = new int[Kinds.Length];
        Array.Fill(column, -1);
        for (var j = 0; j < l; j++) column[latentIds[j]] = j;
        var acts = new float[(long)b * t * l];
        for (var i = 0; i < b; i++)
            for (var p = 0; p < t; p++)
            {
                var tok = toks[i * t + p];
                if (tok < 0 || tok >= _byLastToken.Length) continue;
                var prev1 = p >= 1 ? toks[i * t + p - 1] : -1;
                var prev2 = p >= 2 ? toks[i * t + p - 2] : -1;
                var modulation = 1f + 0.1f * (prev1 < 0 ? 0 : prev1 % 3);
                foreach (var latent in _byLastToken[tok])
                {
                    var j = column[latent];
                    if (j < 0) continue;
                    var fires = Kinds[latent] switch
                    {
                        PatternKind.Unigram => true,
                        PatternKind.Bigram => prev1 == A[latent],
                        PatternKind.Skip => prev2 == A[latent],
                        _ => p == Pos[latent],
                    };
                    if (fires) acts[((long)i * t + p) * l + j] = _value[latent] * modulation;
                }
            }
        var result = tensor(acts, [b, t, l]);
        Seconds += sw.Elapsed.TotalSeconds;
        return result;
    }

    /// <summary>[n, t] tokens from a Zipf law over [0, vocab): P(token r) proportional to 1 / (r + 1).</summary>
    public static Tensor ZipfTokens(long n, long t, int vocab, ulong seed)
    {
        using var scope = NewDisposeScope();
        var probs = arange(1, vocab + 1, dtype: float64).reciprocal();
        return multinomial(probs.div(probs.sum()), n * t, replacement: true, generator: new Generator(seed)).view(n, t).MoveToOuterDisposeScope();
    }
}
