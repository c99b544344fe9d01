using SaeWorkbench.Corpus;
using SaeWorkbench.Tokenization;
using System.Text;
using L = SaeWorkbench.Corpus.CorpusLabel;

namespace SaeWorkbench.Tests.Corpus;

/// <summary>
/// Generated documents: determinism (same seed, same corpus, in any order and in parallel), labels re-derived
/// independently from the text of 200 documents (quotes, brackets, sentence positions, arithmetic, counting, repeated
/// spans, agreement, in-context labels), base rates, and token alignment through a byte-level test tokenizer.
/// </summary>
public class SyntheticCorpusTests(ITestOutputHelper output)
{
    private static readonly SyntheticCorpus Corpus = new(new CorpusConfig { Seed = 0 });

    private static void AssertSame(CorpusDocument a, CorpusDocument b)
    {
        Assert.Equal(a.Index, b.Index);
        Assert.Equal(a.Topic, b.Topic);
        Assert.Equal(a.Pieces, b.Pieces);
    }

    [Fact]
    public void TheSameSeedGivesTheSameCorpusInAnyOrderAndInParallel()
    {
        var again = new SyntheticCorpus(new CorpusConfig { Seed = 0 });
        var indices = Enumerable.Range(0, 40).Select(i => (long)i)
            .Concat(new[] { SyntheticCorpus.SplitStart(CorpusSplit.Validation) + 3, SyntheticCorpus.SplitStart(CorpusSplit.Test), long.MaxValue / 3 }).ToArray();
        var sequential = indices.Select(Corpus.Generate).ToArray();
        var reversed = indices.Reverse().Select(again.Generate).Reverse().ToArray();
        var parallel = new CorpusDocument[indices.Length];
        Parallel.For(0, indices.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => parallel[i] = again.Generate(indices[i]));
        for (var i = 0; i < indices.Length; i++)
        {
            AssertSame(sequential[i], reversed[i]);
            AssertSame(sequential[i], parallel[i]);
        }
        var listed = Corpus.Documents(5, 3).ToArray();
        for (var i = 0; i < 3; i++) AssertSame(sequential[5 + i], listed[i]);
        Assert.Equal(sequential[7].Text, Corpus.Texts(7, 1).Single());
    }

    [Fact]
    public void ADifferentSeedGivesADifferentCorpus()
    {
        var other = new SyntheticCorpus(new CorpusConfig { Seed = 1 });
        var same = Enumerable.Range(0, 50).Count(i => Corpus.Generate(i).Text == other.Generate(i).Text);
        Assert.True(same == 0, $"{same} of 50 documents are identical under seeds 0 and 1");
        var distinct = Enumerable.Range(0, 50).Select(i => Corpus.Generate(i).Text).Distinct().Count();
        Assert.Equal(50, distinct);
    }

    /// <summary>FNV-1a over the texts and labels of documents 0..19 of seed 0: the corpus is part of every trained model's
    /// identity, so a change to the grammar, lexicon or random stream must be deliberate. If you changed them on purpose,
    /// put the new value here and say so in the commit (models trained on the old corpus no longer match it).</summary>
    [Fact]
    public void TheCorpusOfSeedZeroIsPinned()
    {
        var h = 0xcbf29ce484222325UL;
        void Mix(byte x) => h = (h ^ x) * 0x100000001b3UL;
        foreach (var doc in Corpus.Documents(0, 20))
            foreach (var p in doc.Pieces)
            {
                foreach (var x in Encoding.UTF8.GetBytes(p.Text)) Mix(x);
                for (var k = 0; k < 8; k++) Mix((byte)(p.Labels >> (8 * k)));
            }
        output.WriteLine($"fingerprint 0x{h:x16}");
        Assert.Equal(0x0f0bbb23b132e7e0UL, h);
    }

