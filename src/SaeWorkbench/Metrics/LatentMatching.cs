using System.Globalization;
using SaeWorkbench.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Metrics;

/// <summary>How each latent of one SAE is paired with a latent of another (<see cref="LatentMatching.Match"/>).</summary>
public enum LatentMatchingMethod
{
    /// <summary>Each latent of A takes its most similar latent of B; several latents of A may take the same one.</summary>
    BestMatch,

    /// <summary>One-to-one, greedily: the most similar remaining pair (A latent, B latent) is paired first, then both are
    /// removed, until one side runs out. Ties go to the lower A index, then the lower B index. Not the assignment that
    /// maximises the summed cosine (the Hungarian algorithm's): a greedy pair is never undone to let two others match
    /// better. Its cosines are never above <see cref="BestMatch"/>'s, latent by latent.</summary>
    GreedyOneToOne,
}

/// <summary>One frequency bucket of <see cref="LatentMatch.SharesByFrequency"/>: the latents of A whose firing frequency
/// is in [<see cref="Lower"/>, <see cref="Upper"/>) (the last bucket includes its upper edge), how many there are, and the
/// share of them matched above each threshold.</summary>
public sealed record FrequencyBucketShare(double Lower, double Upper, int Latents, IReadOnlyList<double> Thresholds, IReadOnlyList<double> Shares)
{
    /// <summary>The bucket as text, e.g. "[0.001, 0.01)".</summary>
    public string Label(bool last = false) =>
        string.Create(CultureInfo.InvariantCulture, $"[{Lower:G3}, {Upper:G3}{(last ? "]" : ")")}");
}

/// <summary>
/// The result of matching the latents of SAE A (decoder [n, d]) to those of SAE B (decoder [m, d]) by decoder cosine
/// similarity: for each latent i of A, its partner <see cref="Partner"/>[i] in B (-1 when the one-to-one matching ran out
/// of B latents) and the cosine <see cref="Cosine"/>[i] of their decoder directions (NaN when unmatched).
/// </summary>
public sealed record LatentMatch
{
    public required LatentMatchingMethod Method { get; init; }

    /// <summary>For each latent of A, its partner in B, or -1: [n].</summary>
    public required int[] Partner { get; init; }

    /// <summary>For each latent of A, cos(d_A[i], d_B[Partner[i]]), or NaN when unmatched: [n].</summary>
    public required double[] Cosine { get; init; }

    /// <summary>n, the latents of A.</summary>
    public int Count => Partner.Length;

    /// <summary>Mean of <see cref="Cosine"/> over the matched latents of A.</summary>
    public double MeanCosine => Cosine.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();

    /// <summary>The share of A's latents whose partner's cosine is strictly above <paramref name="threshold"/> (unmatched
    /// latents count as not shared): in [0, 1].</summary>
    public double ShareAbove(double threshold) => Count == 0 ? double.NaN : Cosine.Count(c => c > threshold) / (double)Count;

    /// <summary>The share above each threshold among A's latents in each firing-frequency bucket. <paramref name="frequencies"/>
    /// [n]: how often each latent of A fires (e.g. <see cref="ReconstructionResult.FiringFrequencies"/>);
    /// <paramref name="edges"/>: ascending bucket edges; bucket j holds frequencies in [edges[j], edges[j+1]) (the last
    /// bucket also its upper edge). Latents outside every bucket are left out (start the edges above 0 to leave out the
    /// dead ones). A bucket with no latents has NaN shares.</summary>
    public IReadOnlyList<FrequencyBucketShare> SharesByFrequency(IReadOnlyList<double> frequencies, IReadOnlyList<double> edges, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(frequencies);
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentNullException.ThrowIfNull(thresholds);
        if (frequencies.Count != Count)
            throw new ArgumentException($"frequencies has {frequencies.Count} entries; one per latent of A ({Count}) is needed", nameof(frequencies));
        ConfigCheck.Require(edges.Count >= 2 && edges.Zip(edges.Skip(1)).All(p => p.First < p.Second), nameof(LatentMatch), nameof(edges),
            ReproduceFormat(edges), "at least 2 strictly ascending edges");
        var buckets = new List<FrequencyBucketShare>();
        for (var j = 0; j + 1 < edges.Count; j++)
        {
            var (lo, hi, last) = (edges[j], edges[j + 1], j + 2 == edges.Count);
            var members = Enumerable.Range(0, Count).Where(i => frequencies[i] >= lo && (frequencies[i] < hi || (last && frequencies[i] == hi))).ToList();
            var shares = thresholds.Select(t => members.Count == 0 ? double.NaN : members.Count(i => Cosine[i] > t) / (double)members.Count).ToList();
            buckets.Add(new FrequencyBucketShare(lo, hi, members.Count, thresholds.ToList(), shares));
        }
        return buckets;
    }

