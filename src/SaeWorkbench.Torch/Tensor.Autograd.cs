using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>Autograd on a tensor: requires_grad, backward, grad, detach.</summary>
public sealed partial class Tensor
{
    public bool requires_grad
    {
        get => N.saewb_requires_grad(Handle) != 0;
        set => N.Check(N.saewb_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool requires_grad = true)
    {
        this.requires_grad = requires_grad;
        return this;
    }

    /// <summary>True for tensors created by the user (not by an op that autograd records).</summary>
    public bool is_leaf => N.saewb_is_leaf(Handle) != 0;

    /// <summary>
    /// The gradient accumulated by backward(), or null. Each read returns a new handle on the
    /// same gradient storage (owned by the current dispose scope, like any result).
    /// </summary>
    public Tensor? grad
    {
        get
        {
            N.Check(N.saewb_grad(Handle, out var g));
            return WrapOrNull(g);
        }
        set => N.Check(N.saewb_set_grad(Handle, HandleOrZero(value)));
    }

    /// <summary>Keep .grad for a non-leaf tensor after backward().</summary>
    public Tensor retain_grad()
    {
        N.Check(N.saewb_retain_grad(Handle));
        return this;
    }

    /// <summary>Name of the autograd node that produced this tensor (e.g. "MulBackward0"), or "" for leaves.</summary>
    public unsafe string grad_fn_name
    {
        get
        {
            var buffer = stackalloc byte[256];
            N.Check(N.saewb_grad_fn_name(Handle, buffer, 256));
            return System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "";
        }
    }

    /// <summary>
    /// Accumulates d(this)/d(leaf) into every leaf's .grad. A non-scalar tensor needs
    /// <paramref name="gradient"/> (the vector in the vector-Jacobian product).
    /// </summary>
    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false) =>
        N.Check(N.saewb_backward(Handle, HandleOrZero(gradient), retain_graph || create_graph ? 1 : 0, create_graph ? 1 : 0));

    /// <summary>
    /// Replaces this tensor's data (storage, shape, dtype, device) by <paramref name="source"/>'s,
    /// keeping its identity (PyTorch's <c>param.data = source</c>). Clears the cached shape.
    /// </summary>
    public void set_data(Tensor source)
    {
        N.Check(N.saewb_set_data(Handle, source.Handle));
        _shape = null;
    }

    /// <summary>A tensor sharing storage but cut from the autograd graph.</summary>
    public Tensor detach() => Wrap(N.saewb_detach(Handle));

    public Tensor detach_()
    {
        N.Check(N.saewb_detach_(Handle));
        return this;
    }
}