    [Fact]
    public void DocumentsHaveTheConfiguredShape()
    {
        var c = Corpus.Config;
        var lengths = new List<int>();
        foreach (var doc in Corpus.Documents(0, 200))
        {
            var paragraphs = doc.Pieces.Count(p => p.Text == "\n\n") + 1;
            var sentences = doc.Pieces.Count(p => p.Has(L.SentenceEnd));
            Assert.InRange(paragraphs, c.MinParagraphs, c.MaxParagraphs);
            Assert.InRange(sentences, paragraphs * c.MinSentencesPerParagraph, paragraphs * c.MaxSentencesPerParagraph);
            var firstOccurrences = Runs(doc.Pieces, L.RepeatFirstOccurrence).Count;
            Assert.InRange(firstOccurrences, c.MinRepeatedSpans, c.MaxRepeatedSpans);
            Assert.Equal(doc.Text, string.Concat(doc.Pieces.Select(p => p.Text)));
            Assert.DoesNotContain(doc.Pieces, p => p.Text.Length == 0);
            lengths.Add(doc.Pieces.Count);
        }
        output.WriteLine($"pieces per document: mean {lengths.Average():F0}, min {lengths.Min()}, max {lengths.Max()}");
        output.WriteLine(Corpus.Generate(0).Text);
    }

    // ---- labels re-derived from the text -----------------------------------------------------------------------------

    private static List<(int Start, int End)> Runs(IReadOnlyList<CorpusPiece> pieces, L label)
    {
        var runs = new List<(int, int)>();
        for (var i = 0; i < pieces.Count; i++)
        {
            if (!pieces[i].Has(label)) continue;
            var start = i;
            while (i + 1 < pieces.Count && pieces[i + 1].Has(label)) i++;
            runs.Add((start, i + 1));
        }
        return runs;
    }

    private static bool IsDigit(CorpusPiece p) => p.Text.Trim() is { Length: 1 } t && char.IsAsciiDigit(t[0]);

    /// <summary>Numbers written in the text: a digit piece with a leading space (or after a non-digit) starts one, attached
    /// digit pieces continue it. Returns (first piece, end piece, value).</summary>
    private static List<(int Start, int End, long Value)> Numbers(IReadOnlyList<CorpusPiece> pieces)
    {
        var numbers = new List<(int, int, long)>();
        for (var i = 0; i < pieces.Count; i++)
        {
            if (!IsDigit(pieces[i])) continue;
            var start = i;
            while (i + 1 < pieces.Count && IsDigit(pieces[i + 1]) && !pieces[i + 1].Text.StartsWith(' ')) i++;
            var digits = string.Concat(pieces.Skip(start).Take(i + 1 - start).Select(p => p.Text.Trim()));
            numbers.Add((start, i + 1, digits.Length > 18 ? -1 : long.Parse(digits)));
        }
        return numbers;
    }

    private static readonly Dictionary<string, Word[]> Lexicon = CorpusLexicon.AllWords().GroupBy(w => w.Text.ToLowerInvariant())
        .ToDictionary(g => g.Key, g => g.ToArray());

    private static IEnumerable<Verb> AllVerbs() =>
        CorpusLexicon.Topics.SelectMany(t => t.Verbs).Concat(CorpusLexicon.NeutralVerbs).Concat(CorpusLexicon.PositiveVerbs).Concat(CorpusLexicon.NegativeVerbs);

    private static readonly HashSet<string> SingularForms = AllVerbs().Select(v => v.ThirdSingular.Text).Concat(new[] { "is", "was", "does" }).ToHashSet();
    private static readonly HashSet<string> PluralForms = AllVerbs().Select(v => v.Base.Text).Concat(new[] { "are", "were", "do" }).ToHashSet();

    private static void Check(bool ok, CorpusDocument doc, int piece, string what)
    {
        if (ok) return;
        var context = string.Concat(doc.Pieces.Skip(Math.Max(0, piece - 8)).Take(16).Select(p => p.Text));
        Assert.Fail($"document {doc.Index}, piece {piece} ('{doc.Pieces[piece].Text}'): {what}\n  labels: {doc.Pieces[piece]}\n  context: {context}");
    }

    [Fact]
    public void LabelsAgreeWithFactsRederivedFromTheText()
    {
        foreach (var doc in Corpus.Documents(0, 200)) CheckDocument(doc);
    }

