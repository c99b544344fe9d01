using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>Per-call options of <see cref="SparseAutoencoder.Forward"/>.</summary>
public sealed record ForwardOptions
{
    /// <summary>Dead latents [N] (bool), from the trainer's <see cref="Training.DeadLatentTracker"/>: AuxK revives them.
    /// Null: no AuxK term.</summary>
    public Tensor? DeadMask_N { get; init; }

    /// <summary>Multiplier of the sparsity coefficient (lambda) in [0, 1], for its linear warm-up; 1 = the configured lambda.</summary>
    public double SparsityScale { get; init; } = 1.0;

    /// <summary>Test-time activation swap: evaluate with this activation instead of the SAE's own, keeping all
    /// weights. The losses are then "mse" only (the training penalties do not apply).</summary>
    public Activation? Activation { get; init; }
}

/// <summary>
/// Everything a forward pass produced (sparsify-style named record): the normalised input, the
/// pre-activations, the latents, the reconstruction in both spaces, and each loss term by name.
/// Tensors belong to the dispose scope that was current during the forward pass. B tokens, N latents, D = d_in.
/// </summary>
public sealed record SaeOutput
{
    private Tensor? _latents;
    private Tensor? _pre;

    /// <summary>The input after normalisation: what the SAE reconstructs and the losses compare against.</summary>
    public required Tensor Input_BD { get; init; }

    /// <summary>The scores the activation selects from: W_enc (x - b_pre) + b_enc (Gated: pi_gate), [B, N]. The sparse
    /// TopK path selects without forming this matrix (the bias is added inside the top-k scan) and builds it on first use,
    /// outside the autograd graph (gradients flow through the selected entries).</summary>
    public Tensor PreActivations_BN
    {
        get => _pre ??= PreActivationsFactory!();
        init => _pre = value;
    }

    /// <summary>Builds <see cref="PreActivations_BN"/> on first use (sparse path).</summary>
    internal Func<Tensor>? PreActivationsFactory { get; init; }

    /// <summary>Gated only: the magnitude path pi_mag (null otherwise).</summary>
    public Tensor? Magnitudes_BN { get; init; }

    /// <summary>For sparse codes (TopK family): which latents are active where; values in <see cref="CodeValues_M"/>.</summary>
    public SparseCode? Code { get; init; }

    /// <summary>The latent values at <see cref="Code"/>'s entries (after the activation), [M].</summary>
    public Tensor? CodeValues_M { get; init; }

    /// <summary>Dense latents, set directly by dense architectures.</summary>
    internal Tensor? DenseLatents_BN { get; init; }

    /// <summary>The latents [B, N] (after the activation). For sparse codes the dense matrix is built on first use.</summary>
    public Tensor Latents_BN => _latents ??= DenseLatents_BN ?? Code!.ToDense(CodeValues_M!);

    /// <summary>W_dec z + b_dec, in the normalised space.</summary>
    public required Tensor Reconstruction_BD { get; init; }

    /// <summary>The reconstruction with the input normalisation undone (what replaces the activation downstream).</summary>
    public required Tensor ReconstructionInInputSpace_BD { get; init; }

    /// <summary>Each loss term as it enters <see cref="Loss"/> (coefficients applied), by name, e.g. "mse", "l1", "nmse", "aux_k".</summary>
    public required IReadOnlyDictionary<string, Tensor> Losses { get; init; }

    /// <summary>The sum of <see cref="Losses"/>: what training differentiates.</summary>
    public required Tensor Loss { get; init; }

    /// <summary>Mean over tokens of ||x - x_hat||^2 in the normalised space (detached).</summary>
    public required Tensor Mse { get; init; }

    /// <summary><see cref="Mse"/> divided by the normalising constant (detached).</summary>
    public required Tensor NormalizedMse { get; init; }

    /// <summary>Mean number of nonzero latents per token (detached, float).</summary>
    public required Tensor L0 { get; init; }

    /// <summary>How many tokens of this batch each latent fired on (activation above <paramref name="threshold"/>): [N] int64.</summary>
    public Tensor FiringCounts_N(double threshold)
    {
        if (Code is not null) return Code.FiringCounts(CodeValues_M!, threshold);
        using var scope = NewDisposeScope();
        return Latents_BN.detach().gt(threshold).sum(0L, type: int64).MoveToOuterDisposeScope();
    }
}
