using SaeWorkbench.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes.FastTopK;

/// <summary>
/// The FastTopK kernels on TorchSharp tensors: each method checks that its tensors are contiguous CPU tensors of one
/// float dtype (float32 or float64; indices int64), allocates the outputs and calls the pointer kernel. <see cref="Supports"/>
/// says whether a call qualifies; callers (<see cref="SparseKernels"/>, Training's SaeAdam, <see cref="DecoderConstraint"/>)
/// fall back to composite TorchSharp ops otherwise (CUDA, other dtypes, views). No autograd.
/// </summary>
public static unsafe class TensorKernels
{
    /// <summary>True when every tensor is a contiguous CPU tensor, the float ones share float32 or float64, and the rest are int64.</summary>
    public static bool Supports(Tensor floatTensor, params Tensor?[] others)
    {
        var dt = floatTensor.dtype;
        if (dt is not (ScalarType.Float32 or ScalarType.Float64) || !IsPlainCpu(floatTensor)) return false;
        foreach (var t in others)
        {
            if (t is null) continue;
            if (!IsPlainCpu(t) || (t.dtype != dt && t.dtype != ScalarType.Int64)) return false;
        }
        return true;
    }

    private static bool IsPlainCpu(Tensor t) => t.device_type == DeviceType.CPU && t.is_contiguous();

    /// <summary>Top k of x + bias per row (see <see cref="TopKOfSum"/>): values [B, k] in x's dtype, indices [B, k] int64.</summary>
    public static (Tensor values_BK, Tensor indices_BK) TopKOfSum(Tensor x_BN, Tensor? bias_N, long k)
    {
        var (b, n) = (x_BN.size(0), x_BN.size(1));
        var values = empty(new[] { b, k }, x_BN.dtype);
        var indices = empty(new[] { b, k }, ScalarType.Int64);
        var ix = TensorMemory.Pointer<long>(indices);
        if (x_BN.dtype == ScalarType.Float32)
            FastTopK.TopKOfSum.Select(TensorMemory.Pointer<float>(x_BN), bias_N is null ? null : TensorMemory.Pointer<float>(bias_N), b, n, k, TensorMemory.Pointer<float>(values), ix);
        else
            FastTopK.TopKOfSum.Select(TensorMemory.Pointer<double>(x_BN), bias_N is null ? null : TensorMemory.Pointer<double>(bias_N), b, n, k, TensorMemory.Pointer<double>(values), ix);
        return (values, indices);
    }

    /// <summary>SpMM in coordinate form (see <see cref="SparseCoo.Spmm{T}"/>): [numRows, D].</summary>
    public static Tensor Spmm(Tensor row_M, Tensor col_M, Tensor value_M, Tensor dense_KD, long numRows)
    {
        var (m, rows, d) = (row_M.size(0), dense_KD.size(0), dense_KD.size(1));
        var result = empty(new[] { numRows, d }, dense_KD.dtype);
        var r = TensorMemory.Pointer<long>(row_M);
        var c = TensorMemory.Pointer<long>(col_M);
        if (dense_KD.dtype == ScalarType.Float32)
            SparseCoo.Spmm(r, c, TensorMemory.Pointer<float>(value_M), m, TensorMemory.Pointer<float>(dense_KD), rows, d, TensorMemory.Pointer<float>(result), numRows);
        else
            SparseCoo.Spmm(r, c, TensorMemory.Pointer<double>(value_M), m, TensorMemory.Pointer<double>(dense_KD), rows, d, TensorMemory.Pointer<double>(result), numRows);
        return result;
    }

    /// <summary>The sparse decode's backward (see <see cref="SparseDecode.Backward{T}"/>): dz [M], dW_dec [N, D].</summary>
    public static (Tensor dz_M, Tensor dW_ND) DecodeBackward(Tensor token_M, Tensor latent_M, Tensor z_M, Tensor g_BD, Tensor W_ND)
    {
        var (m, b, n, d) = (token_M.size(0), g_BD.size(0), W_ND.size(0), W_ND.size(1));
        var dz = empty(new[] { m }, W_ND.dtype);
        var dW = empty(new[] { n, d }, W_ND.dtype);
        var t = TensorMemory.Pointer<long>(token_M);
        var l = TensorMemory.Pointer<long>(latent_M);
        if (W_ND.dtype == ScalarType.Float32)
            SparseDecode.Backward(t, l, TensorMemory.Pointer<float>(z_M), m, TensorMemory.Pointer<float>(g_BD), b, TensorMemory.Pointer<float>(W_ND), n, d,
                TensorMemory.Pointer<float>(dz), TensorMemory.Pointer<float>(dW));
        else
            SparseDecode.Backward(t, l, TensorMemory.Pointer<double>(z_M), m, TensorMemory.Pointer<double>(g_BD), b, TensorMemory.Pointer<double>(W_ND), n, d,
                TensorMemory.Pointer<double>(dz), TensorMemory.Pointer<double>(dW));
        return (dz, dW);
    }

