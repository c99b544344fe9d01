using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The two products of a sparse matrix in coordinate form (COO: entry m at (row[m], col[m]) with value[m]; repeated
/// coordinates add up) that sparse TopK compute is made of (Gao et al. 2024, §2.3: with k of n latents active, the decoder
/// and every gradient touch only the M = B k chosen entries, O(M D) work instead of O(B N D)):
/// <list type="bullet">
/// <item><see cref="Spmm{T}"/>, sparse x dense: out[r] = sum of value[m] dense[col[m]] over the entries of row r. The
///   decode (<see cref="SparseDecode.Forward{T}"/>) and the encoder's weight gradient
///   (<see cref="SparseEncoderGradient.Backward{T}"/>) are this product.</item>
/// <item><see cref="Sddmm{T}"/>, sampled dense x dense^T: out[m] = a[row[m]] . b[col[m]], the dense product read only at
///   the entries (the decode's value gradient on its own, or the pre-activations at the chosen entries).</item>
/// </list>
/// Both equal the former C++ bridge's <c>spmm_coo</c> and <c>sddmm_coo</c> bit for bit (dot products in
/// <see cref="FixedOrderMath"/>'s order; each output row of Spmm summed in entry order on one thread), for any thread count
/// and vector width. Indices are int64 and are range-checked; every matrix is row-major and contiguous.
/// </summary>
public static unsafe class SparseCoo
{
    /// <summary>How much of the next dense row <see cref="Spmm{T}"/> prefetches: its first 8 cache lines start the
    /// memory access, the hardware's stream prefetcher follows the rest (measured: the whole row costs more
    /// instructions than it saves when the dense matrix fits the caches).</summary>
    private const long PrefetchBytes = 512;

    /// <summary>
    /// result_RD[r] = sum over entries m with row_M[m] = r of value_M[m] * dense_KD[col_M[m]], each row summed in the
    /// entries' given order (rows without entries are zero).
    /// </summary>
    /// <param name="row_M">[m] output rows, in [0, numRows).</param>
    /// <param name="col_M">[m] rows of dense, in [0, denseRows).</param>
    /// <param name="value_M">[m] values.</param>
    /// <param name="m">Number of entries (may be 0).</param>
    /// <param name="dense_KD">[denseRows, d].</param>
    /// <param name="denseRows">Rows of dense (K).</param>
    /// <param name="d">Columns of dense and of the result.</param>
    /// <param name="result_RD">Output [numRows, d], overwritten.</param>
    /// <param name="numRows">Rows of the result (R).</param>
    public static void Spmm<T>(long* row_M, long* col_M, T* value_M, long m, T* dense_KD, long denseRows, long d,
                               T* result_RD, long numRows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(m, nameof(m));
        KernelChecks.NonNegative(denseRows, nameof(denseRows));
        KernelChecks.NonNegative(d, nameof(d));
        KernelChecks.NonNegative(numRows, nameof(numRows));
        KernelChecks.NotNull(row_M, m, nameof(row_M));
        KernelChecks.NotNull(col_M, m, nameof(col_M));
        KernelChecks.NotNull(value_M, m, nameof(value_M));
        KernelChecks.NotNull(result_RD, numRows * d, nameof(result_RD));
        KernelChecks.InRange(row_M, m, numRows, nameof(row_M));
        KernelChecks.InRange(col_M, m, denseRows, nameof(col_M));
        KernelChecks.NotNull(dense_KD, m > 0 ? denseRows * d : 0, nameof(dense_KD));
        var isa = KernelIsaScope.Current;
        using var groups = new CooGrouping(row_M, m, numRows);
        var start = groups.Start;
        var order = groups.Order;
        RowParallel.For(numRows, 64, (begin, end) => SpmmRows(begin, end, start, order, col_M, value_M, dense_KD, d, result_RD, isa));
    }

    /// <summary>
    /// Output rows [begin, end): each zeroed, then its entries added in their given order. The dense rows are gathered in
    /// the entries' order (random rows of a decoder much larger than the caches, in the decode), so the start of the next
    /// entry's row is prefetched while the current one is added.
    /// </summary>
    [MethodImpl(KernelJit.Optimized)]
    private static void SpmmRows<T>(long begin, long end, long[] start, long[] order, long* col_M, T* value_M, T* dense_KD, long d,
                                    T* result_RD, KernelIsa isa) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var last = start[end];
        for (var r = begin; r < end; r++)
        {
            var o = result_RD + r * d;
            NativeMemory.Clear(o, (nuint)(d * sizeof(T)));
            for (var p = start[r]; p < start[r + 1]; p++)
            {
                var e = order[p];
                if (p + 1 < last) RowPrefetch.Fetch(dense_KD + col_M[order[p + 1]] * d, Math.Min(d * sizeof(T), PrefetchBytes));
                FixedOrderMath.Axpy(o, value_M[e], dense_KD + col_M[e] * d, d, isa);
            }
        }
    }

    /// <summary>result_M[m] = a_RD[row_M[m]] . b_CD[col_M[m]] (dot products in <see cref="FixedOrderMath"/>'s order).</summary>
    /// <param name="row_M">[m] rows of a, in [0, aRows).</param>
    /// <param name="col_M">[m] rows of b, in [0, bRows).</param>
    /// <param name="m">Number of entries (may be 0).</param>
    /// <param name="a_RD">[aRows, d].</param>
    /// <param name="aRows">Rows of a.</param>
    /// <param name="b_CD">[bRows, d].</param>
    /// <param name="bRows">Rows of b.</param>
    /// <param name="d">The shared width.</param>
    /// <param name="result_M">Output [m].</param>
    public static void Sddmm<T>(long* row_M, long* col_M, long m, T* a_RD, long aRows, T* b_CD, long bRows, long d, T* result_M)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        KernelChecks.FloatOrDouble<T>();
        KernelChecks.NonNegative(m, nameof(m));
        KernelChecks.NonNegative(aRows, nameof(aRows));
        KernelChecks.NonNegative(bRows, nameof(bRows));
        KernelChecks.NonNegative(d, nameof(d));
        KernelChecks.NotNull(row_M, m, nameof(row_M));
        KernelChecks.NotNull(col_M, m, nameof(col_M));
        KernelChecks.NotNull(result_M, m, nameof(result_M));
        KernelChecks.InRange(row_M, m, aRows, nameof(row_M));
        KernelChecks.InRange(col_M, m, bRows, nameof(col_M));
        KernelChecks.NotNull(a_RD, m > 0 ? aRows * d : 0, nameof(a_RD));
        KernelChecks.NotNull(b_CD, m > 0 ? bRows * d : 0, nameof(b_CD));
        var isa = KernelIsaScope.Current;
        RowParallel.For(m, 256, (begin, end) => SddmmRange(begin, end, row_M, col_M, a_RD, b_CD, d, result_M, isa));
    }

    [MethodImpl(KernelJit.Optimized)]
    private static void SddmmRange<T>(long begin, long end, long* row_M, long* col_M, T* a_RD, T* b_CD, long d, T* result_M, KernelIsa isa)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var i = begin; i < end; i++) result_M[i] = FixedOrderMath.Dot(a_RD + row_M[i] * d, b_CD + col_M[i] * d, d, isa);
    }
}