    private static string ReproduceFormat(IEnumerable<double> v) => "[" + string.Join(", ", v.Select(x => x.ToString("G4", CultureInfo.InvariantCulture))) + "]";
}

/// <summary>
/// Matching the latents of two SAEs by the cosine similarity of their decoder directions: how many latents two SAEs
/// trained the same way from different seeds share (seed variance), or which latents of a narrow SAE reappear in a wide
/// one. Decoder directions are the rows of <see cref="Saes.SparseAutoencoder.W_dec_ND"/>; they are normalised here, so the
/// result does not depend on their norms (a zero row has cosine 0 with everything).
/// <para>
/// Not from the TopK, JumpReLU or Gated papers, which train one SAE per setting; Paulo and Belrose 2025 ("Sparse
/// autoencoders trained on the same data learn different features") ask the same question of larger SAEs. The default
/// pairs each latent with its best match (<see cref="LatentMatchingMethod.BestMatch"/>); the one-to-one option is greedy
/// (<see cref="LatentMatchingMethod.GreedyOneToOne"/>), not the optimal (Hungarian) assignment.
/// </para>
/// </summary>
public static class LatentMatching
{
    /// <summary>Rows of the cosine matrix computed at a time.</summary>
    private const long ChunkRows = 1024;

    /// <summary>Candidates kept per row of A for the greedy matching before its list is refreshed.</summary>
    private const int Candidates = 16;

