using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// The reconstruction losses of the SAE papers (Gao et al. 2024; Rajamanoharan et al. 2024a, 2024b). Conventions: a squared error is
/// summed over the d_model dimension and averaged over tokens (||x - x_hat||^2 per token, as the papers
/// write it); every function returns a 0-d tensor in the graph.
/// </summary>
public static class Losses
{
    /// <summary>Mean over tokens of ||x - x_hat||^2 (sum over d). [B, D] inputs.</summary>
    public static Tensor Mse(Tensor x_hat_BD, Tensor x_BD) => (x_hat_BD - x_BD).square().sum(-1).mean();

    /// <summary>
    /// The normalising constant of the normalized MSE: mse(mean(x), x), the error of always predicting the
    /// mean activation (Gao et al. 2024, §2.1). Training computes it once on a sample at the start
    /// (<see cref="SparseAutoencoder.InitializeFromData"/>), not per batch.
    /// </summary>
    public static Tensor MseBaseline(Tensor x_BD)
    {
        using var scope = NewDisposeScope();
        var xd = x_BD.detach();
        return (xd - xd.mean(new long[] { 0 }, keepdim: true)).square().sum(-1).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Normalized MSE: mse(x_hat, x) / baseline; with no baseline given, the batch's own mse(mean(x), x).</summary>
    public static Tensor NormalizedMse(Tensor x_hat_BD, Tensor x_BD, Tensor? baseline = null)
    {
        using var scope = NewDisposeScope();
        var denom = baseline ?? MseBaseline(x_BD);
        return (Mse(x_hat_BD, x_BD) / denom).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// AuxK (Gao et al. 2024, Appendix A.2): the dead latents' reconstruction <paramref name="e_hat_BD"/>
    /// (W_dec z_aux, no bias) of the main reconstruction's residual <paramref name="e_BD"/> = x - x_hat
    /// (x_hat detached), normalised like the main MSE: by the residual's own mse(mean(e), e) over the batch,
    /// as the released code does. A NaN or infinite value (e.g. a zero residual) counts as 0.
    /// </summary>
    public static Tensor AuxK(Tensor e_hat_BD, Tensor e_BD)
    {
        using var scope = NewDisposeScope();
        var l = NormalizedMse(e_hat_BD, e_BD.detach());
        return l.where(l.isfinite(), 0.0).MoveToOuterDisposeScope();
    }

    /// <summary>Multi-TopK (Gao et al. 2024, §5.3): L(k) + L(4k) / 8, the second term decoding the top 4k latents
    /// (weight 1/8 by default).</summary>
    public static Tensor MultiTopK(Tensor loss_k, Tensor loss_4k, double weight = 1.0 / 8) => loss_k + loss_4k * weight;
}
