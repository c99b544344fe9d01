using SaeWorkbench.Activations;
using SaeWorkbench.Saes;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>
/// Plumbing shared by the metrics that run an SAE over many tokens: the SAE in eval mode without gradients (its
/// training mode restored afterwards), and a loop over [B, D] batches of a tensor or an <see cref="IActivationSource"/>
/// with one dispose scope per batch, so that memory stays bounded by one batch whatever the number of tokens.
/// </summary>
internal static class EvaluationBatches
{
    /// <summary>Calls <paramref name="body"/> with consecutive row blocks of <paramref name="x_TD"/> (views), each inside
    /// its own dispose scope, with the SAE (if any) in eval mode and gradients off.</summary>
    public static void ForEach(Tensor x_TD, long batchSize, SparseAutoencoder? sae, Action<Tensor> body)
    {
        if (x_TD.dim() != 2 || x_TD.size(0) == 0)
            throw new ArgumentException($"x_TD must be a non-empty [T, D] matrix, got {x_TD.ShapeString}", nameof(x_TD));
        CheckBatchSize(batchSize);
        var t = x_TD.size(0);
        Run(sae, () =>
        {
            for (long start = 0; start < t; start += batchSize)
            {
                using var scope = NewDisposeScope();
                body(x_TD.narrow(0, start, Math.Min(batchSize, t - start)));
            }
        });
    }

    /// <summary>Calls <paramref name="body"/> with the next batches of <paramref name="source"/> until
    /// <paramref name="tokens"/> tokens have been read (the last batch may be shorter). The source advances.</summary>
    public static void ForEach(IActivationSource source, long tokens, long batchSize, SparseAutoencoder? sae, Action<Tensor> body)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (tokens <= 0) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, $"tokens = {tokens} is out of range: must be > 0");
        CheckBatchSize(batchSize);
        Run(sae, () =>
        {
            for (long read = 0; read < tokens; read += batchSize)
            {
                using var scope = NewDisposeScope();
                body(source.NextBatch(Math.Min(batchSize, tokens - read)));
            }
        });
    }

    /// <summary>Runs <paramref name="action"/> with gradients off and the SAE in eval mode, restoring its mode after.</summary>
    public static void Run(SparseAutoencoder? sae, Action action)
    {
        var wasTraining = sae?.training ?? false;
        using var noGrad = no_grad();
        sae?.eval();
        try { action(); }
        finally { if (wasTraining) sae!.train(); }
    }

    private static void CheckBatchSize(long batchSize)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize = {batchSize} is out of range: must be > 0");
    }
}