    private static void CheckDocument(CorpusDocument doc)
    {
        var p = doc.Pieces;
        var names = CorpusLexicon.Names.Select(n => n.Text).ToHashSet();
        var numberWords = CorpusLexicon.NumberWords.Select(n => n.Text).ToList();
        var inQuotes = false;
        var speakerFirst = false; // the open quotation follows "Name said ,": its final . ? ! ends the sentence
        var brackets = new Stack<char>();
        var seenNames = new HashSet<string>();
        var seenContent = new HashSet<string>();
        for (var i = 0; i < p.Count; i++)
        {
            var x = p[i];
            var t = x.Text.Trim(' ');
            bool Is(L l) => x.Has(l);

            // Topic: exactly the document's.
            Check(L.Topics.Count(Is) == 1 && Is(doc.TopicLabel), doc, i, "must carry exactly its document's topic label");

            // Quotes: toggled by quote marks, which are themselves outside.
            if (t == "\"")
            {
                Check(Is(L.QuoteMark) && !Is(L.InsideQuotes), doc, i, "a quote mark is quote_mark and not inside_quotes");
                inQuotes = !inQuotes;
                speakerFirst = inQuotes && i > 0 && p[i - 1].Text == ",";
            }
            else Check(!Is(L.QuoteMark) && Is(L.InsideQuotes) == inQuotes, doc, i, $"inside_quotes must be {inQuotes} by counting quote marks");

            // Brackets: matched, with depth and kind from a stack; a bracket has the depth outside it.
            if (t is ")" or "]")
            {
                Check(brackets.Count > 0 && brackets.Pop() == (t == ")" ? '(' : '['), doc, i, "closing bracket must match the innermost open one");
            }
            Check(Is(L.BracketDepthGe1) == brackets.Count >= 1 && Is(L.BracketDepthGe2) == brackets.Count >= 2, doc, i, $"depth labels must match depth {brackets.Count}");
            Check(Is(L.InsideParens) == brackets.Contains('(') && Is(L.InsideSquareBrackets) == brackets.Contains('['), doc, i, "bracket kind labels must match the stack");
            Check(Is(L.BracketMark) == (t is "(" or ")" or "[" or "]"), doc, i, "bracket_mark is exactly the brackets");
            if (t is "(" or "[") brackets.Push(t[0]);

            // Surface classes.
            Check(Is(L.WordThe) == (t.ToLowerInvariant() == "the"), doc, i, "word_the is exactly 'the'");
            Check(Is(L.Comma) == (t == ","), doc, i, "comma is exactly ','");
            Check(Is(L.Digit) == IsDigit(x), doc, i, "digit is exactly a digit piece");
            Check(Is(L.Punctuation) == (t is "." or "," or "?" or "!" or ":" or "\"" or "(" or ")" or "[" or "]"), doc, i, "punctuation is exactly . , ? ! : \" ( ) [ ]");
            Check(Is(L.CapitalizedWord) == (t.Length > 0 && char.IsUpper(t[0])), doc, i, "capitalized_word is exactly an upper-case first letter");
            Check(Is(L.ProperName) == names.Contains(t), doc, i, "proper_name is exactly a name of the lexicon");
            Check(Is(L.NumberWord) == numberWords.Contains(t.ToLowerInvariant()), doc, i, "number_word is exactly zero .. twenty");
            Check(Is(L.ArithOperator) == (t is "+" or "-"), doc, i, "arith_operator is exactly + and -");
            Check(Is(L.ArithEquals) == (t == "="), doc, i, "arith_equals is exactly =");
            var ends = t is "." or "?" or "!" && (!inQuotes || (speakerFirst && p[i + 1].Text == "\""));
            Check(Is(L.SentenceEnd) == ends, doc, i, "sentence_end is a . ? ! outside quotes, or the last piece of a quotation after its speaker");
            Check(Is(L.SentenceLastToken) == (i + 1 < p.Count && p[i + 1].Has(L.SentenceEnd)), doc, i, "sentence_last_token is exactly the piece before sentence_end");

            // Lexicon-derived labels: topic_word is the document topic's vocabulary; a word's class comes with the word.
            if (Lexicon.TryGetValue(t.ToLowerInvariant(), out var entries))
            {
                var w = entries[0];
                Check(Is(L.TopicWord) == (w.Topic == doc.Topic), doc, i, "topic_word must match the lexicon's topic of the word");
                foreach (var l in new[] { L.Noun, L.PluralNoun, L.Verb, L.PastTenseVerb, L.Adjective, L.Adverb, L.Preposition, L.Pronoun, L.Conjunction, L.Determiner, L.AnimateNoun, L.SentimentPositive, L.SentimentNegative })
                    Check(Is(l) == l.In(w.Labels), doc, i, $"{l.Name} must come from the lexicon entry");
                if (Is(L.ProperName)) Check(Is(L.NameSeenBefore) == !seenNames.Add(t), doc, i, "name_seen_before must match earlier names");
                if (w.IsContent) Check(Is(L.ContentWordSeenBefore) == !seenContent.Add(t.ToLowerInvariant()), doc, i, "content_word_seen_before must match earlier content words");
                else Check(!Is(L.ContentWordSeenBefore), doc, i, "only content words can be seen before");
            }
            else
            {
                Check(IsDigit(x) || Is(L.Punctuation) || t is "+" or "-" or "=" or "\n\n", doc, i, "every piece is a lexicon word, a digit, punctuation, a symbol or a paragraph break");
                Check(!Is(L.TopicWord) && !Is(L.ContentWordSeenBefore) && !Is(L.NameSeenBefore), doc, i, "non-words carry no word labels");
            }

            // Agreement: the verb form carries the number it agrees in.
            if (Is(L.VerbAgreesSingular)) Check(SingularForms.Contains(t.ToLowerInvariant()) && !Is(L.VerbAgreesPlural), doc, i, "a singular-agreeing verb must be a singular form");
            if (Is(L.VerbAgreesPlural)) Check(PluralForms.Contains(t.ToLowerInvariant()), doc, i, "a plural-agreeing verb must be a base or plural form");
            if (Is(L.AgreementAttractor)) Check(Is(L.VerbAgreesSingular) || Is(L.VerbAgreesPlural), doc, i, "an attractor label sits on an agreeing verb");
            Check(!Is(L.RepeatPredictable) || Is(L.RepeatSecondOccurrence), doc, i, "repeat_predictable lies in a second occurrence");
            Check(!Is(L.CountContinuation) || Is(L.CountSequence), doc, i, "count_continuation lies in a count");
        }
        Assert.False(inQuotes, $"document {doc.Index} ends inside quotes");
        Assert.Empty(brackets);

        CheckSentences(doc);
        CheckArithmetic(doc);
        CheckCounting(doc);
        CheckRepeats(doc);
        CheckScopes(doc);
    }

