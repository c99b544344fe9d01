using System.Runtime.InteropServices;

namespace SaeWorkbench.Torch;

/// <summary>
/// A number passed to an op, tagged so that integer tensors stay integer (PyTorch's Scalar).
/// Layout matches the native <c>saewb_scalar</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Scalar
{
    private readonly double _d;
    private readonly long _i;
    private readonly int _kind; // 0 double, 1 int64, 2 bool

    private Scalar(double d, long i, int kind) { _d = d; _i = i; _kind = kind; }

    public static implicit operator Scalar(double v) => new(v, 0, 0);
    public static implicit operator Scalar(float v) => new(v, 0, 0);
    public static implicit operator Scalar(long v) => new(0, v, 1);
    public static implicit operator Scalar(int v) => new(0, v, 1);
    public static implicit operator Scalar(bool v) => new(0, v ? 1 : 0, 2);

    public bool IsIntegral => _kind != 0;
    /// <summary>The dtype PyTorch infers for a tensor filled with this value: float32, int64 or bool.</summary>
    internal ScalarType InferredDType => _kind switch { 0 => ScalarType.Float32, 1 => ScalarType.Int64, _ => ScalarType.Bool };
    public double ToDouble() => _kind == 0 ? _d : _i;
    public override string ToString() => _kind switch { 0 => _d.ToString("R"), 1 => _i.ToString(), _ => (_i != 0).ToString() };
}
