using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The TopK activation's selection (Gao et al. 2024, §2.3: z = ReLU(TopK(W_enc (x - b_pre) + b_enc))) on the output of the
/// one dense encoder GEMM: the k largest of x[b, :] + bias[:] per row, without materialising x + bias.
/// <para>
/// Order: greater value first, NaN counting as larger than every number, ties broken toward the lower column; the
/// result is that order's first k, sorted (at::topk's values, with its unspecified tie order made the stable one). This
/// is exactly the former C++ bridge's <c>topk_of_sum</c>.
/// </para>
/// <para>
/// Algorithm (one read per value): each row is scanned 32 values at a time; the block's sums are compared, in vectors,
/// with the k-th best value found so far (the threshold), and only the few values above it are appended to a candidate
/// buffer of max(4k, 64) entries. A full buffer is cut back to its best k by a selection (quickselect), which raises the
/// threshold. After the first few blocks almost no value passes, so the row costs about one vectorised compare per
/// value; the final k are sorted. Rows run in parallel, one row on one thread.
/// </para>
/// </summary>
public static unsafe class TopKOfSum
{
    /// <summary>
    /// values_BK[b, i], indices_BK[b, i] = the i-th best of x_BN[b, j] + bias_N[j] over j &lt; n (see the class doc).
    /// </summary>
    /// <param name="x_BN">[b, n] row-major (the pre-activations without the bias).</param>
    /// <param name="bias_N">[n], or null for none.</param>
    /// <param name="b">Rows.</param>
    /// <param name="n">Columns (latents), >= 1.</param>
    /// <param name="k">How many to keep per row, in [1, n].</param>
    /// <param name="values_BK">Output [b, k]: the values x + bias, best first.</param>
    /// <param name="indices_BK">Output [b, k]: their columns.</param>
    public static void Select<T>(T* x_BN, T* bias_N, long b, long n, long k, T* values_BK, long* indices_BK)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(b, nameof(b));
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, $"n = {n} must be >= 1");
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k = {k} is out of range [1, {n}]");
        KernelChecks.NotNull(x_BN, b * n, nameof(x_BN));
        KernelChecks.NotNull(values_BK, b * k, nameof(values_BK));
        KernelChecks.NotNull(indices_BK, b * k, nameof(indices_BK));
        var isa = KernelIsaScope.Current;
        RowParallel.For(b, 16, (begin, end) => SelectRows(begin, end, x_BN, bias_N, n, k, values_BK, indices_BK, isa));
    }

    /// <summary>Rows [begin, end) on one thread, with one candidate buffer.</summary>
    [MethodImpl(KernelJit.Optimized)]
    private static void SelectRows<T>(long begin, long end, T* x_BN, T* bias_N, long n, long k, T* values_BK, long* indices_BK, KernelIsa isa)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var row = new RowTopK<T>(k, n);
        for (var r = begin; r < end; r++)
        {
            var x = x_BN + r * n;
            var values = values_BK + r * k;
            var indices = indices_BK + r * k;
            switch (isa)
            {
                case KernelIsa.Vector512: row.Select<Scan512<T>>(x, bias_N, n, values, indices); break;
                case KernelIsa.Vector256: row.Select<Scan256<T>>(x, bias_N, n, values, indices); break;
                default: row.Select<ScanScalar<T>>(x, bias_N, n, values, indices); break;
            }
        }
    }

    /// <summary>The per-thread state of the row scan: the candidate buffer and the threshold.</summary>
    private sealed class RowTopK<T>(long k, long rowLength) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // max(4k, 64) as the former C++ bridge had it; never more than the row length (a row cannot fill more).
        private readonly Entry<T>[] _buf = new Entry<T>[checked((int)Math.Min(Math.Max(4 * k, 64), rowLength))];
        private readonly int _k = checked((int)k);
        private int _count;
        private T _threshold;
        private bool _haveThreshold;

        /// <summary>The k best of row + bias, best first, into valuesOut and indicesOut; TScan tests the blocks.</summary>
        [MethodImpl(KernelJit.Optimized)]
        public void Select<TScan>(T* row, T* bias, long n, T* valuesOut, long* indicesOut) where TScan : struct, IBlockScan<T>
        {
            _count = 0;
            _haveThreshold = false;
            long j = 0;
            for (; j < n && (!_haveThreshold || j % Block != 0); j++) Consider(Sum(row, bias, j), j);   // until a threshold exists
            var blocksEnd = j + (n - j) / Block * Block;
            var scan = default(TScan);
            scan.SetThreshold(_threshold);
            for (; j < blocksEnd; j += Block)
            {
                var mask = ~scan.AtMost(row + j, bias == null ? null : bias + j);
                if (mask == 0) continue;
                for (; mask != 0; mask &= mask - 1)
                {
                    var q = j + BitOperations.TrailingZeroCount(mask);
                    Consider(Sum(row, bias, q), q);   // re-tested: an earlier candidate of the block may have raised the threshold
                }
                scan.SetThreshold(_threshold);
            }
            for (; j < n; j++) Consider(Sum(row, bias, j), j);
            if (_count > _k) Cut();
            EntryOrder.Sort(_buf, 0, _count);
            for (var i = 0; i < _k; i++)
            {
                valuesOut[i] = _buf[i].Value;
                indicesOut[i] = _buf[i].Index;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static T Sum(T* row, T* bias, long j) => bias == null ? row[j] : row[j] + bias[j];

        /// <summary>Appends (v, j) if it beats the threshold. Columns arrive in increasing order, so a value equal to the
        /// threshold loses the tie and can never enter.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Consider(T v, long j)
        {
            if (_haveThreshold && !EntryOrder.Greater(v, _threshold)) return;
            _buf[_count++] = new Entry<T>(v, j);
            if (_count == _buf.Length) Cut();
        }

        /// <summary>Keeps the best k candidates; the k-th of them becomes the threshold.</summary>
        [MethodImpl(KernelJit.Optimized)]
        private void Cut()
        {
            EntryOrder.SelectNth(_buf, 0, _count, _k - 1);
            _count = _k;
            _threshold = _buf[_k - 1].Value;
            _haveThreshold = true;
        }
    }

    private const int Block = 32;

    /// <summary>
    /// The test of one block of 32 sums against the threshold t: bit q of <see cref="AtMost"/> is set when
    /// row[q] + bias[q] &lt;= t (never for NaN), so its complement marks the candidates. One struct per vector width, so
    /// that the scan loop is compiled once per width with the test inlined and t kept in a register.
    /// </summary>
    private interface IBlockScan<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        void SetThreshold(T t);
        uint AtMost(T* row, T* bias);
    }

    /// <summary>Two float (four double) Vector512 compares per block.</summary>
    private struct Scan512<T> : IBlockScan<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private Vector512<T> _t;

        public void SetThreshold(T t) => _t = Vector512.Create(t);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly uint AtMost(T* row, T* bias)
        {
            if (Vector512<T>.Count == 16)
            {
                var (a, b) = (Vector512.Load(row), Vector512.Load(row + 16));
                if (bias != null) (a, b) = (a + Vector512.Load(bias), b + Vector512.Load(bias + 16));
                return Le(a) | Le(b) << 16;
            }
            var (c0, c1, c2, c3) = (Vector512.Load(row), Vector512.Load(row + 8), Vector512.Load(row + 16), Vector512.Load(row + 24));
            if (bias != null)
                (c0, c1, c2, c3) = (c0 + Vector512.Load(bias), c1 + Vector512.Load(bias + 8), c2 + Vector512.Load(bias + 16), c3 + Vector512.Load(bias + 24));
            return Le(c0) | Le(c1) << 8 | Le(c2) << 16 | Le(c3) << 24;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly uint Le(Vector512<T> v) => (uint)Vector512.LessThanOrEqual(v, _t).ExtractMostSignificantBits();
    }

    /// <summary>Four float (eight double) Vector256 compares per block.</summary>
    private struct Scan256<T> : IBlockScan<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private Vector256<T> _t;

        public void SetThreshold(T t) => _t = Vector256.Create(t);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly uint AtMost(T* row, T* bias)
        {
            uint bits = 0;
            for (var q = 0; q < Block; q += Vector256<T>.Count)
            {
                var v = Vector256.Load(row + q);
                if (bias != null) v += Vector256.Load(bias + q);
                bits |= Vector256.LessThanOrEqual(v, _t).ExtractMostSignificantBits() << q;
            }
            return bits;
        }
    }

    /// <summary>32 scalar compares per block.</summary>
    private struct ScanScalar<T> : IBlockScan<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private T _t;

        public void SetThreshold(T t) => _t = t;

        public readonly uint AtMost(T* row, T* bias)
        {
            uint bits = 0;
            for (var q = 0; q < Block; q++)
                if ((bias == null ? row[q] : row[q] + bias[q]) <= _t) bits |= 1u << q;
            return bits;
        }
    }
}

