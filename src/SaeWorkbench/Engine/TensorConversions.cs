using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Engine;

/// <summary>
/// Small conveniences over TorchSharp tensors that the workbench uses throughout: host copies into .NET arrays and
/// spans, a shape string for error messages, and dtype names as PyTorch spells them.
/// </summary>
public static class TensorConversions
{
    extension(Tensor t)
    {
        /// <summary>The shape as PyTorch prints it in messages: "[4096, 768]".</summary>
        public string ShapeString => "[" + string.Join(", ", t.shape) + "]";
    }

    /// <summary>torch.equal: the same shape and the same elements (NaN is unequal to itself), any device.</summary>
    public static bool SameAs(this Tensor t, Tensor other)
    {
        if (!t.shape.SequenceEqual(other.shape)) return false;
        using var scope = NewDisposeScope();
        return t.eq(other).all().ToBoolean();
    }

    /// <summary>Overwrites every element of <paramref name="t"/> (any device, any float dtype) with <paramref name="values"/> (row-major, numel() of them).</summary>
    public static void CopyFrom(this Tensor t, double[] values)
    {
        if (values.Length != t.numel())
            throw new ArgumentException($"{values.Length} values for a tensor of {t.numel()} elements", nameof(values));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        t.copy_(tensor(values, t.shape));
    }

    /// <summary>A host copy of every element in row-major order, converted to <typeparamref name="T"/>'s dtype where it differs.</summary>
    public static T[] ToArray<T>(this Tensor t) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        var host = t.detach().cpu().to(DTypeOf<T>()).contiguous();
        return host.data<T>().ToArray();
    }

    /// <summary>Copies every element (row-major) into <paramref name="destination"/>, which must have numel() elements.</summary>
    public static unsafe void CopyTo<T>(this Tensor t, Span<T> destination) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        var host = t.detach().cpu().contiguous();
        CheckDType<T>(host);
        if (destination.Length != host.numel())
            throw new ArgumentException($"destination has {destination.Length} elements, the tensor {host.numel()}", nameof(destination));
        if (host.numel() == 0) return;
        new ReadOnlySpan<T>((void*)TensorMemory.Address(host), destination.Length).CopyTo(destination);
    }

    private static void CheckDType<T>(Tensor t) where T : unmanaged
    {
        var want = DTypeOf<T>();
        if (t.dtype != want) throw new ArgumentException($"the tensor is {t.dtype.PyTorchName()}, not {want.PyTorchName()}: convert it with .to(...) first");
    }

    /// <summary>The tensor dtype of a .NET element type (float -> float32, long -> int64, byte -> uint8, ...).</summary>
    internal static ScalarType DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? ScalarType.Float32 : typeof(T) == typeof(double) ? ScalarType.Float64
            : typeof(T) == typeof(long) ? ScalarType.Int64 : typeof(T) == typeof(int) ? ScalarType.Int32
            : typeof(T) == typeof(short) ? ScalarType.Int16 : typeof(T) == typeof(sbyte) ? ScalarType.Int8
            : typeof(T) == typeof(byte) ? ScalarType.Byte : typeof(T) == typeof(bool) ? ScalarType.Bool
            : throw new ArgumentException($"no tensor dtype for {typeof(T).Name}");

    /// <summary>True for the floating-point dtypes (float16, bfloat16, float32, float64).</summary>
    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16;

    /// <summary>The PyTorch spelling, e.g. "float32".</summary>
    public static string PyTorchName(this ScalarType t) => t switch
    {
        ScalarType.Byte => "uint8",
        ScalarType.Int8 => "int8",
        ScalarType.Int16 => "int16",
        ScalarType.Int32 => "int32",
        ScalarType.Int64 => "int64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Bool => "bool",
        _ => t.ToString().ToLowerInvariant(),
    };
}

/// <summary>Reductions that TorchSharp's Tensor lacks.</summary>
public static class TensorReductions
{
    /// <summary>
    /// The median along <paramref name="dim"/> as torch.median(dim) defines it: the lower of the two middle values when the
    /// count is even (no averaging). The dimension is removed.
    /// </summary>
    public static Tensor LowerMedian(this Tensor t, long dim)
    {
        var n = t.shape[dim < 0 ? dim + t.dim() : dim];
        if (n == 0) throw new ArgumentException($"median over an empty dimension {dim} of {t.ShapeString}", nameof(dim));
        using var scope = NewDisposeScope();
        var (sorted, _) = t.sort(dim);
        return sorted.select(dim, (n - 1) / 2).MoveToOuterDisposeScope();
    }
}
