using static TorchSharp.torch;

namespace SaeWorkbench.Corpus;

/// <summary>Token windows as the int64 token matrices a model reads: every place that batches windows uses these.</summary>
public static class TokenWindowBatches
{
    /// <summary>The windows' tokens as one int64 matrix [N, T]; every window must have the first one's length.</summary>
    public static Tensor Matrix(IReadOnlyList<TokenWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Count == 0) throw new ArgumentException("no windows to batch", nameof(windows));
        var t = windows[0].Length;
        var flat = new long[windows.Count * (long)t];
        for (var i = 0; i < windows.Count; i++)
        {
            if (windows[i].Length != t) throw new ArgumentException($"every window must have {t} tokens; window {i} has {windows[i].Length}", nameof(windows));
            for (var j = 0; j < t; j++) flat[i * (long)t + j] = windows[i].Tokens[j];
        }
        return tensor(flat, [windows.Count, t]);
    }

    /// <summary>Consecutive batches of at most <paramref name="perBatch"/> windows, each an int64 [b, T] matrix
    /// (<see cref="Matrix"/>), in the caller's dispose scope as each is made.</summary>
    public static IEnumerable<Tensor> Batches(IReadOnlyList<TokenWindow> windows, int perBatch)
    {
        if (perBatch < 1) throw new ArgumentOutOfRangeException(nameof(perBatch), perBatch, "perBatch must be >= 1");
        for (var s = 0; s < windows.Count; s += perBatch)
            yield return Matrix(windows.Skip(s).Take(perBatch).ToList());
    }
}
