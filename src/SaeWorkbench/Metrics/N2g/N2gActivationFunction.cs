using SaeWorkbench.Saes;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// What N2G explanations (Gao et al. 2024, §4.3) need from the model under study: the activations of chosen SAE latents at
/// every position of a batch of token sequences. The real one runs the language model up to the SAE's hook and encodes
/// (<see cref="SaeLatentActivationFunction"/>); tests and benchmarks use hand-built functions of the tokens.
/// </summary>
/// <remarks>
/// N2G evaluates truncated, shortened and edited sequences of many different lengths. The explainer never pads them:
/// every call holds sequences of one length T, and it reads the activation of the last position. So an implementation
/// may depend on absolute positions (as GPT-2 does) but must be causal, the activation at position t depending only on
/// tokens 0..t, as an autoregressive language model's hook activations are.
/// </remarks>
public interface ILatentActivationFunction
{
    /// <summary>
    /// The activations of <paramref name="latentIds"/> (L ids, distinct, in this order) at every position:
    /// <paramref name="tokens_BT"/> is int64 [B, T] with B, T &gt;= 1; the result is float32 [B, T, L] on the CPU, owned by
    /// the caller's dispose scope.
    /// </summary>
    Tensor Activations(Tensor tokens_BT, long[] latentIds);
}

/// <summary>
/// The activation function of an SAE on a language model, built from two delegates: the hook activations of a token batch
/// (tokens int64 [B, T] to [B, T, D], e.g. GPT-2's residual stream after block 8) and the SAE's encoder (raw inputs [M, D] to
/// latents [M, N], e.g. <see cref="SparseAutoencoder.Encode(Tensor)"/>, which applies the input normalisation itself).
/// Tokens are encoded in row chunks so that the dense [M, N] latents of a wide SAE never exceed
/// <c>encodeRowsPerChunk</c> rows; only the requested columns are kept.
/// </summary>
public sealed class SaeLatentActivationFunction : ILatentActivationFunction
{
    private readonly Func<Tensor, Tensor> _hookActivations;
    private readonly Func<Tensor, Tensor> _encode;
    private readonly long _rowsPerChunk;

    /// <param name="hookActivations_BTD">tokens [B, T] (int64) to hook activations [B, T, D].</param>
    /// <param name="encode_MN">raw hook activations [M, D] to latents [M, N].</param>
    /// <param name="encodeRowsPerChunk">tokens encoded at once, >= 1 (4,096 rows of a 32k-latent SAE: 512 MiB).</param>
    public SaeLatentActivationFunction(Func<Tensor, Tensor> hookActivations_BTD, Func<Tensor, Tensor> encode_MN, long encodeRowsPerChunk = 4096)
    {
        ArgumentNullException.ThrowIfNull(hookActivations_BTD);
        ArgumentNullException.ThrowIfNull(encode_MN);
        if (encodeRowsPerChunk < 1)
            throw new ArgumentOutOfRangeException(nameof(encodeRowsPerChunk), encodeRowsPerChunk, "encodeRowsPerChunk must be >= 1");
        _hookActivations = hookActivations_BTD;
        _encode = encode_MN;
        _rowsPerChunk = encodeRowsPerChunk;
    }

    /// <summary>The SAE's own encoder (<see cref="SparseAutoencoder.Encode(Tensor)"/>) on the given hook.</summary>
    public static SaeLatentActivationFunction FromSae(Func<Tensor, Tensor> hookActivations_BTD, SparseAutoencoder sae, long encodeRowsPerChunk = 4096) =>
        new(hookActivations_BTD, sae.Encode, encodeRowsPerChunk);

    public Tensor Activations(Tensor tokens_BT, long[] latentIds)
    {
        if (tokens_BT.dim() != 2) throw new ArgumentException($"tokens must be [B, T], got {tokens_BT.ShapeString}", nameof(tokens_BT));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (b, t) = (tokens_BT.size(0), tokens_BT.size(1));
        var h_BTD = _hookActivations(tokens_BT);
        if (h_BTD.dim() != 3 || h_BTD.size(0) != b || h_BTD.size(1) != t)
            throw new InvalidOperationException($"the hook activations of tokens {tokens_BT.ShapeString} must be [B, T, D], got {h_BTD.ShapeString}");
        var x_MD = h_BTD.reshape(b * t, h_BTD.size(2));
        var cols = tensor(latentIds);
        var parts = new List<Tensor>();
        for (long start = 0; start < b * t; start += _rowsPerChunk)
        {
            using var chunkScope = NewDisposeScope();
            var z_MN = _encode(x_MD.narrow(0, start, Math.Min(_rowsPerChunk, b * t - start)));
            parts.Add(z_MN.index_select(1, cols).to(float32).MoveToOuterDisposeScope());
        }
        var z_ML = parts.Count == 1 ? parts[0] : cat(parts);
        return z_ML.reshape(b, t, latentIds.Length).cpu().contiguous().MoveToOuterDisposeScope();
    }
}