    /// <summary>Between consecutive sentence ends there is exactly one sentence_first_word, the first word or number.</summary>
    private static void CheckSentences(CorpusDocument doc)
    {
        var p = doc.Pieces;
        var start = 0;
        for (var i = 0; i < p.Count; i++)
        {
            if (!p[i].Has(L.SentenceEnd)) continue;
            var firsts = Enumerable.Range(start, i - start).Where(k => p[k].Has(L.SentenceFirstWord)).ToList();
            var firstWord = Enumerable.Range(start, i - start).First(k => char.IsLetterOrDigit(Lead(p[k])));
            Check(firsts.Count == 1 && firsts[0] == firstWord, doc, firstWord, "exactly the first word of each sentence is sentence_first_word");
            start = i + 1;
        }
        Check(Enumerable.Range(start, p.Count - start).All(k => !char.IsLetterOrDigit(Lead(p[k]))), doc, p.Count - 1,
            "the document ends with its last sentence");
    }

    private static char Lead(CorpusPiece piece) => piece.Text.Trim(' ', '\n').FirstOrDefault();

    /// <summary>Every '=' has number, operator, number before it and the correct result after it; the arithmetic labels
    /// are exactly on those pieces.</summary>
    private static void CheckArithmetic(CorpusDocument doc)
    {
        var p = doc.Pieces;
        var numbers = Numbers(p);
        var operand = new HashSet<int>();
        var result = new HashSet<int>();
        for (var i = 0; i < p.Count; i++)
        {
            if (p[i].Text.Trim() != "=") continue;
            var right = numbers.Single(n => n.End == i);
            var op = p[right.Start - 1].Text.Trim();
            var left = numbers.Single(n => n.End == right.Start - 1);
            var res = numbers.Single(n => n.Start == i + 1);
            var expected = op == "+" ? left.Value + right.Value : left.Value - right.Value;
            Check(op is "+" or "-" && res.Value == expected, doc, i, $"{left.Value} {op} {right.Value} must equal {res.Value}");
            for (var k = left.Start; k < left.End; k++) operand.Add(k);
            for (var k = right.Start; k < right.End; k++) operand.Add(k);
            for (var k = res.Start; k < res.End; k++) result.Add(k);
        }
        for (var i = 0; i < p.Count; i++)
        {
            Check(p[i].Has(L.ArithOperandDigit) == operand.Contains(i), doc, i, "arith_operand_digit is exactly the operand digits");
            Check(p[i].Has(L.ArithResultDigit) == result.Contains(i), doc, i, "arith_result_digit is exactly the result digits");
        }
        foreach (var n in numbers)
            for (var k = n.Start; k < n.End; k++)
                Check(p[k].Has(L.MultiDigitNumber) == (n.End - n.Start > 1), doc, k, "multi_digit_number is exactly a digit of a number of 2+ digits");
    }

