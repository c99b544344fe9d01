using System.Buffers;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// Entries of a coordinate-form (COO) sparse matrix grouped by one of their indices, in their given order: a stable
/// counting sort, O(M + groups). The entries with idx = r are Order[Start[r] .. Start[r + 1]). The kernels that sum per
/// group walk the groups on one thread each, in entry order, which makes them deterministic for any thread count.
/// The arrays are rented from the shared pool; dispose to return them.
/// </summary>
internal readonly unsafe struct CooGrouping : IDisposable
{
    /// <summary>[groups + 1]: where each group starts in <see cref="Order"/> (only the first groups + 1 are used).</summary>
    public readonly long[] Start;
    /// <summary>[m]: entry numbers, grouped (only the first m are used).</summary>
    public readonly long[] Order;

    /// <summary>Groups the m entries by idx (each in [0, groups), checked by the caller).</summary>
    public CooGrouping(long* idx, long m, long groups)
    {
        Start = ArrayPool<long>.Shared.Rent(checked((int)(groups + 1)));
        Order = ArrayPool<long>.Shared.Rent(checked((int)Math.Max(m, 1)));
        Array.Clear(Start, 0, (int)(groups + 1));
        for (long i = 0; i < m; i++) Start[idx[i] + 1]++;
        for (long r = 0; r < groups; r++) Start[r + 1] += Start[r];
        var next = ArrayPool<long>.Shared.Rent(checked((int)Math.Max(groups, 1)));
        Array.Copy(Start, next, groups);
        for (long i = 0; i < m; i++) Order[next[idx[i]]++] = i;
        ArrayPool<long>.Shared.Return(next);
    }

    public void Dispose()
    {
        ArrayPool<long>.Shared.Return(Start);
        ArrayPool<long>.Shared.Return(Order);
    }
}
