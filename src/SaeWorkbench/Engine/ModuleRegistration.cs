using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Engine;

/// <summary>
/// Registration of parameters, buffers and submodules on a TorchSharp <see cref="nn.Module"/> that returns what it
/// registered, so a constructor reads <c>W_enc_ND = this.Parameter("W_enc_ND", init)</c>. Parameters and buffers are
/// taken out of the current dispose scope: they live as long as their module (disposed with it).
/// </summary>
public static class ModuleRegistration
{
    /// <summary>Registers <paramref name="value"/>'s data (detached) as a parameter named <paramref name="name"/>.</summary>
    public static Parameter Parameter(this nn.Module owner, string name, Tensor value, bool requiresGrad = true)
    {
        var p = new Parameter(value.detach(), requiresGrad);
        p.DetachFromDisposeScope();
        owner.register_parameter(name, p);
        return p;
    }

    /// <summary>Registers <paramref name="value"/> (detached) as a persistent buffer named <paramref name="name"/>.</summary>
    public static Tensor Buffer(this nn.Module owner, string name, Tensor value)
    {
        var b = value.detach();
        b.DetachFromDisposeScope();
        owner.register_buffer(name, b);
        return b;
    }

    /// <summary>Registers <paramref name="module"/> as the submodule <paramref name="name"/>.</summary>
    public static T Submodule<T>(this nn.Module owner, string name, T module) where T : nn.Module
    {
        owner.register_module(name, module);
        return module;
    }
}