    /// <summary>Each count is three or more consecutive numbers, up or down by one; every element but the first is a continuation.</summary>
    private static void CheckCounting(CorpusDocument doc)
    {
        var p = doc.Pieces;
        var numberWords = CorpusLexicon.NumberWords.Select(n => n.Text).ToList();
        var numbers = Numbers(p);
        foreach (var (start, end) in Runs(p, L.CountSequence))
        {
            var elements = new List<(int Start, int End, long Value)>();
            for (var k = start; k < end; k++)
            {
                var t = p[k].Text.Trim().ToLowerInvariant();
                if (numberWords.IndexOf(t) is var w and >= 0) elements.Add((k, k + 1, w));
                else if (IsDigit(p[k]) && numbers.FirstOrDefault(n => n.Start == k) is { End: > 0 } n) elements.Add(n);
                else Check(t == "," || IsDigit(p[k]), doc, k, "a count holds numbers and commas only");
            }
            Check(elements.Count >= 3, doc, start, "a count has three or more numbers");
            var step = elements[1].Value - elements[0].Value;
            Check(step is 1 or -1, doc, start, "a count goes up or down by one");
            for (var e = 1; e < elements.Count; e++) Check(elements[e].Value - elements[e - 1].Value == step, doc, elements[e].Start, "a count continues by the same step");
            for (var e = 0; e < elements.Count; e++)
                for (var k = elements[e].Start; k < elements[e].End; k++)
                    Check(p[k].Has(L.CountContinuation) == (e > 0), doc, k, "count_continuation is every element after the first");
        }
    }

    /// <summary>Every second occurrence repeats, piece for piece, a first occurrence that ended earlier; repeat_predictable
    /// is every piece of a second occurrence but its first.</summary>
    private static void CheckRepeats(CorpusDocument doc)
    {
        var p = doc.Pieces;
        var firsts = Runs(p, L.RepeatFirstOccurrence);
        var seconds = Runs(p, L.RepeatSecondOccurrence);
        Assert.Equal(firsts.Count, seconds.Count);
        var mask = ~(L.RepeatFirstOccurrence.Bit | L.RepeatSecondOccurrence.Bit | L.RepeatPredictable.Bit | L.ContentWordSeenBefore.Bit | L.SentenceLastToken.Bit);
        foreach (var (s, e) in seconds)
        {
            var text = p.Skip(s).Take(e - s).Select(x => (x.Text, x.Labels & mask)).ToList();
            var match = firsts.Where(f => f.End < s && p.Skip(f.Start).Take(f.End - f.Start).Select(x => (x.Text, x.Labels & mask)).SequenceEqual(text)).ToList();
            Check(match.Count >= 1, doc, s, "a second occurrence repeats an earlier first occurrence with the same pieces and labels");
            Check(match.Any(f => f.End + 6 <= s), doc, s, "a second occurrence comes at least a sentence after its first");
            for (var k = s; k < e; k++) Check(p[k].Has(L.RepeatPredictable) == (k > s), doc, k, "repeat_predictable is every piece of a second occurrence but the first");
        }
        Check(firsts.All(f => Enumerable.Range(f.Start, f.End - f.Start).All(k => !p[k].Has(L.RepeatPredictable))), doc, 0, "first occurrences are not predictable");
    }

