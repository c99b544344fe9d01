using System.Runtime.InteropServices;
using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>
/// The entry point, named and shaped like PyTorch's <c>torch</c> module (and TorchSharp's):
/// <c>torch.randn(4, 8)</c>, <c>torch.cat(...)</c>, <c>torch.no_grad()</c>, <c>torch.nn.Linear</c>,
/// <c>torch.optim.Adam</c>. Factories default to float32 on the CPU.
/// </summary>
public static partial class torch
{
    static torch() => N.EnsureLoaded();

    // dtype spellings as in PyTorch
    public const ScalarType float32 = ScalarType.Float32, @float = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64, @double = ScalarType.Float64;
    public const ScalarType float16 = ScalarType.Float16, half = ScalarType.Float16;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType int64 = ScalarType.Int64, @long = ScalarType.Int64;
    public const ScalarType int32 = ScalarType.Int32, @int = ScalarType.Int32;
    public const ScalarType int16 = ScalarType.Int16, int8 = ScalarType.Int8, uint8 = ScalarType.UInt8;
    public const ScalarType @bool = ScalarType.Bool;

    public static readonly Device cpu = Device.CPU;

    private static (int dt, int type, int index) Opts(ScalarType? dtype, Device? device, ScalarType fallback = ScalarType.Float32)
    {
        var d = device ?? Device.CPU;
        return ((int)(dtype ?? fallback), (int)d.Type, d.Index);
    }

    private static Tensor Grad(Tensor t, bool requires_grad) => requires_grad ? t.requires_grad_() : t;

    // ---- creation -------------------------------------------------------------------------------
    public static Tensor empty(params long[] size) => empty(size, null);
    public static unsafe Tensor empty(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var (dt, ty, ix) = Opts(dtype, device);
        fixed (long* p = size) return Grad(Tensor.Wrap(N.saewb_empty(p, size.Length, dt, ty, ix)), requires_grad);
    }

    public static Tensor zeros(params long[] size) => zeros(size, null);
    public static unsafe Tensor zeros(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var (dt, ty, ix) = Opts(dtype, device);
        fixed (long* p = size) return Grad(Tensor.Wrap(N.saewb_zeros(p, size.Length, dt, ty, ix)), requires_grad);
    }

    public static Tensor ones(params long[] size) => ones(size, null);
    public static unsafe Tensor ones(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var (dt, ty, ix) = Opts(dtype, device);
        fixed (long* p = size) return Grad(Tensor.Wrap(N.saewb_ones(p, size.Length, dt, ty, ix)), requires_grad);
    }

    /// <summary>A tensor filled with <paramref name="value"/>; dtype defaults to float32 (int64 for an integer value, bool for a bool).</summary>
    public static unsafe Tensor full(long[] size, Scalar value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var (dt, ty, ix) = Opts(dtype, device, value.InferredDType);
        fixed (long* p = size) return Grad(Tensor.Wrap(N.saewb_full(p, size.Length, value, dt, ty, ix)), requires_grad);
    }

    /// <summary>[start, end) with a step; int64 unless a dtype is given or an endpoint is fractional.</summary>
    public static Tensor arange(Scalar start, Scalar end, Scalar? step = null, ScalarType? dtype = null, Device? device = null)
    {
        var integral = start.IsIntegral && end.IsIntegral && (step?.IsIntegral ?? true);
        var (dt, ty, ix) = Opts(dtype, device, integral ? ScalarType.Int64 : ScalarType.Float32);
        return Tensor.Wrap(N.saewb_arange(start, end, step ?? 1, dt, ty, ix));
    }

    /// <summary>[0, end). A dtype or device goes through the (start, end, ...) overload, so that
    /// <c>arange(n, 0)</c> can never bind the literal 0 to a dtype.</summary>
    public static Tensor arange(Scalar end) => arange(0, end, 1);

    public static Tensor linspace(double start, double end, long steps, ScalarType? dtype = null, Device? device = null)
    {
        var (dt, ty, ix) = Opts(dtype, device);
        return Tensor.Wrap(N.saewb_linspace(start, end, steps, dt, ty, ix));
    }

    public static Tensor eye(long n, ScalarType? dtype = null, Device? device = null)
    {
        var (dt, ty, ix) = Opts(dtype, device);
        return Tensor.Wrap(N.saewb_eye(n, dt, ty, ix));
    }

