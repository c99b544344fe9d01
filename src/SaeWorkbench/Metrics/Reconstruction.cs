using SaeWorkbench.Activations;
using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>Settings of the reconstruction metrics (<see cref="Reconstruction"/>).</summary>
public sealed record ReconstructionOptions
{
    /// <summary>A latent fires on a token when |activation| exceeds this, >= 0 (0: any nonzero value; the TopK paper's
    /// released code counts activations above 1e-3). Used for L0, firing frequencies, dead and dense latents.</summary>
    public double FiringThreshold { get; init; }

    /// <summary>A latent is dense when it fires on more than this fraction of the evaluated tokens, in (0, 1] (the
    /// JumpReLU paper's "high-frequency" latents: above 10%).</summary>
    public double DenseFrequency { get; init; } = 0.1;

    /// <summary>A fixed denominator for <see cref="ReconstructionResult.NormalizedMse"/>, > 0 and finite, e.g. the
    /// SAE's training constant <see cref="SparseAutoencoder.mse_baseline"/>; null (the default): the evaluated data's
    /// own mse(mean(x), x), which makes the normalized MSE equal to the fraction of variance unexplained.</summary>
    public double? MseBaseline { get; init; }

    public void Validate()
    {
        const string owner = nameof(ReconstructionOptions);
        ConfigCheck.NonNegative(FiringThreshold, owner, nameof(FiringThreshold));
        ConfigCheck.Require(DenseFrequency > 0 && DenseFrequency <= 1, owner, nameof(DenseFrequency), DenseFrequency, "in (0, 1]");
        if (MseBaseline is { } b) ConfigCheck.Positive(b, owner, nameof(MseBaseline));
    }
}

/// <summary>
/// Reconstruction quality and sparsity over a set of tokens (Gao et al. 2024, §2.1 and §3). Squared
/// errors follow <see cref="Losses.Mse"/>: summed over d, averaged over tokens.
/// </summary>
public sealed record ReconstructionResult
{
    /// <summary>Tokens evaluated (T).</summary>
    public required long Tokens { get; init; }

    /// <summary>Number of latents (N).</summary>
    public required long NumLatents { get; init; }

    /// <summary>mean_t ||x_t - x_hat_t||^2.</summary>
    public required double Mse { get; init; }

    /// <summary>The denominator of <see cref="NormalizedMse"/>: the fixed one of <see cref="ReconstructionOptions.MseBaseline"/>,
    /// else mse(mean(x), x) = mean_t ||x_t - mean(x)||^2 of the evaluated data.</summary>
    public required double MseBaseline { get; init; }

    /// <summary><see cref="Mse"/> / <see cref="MseBaseline"/>: the error relative to always predicting the mean activation.</summary>
    public required double NormalizedMse { get; init; }

    /// <summary>Fraction of variance unexplained, mean_t ||x_t - x_hat_t||^2 / mean_t ||x_t - mean(x)||^2: the variance
    /// about the mean over all evaluated tokens, numerator and denominator each averaged over every token before dividing
    /// (never a mean of per-batch or per-token ratios, nor a variance over d). Predicting the mean gives 1.</summary>
    public required double FractionOfVarianceUnexplained { get; init; }

    /// <summary>1 - <see cref="FractionOfVarianceUnexplained"/>: 1 for a perfect reconstruction, 0 for predicting the mean.</summary>
    public double ExplainedVariance => 1 - FractionOfVarianceUnexplained;

    /// <summary>Mean number of firing latents per token.</summary>
    public required double L0 { get; init; }

    /// <summary>Mean over tokens of sum_i |z_i|.</summary>
    public required double L1 { get; init; }

    /// <summary>Fraction of the evaluated tokens on which each latent fired: [N].</summary>
    public required double[] FiringFrequencies { get; init; }

    /// <summary>Latents that fired on none of the evaluated tokens.</summary>
    public required long DeadLatents { get; init; }

    /// <summary>Latents that fired on more than <see cref="ReconstructionOptions.DenseFrequency"/> of the tokens.</summary>
    public required long DenseLatents { get; init; }

    public double DeadFraction => DeadLatents / (double)NumLatents;

    public double DenseFraction => DenseLatents / (double)NumLatents;

    /// <summary>The options the result was computed with.</summary>
    public required ReconstructionOptions Options { get; init; }
}

