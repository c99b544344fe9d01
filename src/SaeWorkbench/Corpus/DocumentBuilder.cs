using System.Runtime.CompilerServices;

// The tests build hand-made sentences through the internal grammar (CorpusGrammar, DocumentBuilder).
[assembly: InternalsVisibleTo("SaeWorkbench.Tests")]

namespace SaeWorkbench.Corpus;

/// <summary>
/// Writes one document as labelled pieces (docs/synthetic-corpus.md, "Pieces"). It owns the surface conventions
/// (GPT-2 style: a word carries its leading space except at the start of the document, of a paragraph, or right after
/// an opening quote or bracket; punctuation attaches to the word before; numbers are written one digit per piece) and
/// the labels that follow from position rather than from the grammar's choices: document topic, <c>topic_word</c>,
/// <c>capitalized_word</c>, quotes, bracket depth, sentence first word / last token / end, and, in
/// <see cref="Finish"/>, the in-context labels <c>name_seen_before</c> and <c>content_word_seen_before</c>.
/// Grammar scopes (subject, question, negation, list, ...) are opened with <see cref="Scope(CorpusLabel)"/> and label every piece
/// written while they are open.
/// </summary>
internal sealed class DocumentBuilder
{
    private readonly List<CorpusPiece> _pieces = new();
    private readonly List<bool> _isContent = new();
    private readonly List<char> _brackets = new();   // open brackets, innermost last
    private readonly ulong _topicBit;
    private ulong _scope;                            // labels of the open grammar scopes
    private bool _inQuotes;
    private bool _attach = true;                     // the next piece is written without a leading space
    private bool _capitalize;                        // the next word gets an upper-case first letter
    private bool _sentenceStart;                     // the next word or number is the first of a top-level sentence

    /// <param name="topic">Index of the document topic (0 .. 9).</param>
    public DocumentBuilder(int topic)
    {
        Topic = topic;
        _topicBit = CorpusLabel.Topics[topic].Bit;
    }

    public int Topic { get; }

    /// <summary>Pieces written so far.</summary>
    public int Count => _pieces.Count;

    public bool InQuotes => _inQuotes;

    public int BracketDepth => _brackets.Count;

    /// <summary>Labels every piece written until the returned handle is disposed (scopes nest like brackets).</summary>
    public ScopeHandle Scope(CorpusLabel label) => Scope(label.Bit);

    public ScopeHandle Scope(ulong labels)
    {
        var saved = _scope;
        _scope |= labels;
        return new ScopeHandle(this, saved);
    }

    /// <summary>Restores the scope labels that were open before <see cref="Scope(ulong)"/>.</summary>
    public readonly struct ScopeHandle : IDisposable
    {
        private readonly DocumentBuilder _builder;
        private readonly ulong _saved;

        internal ScopeHandle(DocumentBuilder builder, ulong saved)
        {
            _builder = builder;
            _saved = saved;
        }

        public void Dispose() => _builder._scope = _saved;
    }

    /// <summary>The next word is capitalised; when <paramref name="topLevel"/>, it (or the next number) is also labelled
    /// <c>sentence_first_word</c>. A quoted sentence inside a top-level one only capitalises.</summary>
    public void BeginSentence(bool topLevel)
    {
        _capitalize = true;
        if (topLevel) _sentenceStart = true;
    }

    /// <summary>Ends a top-level sentence: the last piece so far becomes <c>sentence_last_token</c> and
    /// <paramref name="terminal"/> (. ? !) is written as <c>sentence_end</c>.</summary>
    public void EndSentence(string terminal)
    {
        if (terminal is not ("." or "?" or "!")) throw new ArgumentException($"a sentence ends with . ? or !, not '{terminal}'", nameof(terminal));
        if (_pieces.Count == 0) throw new InvalidOperationException("a sentence cannot end before any piece is written");
        AddLabels(_pieces.Count - 1, CorpusLabel.SentenceLastToken.Bit);
        Punct(terminal, CorpusLabel.SentenceEnd.Bit);
    }

    /// <summary>Writes a word of the lexicon with its inherent labels and <paramref name="extra"/>.</summary>
    public void Word(Word word, ulong extra = 0)
    {
        var text = word.Text;
        if (_capitalize) text = char.ToUpperInvariant(text[0]) + text[1..];
        var labels = word.Labels | extra;
        if (word.Topic == Topic) labels |= CorpusLabel.TopicWord.Bit;
        if (char.IsUpper(text[0])) labels |= CorpusLabel.CapitalizedWord.Bit;
        if (_sentenceStart) labels |= CorpusLabel.SentenceFirstWord.Bit;
        _capitalize = _sentenceStart = false;
        Emit(_attach ? text : " " + text, labels, word.IsContent);
        _attach = false;
    }

