using SaeWorkbench.Saes.FastTopK;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// The decoder's unit-norm constraint (Gao et al. 2024, appendix A; Bricken et al. 2023): every decoder row d_n is kept
/// at unit L2 norm. Before the optimiser step the gradient's component parallel to each row is removed,
/// g_n &lt;- g_n - (g_n . d_n / ||d_n||^2) d_n; after it each row is rescaled to unit norm. In place, no autograd.
/// Training's Adam fuses both into its own pass over W_dec on CPU (Training/SaeAdam.SetUnitNormRows, FastTopK/UnitNormAdam).
/// </summary>
public static class DecoderConstraint
{
    /// <summary>grad_ND[n] -= (grad[n] . weight[n] / ||weight[n]||^2) weight[n] for each row, in place. Returns grad.</summary>
    public static Tensor RemoveParallelComponent(Tensor grad_ND, Tensor weight_ND)
    {
        if (TensorKernels.Supports(grad_ND, weight_ND)) { TensorKernels.RemoveParallelComponent(grad_ND, weight_ND); return grad_ND; }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = weight_ND.detach();
        var coef_N1 = (grad_ND * w).sum(1, keepdim: true) / (w * w).sum(1, keepdim: true);
        grad_ND.sub_(coef_N1 * w);
        return grad_ND;
    }

    /// <summary>Scales each row of weight_ND to unit L2 norm in place. Returns it.</summary>
    public static Tensor NormalizeRows(Tensor weight_ND)
    {
        if (TensorKernels.Supports(weight_ND)) { TensorKernels.NormalizeRows(weight_ND); return weight_ND; }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        weight_ND.div_(weight_ND.norm(1, keepdim: true));
        return weight_ND;
    }
}
