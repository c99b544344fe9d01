using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// Which latents are active on which tokens, in compressed-row form: entry m is latent
/// <see cref="Latents_M"/>[m] on token <see cref="Tokens_M"/>[m]; the entries of token b are
/// m in [Offsets_B[b], Offsets_B[b+1]) (the last token's run ends at M). A TopK code has exactly k
/// entries per token; a BatchTopK code a variable number. The values live beside the code (they
/// carry gradients; the code does not). All index tensors are int64 on the weights' device.
/// </summary>
/// <param name="Latents_M">Latent index of each entry, [M].</param>
/// <param name="Tokens_M">Token (row) index of each entry, [M], non-decreasing.</param>
/// <param name="Offsets_B">Start of each token's run, [B].</param>
/// <param name="NumTokens">B.</param>
/// <param name="NumLatents">N.</param>
public sealed record SparseCode(Tensor Latents_M, Tensor Tokens_M, Tensor Offsets_B, long NumTokens, long NumLatents)
{
    /// <summary>Number of entries M.</summary>
    public long Count => Latents_M.size(0);

    /// <summary>The code of a TopK selection: <paramref name="indices_BK"/> [B, k] latent indices per token.</summary>
    public static SparseCode FromTopK(Tensor indices_BK, long numLatents)
    {
        var b = indices_BK.size(0);
        var k = indices_BK.size(1);
        var device = indices_BK.device;
        var tokens = arange(0, b, 1, int64, device).unsqueeze(1).expand(b, k).reshape(b * k);
        var offsets = arange(0, b * k, k, int64, device);
        return new SparseCode(indices_BK.reshape(b * k), tokens, offsets, b, numLatents);
    }

    /// <summary>The code of flat indices b*N + n (any order): entries are sorted by token, then latent.
    /// Returns the code and the permutation that sorts <paramref name="flat_M"/> (to reorder values).</summary>
    public static (SparseCode code, Tensor order_M) FromFlatIndices(Tensor flat_M, long numTokens, long numLatents)
    {
        var (sorted, order) = flat_M.sort(stable: true);
        var tokens = sorted.div(tensor(numLatents, int64).to(sorted.device), RoundingMode.floor);
        var latents = sorted.remainder(numLatents);
        var counts = tokens.bincount(null, numTokens);
        var offsets = counts.cumsum(0) - counts;
        return (new SparseCode(latents, tokens, offsets, numTokens, numLatents), order);
    }

    /// <summary>The dense [B, N] matrix holding <paramref name="values_M"/> at this code's entries (zeros elsewhere).</summary>
    public Tensor ToDense(Tensor values_M)
    {
        var dense = zeros(new[] { NumTokens * NumLatents }, values_M.dtype, values_M.device);
        var flat = Tokens_M * NumLatents + Latents_M;
        return dense.index_add(0, flat, values_M, 1).view(NumTokens, NumLatents);
    }

    /// <summary>Entries whose value exceeds <paramref name="threshold"/>, counted per latent: [N] int64.</summary>
    public Tensor FiringCounts(Tensor values_M, double threshold)
    {
        using var scope = NewDisposeScope();
        var fired = Latents_M.masked_select(values_M.detach().gt(threshold));
        return fired.bincount(null, NumLatents).MoveToOuterDisposeScope();
    }
}
