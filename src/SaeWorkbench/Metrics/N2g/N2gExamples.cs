using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics.N2g;

/// <summary>Why an example was chosen.</summary>
public enum N2gExampleKind
{
    /// <summary>One of the sequences where the latent's maximum activation is largest, at that maximum.</summary>
    Top,

    /// <summary>A (sequence, position) drawn uniformly from all positions where the latent is positive.</summary>
    Random,
}

/// <summary>One activating example of a latent: the latent is <paramref name="Activation"/> &gt; 0 at token
/// <paramref name="Position"/> of training sequence <paramref name="Sequence"/>.</summary>
public readonly record struct N2gExample(int Sequence, int Position, float Activation, N2gExampleKind Kind);

/// <summary>
/// The activating examples of each latent on a set of training sequences (the N2G of Gao et al. 2024, §4.3, and its
/// released code: top activating and random activating examples), with what the pass over the sequences measured on the way.
/// </summary>
/// <param name="LatentIds">The latents, in the order of the other arrays.</param>
/// <param name="Examples">Per latent: the top examples by decreasing activation (ties: lower sequence first), then the random
/// ones in the order of their random keys. Empty for a latent that never fires.</param>
/// <param name="MaxActivation">Per latent: the largest activation on the training sequences (0 when it never fires).</param>
/// <param name="Firings">Per latent: training tokens where it is &gt; 0.</param>
/// <param name="Tokens">Training tokens read (N * T).</param>
/// <param name="Calls">What the pass cost.</param>
public sealed record N2gExampleSet(long[] LatentIds, N2gExample[][] Examples, float[] MaxActivation, long[] Firings, long Tokens, N2gCallStats Calls)
{
    /// <summary>
    /// One pass over <paramref name="tokens_NT"/> (int64 [N, T]) in calls of up to <see cref="N2gConfig.MaxSequencesPerCall"/>
    /// sequences that each ask for as many latents as <see cref="N2gConfig.MaxActivationsPerCall"/> allows (all of them when
    /// N * T * L fits), keeping per latent the <see cref="N2gConfig.TopExamples"/> best sequences and a uniform sample of
    /// <see cref="N2gConfig.RandomExamples"/> positive positions. The sample gives each positive (sequence, position) a key
    /// hashed from the seed, the latent id and the pair, and keeps the smallest keys: uniform without replacement, and the
    /// same whatever the batching.
    /// </summary>
    public static N2gExampleSet Select(ILatentActivationFunction function, Tensor tokens_NT, long[] latentIds, N2gConfig config) =>
        Select(new N2gCallCounter(function), tokens_NT, latentIds, config);