/// <summary>
/// Streaming accumulator of the reconstruction metrics (<see cref="ReconstructionResult"/>): feed it batches of inputs,
/// reconstructions and latents; memory stays O(D + N) whatever the number of tokens. Every sum is kept in float64; the
/// mean and the sum of squared deviations of x merge batch by batch with Chan et al.'s parallel update, so the variance
/// about the mean is exact over the whole stream and free of the cancellation of sum(x^2) - T mean^2.
/// </summary>
public sealed class ReconstructionAccumulator : IDisposable
{
    private readonly Tensor _firing_N;   // int64 firing counts
    private Tensor? _mean_D;             // float64 running mean of x
    private double _m2;                  // sum over tokens of ||x_t - mean||^2
    private double _sse;                 // sum over tokens of ||x_t - x_hat_t||^2
    private double _l0Sum, _l1Sum;

    /// <param name="numLatents">N, the width of every latents batch.</param>
    /// <param name="options">Thresholds (defaults: any nonzero value fires; dense above 10%).</param>
    public ReconstructionAccumulator(long numLatents, ReconstructionOptions? options = null)
    {
        ConfigCheck.Positive(numLatents, nameof(ReconstructionAccumulator), nameof(numLatents));
        Options = options ?? new ReconstructionOptions();
        Options.Validate();
        NumLatents = numLatents;
        _firing_N = zeros(new[] { numLatents }, int64).DetachFromDisposeScope();
    }

    public ReconstructionOptions Options { get; }

    public long NumLatents { get; }

    /// <summary>Tokens accumulated so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>Adds a batch: inputs <paramref name="x_BD"/>, reconstructions <paramref name="x_hat_BD"/> (same space) and the
    /// latents <paramref name="latents_BN"/> that produced them.</summary>
    public void Update(Tensor x_BD, Tensor x_hat_BD, Tensor latents_BN)
    {
        CheckPair(x_BD, x_hat_BD);
        if (latents_BN.dim() != 2 || latents_BN.size(0) != x_BD.size(0) || latents_BN.size(1) != NumLatents)
            throw new ArgumentException($"latents_BN must be [{x_BD.size(0)}, {NumLatents}], got {latents_BN.ShapeString}", nameof(latents_BN));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var fired = latents_BN.detach().abs().gt(Options.FiringThreshold);
        AddLatents(fired.sum(0L, type: int64), fired.sum(type: float64).ToDouble(), latents_BN.detach().abs().sum(type: float64).ToDouble());
        AddErrors(x_BD, x_hat_BD);
    }

