namespace SaeWorkbench.Torch;

/// <summary>
/// Deterministic release of native tensor memory. Every tensor created while a scope is the
/// current one (on this thread) belongs to it and is disposed when the scope is; a training
/// step inside <c>using (torch.NewDisposeScope())</c> therefore frees every intermediate at the
/// end of the step. Results that must live on are moved out with
/// <see cref="Tensor.MoveToOuterDisposeScope"/> (to the enclosing scope, or to nobody) or
/// <see cref="Tensor.DetachFromDisposeScope"/>. Scopes nest; finalizers remain only as a safety net.
/// The per-thread "current scope" is the one piece of mutable static state besides the native
/// library handle, as in TorchSharp.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static DisposeScope? Current => _current;

    /// <summary>The number of tensors this scope will dispose.</summary>
    public int Count => _owned.Count;

    internal void Attach(Tensor t)
    {
        _owned.Add(t);
        t.Scope = this;
    }

    internal void Forget(Tensor t) => _owned.Remove(t);

    /// <summary>Moves a tensor from this scope to the enclosing one (or to no scope).</summary>
    internal void MoveToOuter(Tensor t)
    {
        _owned.Remove(t);
        t.Scope = null;
        _outer?.Attach(t);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _owned)
        {
            t.Scope = null;
            t.Dispose();
        }
        _owned.Clear();
        // Scopes are used in a stack discipline; restore the enclosing one.
        if (ReferenceEquals(_current, this)) _current = _outer;
    }
}
