using System.Runtime.InteropServices;
using SaeWorkbench.Torch.Interop;

namespace SaeWorkbench.Torch;

/// <summary>
/// A libtorch tensor: an owning handle on native memory (CPU or CUDA). Methods read like
/// PyTorch's (<c>x.matmul(w)</c>, <c>x.sum(1)</c>, <c>x.topk(k)</c>). Memory is released by
/// <see cref="Dispose"/> or by the enclosing <see cref="DisposeScope"/>; a finalizer is only a
/// safety net for tensors no scope owns. Using a disposed tensor throws <see cref="ObjectDisposedException"/>.
/// This file: lifetime, properties, conversion and host copies; the other parts of the class
/// hold math (Tensor.Math.cs), reductions (Tensor.Reduce.cs), shapes (Tensor.Shape.cs),
/// indexing (Tensor.Indexing.cs) and autograd (Tensor.Autograd.cs).
/// </summary>
/// <remarks>
/// Lifetime and cost: every op result is a new <see cref="Tensor"/>, so what its construction
/// costs is paid on every call. A finalizable class makes every allocation take the runtime's
/// slow path (registration for finalization, then GC.SuppressFinalize on Dispose): about 0.1 us
/// per op, a tenth of a small op's whole cost. So the class has no finalizer; the safety net is a
/// small finalizable <see cref="Releaser"/> that only tensors owned by no scope carry (created
/// outside any scope, detached from their scope, or moved out of the outermost one). A tensor in
/// a scope needs none: the scope disposes it. (A scope that is never disposed keeps its tensors
/// alive through the thread's current-scope reference, with or without finalizers.)
/// </remarks>
public sealed partial class Tensor : IDisposable
{
    private IntPtr _handle;
    private long[]? _shape;
    internal DisposeScope? Scope;
    internal int ScopeSlot; // this tensor's index in Scope's list (see DisposeScope)
    private Releaser? _releaser; // the finalizer safety net, only while no scope owns this tensor

    private Tensor(IntPtr handle)
    {
        _handle = handle;
        var scope = DisposeScope.Current;
        if (scope != null) scope.Attach(this);
        else _releaser = new Releaser(handle);
    }

    /// <summary>
    /// Frees the native tensor if its <see cref="Tensor"/> was dropped without Dispose. It is
    /// referenced only by its tensor, so it becomes unreachable (and is finalized) with it.
    /// </summary>
    private sealed class Releaser(IntPtr handle)
    {
        private IntPtr _handle = handle;

        /// <summary>The tensor was disposed (or a scope took it over): nothing left to do.</summary>
        public void Cancel()
        {
            _handle = IntPtr.Zero;
            GC.SuppressFinalize(this);
        }

        ~Releaser()
        {
            var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
            if (h != IntPtr.Zero) NativeMethods.saewb_tensor_free(h);
        }
    }

    /// <summary>Called when the last scope lets go of a live tensor: from now on the caller owns it.</summary>
    internal void LeftAllScopes()
    {
        var h = _handle;
        if (h != IntPtr.Zero && _releaser == null) _releaser = new Releaser(h);
    }

    /// <summary>Called when a scope takes over a tensor that had no owner.</summary>
    internal void EnteredScope()
    {
        var r = _releaser;
        if (r == null) return;
        _releaser = null;
        r.Cancel();
    }

    /// <summary>Wraps a handle returned by the bridge, throwing libtorch's error if it is null.</summary>
    internal static Tensor Wrap(IntPtr handle) => new(NativeMethods.Check(handle));

    internal static Tensor? WrapOrNull(IntPtr handle) => handle == IntPtr.Zero ? null : new Tensor(handle);

    internal IntPtr Handle
    {
        get
        {
            var h = _handle;
            if (h == IntPtr.Zero)
                throw new ObjectDisposedException(nameof(Tensor),
                    "This tensor was disposed (explicitly or by its DisposeScope) and can no longer be used. " +
                    "Keep it alive with MoveToOuterDisposeScope() or DetachFromDisposeScope(), or compute it inside the scope that uses it.");
            return h;
        }
    }