    /// <summary>Standard normal samples.</summary>
    public static Tensor randn(params long[] size) => randn(size, null);
    public static unsafe Tensor randn(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null)
    {
        var (dt, ty, ix) = Opts(dtype, device);
        fixed (long* p = size) return Grad(Tensor.Wrap(N.saewb_randn(p, size.Length, Generator.HandleOrZero(generator), dt, ty, ix)), requires_grad);
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(params long[] size) => rand(size, null);
    public static unsafe Tensor rand(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false, Generator? generator = null)
    {
        var (dt, ty, ix) = Opts(dtype, device);
        fixed (long* p = size) return Grad(Tensor.Wrap(N.saewb_rand(p, size.Length, Generator.HandleOrZero(generator), dt, ty, ix)), requires_grad);
    }

    /// <summary>Integers uniform in [low, high); int64 by default.</summary>
    public static unsafe Tensor randint(long low, long high, long[] size, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        var (dt, ty, ix) = Opts(dtype, device, ScalarType.Int64);
        fixed (long* p = size) return Tensor.Wrap(N.saewb_randint(low, high, p, size.Length, Generator.HandleOrZero(generator), dt, ty, ix));
    }

    /// <summary>A random permutation of 0..n-1 (int64).</summary>
    public static Tensor randperm(long n, Generator? generator = null, Device? device = null)
    {
        var (dt, ty, ix) = Opts(null, device, ScalarType.Int64);
        return Tensor.Wrap(N.saewb_randperm(n, Generator.HandleOrZero(generator), dt, ty, ix));
    }

    public static Tensor empty_like(Tensor t) => Tensor.Wrap(N.saewb_empty_like(t.Handle));
    public static Tensor zeros_like(Tensor t) => Tensor.Wrap(N.saewb_zeros_like(t.Handle));
    public static Tensor ones_like(Tensor t) => Tensor.Wrap(N.saewb_ones_like(t.Handle));
    public static Tensor full_like(Tensor t, Scalar value) => Tensor.Wrap(N.saewb_full_like(t.Handle, value));
    public static Tensor randn_like(Tensor t, Generator? generator = null) => randn(t.Shape, t.dtype, t.device, false, generator);
    public static Tensor rand_like(Tensor t, Generator? generator = null) => rand(t.Shape, t.dtype, t.device, false, generator);

    /// <summary>A new CPU tensor holding a copy of <paramref name="data"/>, with the given shape (default: 1-D).</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, long[]? shape = null, Device? device = null, bool requires_grad = false) where T : unmanaged
    {
        var s = shape ?? new long[] { data.Length };
        var dt = ScalarTypeExtensions.ForClrType<T>();
        Tensor t;
        fixed (T* d = data)
        fixed (long* p = s)
            t = Tensor.Wrap(N.saewb_from_data(d, (long)data.Length * sizeof(T), p, s.Length, (int)dt));
        if (device is { Type: not DeviceType.CPU } dev)
        {
            var moved = t.to(dev);
            t.Dispose();
            t = moved;
        }
        return Grad(t, requires_grad);
    }

    public static Tensor tensor<T>(T[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) where T : unmanaged =>
        tensor<T>(data.AsSpan(), shape, device, requires_grad);

    public static Tensor tensor<T>(T[,] data, Device? device = null, bool requires_grad = false) where T : unmanaged =>
        tensor<T>(MemoryMarshal.CreateReadOnlySpan(ref data[0, 0], data.Length), new long[] { data.GetLength(0), data.GetLength(1) }, device, requires_grad);

    /// <summary>A 0-d tensor holding one number.</summary>
    public static Tensor tensor(double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        full(Array.Empty<long>(), value, dtype, device);

    /// <summary>Raw bytes (row-major, little-endian) as a tensor of the given dtype and shape.</summary>
    public static unsafe Tensor from_bytes(ReadOnlySpan<byte> bytes, ScalarType dtype, long[] shape)
    {
        fixed (byte* d = bytes)
        fixed (long* p = shape)
            return Tensor.Wrap(N.saewb_from_data(d, bytes.Length, p, shape.Length, (int)dtype));
    }

    // ---- joining ---------------------------------------------------------------------------------
    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var hs = tensors.Select(t => t.Handle).ToArray();
        fixed (IntPtr* p = hs) return Tensor.Wrap(N.saewb_cat(p, hs.Length, dim));
    }

    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var hs = tensors.Select(t => t.Handle).ToArray();
        fixed (IntPtr* p = hs) return Tensor.Wrap(N.saewb_stack(p, hs.Length, dim));
    }

    public static Tensor where(Tensor condition, Tensor x, Tensor y) => x.where(condition, y);
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor mm(Tensor a, Tensor b) => a.mm(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    public static Tensor addmm(Tensor input, Tensor mat1, Tensor mat2, Scalar? beta = null, Scalar? alpha = null) => input.addmm(mat1, mat2, beta, alpha);
    public static Tensor exp(Tensor a) => a.exp();
    public static Tensor log(Tensor a) => a.log();
    public static Tensor sqrt(Tensor a) => a.sqrt();
    public static Tensor abs(Tensor a) => a.abs();
    public static Tensor relu(Tensor a) => a.relu();
    public static Tensor sigmoid(Tensor a) => a.sigmoid();
    public static Tensor tanh(Tensor a) => a.tanh();
    public static Tensor softmax(Tensor a, long dim) => a.softmax(dim);
    public static Tensor log_softmax(Tensor a, long dim) => a.log_softmax(dim);
    public static (Tensor values, Tensor indices) topk(Tensor a, long k, long dim = -1, bool largest = true, bool sorted = true) => a.topk(k, dim, largest, sorted);

    /// <summary>Einstein summation, e.g. einsum("bij,bjk->bik", a, b).</summary>
    public static unsafe Tensor einsum(string equation, params Tensor[] operands)
    {
        var hs = operands.Select(t => t.Handle).ToArray();
        fixed (IntPtr* p = hs) return Tensor.Wrap(N.saewb_einsum(equation, p, hs.Length));
    }

    /// <summary>Samples 0/1 with probability given elementwise by <paramref name="probs"/>.</summary>
    public static Tensor bernoulli(Tensor probs, Generator? generator = null) => Tensor.Wrap(N.saewb_bernoulli(probs.Handle, Generator.HandleOrZero(generator)));

    /// <summary>Draws <paramref name="num_samples"/> indices per row from (unnormalised) probabilities.</summary>
    public static Tensor multinomial(Tensor probs, long num_samples, bool replacement = false, Generator? generator = null) =>
        Tensor.Wrap(N.saewb_multinomial(probs.Handle, num_samples, replacement ? 1 : 0, Generator.HandleOrZero(generator)));

    // ---- scopes and modes -------------------------------------------------------------------------
    /// <summary>Opens a dispose scope: tensors created until it is disposed are disposed with it.</summary>
    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Disables gradient recording on this thread until the returned object is disposed.</summary>
    public static IDisposable no_grad() => new GradModeScope(false);

    /// <summary>Enables gradient recording on this thread until the returned object is disposed.</summary>
    public static IDisposable enable_grad() => new GradModeScope(true);

    public static bool is_grad_enabled() => N.saewb_is_grad_enabled() != 0;

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool _previous;
        private bool _done;
        public GradModeScope(bool enabled) => _previous = N.saewb_set_grad_enabled(enabled ? 1 : 0) != 0;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            N.saewb_set_grad_enabled(_previous ? 1 : 0);
        }
    }

