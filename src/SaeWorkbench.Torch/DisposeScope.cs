namespace SaeWorkbench.Torch;

/// <summary>
/// Deterministic release of native tensor memory. Every tensor created while a scope is the
/// current one (on this thread) belongs to it and is disposed when the scope is; a training
/// step inside <c>using (torch.NewDisposeScope())</c> therefore frees every intermediate at the
/// end of the step. Results that must live on are moved out with
/// <see cref="Tensor.MoveToOuterDisposeScope"/> (to the enclosing scope, or to nobody) or
/// <see cref="Tensor.DetachFromDisposeScope"/>. Scopes nest; a finalizer remains as a safety net for
/// tensors that no scope owns (tensors in a scope have none: the scope is their owner).
/// The per-thread "current scope" is the one piece of mutable static state besides the native
/// library handle, as in TorchSharp.
/// </summary>
/// <remarks>
/// Every op result passes through <see cref="Attach"/>, so the bookkeeping is on the per-call
/// path: the owned tensors are kept in a list, each tensor remembering its slot, which makes
/// attaching an append and forgetting (an explicit Dispose, a detach) a store of null; the list
/// is compacted when it is mostly holes. (A reference-keyed HashSet cost about as much again per
/// op; see bench/SaeWorkbench.Bench, workload small_op.)
/// </remarks>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly List<Tensor?> _owned = new();
    private int _live;
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static DisposeScope? Current => _current;

    /// <summary>The number of tensors this scope will dispose.</summary>
    public int Count => _live;

    internal void Attach(Tensor t)
    {
        t.EnteredScope();
        t.Scope = this;
        t.ScopeSlot = _owned.Count;
        _owned.Add(t);
        _live++;
    }

    internal void Forget(Tensor t)
    {
        var slot = t.ScopeSlot;
        if ((uint)slot >= (uint)_owned.Count || !ReferenceEquals(_owned[slot], t)) return;
        _owned[slot] = null;
        _live--;
        // Many tensors disposed one by one inside a long-lived scope: drop the holes.
        if (_owned.Count >= 1024 && _live < _owned.Count / 4) Compact();
    }

    private void Compact()
    {
        var n = 0;
        for (var i = 0; i < _owned.Count; i++)
        {
            var t = _owned[i];
            if (t is null) continue;
            t.ScopeSlot = n;
            _owned[n++] = t;
        }
        _owned.RemoveRange(n, _owned.Count - n);
    }

    /// <summary>Moves a tensor from this scope to the enclosing one (or to no scope).</summary>
    internal void MoveToOuter(Tensor t)
    {
        Forget(t);
        t.Scope = null;
        if (_outer != null) _outer.Attach(t);
        else t.LeftAllScopes();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // By index: a tensor's Dispose does not touch the list (its Scope is cleared first).
        for (var i = 0; i < _owned.Count; i++)
        {
            var t = _owned[i];
            if (t is null) continue;
            t.Scope = null;
            t.Dispose();
        }
        _owned.Clear();
        _live = 0;
        // Scopes are used in a stack discipline; restore the enclosing one.
        if (ReferenceEquals(_current, this)) _current = _outer;
    }
}