    /// <summary>
    /// Matches every latent of A (<paramref name="decoderA_ND"/>, [n, d]) to a latent of B (<paramref name="decoderB_MD"/>,
    /// [m, d]) by decoder cosine (float64). <see cref="LatentMatchingMethod.BestMatch"/> costs the n x m x d GEMM;
    /// <see cref="LatentMatchingMethod.GreedyOneToOne"/> keeps the 16 best candidates per row and recomputes a row's
    /// candidates among the free B latents when its list runs out: the exact greedy matching without keeping the [n, m]
    /// cosine matrix.
    /// </summary>
    public static LatentMatch Match(Tensor decoderA_ND, Tensor decoderB_MD, LatentMatchingMethod method = LatentMatchingMethod.BestMatch)
    {
        ArgumentNullException.ThrowIfNull(decoderA_ND);
        ArgumentNullException.ThrowIfNull(decoderB_MD);
        if (decoderA_ND.dim() != 2 || decoderB_MD.dim() != 2 || decoderA_ND.size(1) != decoderB_MD.size(1))
            throw new ArgumentException($"decoders must be [n, d] and [m, d] with the same d, got {decoderA_ND.ShapeString} and {decoderB_MD.ShapeString}");
        if (decoderB_MD.size(0) == 0) throw new ArgumentException("decoder B has no latents", nameof(decoderB_MD));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = Unit(decoderA_ND);
        var bT = Unit(decoderB_MD).t();                               // [d, m]
        return method switch
        {
            LatentMatchingMethod.BestMatch => Best(a, bT),
            LatentMatchingMethod.GreedyOneToOne => Greedy(a, bT),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "BestMatch or GreedyOneToOne"),
        };
    }

    /// <summary>Every ordered pair (i, j), i != j, of <paramref name="decoders"/> matched: seed i's latents in seed j.</summary>
    public static IReadOnlyList<(int A, int B, LatentMatch Match)> Pairwise(IReadOnlyList<Tensor> decoders, LatentMatchingMethod method = LatentMatchingMethod.BestMatch)
    {
        ArgumentNullException.ThrowIfNull(decoders);
        var result = new List<(int, int, LatentMatch)>();
        for (var i = 0; i < decoders.Count; i++)
            for (var j = 0; j < decoders.Count; j++)
                if (i != j) result.Add((i, j, Match(decoders[i], decoders[j], method)));
        return result;
    }

    private static Tensor Unit(Tensor d)
    {
        var x = d.detach().to(float64, CPU);
        return x / x.norm(1, keepdim: true).clamp_min(1e-30);
    }

    private static LatentMatch Best(Tensor a, Tensor bT)
    {
        var n = a.size(0);
        var partner = new int[n];
        var cosine = new double[n];
        for (long r0 = 0; r0 < n; r0 += ChunkRows)
        {
            using var chunk = NewDisposeScope();
            var c = Math.Min(ChunkRows, n - r0);
            var (v, i) = a.narrow(0, r0, c).mm(bT).max(1L);
            v.ToArray<double>().CopyTo(cosine, r0);
            var ix = i.ToArray<long>();
            for (var k = 0; k < c; k++) partner[r0 + k] = (int)ix[k];
        }
        return new LatentMatch { Method = LatentMatchingMethod.BestMatch, Partner = partner, Cosine = cosine };
    }

    private static LatentMatch Greedy(Tensor a, Tensor bT)
    {
        var n = (int)a.size(0);
        var m = (int)bT.size(1);
        var partner = new int[n];
        var cosine = new double[n];
        Array.Fill(partner, -1);
        Array.Fill(cosine, double.NaN);
        var taken = new bool[m];
        var lists = new (double Cos, int Col)[n][];
        var next = new int[n];
        // Max-heap over each row's best free candidate: priority (-cos, row, col) ascending.
        var heap = new PriorityQueue<(int Row, int Col, double Cos), (double, int, int)>();

        void Refresh(IReadOnlyList<int> rows)
        {
            for (var r0 = 0; r0 < rows.Count; r0 += (int)ChunkRows)
            {
                using var chunk = NewDisposeScope();
                var part = rows.Skip(r0).Take((int)ChunkRows).ToArray();
                var cos = a.index_select(0, tensor(part.Select(r => (long)r).ToArray())).mm(bT);   // [c, m]
                if (taken.Any(t => t))
                {
                    var mask = tensor(taken).unsqueeze(0);
                    cos = cos.masked_fill(mask, double.NegativeInfinity);
                }
                var c = Math.Min(Candidates, m);
                var (v, ix) = cos.topk(c, 1, largest: true, sorted: true);
                var vs = v.ToArray<double>();
                var ixs = ix.ToArray<long>();
                for (var k = 0; k < part.Length; k++)
                {
                    var list = new List<(double, int)>(c);
                    for (var q = 0; q < c; q++)
                        if (!double.IsNegativeInfinity(vs[k * c + q])) list.Add((vs[k * c + q], (int)ixs[k * c + q]));
                    // topk does not order ties by index: make the order deterministic (cos desc, col asc).
                    list.Sort((x, y) => x.Item1 != y.Item1 ? y.Item1.CompareTo(x.Item1) : x.Item2.CompareTo(y.Item2));
                    lists[part[k]] = [.. list];
                    next[part[k]] = 0;
                    Push(part[k]);
                }
            }
        }

        void Push(int row)
        {
            var list = lists[row];
            if (next[row] < list.Length) heap.Enqueue((row, list[next[row]].Col, list[next[row]].Cos), (-list[next[row]].Cos, row, list[next[row]].Col));
        }

        Refresh(Enumerable.Range(0, n).ToList());
        var free = m;
        var stale = new List<int>();
        while (free > 0 && (heap.Count > 0 || stale.Count > 0))
        {
            if (heap.Count == 0)
            {
                Refresh(stale);
                stale.Clear();
                continue;
            }
            var (row, col, cos) = heap.Dequeue();
            if (taken[col])
            {
                next[row]++;
                if (next[row] < lists[row].Length) Push(row);
                else if (lists[row].Length == Math.Min(Candidates, m)) stale.Add(row);   // a full list ran out: free columns may remain
                continue;
            }
            // A stale row's refreshed best could beat this pair: refresh first, then decide again.
            if (stale.Count > 0)
            {
                heap.Enqueue((row, col, cos), (-cos, row, col));
                Refresh(stale);
                stale.Clear();
                continue;
            }
            partner[row] = col;
            cosine[row] = cos;
            taken[col] = true;
            free--;
        }
        return new LatentMatch { Method = LatentMatchingMethod.GreedyOneToOne, Partner = partner, Cosine = cosine };
    }
}