    internal static N2gExampleSet Select(N2gCallCounter counter, Tensor tokens_NT, long[] latentIds, N2gConfig config)
    {
        config.Validate();
        CheckTokens(tokens_NT, nameof(tokens_NT));
        CheckLatents(latentIds, nameof(latentIds));
        var before = counter.Snapshot();
        var (n, t) = ((int)tokens_NT.size(0), (int)tokens_NT.size(1));
        var nLat = latentIds.Length;
        var top = new PriorityQueue<N2gExample, (float, int)>[nLat];
        var rnd = new PriorityQueue<(N2gExample Example, ulong Key), ulong>[nLat];
        for (var j = 0; j < nLat; j++) { top[j] = new(); rnd[j] = new(); }
        var maxAct = new float[nLat];
        var firings = new long[nLat];

        var latPerCall = (int)Math.Min(nLat, Math.Max(1, config.MaxActivationsPerCall / t));
        var seqPerCall = (int)Math.Clamp(config.MaxActivationsPerCall / ((long)t * latPerCall), 1, config.MaxSequencesPerCall);
        var rowsPerCall = Math.Min(seqPerCall, n);
        var buffer = new float[(long)rowsPerCall * t * latPerCall];
        var seqMax = new float[(long)rowsPerCall * latPerCall];
        var seqArg = new int[(long)rowsPerCall * latPerCall];
        static int Next(ReadOnlySpan<int> bits, int from)
        {
            if (from >= bits.Length) return -1;
            var k = bits[from..].IndexOfAnyExcept(0);
            return k < 0 ? -1 : from + k;
        }
        for (var j0 = 0; j0 < nLat; j0 += latPerCall)
        {
            var c = Math.Min(latPerCall, nLat - j0);
            var ids = latentIds.AsSpan(j0, c).ToArray();
            for (var s0 = 0; s0 < n; s0 += seqPerCall)
            {
                var b = Math.Min(seqPerCall, n - s0);
                using (NewDisposeScope())
                {
                    var acts_BTC = counter.Call(tokens_NT.narrow(0, s0, b).to(int64).contiguous(), ids);
                    acts_BTC.contiguous().CopyTo<float>(buffer.AsSpan(0, b * t * c));
                }
                counter.Requests += b;

                // One scan of the positive entries (latents are sparse: skip zeros 8 floats at a time). Each positive
                // position gets a hashed key for the random draw; each (sequence, latent) keeps its maximum, at its first
                // position, for the top draw.
                Array.Fill(seqMax, 0f, 0, b * c);
                for (var i = 0; i < b; i++)
                    for (var p = 0; p < t; p++)
                    {
                        var row = buffer.AsSpan((i * t + p) * c, c);
                        var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(row);
                        for (var j = bits.IndexOfAnyExcept(0); j >= 0; j = Next(bits, j + 1))
                        {
                            var v = row[j];
                            if (!(v > 0)) continue;
                            firings[j0 + j]++;
                            if (v > seqMax[i * c + j]) { seqMax[i * c + j] = v; seqArg[i * c + j] = p; }
                            if (config.RandomExamples == 0) continue;
                            var key = RandomKey(config.Seed, ids[j], s0 + i, p);
                            var q = rnd[j0 + j];
                            var ex = (new N2gExample(s0 + i, p, v, N2gExampleKind.Random), key);
                            if (q.Count < config.RandomExamples) q.Enqueue(ex, ~key);          // the queue's minimum is the largest key
                            else if (q.TryPeek(out _, out var notWorst) && ~key > notWorst) q.EnqueueDequeue(ex, ~key);
                        }
                    }
                for (var i = 0; i < b; i++)
                    for (var j = 0; j < c; j++)
                    {
                        var v = seqMax[i * c + j];
                        if (!(v > 0)) continue;
                        if (v > maxAct[j0 + j]) maxAct[j0 + j] = v;
                        if (config.TopExamples == 0) continue;
                        var q = top[j0 + j];
                        var ex = new N2gExample(s0 + i, seqArg[i * c + j], v, N2gExampleKind.Top);
                        var prio = (v, -(s0 + i));             // the queue's minimum is the worst kept: least activation, then latest sequence
                        if (q.Count < config.TopExamples) q.Enqueue(ex, prio);
                        else if (q.TryPeek(out _, out var worst) && prio.CompareTo(worst) > 0) q.EnqueueDequeue(ex, prio);
                    }
            }
        }

        var examples = new N2gExample[nLat][];
        for (var j = 0; j < nLat; j++)
        {
            var tops = top[j].UnorderedItems.Select(e => e.Element)
                .OrderByDescending(e => e.Activation).ThenBy(e => e.Sequence).ToList();
            var taken = tops.Select(e => (e.Sequence, e.Position)).ToHashSet();
            var randoms = rnd[j].UnorderedItems.Select(e => e.Element).OrderBy(e => e.Key)
                .Select(e => e.Example).Where(e => !taken.Contains((e.Sequence, e.Position)));
            examples[j] = tops.Concat(randoms).ToArray();
        }
        return new N2gExampleSet(latentIds.ToArray(), examples, maxAct, firings, (long)n * t, N2gCallCounter.Difference(counter.Snapshot(), before));
    }

    /// <summary>SplitMix64 of (seed, latent, sequence, position): the random draw's key, uniform on 64 bits.</summary>
    internal static ulong RandomKey(ulong seed, long latent, int sequence, int position)
    {
        var h = Mix(seed ^ 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (ulong)latent);
        h = Mix(h ^ (ulong)(uint)sequence);
        return Mix(h ^ ((ulong)(uint)position << 32));
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    internal static void CheckTokens(Tensor tokens_NT, string name)
    {
        if (tokens_NT.dim() != 2 || tokens_NT.size(0) == 0 || tokens_NT.size(1) == 0)
            throw new ArgumentException($"{name} must be a non-empty [N, T] token matrix, got {tokens_NT.ShapeString}", name);
        if (tokens_NT.is_floating_point() || tokens_NT.dtype == @bool)
            throw new ArgumentException($"{name} must hold integer token ids, got {tokens_NT.dtype}", name);
        if (tokens_NT.size(0) > int.MaxValue || tokens_NT.size(1) > int.MaxValue)
            throw new ArgumentException($"{name} is too large: {tokens_NT.ShapeString}", name);
        using var scope = NewDisposeScope();
        if (tokens_NT.lt(0).any().ToBoolean() || tokens_NT.gt(int.MaxValue).any().ToBoolean())
            throw new ArgumentException($"{name} holds token ids outside [0, {int.MaxValue}]", name);
    }

    internal static void CheckLatents(long[] latentIds, string name)
    {
        ArgumentNullException.ThrowIfNull(latentIds, name);
        if (latentIds.Length == 0) throw new ArgumentException("no latents given", name);
        if (latentIds.Distinct().Count() != latentIds.Length) throw new ArgumentException("latent ids must be distinct", name);
        if (latentIds.Any(l => l < 0)) throw new ArgumentException("latent ids must be >= 0", name);
    }
}
