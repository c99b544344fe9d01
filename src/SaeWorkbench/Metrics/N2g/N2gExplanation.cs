namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// The pattern one activating example gives (Gao et al. 2024, §4.3, and its code): its minimal suffix, with each position of
/// low saliency made a one-token wildcard, anchored to the start of the sequence when a prepended pad token kills the
/// activation.
/// </summary>
/// <param name="Tokens">The pattern in reading order, ending at the example's token: token ids, or
/// <see cref="N2gTrie.AnyToken"/> where the saliency was below <see cref="N2gConfig.SaliencyThreshold"/>.</param>
/// <param name="Suffix">The minimal suffix itself (the tokens before any wildcard).</param>
/// <param name="Saliency">Per position of the suffix: 1 - act(position replaced by the pad token) / <paramref name="Activation"/>.</param>
/// <param name="StartAnchored">"^": the pattern must start at the first token of a sequence.</param>
/// <param name="Activation">The activation of the minimal suffix at its last token (what the trie leaf stores); the original
/// activation when no suffix reached the fraction.</param>
/// <param name="PaddedActivation">The activation with one pad token prepended to the suffix.</param>
/// <param name="Example">The example: training sequence, position, original activation, top or random.</param>
/// <param name="MinimalSuffixFound">False when even the whole truncated sequence stayed below
/// <see cref="N2gConfig.MinimalSuffixFraction"/> of the original activation (a non-causal or noisy activation function);
/// the pattern then keeps the whole truncated sequence, as the paper's code does.</param>
public sealed record N2gPattern(
    int[] Tokens, int[] Suffix, float[] Saliency, bool StartAnchored, float Activation, float PaddedActivation,
    N2gExample Example, bool MinimalSuffixFound)
{
    /// <summary>Wildcard positions in <see cref="Tokens"/>.</summary>
    public int Wildcards => Tokens.Count(t => t == N2gTrie.AnyToken);
}

/// <summary>What explaining one latent found and cost.</summary>
/// <param name="TopExamples">Top activating examples used.</param>
/// <param name="RandomExamples">Random activating examples used (after dropping those already among the top).</param>
/// <param name="DistinctPatterns">Patterns in the trie (examples with the same pattern share a leaf).</param>
/// <param name="StartAnchored">Examples whose pattern got the "^" anchor.</param>
/// <param name="MinimalSuffixMissing">Examples where no suffix reached the fraction (see <see cref="N2gPattern.MinimalSuffixFound"/>).</param>
/// <param name="MeanPatternLength">Mean pattern length in tokens (wildcards included) over the examples.</param>
/// <param name="WildcardFraction">Wildcard positions / all pattern positions.</param>
/// <param name="SequencesRequested">Sequences this latent asked the activation function for (suffix search, anchor and
/// saliency; before deduplication across latents).</param>
/// <param name="MaxActivation">The latent's largest activation on the training sequences.</param>
/// <param name="TrainingFirings">Training tokens where the latent is &gt; 0.</param>
/// <param name="TrainingTokens">Training tokens read.</param>
public sealed record N2gExplanationStats(
    int TopExamples, int RandomExamples, int DistinctPatterns, int StartAnchored, int MinimalSuffixMissing, double MeanPatternLength,
    double WildcardFraction, long SequencesRequested, float MaxActivation, long TrainingFirings, long TrainingTokens)
{
    /// <summary>Fraction of training tokens where the latent fires.</summary>
    public double TrainingFiringRate => TrainingTokens == 0 ? 0 : (double)TrainingFirings / TrainingTokens;
}

/// <summary>
/// The N2G explanation of one latent (the variant of Gao et al. 2024, §4.3): one pattern per activating example, the trie
/// that holds them reversed, and what building it found. A latent that never fired on the training sequences has no
/// patterns and predicts 0 everywhere.
/// </summary>
public sealed record N2gExplanation(long LatentId, IReadOnlyList<N2gPattern> Patterns, N2gTrie Trie, N2gExplanationStats Stats)
{
    /// <summary>The simulated activation at every token of one sequence.</summary>
    public float[] Predict(ReadOnlySpan<int> sequence)
    {
        var p = new float[sequence.Length];
        Trie.Predict(sequence, p);
        return p;
    }
}

/// <summary>The explanations of many latents, with what building them cost.</summary>
/// <param name="Explanations">One per latent, in the order asked for.</param>
/// <param name="HarvestCalls">The pass over the training sequences that chose the examples.</param>
/// <param name="ExplainCalls">Suffix search, anchor and saliency evaluations.</param>
/// <param name="HarvestTime">Wall time of the pass.</param>
/// <param name="ExplainTime">Wall time of the rest (trie building included).</param>
public sealed record N2gExplainResult(
    IReadOnlyList<N2gExplanation> Explanations, N2gCallStats HarvestCalls, N2gCallStats ExplainCalls, TimeSpan HarvestTime, TimeSpan ExplainTime)
{
    /// <summary>Explanation sequences evaluated per latent (after deduplication).</summary>
    public double SequencesPerLatent => Explanations.Count == 0 ? 0 : (double)ExplainCalls.Sequences / Explanations.Count;

    /// <summary>Explanation tokens evaluated per latent (after deduplication): the language-model work per latent.</summary>
    public double TokensPerLatent => Explanations.Count == 0 ? 0 : (double)ExplainCalls.Tokens / Explanations.Count;
}
