namespace SaeWorkbench.Tokenization;

/// <summary>
/// What the rest of the workbench needs from a tokenizer: text to token ids and back.
/// <c>BpeTokenizer</c> is the implementation (GPT-2's byte-level BPE); the synthetic corpus
/// tokenizes its documents piece by piece through this interface so that every token inherits the
/// labels of the piece it came from.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of token ids (the language model's vocabulary size).</summary>
    int VocabSize { get; }

    /// <summary>Token ids of <paramref name="text"/>; every string encodes (byte-level, no unknown token).</summary>
    int[] Encode(string text);

    /// <summary>The text of a token sequence; <c>Decode(Encode(s)) == s</c> for every valid UTF-8 string.</summary>
    string Decode(ReadOnlySpan<int> ids);
}
