using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// What a phase of N2G cost in activation-function calls, the expensive part in practice (each call is a language-model
/// forward pass over its batch).
/// </summary>
/// <param name="Calls">Calls of <see cref="ILatentActivationFunction.Activations"/>.</param>
/// <param name="Sequences">Sequences evaluated (rows of all calls; after deduplication).</param>
/// <param name="Tokens">Tokens evaluated (B * T summed over calls).</param>
/// <param name="Requests">Sequences asked for before deduplication (identical sequences of latents explained together
/// share one row).</param>
public sealed record N2gCallStats(long Calls, long Sequences, long Tokens, long Requests)
{
    public static N2gCallStats operator +(N2gCallStats a, N2gCallStats b) =>
        new(a.Calls + b.Calls, a.Sequences + b.Sequences, a.Tokens + b.Tokens, a.Requests + b.Requests);

    public override string ToString() => $"{Calls} calls, {Sequences} sequences, {Tokens} tokens ({Requests} requested)";
}

/// <summary>Counts calls and checks what the activation function returns (float32 [B, T, L] on the CPU).</summary>
internal sealed class N2gCallCounter(ILatentActivationFunction function)
{
    public long Calls, Sequences, Tokens, Requests;

    public ILatentActivationFunction Function { get; } = function ?? throw new ArgumentNullException(nameof(function));

    /// <summary>Activations [B, T, L] of <paramref name="tokens_BT"/>, owned by the caller's dispose scope.</summary>
    public Tensor Call(Tensor tokens_BT, long[] latentIds)
    {
        var (b, t) = (tokens_BT.size(0), tokens_BT.size(1));
        var acts = Function.Activations(tokens_BT, latentIds);
        if (acts.dim() != 3 || acts.size(0) != b || acts.size(1) != t || acts.size(2) != latentIds.Length)
            throw new InvalidOperationException(
                $"{Function.GetType().Name}.Activations of tokens [{b}, {t}] and {latentIds.Length} latents must return [{b}, {t}, {latentIds.Length}], got {acts.ShapeString}");
        if (acts.dtype != float32 || acts.device.type != DeviceType.CPU)
            throw new InvalidOperationException($"{Function.GetType().Name}.Activations must return float32 on the CPU, got {acts.dtype} on {acts.device}");
        Calls++;
        Sequences += b;
        Tokens += b * t;
        return acts;
    }

    public N2gCallStats Snapshot() => new(Calls, Sequences, Tokens, Requests);

    public static N2gCallStats Difference(N2gCallStats after, N2gCallStats before) =>
        new(after.Calls - before.Calls, after.Sequences - before.Sequences, after.Tokens - before.Tokens, after.Requests - before.Requests);
}

/// <summary>
/// Evaluates the activation of one latent at the last token of many short sequences, batched: sequences of one length go
/// into shared calls (never padded, so a position-dependent model sees each sequence exactly as written), identical
/// sequences are evaluated once whichever latents ask for them, and the rows of a length are packed into calls in the order
/// of the latents that need them, each call asking only for its rows' latents, within
/// <see cref="N2gConfig.MaxSequencesPerCall"/> and <see cref="N2gConfig.MaxActivationsPerCall"/>.
/// </summary>
internal sealed class N2gLastTokenEvaluator(N2gCallCounter counter, N2gConfig config)
{
    private sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public static readonly SequenceComparer Instance = new();
        public bool Equals(int[]? a, int[]? b) => a.AsSpan().SequenceEqual(b);
        public int GetHashCode(int[] a)
        {
            var h = new HashCode();
            h.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
            return h.ToHashCode();
        }
    }

    /// <summary>
    /// Activation of latent <c>latentIds[latentOf[r]]</c> at the last token of <c>sequences[r]</c>, for every request r.
    /// </summary>
    public float[] Evaluate(IReadOnlyList<int[]> sequences, IReadOnlyList<int> latentOf, long[] latentIds)
    {
        var result = new float[sequences.Count];
        counter.Requests += sequences.Count;
        var byLength = new SortedDictionary<int, List<int>>();
        for (var r = 0; r < sequences.Count; r++)
        {
            if (sequences[r].Length == 0) throw new ArgumentException("sequences must not be empty", nameof(sequences));
            if (!byLength.TryGetValue(sequences[r].Length, out var list)) byLength[sequences[r].Length] = list = new List<int>();
            list.Add(r);
        }
        foreach (var (len, requests) in byLength)
        {
            // Distinct sequences of this length, each with the requests that read it and the latents they ask for.
            var distinct = new Dictionary<int[], int>(SequenceComparer.Instance);
            var rows = new List<int[]>();
            var readers = new List<List<int>>();
            var minCol = new List<int>();
            foreach (var r in requests)
            {
                if (!distinct.TryGetValue(sequences[r], out var d))
                {
                    distinct[sequences[r]] = d = rows.Count;
                    rows.Add(sequences[r]);
                    readers.Add(new List<int>(1));
                    minCol.Add(int.MaxValue);
                }
                readers[d].Add(r);
                minCol[d] = Math.Min(minCol[d], latentOf[r]);
            }
            // Rows ordered by the first latent that needs them, packed greedily into calls: a call asks only for the
            // latents its own rows need, so its output [n, len, u] stays small while it serves many latents.
            var order = Enumerable.Range(0, rows.Count).OrderBy(d => minCol[d]).ThenBy(d => d).ToArray();
            var batch = new List<int>();
            var union = new SortedSet<int>();
            var extra = new List<int>();
            foreach (var d in order)
            {
                extra.Clear();
                foreach (var r in readers[d]) if (!union.Contains(latentOf[r]) && !extra.Contains(latentOf[r])) extra.Add(latentOf[r]);
                var fits = batch.Count + 1 <= config.MaxSequencesPerCall
                    && (long)(batch.Count + 1) * len * (union.Count + extra.Count) <= config.MaxActivationsPerCall;
                if (!fits && batch.Count > 0)
                {
                    Flush(batch, union, len);
                    batch.Clear();
                    union.Clear();
                    extra.Clear();
                    foreach (var r in readers[d]) if (!extra.Contains(latentOf[r])) extra.Add(latentOf[r]);
                }
                batch.Add(d);
                union.UnionWith(extra);
            }
            if (batch.Count > 0) Flush(batch, union, len);

            void Flush(List<int> batchRows, SortedSet<int> cols, int length)
            {
                var n = batchRows.Count;
                var ids = cols.Select(c => latentIds[c]).ToArray();
                var colIndex = new Dictionary<int, int>(ids.Length);
                foreach (var c in cols) colIndex[c] = colIndex.Count;
                var flat = new long[(long)n * length];
                for (var i = 0; i < n; i++)
                {
                    var row = rows[batchRows[i]];
                    for (var t = 0; t < length; t++) flat[(long)i * length + t] = row[t];
                }
                float[] last;
                using (NewDisposeScope())
                    last = counter.Call(tensor(flat, [n, length]), ids).select(1, length - 1).contiguous().ToArray<float>();   // [n, u]
                for (var i = 0; i < n; i++)
                    foreach (var r in readers[batchRows[i]])
                        result[r] = last[(long)i * ids.Length + colIndex[latentOf[r]]];
            }
        }
        return result;
    }
}
