using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests;

/// <summary>
/// A reference for activation shrinkage (TopK paper, "refinement"; facts sheet §5): keep the support the encoder chose,
/// re-fit only the nonzero values to minimise ||x - b_dec - sum v_i d_i||^2 with v >= 0 by projected gradient descent,
/// and report sum(refined) / sum(encoder values). Above 1: the encoder shrinks its activations.
/// </summary>
internal static class Refinement
{
    public static double Ratio(SparseAutoencoder sae, Tensor x_BD, int iterations = 300)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        sae.eval();
        var o = sae.Forward(x_BD);
        var z = o.Latents_BN;
        var support = z.gt(0).to(z.dtype);
        var target = o.Input_BD - sae.b_dec_D;
        var w = sae.W_dec_ND;
        // Step 1/L with L >= the largest eigenvalue of D_s D_s^T: the support size times the largest squared row norm.
        var rowNorm2 = w.square().sum(1).max().item<double>();
        var step = 1.0 / (Math.Max(1, support.sum(1).max().item<double>()) * rowNorm2);
        var v = z.clone();
        for (var i = 0; i < iterations; i++)
        {
            using var s = NewDisposeScope();
            var grad = (v.mm(w) - target).mm(w.t()) * support;
            v.copy_((v - grad * step).relu());
        }
        sae.train();
        return v.sum().item<double>() / z.sum().item<double>();
    }
}