    /// <summary>Grammar scopes have their shape: a question ends with '?', a negation starts with not/never, a list holds
    /// 'and' and at least three nouns, a subject holds a noun, name or pronoun.</summary>
    private static void CheckScopes(CorpusDocument doc)
    {
        var p = doc.Pieces;
        foreach (var (s, e) in Runs(p, L.Question)) Check(p[e - 1].Text == "?", doc, e - 1, "a question ends with '?'");
        Check(p.Where(x => x.Text == "?").All(x => x.Has(L.Question)), doc, 0, "every '?' ends a question");
        foreach (var (s, _) in Runs(p, L.NegationScope)) Check(p[s].Text.Trim() is "not" or "never", doc, s, "a negation scope starts with not or never");
        foreach (var (s, e) in Runs(p, L.InList))
        {
            var nouns = Enumerable.Range(s, e - s).Count(k => p[k].Has(L.Noun));
            Check(nouns >= 3 && Enumerable.Range(s, e - s).Any(k => p[k].Text == " and"), doc, s, "a list has three or more nouns and an 'and'");
        }
        foreach (var (s, e) in Runs(p, L.TimePhrase))
            Check(p[s].Text.Trim().ToLowerInvariant() is "on" or "in" or "at" or "last" or "every", doc, s, "a time phrase starts with on, in, at, last or every");
        foreach (var (s, e) in Runs(p, L.SubjectNp))
            Check(Enumerable.Range(s, e - s).Any(k => p[k].Has(L.Noun) || p[k].Has(L.ProperName) || p[k].Has(L.Pronoun)), doc, s, "a subject holds a noun, a name or a pronoun");
    }

    // ---- base rates ---------------------------------------------------------------------------------------------------

    [Fact]
    public void EveryLabelFiresButNoneOnMostTokens()
    {
        var pieces = Corpus.BaseRates(0, 200);
        var bytes = Corpus.BaseRates(0, 200, new ByteTokenizer());
        output.WriteLine($"{"label",-26} {"category",-10} {"pieces",8} {"bytes",8}");
        foreach (var l in L.All) output.WriteLine($"{l.Name,-26} {l.Category,-10} {pieces[l.Index],8:P2} {bytes[l.Index],8:P2}");
        foreach (var l in L.All)
        {
            Assert.True(pieces[l.Index] >= 0.002, $"{l.Name} fires on {pieces[l.Index]:P3} of pieces (< 0.2%)");
            Assert.True(pieces[l.Index] <= 0.6, $"{l.Name} fires on {pieces[l.Index]:P1} of pieces (> 60%)");
        }
        // Topic labels cover every piece exactly once.
        Assert.Equal(1.0, L.Topics.Sum(t => pieces[t.Index]), 9);
    }

    // ---- tokens ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void TokensInheritTheLabelsOfTheirPiece()
    {
        var tok = new ByteTokenizer();
        foreach (var doc in Corpus.Documents(0, 20))
        {
            var td = doc.Tokenize(tok);
            Assert.Equal(doc.Text, tok.Decode(td.Tokens));
            Assert.Equal(td.Tokens.Length, td.Labels.Length);
            Assert.Equal(td.Tokens.Length, td.PieceOfToken.Length);
            var t = 0;
            for (var i = 0; i < doc.Pieces.Count; i++)
            {
                var n = Encoding.UTF8.GetByteCount(doc.Pieces[i].Text);
                for (var k = 0; k < n; k++, t++)
                {
                    Assert.Equal(i, td.PieceOfToken[t]);
                    Assert.Equal(doc.Pieces[i].Labels, td.Labels[t]);
                }
            }
            Assert.Equal(t, td.Length);
        }
        var empty = Assert.Throws<InvalidOperationException>(() => Corpus.Generate(0).Tokenize(new EmptyTokenizer()));
        Assert.Contains("piece 0", empty.Message);
    }

    private sealed class EmptyTokenizer : ITokenizer
    {
        public int VocabSize => 10;
        public int[] Encode(string text) => Array.Empty<int>();
        public string Decode(ReadOnlySpan<int> ids) => "";
    }

    /// <summary>The stream [EOT doc_f, EOT doc_f+1, ...] built by hand from the documents.</summary>
    private static (List<int> Tokens, List<ulong> Labels, List<long> Docs) Stream(long first, int count)
    {
        var tok = new ByteTokenizer();
        var (tokens, labels, docs) = (new List<int>(), new List<ulong>(), new List<long>());
        for (var d = first; d < first + count; d++)
        {
            var td = Corpus.Generate(d).Tokenize(tok);
            tokens.Add(ByteTokenizer.EndOfText); labels.Add(0); docs.Add(d);
            tokens.AddRange(td.Tokens); labels.AddRange(td.Labels); docs.AddRange(Enumerable.Repeat(d, td.Length));
        }
        return (tokens, labels, docs);
    }