    /// <summary>True once the native memory has been released.</summary>
    public bool IsDisposed => _handle == IntPtr.Zero;

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h == IntPtr.Zero) return;
        var r = _releaser;
        if (r != null)
        {
            _releaser = null;
            r.Cancel();
        }
        NativeMethods.saewb_tensor_free(h);
        Scope?.Forget(this);
        Scope = null;
    }

    /// <summary>Moves this tensor to the dispose scope enclosing its current one (or out of all scopes).</summary>
    public Tensor MoveToOuterDisposeScope()
    {
        if (Scope != null) Scope.MoveToOuter(this);
        return this;
    }

    /// <summary>Takes this tensor out of its dispose scope: the caller now owns it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        if (Scope == null) return this;
        Scope.Forget(this);
        Scope = null;
        LeftAllScopes();
        return this;
    }

    /// <summary>A second handle on the same tensor (same storage, same autograd identity).</summary>
    public Tensor alias() => Wrap(NativeMethods.saewb_tensor_alias(Handle));

    // ---- properties -----------------------------------------------------------------------

    /// <summary>The sizes of every dimension (a copy).</summary>
    public long[] shape => (long[])Shape.Clone();

    internal unsafe long[] Shape
    {
        get
        {
            if (_shape != null) return _shape;
            var h = Handle;
            var s = new long[NativeMethods.saewb_tensor_dim(h)];
            fixed (long* p = s) NativeMethods.saewb_tensor_sizes(h, p);
            return _shape = s;
        }
    }

    public long size(int dim) => Shape[WrapDim(dim)];

    /// <summary>A dimension in [-ndim, ndim) as an index into the shape; outside it, libtorch's message.</summary>
    internal int WrapDim(long dim, string paramName = "dim")
    {
        var n = Shape.Length;
        if (dim >= -n && dim < n) return (int)(dim < 0 ? dim + n : dim);
        throw new ArgumentOutOfRangeException(paramName, dim, n == 0
            ? $"dimension specified as {dim} but tensor has no dimensions"
            : $"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})");
    }
    public int dim() => Shape.Length;
    public int ndim => Shape.Length;
    public long numel() => NativeMethods.saewb_tensor_numel(Handle);

    public unsafe long[] stride()
    {
        var h = Handle;
        var s = new long[Shape.Length];
        fixed (long* p = s) NativeMethods.saewb_tensor_strides(h, p);
        return s;
    }

    public ScalarType dtype => (ScalarType)NativeMethods.saewb_tensor_dtype(Handle);

    public Device device
    {
        get
        {
            var h = Handle;
            return new Device((DeviceType)NativeMethods.saewb_tensor_device_type(h), NativeMethods.saewb_tensor_device_index(h));
        }
    }

    public bool is_contiguous() => NativeMethods.saewb_tensor_is_contiguous(Handle) != 0;
    public long element_size() => NativeMethods.saewb_tensor_element_size(Handle);
    public bool is_floating_point() => dtype.IsFloatingPoint();

    /// <summary>True when both tensors view the same storage.</summary>
    public bool shares_storage_with(Tensor other) => NativeMethods.saewb_tensor_same_storage(Handle, other.Handle) != 0;

    /// <summary>The shape as PyTorch prints it, e.g. "[2, 3]".</summary>
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";

    public override string ToString() => IsDisposed ? "Tensor(disposed)" : NativeMethods.TakeString(NativeMethods.saewb_tensor_to_string(Handle));

    // ---- scalars and host copies ------------------------------------------------------------

    /// <summary>The value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        var h = Handle;
        if (typeof(T) == typeof(double) || typeof(T) == typeof(float) || typeof(T) == typeof(Half))
        {
            NativeMethods.Check(NativeMethods.saewb_tensor_item_double(h, out var d));
            if (typeof(T) == typeof(double)) return (T)(object)d;
            if (typeof(T) == typeof(float)) return (T)(object)(float)d;
            return (T)(object)(Half)d;
        }
        NativeMethods.Check(NativeMethods.saewb_tensor_item_int64(h, out var i));
        if (typeof(T) == typeof(long)) return (T)(object)i;
        if (typeof(T) == typeof(int)) return (T)(object)checked((int)i);
        if (typeof(T) == typeof(bool)) return (T)(object)(i != 0);
        if (typeof(T) == typeof(byte)) return (T)(object)checked((byte)i);
        throw new ArgumentException($"item<{typeof(T).Name}> is not supported; use double, float, long, int, bool or byte");
    }

    /// <summary>Copies every element, row-major, into a new array. T must match the dtype.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[numel()];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies every element, row-major, into <paramref name="destination"/> (its length must equal numel()).</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckClrType<T>("copy out");
        var h = Handle;
        fixed (T* p = destination)
            NativeMethods.Check(NativeMethods.saewb_tensor_copy_to_host(h, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>Overwrites every element, row-major, from <paramref name="source"/> (its length must equal numel()).</summary>
    public unsafe void CopyFrom<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        CheckClrType<T>("copy in");
        var h = Handle;
        fixed (T* p = source)
            NativeMethods.Check(NativeMethods.saewb_tensor_copy_from_host(h, p, (long)source.Length * sizeof(T)));
    }

    /// <summary>The raw bytes of every element, row-major (any dtype).</summary>
    public unsafe byte[] ToBytes()
    {
        var h = Handle;
        var bytes = new byte[checked(numel() * element_size())];
        fixed (byte* p = bytes) NativeMethods.Check(NativeMethods.saewb_tensor_copy_to_host(h, p, bytes.Length));
        return bytes;
    }

    /// <summary>Copies the raw bytes of every element into <paramref name="destination"/>.</summary>
    public unsafe void CopyBytesTo(Span<byte> destination)
    {
        var h = Handle;
        fixed (byte* p = destination) NativeMethods.Check(NativeMethods.saewb_tensor_copy_to_host(h, p, destination.Length));
    }

    /// <summary>Overwrites every element from raw bytes (any dtype).</summary>
    public unsafe void CopyBytesFrom(ReadOnlySpan<byte> source)
    {
        var h = Handle;
        fixed (byte* p = source) NativeMethods.Check(NativeMethods.saewb_tensor_copy_from_host(h, p, source.Length));
    }

    private void CheckClrType<T>(string what) where T : unmanaged
    {
        var expected = ScalarTypeExtensions.ForClrType<T>();
        var actual = dtype;
        if (actual != expected)
            throw new ArgumentException(
                $"cannot {what} a {actual.PyTorchName()} tensor as {typeof(T).Name}: convert it first with .to({expected.PyTorchName()}) " +
                $"or use a {actual.PyTorchName()}-typed buffer");
    }

    // ---- conversion -------------------------------------------------------------------------

    public Tensor to(ScalarType dtype) => Wrap(NativeMethods.saewb_to_dtype(Handle, (int)dtype));

    public Tensor to(Device device, bool non_blocking = false, bool copy = false) =>
        Wrap(NativeMethods.saewb_to(Handle, (int)dtype, (int)device.Type, device.Index, non_blocking ? 1 : 0, copy ? 1 : 0));

    public Tensor to(Device device, ScalarType dtype, bool non_blocking = false, bool copy = false) =>
        Wrap(NativeMethods.saewb_to(Handle, (int)dtype, (int)device.Type, device.Index, non_blocking ? 1 : 0, copy ? 1 : 0));

    /// <summary>Converts to the dtype and device of <paramref name="other"/>.</summary>
    public Tensor to(Tensor other) => to(other.device, other.dtype);

    public Tensor cpu() => to(Device.CPU);
    public Tensor cuda(int index = 0) => to(Device.CUDA(index));
    public Tensor @float() => to(ScalarType.Float32);
    public Tensor @double() => to(ScalarType.Float64);
    public Tensor @long() => to(ScalarType.Int64);
    public Tensor @int() => to(ScalarType.Int32);
    public Tensor @bool() => to(ScalarType.Bool);
    public Tensor half() => to(ScalarType.Float16);
    public Tensor bfloat16() => to(ScalarType.BFloat16);

    public Tensor contiguous() => Wrap(NativeMethods.saewb_contiguous(Handle));
    public Tensor clone() => Wrap(NativeMethods.saewb_clone(Handle));

    /// <summary>Copies <paramref name="src"/> into this tensor in place (broadcasting, converting dtype/device).</summary>
    public Tensor copy_(Tensor src, bool non_blocking = false)
    {
        NativeMethods.Check(NativeMethods.saewb_copy_(Handle, src.Handle, non_blocking ? 1 : 0));
        return this;
    }

    internal static IntPtr HandleOrZero(Tensor? t) => t is null ? IntPtr.Zero : t.Handle;
}
