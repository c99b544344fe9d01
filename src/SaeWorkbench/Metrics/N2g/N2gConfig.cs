namespace SaeWorkbench.Metrics.N2g;

/// <summary>What a trie leaf stores when several examples of one latent give the same pattern (the paper does not say; see Last).</summary>
public enum N2gLeafValue
{
    /// <summary>The mean of the examples' suffix activations (the default: independent of the order of insertion).</summary>
    Mean,

    /// <summary>The largest of the examples' suffix activations.</summary>
    Max,

    /// <summary>The last inserted example's suffix activation: what the TopK paper's released code does (a dict
    /// assignment that later examples overwrite; top examples are inserted first, then the random ones).</summary>
    Last,
}

/// <summary>
/// Settings of the N2G explanations in the TopK paper's simplified variant (Gao et al. 2024, §4.3, explainability, and
/// its released <c>explanations.py</c>): which examples explain each latent, the three 0.5 thresholds
/// (minimal suffix, start anchor, saliency), what a trie leaf stores, how "fires" is binarised for precision and
/// recall, and how the activation-function calls are batched. Validated by <see cref="Validate"/>, which
/// <see cref="N2gExplainer"/> and <see cref="N2gScoring"/> call on construction.
/// </summary>
public sealed record N2gConfig
{
    /// <summary>Token that replaces a position to measure its saliency and that is prepended to test the start of
    /// sequence, in [0, 2^31). The TopK paper's code uses 4808, GPT-2's " _"; any token that the latent ignores works.</summary>
    public required long PadTokenId { get; init; }

    /// <summary>Top activating examples per latent: the training sequences with the largest maximum activation of the
    /// latent, each at its arg-max position (ties: lower sequence index first), >= 0.</summary>
    public int TopExamples { get; init; } = 20;

    /// <summary>Random activating examples per latent, >= 0: drawn uniformly without replacement from all (sequence,
    /// position) pairs where the latent is positive (so sequences with more activations are likelier, as in the paper's
    /// data). A pair already among the top examples is dropped, so a latent can have fewer than Top + Random examples.
    /// The draw depends only on <see cref="Seed"/>, the latent id and the pair, not on how calls are batched.</summary>
    public int RandomExamples { get; init; } = 20;

    /// <summary>The minimal suffix is the shortest suffix (ending at the selected token) whose activation at its last token
    /// is at least this fraction of the original activation, in (0, 1]. Paper code: 0.5.</summary>
    public double MinimalSuffixFraction { get; init; } = 0.5;

    /// <summary>With a pad token prepended to the minimal suffix, an activation below this fraction of the original means
    /// the start of the sequence matters and the pattern gets the "^" anchor, in (0, 1]. Paper code: 0.5.</summary>
    public double StartAnchorFraction { get; init; } = 0.5;

    /// <summary>Saliency of a position = 1 - act(position replaced by the pad token) / act(minimal suffix); a position whose
    /// saliency is below this becomes a one-token wildcard, in [0, 1]. Paper code: 0.5.</summary>
    public double SaliencyThreshold { get; init; } = 0.5;

    /// <summary>What a trie leaf stores when several examples share a pattern. Default <see cref="N2gLeafValue.Mean"/>.</summary>
    public N2gLeafValue LeafValue { get; init; } = N2gLeafValue.Mean;

    /// <summary>
    /// Binarisation for precision and recall: a latent fires at a token when its activation is greater than this fraction
    /// of the largest activation it reached on the training sequences, in [0, 1). Default 0, i.e. fires = activation &gt; 0:
    /// the latents of TopK, JumpReLU and ReLU SAEs are exactly zero when inactive, so "nonzero" is the sparsity notion the
    /// rest of the workbench uses (L0), and the paper's examples are "activating" in the same sense. The paper does not
    /// state its threshold. The explanation fires where any of its patterns matches
    /// (prediction &gt; 0; every stored value is positive).
    /// </summary>
    public double FiringFractionOfMax { get; init; }

    /// <summary>Seed of the random-example draw.</summary>
    public ulong Seed { get; init; }

    /// <summary>Latents explained together, >= 1: their suffix, anchor and saliency sequences of equal length go into shared
    /// calls (deduplicated), so one call serves many latents.</summary>
    public int LatentsPerChunk { get; init; } = 256;

    /// <summary>Most sequences in one call of the activation function, >= 1 (bounds the language model's batch).</summary>
    public int MaxSequencesPerCall { get; init; } = 512;

    /// <summary>Most elements B * T * L of one call's output, in [1, 2^30] (bounds its memory: 2^24 floats = 64 MiB). A call holds at
    /// least one sequence whatever this says, so a call of one sequence may exceed it.</summary>
    public long MaxActivationsPerCall { get; init; } = 1L << 24;

    public void Validate()
    {
        const string owner = nameof(N2gConfig);
        ConfigCheck.Require(PadTokenId >= 0 && PadTokenId <= int.MaxValue, owner, nameof(PadTokenId), PadTokenId, $"in [0, {int.MaxValue}]");
        ConfigCheck.NonNegative(TopExamples, owner, nameof(TopExamples));
        ConfigCheck.NonNegative(RandomExamples, owner, nameof(RandomExamples));
        ConfigCheck.Require(TopExamples + (long)RandomExamples >= 1, owner, nameof(TopExamples), TopExamples, ">= 1 when RandomExamples = 0");
        ConfigCheck.Require(MinimalSuffixFraction > 0 && MinimalSuffixFraction <= 1, owner, nameof(MinimalSuffixFraction), MinimalSuffixFraction, "in (0, 1]");
        ConfigCheck.Require(StartAnchorFraction > 0 && StartAnchorFraction <= 1, owner, nameof(StartAnchorFraction), StartAnchorFraction, "in (0, 1]");
        ConfigCheck.InRange(SaliencyThreshold, 0, 1, owner, nameof(SaliencyThreshold));
        ConfigCheck.Require(Enum.IsDefined(LeafValue), owner, nameof(LeafValue), LeafValue, "Mean, Max or Last");
        ConfigCheck.Require(FiringFractionOfMax >= 0 && FiringFractionOfMax < 1, owner, nameof(FiringFractionOfMax), FiringFractionOfMax, "in [0, 1)");
        ConfigCheck.Positive(LatentsPerChunk, owner, nameof(LatentsPerChunk));
        ConfigCheck.Positive(MaxSequencesPerCall, owner, nameof(MaxSequencesPerCall));
        ConfigCheck.Require(MaxActivationsPerCall >= 1 && MaxActivationsPerCall <= 1L << 30, owner, nameof(MaxActivationsPerCall), MaxActivationsPerCall, "in [1, 2^30]");
    }
}