    /// <summary>Seeds the default generators of every device (PyTorch's torch.manual_seed).</summary>
    public static void manual_seed(ulong seed) => N.Check(N.saewb_manual_seed(seed));

    /// <summary>torch.autograd: gradients of outputs with respect to inputs without touching .grad.</summary>
    public static partial class autograd
    {
        public static unsafe Tensor?[] grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? grad_outputs = null,
            bool retain_graph = false, bool create_graph = false, bool allow_unused = false)
        {
            var outs = outputs.Select(t => t.Handle).ToArray();
            var ins = inputs.Select(t => t.Handle).ToArray();
            var gos = grad_outputs?.Select(Tensor.HandleOrZero).ToArray();
            if (gos != null && gos.Length != outs.Length)
                throw new ArgumentException($"grad_outputs has {gos.Length} entries but there are {outs.Length} outputs", nameof(grad_outputs));
            var result = new IntPtr[ins.Length];
            fixed (IntPtr* po = outs)
            fixed (IntPtr* pi = ins)
            fixed (IntPtr* pg = gos)
            fixed (IntPtr* pr = result)
                N.Check(N.saewb_autograd_grad(po, pg, outs.Length, pi, ins.Length, retain_graph || create_graph ? 1 : 0,
                    create_graph ? 1 : 0, allow_unused ? 1 : 0, pr));
            return result.Select(Tensor.WrapOrNull).ToArray();
        }
    }

    /// <summary>CUDA queries (all false/zero on a CPU-only build).</summary>
    public static class cuda
    {
        public static bool is_available() => N.saewb_cuda_is_available() != 0;
        public static int device_count() => Math.Max(0, N.saewb_cuda_device_count());
        public static void synchronize(int device = 0) => N.Check(N.saewb_cuda_synchronize(device));
    }
}