    [Fact]
    public void WindowsCutTheDocumentStreamWithEndOfTextBetweenDocuments()
    {
        var tok = new ByteTokenizer();
        var (tokens, labels, docs) = Stream(3, 6);
        var windows = Corpus.Windows(tok, ByteTokenizer.EndOfText, 64, firstDocument: 3, documentCount: 6).ToList();
        Assert.Equal(tokens.Count / 64, windows.Count);
        for (var w = 0; w < windows.Count; w++)
        {
            Assert.Equal(tokens.GetRange(64 * w, 64), windows[w].Tokens);
            Assert.Equal(labels.GetRange(64 * w, 64), windows[w].Labels);
            Assert.Equal(docs.GetRange(64 * w, 64), windows[w].DocumentOfToken);
        }
        // Next-token training: 65 tokens every 64, so that each window's last token is the next window's first.
        var overlapping = Corpus.Windows(tok, ByteTokenizer.EndOfText, 65, 64, firstDocument: 3).Take(20).ToList();
        for (var w = 0; w < overlapping.Count; w++) Assert.Equal(tokens.GetRange(64 * w, 65), overlapping[w].Tokens);
        Assert.Equal(ByteTokenizer.EndOfText, overlapping[0].Tokens[0]);
        Assert.Equal(0UL, overlapping[0].Labels[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Corpus.Windows(tok, 257).First());
        Assert.Throws<ArgumentOutOfRangeException>(() => Corpus.Windows(tok, 256, 64, stride: 65).First());
    }

    // ---- configuration --------------------------------------------------------------------------------------------------

    [Fact]
    public void BadConfigsNameTheFieldValueAndRange()
    {
        void Bad(CorpusConfig c, string expected)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticCorpus(c));
            Assert.Contains(expected, ex.Message);
        }
        Bad(new CorpusConfig { MaxParagraphs = 2 }, "CorpusConfig.MaxParagraphs = 2 is out of range: must be in [MinParagraphs = 3, 50]");
        Bad(new CorpusConfig { AsideProbability = 1.5 }, "CorpusConfig.AsideProbability = 1.5");
        Bad(new CorpusConfig { MaxRepeatedSpans = 4 }, "CorpusConfig.MaxRepeatedSpans = 4");
        Bad(new CorpusConfig { MinSpanLength = 1 }, "CorpusConfig.MinSpanLength = 1");
        Bad(new CorpusConfig { MaxOperand = 5 }, "CorpusConfig.MaxOperand = 5");
        Bad(new CorpusConfig { StatementWeight = 0, QuestionWeight = 0, DialogueWeight = 0, ListWeight = 0, ArithmeticWeight = 0, CountingWeight = 0 }, "positive sum");
        Bad(new CorpusConfig { ListWeight = -1 }, "CorpusConfig.ListWeight = -1");
        Assert.Throws<ArgumentOutOfRangeException>(() => Corpus.Generate(-1));
    }

    [Fact]
    public void AConfigWithOnlyOneSentenceKindStillGeneratesValidDocuments()
    {
        // Extreme mixes exercise each production on its own (and the repeat placement with the fewest sentences).
        foreach (var c in new[]
        {
            new CorpusConfig { Seed = 5, StatementWeight = 0, QuestionWeight = 0, DialogueWeight = 1, ListWeight = 0, ArithmeticWeight = 0, CountingWeight = 0 },
            new CorpusConfig { Seed = 6, StatementWeight = 0, QuestionWeight = 0, DialogueWeight = 0, ListWeight = 0, ArithmeticWeight = 1, CountingWeight = 0, MaxOperand = 9999 },
            new CorpusConfig { Seed = 7, AsideProbability = 1, NestedAsideProbability = 1, MinParagraphs = 1, MaxParagraphs = 1, MinSentencesPerParagraph = 3, MaxSentencesPerParagraph = 3, MaxRepeatedSpans = 1 },
        })
        {
            var corpus = new SyntheticCorpus(c);
            foreach (var doc in corpus.Documents(0, 30)) CheckDocument(doc);
        }
    }
}
