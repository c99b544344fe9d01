using SaeWorkbench.Tokenization;
namespace SaeWorkbench.Corpus;

/// <summary>One piece of a synthetic document: a word with its leading space (" cat"), a punctuation mark, a single
/// digit, or a paragraph break, with its ground-truth labels as a mask over <see cref="CorpusLabel.All"/>.</summary>
public readonly record struct CorpusPiece(string Text, ulong Labels)
{
    public bool Has(CorpusLabel label) => label.In(Labels);

    public override string ToString() => $"{Text} [{string.Join(' ', CorpusLabel.InMask(Labels))}]";
}

/// <summary>
/// A generated document of <see cref="SyntheticCorpus"/>: its pieces with labels, its topic, and its plain text (the
/// pieces concatenated, for training a tokenizer). <see cref="Tokenize"/> encodes piece by piece so that every token
/// inherits the labels of its piece.
/// </summary>
public sealed class CorpusDocument
{
    private readonly CorpusPiece[] _pieces;

    internal CorpusDocument(long index, int topic, CorpusPiece[] pieces)
    {
        Index = index;
        Topic = topic;
        _pieces = pieces;
    }

    /// <summary>The document index it was generated from (with the corpus seed, all it depends on).</summary>
    public long Index { get; }

    /// <summary>Topic index in [0, 10): <see cref="TopicLabel"/> is <c>CorpusLabel.Topics[Topic]</c>.</summary>
    public int Topic { get; }

    public CorpusLabel TopicLabel => CorpusLabel.Topics[Topic];

    /// <summary>The topic's name: cooking, sports, space, medicine, music, law, computing, farming, sailing, building.</summary>
    public string TopicName => SyntheticCorpus.TopicNames[Topic];

    public IReadOnlyList<CorpusPiece> Pieces => _pieces;

    /// <summary>The plain text: the pieces concatenated.</summary>
    public string Text => string.Concat(_pieces.Select(p => p.Text));

    /// <summary>Encodes each piece separately with <paramref name="tokenizer"/>; token t gets the labels of the piece it
    /// came from (<see cref="TokenizedDocument.PieceOfToken"/>). Throws naming the piece if the tokenizer returns no
    /// token for a non-empty piece.</summary>
    public TokenizedDocument Tokenize(ITokenizer tokenizer)
    {
        var tokens = new List<int>(_pieces.Length + _pieces.Length / 2);
        var labels = new List<ulong>(tokens.Capacity);
        var pieceOf = new List<int>(tokens.Capacity);
        for (var i = 0; i < _pieces.Length; i++)
        {
            var ids = tokenizer.Encode(_pieces[i].Text);
            if (ids.Length == 0) throw new InvalidOperationException($"the tokenizer encoded piece {i} ('{_pieces[i].Text}') of document {Index} to no tokens");
            foreach (var id in ids)
            {
                tokens.Add(id);
                labels.Add(_pieces[i].Labels);
                pieceOf.Add(i);
            }
        }
        return new TokenizedDocument(Index, tokens.ToArray(), labels.ToArray(), pieceOf.ToArray());
    }

    public override string ToString() => $"document {Index} ({TopicName}, {_pieces.Length} pieces)";
}

/// <summary>A document as token ids with one label mask per token.</summary>
/// <param name="DocumentIndex">The document it came from.</param>
/// <param name="Tokens">Token ids [T].</param>
/// <param name="Labels">Label mask of each token [T] (bit i is <c>CorpusLabel.All[i]</c>).</param>
/// <param name="PieceOfToken">Index into <see cref="CorpusDocument.Pieces"/> of the piece each token came from [T].</param>
public sealed record TokenizedDocument(long DocumentIndex, int[] Tokens, ulong[] Labels, int[] PieceOfToken)
{
    public int Length => Tokens.Length;

    /// <summary>Whether token <paramref name="t"/> has <paramref name="label"/>.</summary>
    public bool Has(int t, CorpusLabel label) => label.In(Labels[t]);
}

/// <summary>A fixed-length window of the token stream: documents in index order, each preceded by the end-of-text id,
/// cut into windows of <c>Tokens.Length</c>.</summary>
/// <param name="Tokens">Token ids [T].</param>
/// <param name="Labels">Label masks [T]; 0 for an end-of-text token.</param>
/// <param name="DocumentOfToken">Document index of each token [T] (an end-of-text token belongs to the document it opens).</param>
public sealed record TokenWindow(int[] Tokens, ulong[] Labels, long[] DocumentOfToken)
{
    public int Length => Tokens.Length;

    public bool Has(int t, CorpusLabel label) => label.In(Labels[t]);
}
