using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Engine;

/// <summary>
/// Raw access to a CPU tensor's memory for the workbench's own kernels and file I/O: the address of
/// its first element, after checking that it is a contiguous CPU tensor of the expected dtype. The tensor must stay alive
/// (and not be resized) while the pointer is used.
/// </summary>
public static class TensorMemory
{
    [DllImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The address of the first element of <paramref name="t"/> (any dtype), which must be a contiguous CPU tensor.</summary>
    public static IntPtr Address(Tensor t, string name = "tensor")
    {
        if (t.device_type != DeviceType.CPU)
            throw new ArgumentException($"{name} is on {t.device}; this kernel needs a CPU tensor (call .cpu() first)", name);
        if (!t.is_contiguous())
            throw new ArgumentException($"{name} [{string.Join(", ", t.shape)}] is not contiguous; call .contiguous() first", name);
        if (t.numel() == 0) return IntPtr.Zero;
        var p = THSTensor_data(t.Handle);
        if (p == IntPtr.Zero) torch.CheckForErrors();
        return p;
    }

    /// <summary>The address of <paramref name="t"/>'s first element as a <typeparamref name="T"/> pointer, checking the dtype.</summary>
    public static unsafe T* Pointer<T>(Tensor t, string name = "tensor") where T : unmanaged
    {
        var expected = typeof(T) == typeof(byte) ? t.dtype : TensorConversions.DTypeOf<T>();
        if (t.dtype != expected)
            throw new ArgumentException($"{name} has dtype {t.dtype}; this kernel needs {expected}", name);
        return (T*)Address(t, name);
    }
}