    /// <summary>Writes a non-negative number one digit per piece (the first with the leading space), each digit labelled
    /// <c>digit</c>, <c>multi_digit_number</c> when there are two or more, and <paramref name="extra"/>.</summary>
    public void Number(int value, ulong extra = 0)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "numbers of the corpus are >= 0");
        Digits(value.ToString(System.Globalization.CultureInfo.InvariantCulture), extra);
    }

    /// <summary>Writes a string of digits ("0417", a code) one digit per piece, as <see cref="Number"/> does.</summary>
    public void Digits(string digits, ulong extra = 0)
    {
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) throw new ArgumentException($"'{digits}' is not a string of digits", nameof(digits));
        var labels = CorpusLabel.Digit.Bit | extra | (digits.Length > 1 ? CorpusLabel.MultiDigitNumber.Bit : 0);
        for (var i = 0; i < digits.Length; i++)
        {
            var l = labels;
            if (i == 0 && _sentenceStart) l |= CorpusLabel.SentenceFirstWord.Bit;
            var text = digits[i].ToString();
            Emit(i == 0 && !_attach ? " " + text : text, l, false);
            _capitalize = _sentenceStart = _attach = false;
        }
    }

    /// <summary>Writes punctuation (. , ? ! :) attached to the previous piece, labelled <c>punctuation</c> (and <c>comma</c>).</summary>
    public void Punct(string mark, ulong extra = 0)
    {
        var labels = CorpusLabel.Punctuation.Bit | extra | (mark == "," ? CorpusLabel.Comma.Bit : 0);
        Emit(mark, labels, false);
        _attach = false;
    }

    /// <summary>Writes a symbol with a leading space (the + - = of an equation).</summary>
    public void Symbol(string symbol, ulong labels)
    {
        Emit(_attach ? symbol : " " + symbol, labels, false);
        _attach = false;
    }

    /// <summary>Opens a quotation: the mark itself is not inside it; the next word attaches to it.</summary>
    public void OpenQuote()
    {
        if (_inQuotes) throw new InvalidOperationException("quotations do not nest in this grammar");
        Emit(_attach ? "\"" : " \"", CorpusLabel.Punctuation.Bit | CorpusLabel.QuoteMark.Bit, false);
        _inQuotes = true;
        _attach = true;
    }

    public void CloseQuote()
    {
        if (!_inQuotes) throw new InvalidOperationException("no quotation is open");
        _inQuotes = false;
        Emit("\"", CorpusLabel.Punctuation.Bit | CorpusLabel.QuoteMark.Bit, false);
        _attach = false;
    }

    /// <summary>Opens a bracket, '(' or '['; the bracket itself has the depth outside it.</summary>
    public void OpenBracket(char open)
    {
        if (open is not ('(' or '[')) throw new ArgumentException($"brackets are ( or [, not '{open}'", nameof(open));
        Emit(_attach ? open.ToString() : " " + open, CorpusLabel.Punctuation.Bit | CorpusLabel.BracketMark.Bit, false);
        _brackets.Add(open);
        _attach = true;
    }

    /// <summary>Closes the innermost open bracket with its matching ')' or ']'.</summary>
    public void CloseBracket()
    {
        if (_brackets.Count == 0) throw new InvalidOperationException("no bracket is open");
        var open = _brackets[^1];
        _brackets.RemoveAt(_brackets.Count - 1);
        Emit(open == '(' ? ")" : "]", CorpusLabel.Punctuation.Bit | CorpusLabel.BracketMark.Bit, false);
        _attach = false;
    }

    /// <summary>Ends a paragraph: a "\n\n" piece (document topic only); the next word attaches.</summary>
    public void ParagraphBreak()
    {
        Emit("\n\n", 0, false);
        _attach = true;
    }

    /// <summary>Adds labels to an already written piece (e.g. <c>sentence_last_token</c>).</summary>
    public void AddLabels(int piece, ulong labels) => _pieces[piece] = _pieces[piece] with { Labels = _pieces[piece].Labels | labels };

    public CorpusPiece this[int piece] => _pieces[piece];

    private void Emit(string text, ulong labels, bool isContent)
    {
        labels |= _scope | _topicBit;
        if (_inQuotes) labels |= CorpusLabel.InsideQuotes.Bit;
        var depth = _brackets.Count;
        if (depth >= 1) labels |= CorpusLabel.BracketDepthGe1.Bit;
        if (depth >= 2) labels |= CorpusLabel.BracketDepthGe2.Bit;
        if (_brackets.Contains('(')) labels |= CorpusLabel.InsideParens.Bit;
        if (_brackets.Contains('[')) labels |= CorpusLabel.InsideSquareBrackets.Bit;
        _pieces.Add(new CorpusPiece(text, labels));
        _isContent.Add(isContent);
    }

    /// <summary>Adds the in-context labels that depend on everything before a piece (a name or content word seen earlier
    /// in the document, compared without the leading space and, for content words, without case) and returns the pieces.
    /// Throws if a quotation or bracket is still open.</summary>
    public CorpusPiece[] Finish()
    {
        if (_inQuotes || _brackets.Count > 0) throw new InvalidOperationException("the document ends inside a quotation or bracket");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var content = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new CorpusPiece[_pieces.Count];
        for (var i = 0; i < _pieces.Count; i++)
        {
            var p = _pieces[i];
            var word = p.Text.TrimStart(' ');
            if (CorpusLabel.ProperName.In(p.Labels) && !names.Add(word)) p = p with { Labels = p.Labels | CorpusLabel.NameSeenBefore.Bit };
            if (_isContent[i] && !content.Add(word)) p = p with { Labels = p.Labels | CorpusLabel.ContentWordSeenBefore.Bit };
            result[i] = p;
        }
        return result;
    }
}
