using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>
/// An explicit random-number generator (PyTorch's torch.Generator). Pass it to randn/rand/
/// randint/randperm/normal_/uniform_ so that a component's draws depend on its own seed only.
/// Its full state can be saved and restored (checkpoints resume the same stream).
/// </summary>
public sealed class Generator : IDisposable
{
    private IntPtr _handle;

    public Generator(ulong seed, Device? device = null)
    {
        var d = device ?? Device.CPU;
        _handle = N.Check(N.saewb_generator_new(seed, (int)d.Type, d.Index));
        this.device = d;
    }

    private Generator(IntPtr handle, Device device)
    {
        _handle = handle;
        this.device = device;
    }

    /// <summary>The process-wide default CPU generator (the one torch.manual_seed reseeds).</summary>
    public static Generator DefaultCpu() => new(N.Check(N.saewb_generator_default_cpu()), Device.CPU);

    public Device device { get; }

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Generator));

    internal static IntPtr HandleOrZero(Generator? g) => g?.Handle ?? IntPtr.Zero;

    public Generator manual_seed(ulong seed)
    {
        N.Check(N.saewb_generator_set_seed(Handle, seed));
        return this;
    }

    public ulong initial_seed() => N.saewb_generator_initial_seed(Handle);

    /// <summary>The complete state as a uint8 tensor.</summary>
    public Tensor get_state() => Tensor.Wrap(N.saewb_generator_get_state(Handle));

    public void set_state(Tensor state) => N.Check(N.saewb_generator_set_state(Handle, state.Handle));

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) N.saewb_generator_free(h);
        GC.SuppressFinalize(this);
    }

    ~Generator()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero) N.saewb_generator_free(h);
    }
}
