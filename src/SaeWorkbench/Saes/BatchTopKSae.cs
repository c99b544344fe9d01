using TorchSharp;
using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>Configuration of the BatchTopK SAE (Bussmann et al. 2024). K is the average active latents per token.</summary>
public sealed record BatchTopKSaeConfig : TopKSaeConfig
{
    /// <summary>Rate of the moving average that estimates the global inference threshold from each training batch's
    /// smallest kept positive activation (Bussmann et al.'s code: 0.01), in (0, 1].</summary>
    public double ThresholdUpdateRate { get; init; } = 0.01;

    public override string Architecture => "batchtopk";

    public override void Validate()
    {
        base.Validate();
        ConfigCheck.Require(!MultiTopK, nameof(BatchTopKSaeConfig), nameof(MultiTopK), MultiTopK, "false (Multi-TopK is defined for per-token TopK only)");
        ConfigCheck.Require(ThresholdUpdateRate > 0 && ThresholdUpdateRate <= 1, nameof(BatchTopKSaeConfig), nameof(ThresholdUpdateRate), ThresholdUpdateRate, "in (0, 1]");
    }
}

/// <summary>
/// BatchTopK SAE (Bussmann et al. 2024): in training keep the top k*B ReLU'd pre-activations
/// across the whole batch of B tokens (a variable number per token); at inference (eval mode) use a single
/// threshold theta estimated during training: z = JumpReLU_theta(pre). Losses as TopK ("nmse", "aux_k").
/// The sparse kernels handle the variable-length code (entries grouped by token).
/// </summary>
public sealed class BatchTopKSae : TopKSae
{
    public BatchTopKSae(BatchTopKSaeConfig config) : base(config)
    {
        threshold = this.Buffer("threshold", zeros(Array.Empty<long>(), float32, config.Device));
    }

    public new BatchTopKSaeConfig Config => (BatchTopKSaeConfig)base.Config;

    /// <summary>The global inference threshold theta (float32), a moving average of the smallest kept activation per batch: [].</summary>
    public Tensor threshold { get; }

    public override Activation InferenceActivation => new JumpReluActivation(threshold.ToDouble());

    protected override SaeOutput ForwardTraining(Tensor xn, NormalizationState state, ForwardOptions options)
    {
        if (training) return base.ForwardTraining(xn, state, options);
        // Inference: the global threshold replaces the batch-level selection.
        var (pre, _) = PreActivations(xn);
        var z = InferenceActivation.Apply(pre);
        var x_hat = Decode(z);
        return Assemble(xn, state, pre, x_hat, new() { ["nmse"] = Losses.NormalizedMse(x_hat, xn, Baseline(xn)) }, latents: z);
    }

    protected override (SparseCode wide, Tensor widePre_M, SparseCode main) SelectTraining(Tensor preNoBias_BN)
    {
        var (b, n) = (preNoBias_BN.size(0), preNoBias_BN.size(1));
        var pre = (preNoBias_BN + b_enc_N.detach()).reshape(-1);                // the batch-level selection needs the full matrix
        var (_, flat) = pre.relu().topk(checked((int)(Config.K * b)), sorted: false);
        var (code, order) = SparseCode.FromFlatIndices(flat, b, n);
        return (code, pre.index_select(0, flat.index_select(0, order)), code);
    }

    protected override void OnTrainingSelection(Tensor values_M) => UpdateThreshold(values_M);

    protected override Tensor DenseTrainingLatents(Tensor pre_BN, out Tensor? wide_BN)
    {
        wide_BN = null;
        var (b, n) = (pre_BN.size(0), pre_BN.size(1));
        var (v, i) = pre_BN.relu().reshape(-1).topk(checked((int)(Config.K * b)), sorted: false);
        if (training) using (no_grad()) UpdateThreshold(v);
        return zeros(new[] { b * n }, pre_BN.dtype, pre_BN.device).scatter(0, i, v).view(b, n);
    }

    /// <summary>theta &lt;- (1 - r) theta + r min(kept positive values) (Bussmann et al.'s estimate).</summary>
    private void UpdateThreshold(Tensor values_M)
    {
        using var scope = NewDisposeScope();
        var positive = values_M.masked_select(values_M.gt(0));
        if (positive.numel() == 0) return;
        var r = Config.ThresholdUpdateRate;
        threshold.mul_(1 - r).add_(positive.min().to(float32) * r);
    }
}
