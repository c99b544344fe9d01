namespace SaeWorkbench.Corpus;

/// <summary>
/// Settings of <see cref="SyntheticCorpus"/>: the seed, document length, the mix of sentence kinds and how often the
/// structures behind the rarer labels appear. Validated at construction of the corpus; every failure names the field,
/// its value and the allowed range. The defaults give documents of 9 to 30 sentences (about 230 pieces on average) and
/// label base rates between about 0.4% and 20% of pieces (docs/synthetic-corpus.md lists them).
/// </summary>
public sealed record CorpusConfig
{
    /// <summary>Seed of the corpus: document i depends only on (Seed, i) and the fields below.</summary>
    public ulong Seed { get; init; }

    /// <summary>Fewest paragraphs in a document, >= 1.</summary>
    public int MinParagraphs { get; init; } = 3;

    /// <summary>Most paragraphs in a document, in [MinParagraphs, 50].</summary>
    public int MaxParagraphs { get; init; } = 5;

    /// <summary>Fewest sentences in a paragraph, >= 1.</summary>
    public int MinSentencesPerParagraph { get; init; } = 3;

    /// <summary>Most sentences in a paragraph, in [MinSentencesPerParagraph, 50].</summary>
    public int MaxSentencesPerParagraph { get; init; } = 6;

    /// <summary>Relative weight of plain statements (with time and place phrases, asides, negation, coordination), >= 0.</summary>
    public double StatementWeight { get; init; } = 38;

    /// <summary>Relative weight of top-level questions, >= 0.</summary>
    public double QuestionWeight { get; init; } = 8;

    /// <summary>Relative weight of dialogue (a quoted clause or question with its speaker), >= 0.</summary>
    public double DialogueWeight { get; init; } = 14;

    /// <summary>Relative weight of list sentences (three to five coordinated noun phrases), >= 0.</summary>
    public double ListWeight { get; init; } = 8;

    /// <summary>Relative weight of arithmetic (equations and word problems), >= 0.</summary>
    public double ArithmeticWeight { get; init; } = 12;

    /// <summary>Relative weight of counting sentences, >= 0. The six weights must not all be zero.</summary>
    public double CountingWeight { get; init; } = 8;

    /// <summary>Probability that a statement ends with a bracketed aside, in [0, 1].</summary>
    public double AsideProbability { get; init; } = 0.3;

    /// <summary>Probability that an aside holds a nested aside (and, halved, that the nested one nests once more), in [0, 1].</summary>
    public double NestedAsideProbability { get; init; } = 0.4;

    /// <summary>Fewest repeated random spans per document, in [0, MaxRepeatedSpans].</summary>
    public int MinRepeatedSpans { get; init; } = 1;

    /// <summary>Most repeated random spans per document, >= MinRepeatedSpans; each takes two sentences, so
    /// MinParagraphs * MinSentencesPerParagraph must be at least 3 * MaxRepeatedSpans.</summary>
    public int MaxRepeatedSpans { get; init; } = 2;

    /// <summary>Fewest words (or digits) in a repeated span, >= 2.</summary>
    public int MinSpanLength { get; init; } = 3;

    /// <summary>Most words (or digits) in a repeated span, in [MinSpanLength, 20].</summary>
    public int MaxSpanLength { get; init; } = 7;

    /// <summary>Largest operand of an equation, in [9, 9999]; about half the operands are single digits regardless.</summary>
    public int MaxOperand { get; init; } = 49;

    public void Validate()
    {
        const string owner = nameof(CorpusConfig);
        ConfigCheck.Require(MinParagraphs >= 1, owner, nameof(MinParagraphs), MinParagraphs, ">= 1");
        ConfigCheck.Require(MaxParagraphs >= MinParagraphs && MaxParagraphs <= 50, owner, nameof(MaxParagraphs), MaxParagraphs, $"in [MinParagraphs = {MinParagraphs}, 50]");
        ConfigCheck.Require(MinSentencesPerParagraph >= 1, owner, nameof(MinSentencesPerParagraph), MinSentencesPerParagraph, ">= 1");
        ConfigCheck.Require(MaxSentencesPerParagraph >= MinSentencesPerParagraph && MaxSentencesPerParagraph <= 50, owner, nameof(MaxSentencesPerParagraph),
            MaxSentencesPerParagraph, $"in [MinSentencesPerParagraph = {MinSentencesPerParagraph}, 50]");
        ConfigCheck.NonNegative(StatementWeight, owner, nameof(StatementWeight));
        ConfigCheck.NonNegative(QuestionWeight, owner, nameof(QuestionWeight));
        ConfigCheck.NonNegative(DialogueWeight, owner, nameof(DialogueWeight));
        ConfigCheck.NonNegative(ListWeight, owner, nameof(ListWeight));
        ConfigCheck.NonNegative(ArithmeticWeight, owner, nameof(ArithmeticWeight));
        ConfigCheck.NonNegative(CountingWeight, owner, nameof(CountingWeight));
        var total = StatementWeight + QuestionWeight + DialogueWeight + ListWeight + ArithmeticWeight + CountingWeight;
        ConfigCheck.Require(total > 0, owner, nameof(CountingWeight), CountingWeight, "such that the six sentence weights have a positive sum");
        ConfigCheck.InRange(AsideProbability, 0, 1, owner, nameof(AsideProbability));
        ConfigCheck.InRange(NestedAsideProbability, 0, 1, owner, nameof(NestedAsideProbability));
        ConfigCheck.Require(MinRepeatedSpans >= 0, owner, nameof(MinRepeatedSpans), MinRepeatedSpans, ">= 0");
        ConfigCheck.Require(MaxRepeatedSpans >= MinRepeatedSpans && 3 * MaxRepeatedSpans <= MinParagraphs * MinSentencesPerParagraph, owner, nameof(MaxRepeatedSpans),
            MaxRepeatedSpans, $"in [MinRepeatedSpans = {MinRepeatedSpans}, MinParagraphs * MinSentencesPerParagraph / 3 = {MinParagraphs * MinSentencesPerParagraph / 3}]");
        ConfigCheck.Require(MinSpanLength >= 2, owner, nameof(MinSpanLength), MinSpanLength, ">= 2");
        ConfigCheck.Require(MaxSpanLength >= MinSpanLength && MaxSpanLength <= 20, owner, nameof(MaxSpanLength), MaxSpanLength, $"in [MinSpanLength = {MinSpanLength}, 20]");
        ConfigCheck.Require(MaxOperand >= 9 && MaxOperand <= 9999, owner, nameof(MaxOperand), MaxOperand, "in [9, 9999]");
    }
}
