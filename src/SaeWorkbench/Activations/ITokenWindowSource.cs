namespace SaeWorkbench.Activations;

/// <summary>
/// A stream of fixed-length token windows (the language model's context, 64 tokens in every experiment of the TopK
/// paper, Gao et al. 2024, §2.1) that can be re-entered at any window index: the index is the harvest's resume position,
/// so <see cref="ReadFrom"/>(w) must yield exactly the windows an uninterrupted read would yield from window w on.
/// The synthetic corpus and any tokenised text file implement it; <see cref="TokenWindows"/> adapts lists and flat arrays.
/// </summary>
public interface ITokenWindowSource
{
    /// <summary>Tokens per window (T), >= 1.</summary>
    int ContextLength { get; }

    /// <summary>The windows with index <paramref name="firstWindow"/>, <paramref name="firstWindow"/> + 1, ... in order,
    /// each an array of <see cref="ContextLength"/> token ids; the sequence may be finite (it ends where the stream ends)
    /// or endless (the harvest then stops at <see cref="HarvestConfig.MaxWindows"/>).</summary>
    IEnumerable<int[]> ReadFrom(long firstWindow);
}

/// <summary>Ready-made <see cref="ITokenWindowSource"/>s.</summary>
public static class TokenWindows
{
    /// <summary>A list of windows, each of length <paramref name="contextLength"/> (checked here, naming the window).</summary>
    public static ITokenWindowSource FromList(IReadOnlyList<int[]> windows, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "contextLength must be >= 1");
        for (var i = 0; i < windows.Count; i++)
        {
            if (windows[i] is null || windows[i].Length != contextLength)
                throw new ArgumentException($"window {i} has {windows[i]?.Length.ToString() ?? "no"} tokens; every window must have contextLength = {contextLength}",
                    nameof(windows));
        }
        return new ListSource(windows, contextLength);
    }

    /// <summary>Consecutive non-overlapping windows of <paramref name="contextLength"/> tokens cut from one token sequence;
    /// a tail shorter than a window is dropped.</summary>
    public static ITokenWindowSource FromTokens(int[] tokens, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "contextLength must be >= 1");
        return new FlatSource(tokens, contextLength);
    }

    private sealed class ListSource(IReadOnlyList<int[]> windows, int contextLength) : ITokenWindowSource
    {
        public int ContextLength => contextLength;

        public IEnumerable<int[]> ReadFrom(long firstWindow)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(firstWindow);
            for (var i = firstWindow; i < windows.Count; i++) yield return windows[(int)i];
        }
    }

    private sealed class FlatSource(int[] tokens, int contextLength) : ITokenWindowSource
    {
        public int ContextLength => contextLength;

        public IEnumerable<int[]> ReadFrom(long firstWindow)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(firstWindow);
            var count = tokens.Length / contextLength;
            for (var i = firstWindow; i < count; i++) yield return tokens.AsSpan((int)(i * contextLength), contextLength).ToArray();
        }
    }
}