/// <summary>A candidate of the top-k scan: a value and its column.</summary>
internal readonly record struct Entry<T>(T Value, long Index) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// The top-k order on <see cref="Entry{T}"/>: greater value first (NaN above every number), then lower column. A strict
/// total order (columns are distinct), so selection and sorting under it have one answer.
/// </summary>
internal static class EntryOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Greater<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> =>
        a > b || (T.IsNaN(a) && !T.IsNaN(b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Better<T>(in Entry<T> a, in Entry<T> c) where T : unmanaged, IFloatingPointIeee754<T> =>
        Greater(a.Value, c.Value) || (!Greater(c.Value, a.Value) && a.Index < c.Index);

    /// <summary>Reorders a[lo..hi) so that a[nth] is the entry a sort would put there, better ones before it and worse
    /// ones after (quickselect, Hoare partition around a median of three).</summary>
    [MethodImpl(KernelJit.Optimized)]
    public static void SelectNth<T>(Entry<T>[] a, int lo, int hi, int nth) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int l = lo, r = hi - 1;
        while (r - l >= 16)
        {
            var (i, j) = Partition(a, l, r);
            if (nth <= j) r = j;
            else if (nth >= i) l = i;
            else return;   // a[j + 1 .. i) is the pivot, in place
        }
        InsertionSort(a, l, r + 1);
    }

    /// <summary>Sorts a[lo..hi) best first (quicksort on the larger side's loop, insertion sort below 16 entries).</summary>
    [MethodImpl(KernelJit.Optimized)]
    public static void Sort<T>(Entry<T>[] a, int lo, int hi) where T : unmanaged, IFloatingPointIeee754<T>
    {
        while (hi - lo > 16)
        {
            var (i, j) = Partition(a, lo, hi - 1);
            if (j + 1 - lo < hi - i)
            {
                Sort(a, lo, j + 1);
                lo = i;
            }
            else
            {
                Sort(a, i, hi);
                hi = j + 1;
            }
        }
        InsertionSort(a, lo, hi);
    }

    /// <summary>Hoare partition of a[l..r] (inclusive, at least 3 entries) around the median of a[l], a[mid], a[r]:
    /// afterwards a[l..j] are no worse than the pivot, a[i..r] no better, and j &lt; i.</summary>
    [MethodImpl(KernelJit.Optimized)]
    private static (int i, int j) Partition<T>(Entry<T>[] a, int l, int r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = l + (r - l) / 2;
        if (Better(a[m], a[l])) (a[m], a[l]) = (a[l], a[m]);
        if (Better(a[r], a[l])) (a[r], a[l]) = (a[l], a[r]);
        if (Better(a[r], a[m])) (a[r], a[m]) = (a[m], a[r]);
        var pivot = a[m];
        int i = l, j = r;
        while (i <= j)
        {
            while (Better(a[i], pivot)) i++;
            while (Better(pivot, a[j])) j--;
            if (i <= j)
            {
                (a[i], a[j]) = (a[j], a[i]);
                i++;
                j--;
            }
        }
        return (i, j);
    }

    [MethodImpl(KernelJit.Optimized)]
    private static void InsertionSort<T>(Entry<T>[] a, int lo, int hi) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i = lo + 1; i < hi; i++)
        {
            var e = a[i];
            var j = i - 1;
            for (; j >= lo && Better(e, a[j]); j--) a[j + 1] = a[j];
            a[j + 1] = e;
        }
    }
}