    /// <summary>The encoder gradient from the code's entries (see <see cref="SparseEncoderGradient.Backward{T}"/>): dW_enc [N, D], db_enc [N].</summary>
    public static (Tensor dW_ND, Tensor db_N) EncoderGradient(Tensor latent_M, Tensor token_M, Tensor g_M, Tensor xc_BD, long n)
    {
        var (m, b, d) = (latent_M.size(0), xc_BD.size(0), xc_BD.size(1));
        var dW = empty(new[] { n, d }, xc_BD.dtype);
        var db = empty(new[] { n }, xc_BD.dtype);
        var l = TensorMemory.Pointer<long>(latent_M);
        var t = TensorMemory.Pointer<long>(token_M);
        if (xc_BD.dtype == ScalarType.Float32)
            SparseEncoderGradient.Backward(l, t, TensorMemory.Pointer<float>(g_M), m, TensorMemory.Pointer<float>(xc_BD), b, d, TensorMemory.Pointer<float>(dW), TensorMemory.Pointer<float>(db), n);
        else
            SparseEncoderGradient.Backward(l, t, TensorMemory.Pointer<double>(g_M), m, TensorMemory.Pointer<double>(xc_BD), b, d, TensorMemory.Pointer<double>(dW), TensorMemory.Pointer<double>(db), n);
        return (dW, db);
    }

    /// <summary>One Adam step in place (see <see cref="FusedAdam"/>); with <paramref name="unitNormRows"/> the [N, D] rows are kept at unit norm in the same pass (<see cref="UnitNormAdam"/>).</summary>
    public static void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, in AdamStepSettings settings, bool unitNormRows)
    {
        if (unitNormRows)
        {
            var (n, d) = (param.size(0), param.size(1));
            if (param.dtype == ScalarType.Float32)
                UnitNormAdam.Step(TensorMemory.Pointer<float>(param), TensorMemory.Pointer<float>(grad), TensorMemory.Pointer<float>(expAvg), TensorMemory.Pointer<float>(expAvgSq), n, d, settings);
            else
                UnitNormAdam.Step(TensorMemory.Pointer<double>(param), TensorMemory.Pointer<double>(grad), TensorMemory.Pointer<double>(expAvg), TensorMemory.Pointer<double>(expAvgSq), n, d, settings);
            return;
        }
        var count = param.numel();
        if (param.dtype == ScalarType.Float32)
            FusedAdam.Step(TensorMemory.Pointer<float>(param), TensorMemory.Pointer<float>(grad), TensorMemory.Pointer<float>(expAvg), TensorMemory.Pointer<float>(expAvgSq), count, settings);
        else
            FusedAdam.Step(TensorMemory.Pointer<double>(param), TensorMemory.Pointer<double>(grad), TensorMemory.Pointer<double>(expAvg), TensorMemory.Pointer<double>(expAvgSq), count, settings);
    }

    /// <summary>grad[n] -= (grad[n] . W[n] / ||W[n]||^2) W[n], in place (see <see cref="UnitNormRows"/>).</summary>
    public static void RemoveParallelComponent(Tensor grad_ND, Tensor W_ND)
    {
        var (n, d) = (W_ND.size(0), W_ND.size(1));
        if (W_ND.dtype == ScalarType.Float32) UnitNormRows.RemoveParallelComponent(TensorMemory.Pointer<float>(grad_ND), TensorMemory.Pointer<float>(W_ND), n, d);
        else UnitNormRows.RemoveParallelComponent(TensorMemory.Pointer<double>(grad_ND), TensorMemory.Pointer<double>(W_ND), n, d);
    }

    /// <summary>Each row of W to unit L2 norm, in place (see <see cref="UnitNormRows"/>).</summary>
    public static void NormalizeRows(Tensor W_ND)
    {
        var (n, d) = (W_ND.size(0), W_ND.size(1));
        if (W_ND.dtype == ScalarType.Float32) UnitNormRows.Normalize(TensorMemory.Pointer<float>(W_ND), n, d);
        else UnitNormRows.Normalize(TensorMemory.Pointer<double>(W_ND), n, d);
    }
}
