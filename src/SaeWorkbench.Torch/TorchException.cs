namespace SaeWorkbench.Torch;

/// <summary>An error raised by libtorch (or the native bridge), carrying libtorch's own message.</summary>
public sealed class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