    /// <summary>Adds a forward pass of an SAE: its normalised input against its reconstruction (the space in which the
    /// papers measure errors), and its latents, read from the sparse code when there is one (no [B, N] matrix).</summary>
    public void Update(SaeOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Code is not { } code)
        {
            Update(output.Input_BD, output.Reconstruction_BD, output.Latents_BN);
            return;
        }
        CheckPair(output.Input_BD, output.Reconstruction_BD);
        if (code.NumLatents != NumLatents || code.NumTokens != output.Input_BD.size(0))
            throw new ArgumentException($"the sparse code is [{code.NumTokens}, {code.NumLatents}], expected [{output.Input_BD.size(0)}, {NumLatents}]", nameof(output));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = output.CodeValues_M!.detach().abs();
        var fired = values.gt(Options.FiringThreshold);
        var counts = code.Latents_M.masked_select(fired).bincount(null, NumLatents);
        AddLatents(counts, fired.sum(type: float64).ToDouble(), values.sum(type: float64).ToDouble());
        AddErrors(output.Input_BD, output.Reconstruction_BD);
    }

    private void CheckPair(Tensor x_BD, Tensor x_hat_BD)
    {
        if (x_BD.dim() != 2 || x_BD.size(0) == 0)
            throw new ArgumentException($"x_BD must be a non-empty [B, D] matrix, got {x_BD.ShapeString}", nameof(x_BD));
        if (!x_hat_BD.shape.SequenceEqual(x_BD.shape))
            throw new ArgumentException($"x_hat_BD must have the shape of x_BD {x_BD.ShapeString}, got {x_hat_BD.ShapeString}", nameof(x_hat_BD));
        if (_mean_D is not null && _mean_D.size(0) != x_BD.size(1))
            throw new ArgumentException($"x_BD has d = {x_BD.size(1)}, earlier batches had d = {_mean_D.size(0)}", nameof(x_BD));
    }

    private void AddLatents(Tensor counts_N, double l0Sum, double l1Sum)
    {
        _firing_N.add_(counts_N.to(int64, _firing_N.device));
        _l0Sum += l0Sum;
        _l1Sum += l1Sum;
    }

    private void AddErrors(Tensor x_BD, Tensor x_hat_BD)
    {
        var x = x_BD.detach().to(float64, CPU);
        var xh = x_hat_BD.detach().to(float64, CPU);
        long nb = x.size(0), n = Tokens;
        _sse += (x - xh).square().sum().ToDouble();
        var meanB = x.mean(new long[] { 0 });
        var m2B = (x - meanB).square().sum().ToDouble();
        if (_mean_D is null)
        {
            _mean_D = meanB.DetachFromDisposeScope();
            _m2 = m2B;
        }
        else
        {
            // Chan, Golub & LeVeque: merge (n, mean, M2) with the batch's (nb, meanB, M2B).
            var delta = meanB - _mean_D;
            var total = (double)(n + nb);
            _m2 += m2B + delta.square().sum().ToDouble() * n * nb / total;
            _mean_D.add_(delta * (nb / total));
        }
        Tokens = n + nb;
    }

    /// <summary>The metrics over every token added so far.</summary>
    public ReconstructionResult Result()
    {
        if (Tokens == 0) throw new InvalidOperationException("no tokens were added: call Update with at least one batch first");
        using var scope = NewDisposeScope();
        var t = (double)Tokens;
        var mse = _sse / t;
        var variance = _m2 / t;
        var baseline = Options.MseBaseline ?? variance;
        var frequencies = (_firing_N.to(float64) / t).ToArray<double>();
        var counts = _firing_N.ToArray<long>();
        return new ReconstructionResult
        {
            Tokens = Tokens,
            NumLatents = NumLatents,
            Mse = mse,
            MseBaseline = baseline,
            NormalizedMse = mse / baseline,
            FractionOfVarianceUnexplained = mse / variance,
            L0 = _l0Sum / t,
            L1 = _l1Sum / t,
            FiringFrequencies = frequencies,
            DeadLatents = counts.LongCount(c => c == 0),
            DenseLatents = frequencies.LongCount(f => f > Options.DenseFrequency),
            Options = Options,
        };
    }

    public void Dispose()
    {
        _firing_N.Dispose();
        _mean_D?.Dispose();
    }
}

/// <summary>
/// Reconstruction metrics of an SAE (Gao et al. 2024, §2.1 and §3): MSE, normalized MSE, fraction of
/// variance unexplained and explained variance, L0, L1, firing frequencies, dead and dense latents. Errors are measured in
/// the SAE's normalised input space (where the papers compute them); the SAE runs in eval mode without gradients, batch by
/// batch, through a <see cref="ReconstructionAccumulator"/>.
/// </summary>
public static class Reconstruction
{
    /// <summary>Metrics of <paramref name="sae"/> on the rows of <paramref name="x_TD"/> (raw inputs [T, D]).</summary>
    public static ReconstructionResult Evaluate(SparseAutoencoder sae, Tensor x_TD, long batchSize = 4096, ReconstructionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sae);
        using var acc = new ReconstructionAccumulator(sae.NumLatents, options);
        EvaluationBatches.ForEach(x_TD, batchSize, sae, x => acc.Update(sae.Forward(x)));
        return acc.Result();
    }

    /// <summary>Metrics of <paramref name="sae"/> on the next <paramref name="tokens"/> activations of <paramref name="source"/>
    /// (which advances).</summary>
    public static ReconstructionResult Evaluate(SparseAutoencoder sae, IActivationSource source, long tokens, long batchSize = 4096, ReconstructionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sae);
        using var acc = new ReconstructionAccumulator(sae.NumLatents, options);
        EvaluationBatches.ForEach(source, tokens, batchSize, sae, x => acc.Update(sae.Forward(x)));
        return acc.Result();
    }

    /// <summary>Metrics of one batch of inputs, reconstructions and latents ([B, D], [B, D], [B, N]).</summary>
    public static ReconstructionResult Compute(Tensor x_BD, Tensor x_hat_BD, Tensor latents_BN, ReconstructionOptions? options = null)
    {
        using var acc = new ReconstructionAccumulator(latents_BN.size(-1), options);
        acc.Update(x_BD, x_hat_BD, latents_BN);
        return acc.Result();
    }
}
