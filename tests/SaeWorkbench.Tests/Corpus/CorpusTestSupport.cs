using SaeWorkbench.Corpus;
using SaeWorkbench.Tokenization;
using System.Text;
namespace SaeWorkbench.Tests.Corpus;

/// <summary>A test-only tokenizer: one token per UTF-8 byte (ids 0..255), end-of-text id 256. Every piece of more than
/// one byte becomes several tokens, which is what the alignment tests need.</summary>
internal sealed class ByteTokenizer : ITokenizer
{
    public const int EndOfText = 256;

    public int VocabSize => 257;

    public int[] Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        for (var i = 0; i < ids.Length; i++) bytes[i] = checked((byte)ids[i]);
        return Encoding.UTF8.GetString(bytes);
    }
}

/// <summary>Lexicon lookups and rendering helpers for hand-made sentences.</summary>
internal static class Lex
{
    public const int Cooking = 0;

    public static TopicVocabulary Topic(int t) => CorpusLexicon.Topics[t];

    public static Noun Noun(string singular)
    {
        foreach (var t in CorpusLexicon.Topics)
            foreach (var n in t.Agents.Concat(t.Objects).Concat(t.Places))
                if (n.Singular.Text == singular) return n;
        return CorpusLexicon.People.Concat(CorpusLexicon.Things).Single(n => n.Singular.Text == singular);
    }

    public static Verb Verb(string baseForm) =>
        CorpusLexicon.Topics.SelectMany(t => t.Verbs).Concat(CorpusLexicon.NeutralVerbs).Concat(CorpusLexicon.PositiveVerbs)
            .Concat(CorpusLexicon.NegativeVerbs).Concat(CorpusLexicon.SayVerbs).Append(CorpusLexicon.Ask).Single(v => v.Base.Text == baseForm);

    public static Word Adjective(string text) =>
        CorpusLexicon.Topics.SelectMany(t => t.Adjectives).Concat(CorpusLexicon.PositiveAdjectives).Concat(CorpusLexicon.NegativeAdjectives)
            .Concat(CorpusLexicon.NeutralAdjectives).Single(w => w.Text == text);

    public static Word Name(string text) => CorpusLexicon.Names.Single(w => w.Text == text);

    public static Word W(string text) => CorpusLexicon.W(text);

    /// <summary>Renders the sentences (paragraph breaks where null) into a document of <paramref name="topic"/>.</summary>
    public static CorpusPiece[] Render(int topic, params Sentence?[] sentences)
    {
        var b = new DocumentBuilder(topic);
        foreach (var s in sentences)
        {
            if (s is null) b.ParagraphBreak();
            else CorpusGrammar.Sentence(b, s);
        }
        return b.Finish();
    }

    public static string Text(IEnumerable<CorpusPiece> pieces) => string.Concat(pieces.Select(p => p.Text));

    /// <summary>The mask of the labels, plus the topic label of <paramref name="topic"/>.</summary>
    public static ulong Mask(int topic, params CorpusLabel[] labels) => CorpusLabel.Mask(labels) | CorpusLabel.Topics[topic].Bit;

    /// <summary>Asserts that a piece has exactly the expected text and labels, naming the differences.</summary>
    public static void Exact(CorpusPiece piece, string text, ulong expected)
    {
        Assert.Equal(text, piece.Text);
        if (piece.Labels == expected) return;
        var missing = CorpusLabel.InMask(expected & ~piece.Labels).Select(l => l.Name);
        var extra = CorpusLabel.InMask(piece.Labels & ~expected).Select(l => l.Name);
        Assert.Fail($"piece '{text}': missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
    }

    /// <summary>The pieces that have <paramref name="label"/>, as trimmed texts joined by spaces.</summary>
    public static string With(IEnumerable<CorpusPiece> pieces, CorpusLabel label) =>
        string.Join(" ", pieces.Where(p => p.Has(label)).Select(p => p.Text.Trim()));
}
