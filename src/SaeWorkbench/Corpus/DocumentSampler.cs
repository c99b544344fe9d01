using static SaeWorkbench.Corpus.CorpusLexicon;

namespace SaeWorkbench.Corpus;

/// <summary>
/// Draws the syntax tree of one document (docs/synthetic-corpus.md, "Document plan" and "Probabilities") from its own
/// random stream and renders it with <see cref="CorpusGrammar"/>. The document depends only on the config and
/// (seed, index): topic, a cast of three names, paragraph and sentence counts, the slots of the repeated spans (a
/// first occurrence at least two sentences before its second), then one sentence per slot.
/// </summary>
internal sealed class DocumentSampler
{
    private enum Kind { Statement, Question, Dialogue, List, Arithmetic, Counting, RepeatFirst, RepeatSecond }

    private readonly CorpusConfig _config;
    private readonly CorpusRandom _r;
    private readonly TopicVocabulary _topic;
    private readonly Word[] _cast;

    private DocumentSampler(CorpusConfig config, CorpusRandom random, int topic)
    {
        _config = config;
        _r = random;
        _topic = Topics[topic];
        _cast = DistinctNames(3);
    }

    /// <summary>Document <paramref name="index"/> of the corpus described by <paramref name="config"/> (validated by the caller).</summary>
    public static CorpusDocument Generate(CorpusConfig config, long index)
    {
        var random = CorpusRandom.ForDocument(config.Seed, index);
        var topic = random.Next(Topics.Count);
        return new DocumentSampler(config, random, topic).Run(index);
    }

    private CorpusDocument Run(long index)
    {
        var c = _config;
        var paragraphs = _r.Between(c.MinParagraphs, c.MaxParagraphs);
        var sizes = new int[paragraphs];
        for (var p = 0; p < paragraphs; p++) sizes[p] = _r.Between(c.MinSentencesPerParagraph, c.MaxSentencesPerParagraph);
        var total = sizes.Sum();

        var kinds = new Kind?[total];
        var spans = new RepeatedSpan?[total];
        var repeats = _r.Between(c.MinRepeatedSpans, c.MaxRepeatedSpans);
        for (var k = 0; k < repeats; k++)
        {
            if (!PlaceRepeat(kinds, out var first, out var second)) break;
            var span = SampleSpan();
            kinds[first] = Kind.RepeatFirst;
            kinds[second] = Kind.RepeatSecond;
            spans[first] = spans[second] = span;
        }
        Span<double> weights = stackalloc double[] { c.StatementWeight, c.QuestionWeight, c.DialogueWeight, c.ListWeight, c.ArithmeticWeight, c.CountingWeight };
        for (var i = 0; i < total; i++) kinds[i] ??= (Kind)_r.PickWeighted(weights);

        var b = new DocumentBuilder(_topic.Index);
        var slot = 0;
        for (var p = 0; p < paragraphs; p++)
        {
            if (p > 0) b.ParagraphBreak();
            for (var s = 0; s < sizes[p]; s++, slot++) CorpusGrammar.Sentence(b, SampleSentence(kinds[slot]!.Value, spans[slot]));
        }
        return new CorpusDocument(index, _topic.Index, b.Finish());
    }

    /// <summary>Two free slots i &lt; j - 1: by rejection, then, if that fails, the first free pair in order.</summary>
    private bool PlaceRepeat(Kind?[] kinds, out int first, out int second)
    {
        var n = kinds.Length;
        first = second = -1;
        if (n < 3) return false;
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var i = _r.Next(n - 2);
            var j = _r.Between(i + 2, n - 1);
            if (kinds[i] is null && kinds[j] is null)
            {
                (first, second) = (i, j);
                return true;
            }
        }
        for (var i = 0; i < n - 2; i++)
            for (var j = i + 2; j < n; j++)
                if (kinds[i] is null && kinds[j] is null)
                {
                    (first, second) = (i, j);
                    return true;
                }
        return false;
    }

    private Sentence SampleSentence(Kind kind, RepeatedSpan? span) => kind switch
    {
        Kind.Statement => SampleStatement(),
        Kind.Question => new QuestionSentence(SampleClause(affirmative: true), _r.Chance(0.25)),
        Kind.Dialogue => SampleDialogue(),
        Kind.List => SampleList(),
        Kind.Arithmetic => _r.Chance(0.4) ? SampleWordProblem() : SampleArithmetic(),
        Kind.Counting => SampleCounting(),
        Kind.RepeatFirst or Kind.RepeatSecond => SampleRepeat(span!, kind == Kind.RepeatSecond),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown sentence kind"),
    };

    // ---- words and phrases -----------------------------------------------------------------------------------------

    private Word[] DistinctNames(int count)
    {
        var chosen = new List<Word>(count);
        while (chosen.Count < count)
        {
            var n = _r.Pick(Names);
            if (!chosen.Contains(n)) chosen.Add(n);
        }
        return chosen.ToArray();
    }

    private Word Name() => _cast[_r.Next(_cast.Length)];

    private Det SampleDet(bool plural)
    {
        var u = _r.NextDouble();
        if (plural) return u < 0.55 ? Det.The : u < 0.625 ? Det.This : u < 0.7 ? Det.That : u < 0.85 ? Det.Some : Det.Many;
        return u < 0.55 ? Det.The : u < 0.8 ? Det.A : u < 0.85 ? Det.This : u < 0.9 ? Det.That : u < 0.95 ? Det.Every : Det.Each;
    }

    private Word Adjective()
    {
        var u = _r.NextDouble();
        return u < 0.4 ? _r.Pick(_topic.Adjectives) : u < 0.6 ? _r.Pick(PositiveAdjectives) : u < 0.8 ? _r.Pick(NegativeAdjectives) : _r.Pick(NeutralAdjectives);
    }

    private Verb ActionVerb()
    {
        var u = _r.NextDouble();
        return u < 0.75 ? _r.Pick(_topic.Verbs) : u < 0.85 ? _r.Pick(NeutralVerbs) : u < 0.925 ? _r.Pick(PositiveVerbs) : _r.Pick(NegativeVerbs);
    }

    /// <summary>A person of the topic (or a shared person or animal), with an attached phrase a third of the time.</summary>
    private CommonNp AgentNp()
    {
        var noun = _r.Chance(0.75) ? _r.Pick(_topic.Agents) : _r.Pick(People);
        var plural = _r.Chance(0.5);
        var det = SampleDet(plural);
        Word? adj = _r.Chance(0.25) ? Adjective() : null;
        var attachment = _r.Chance(0.4) ? new PrepPhrase(_r.Pick(AttachPrepositions), ThingNp(simple: true)) : null;
        return new CommonNp(noun, plural, det, adj, attachment);
    }

    /// <summary>A thing of the topic (or a shared thing), sometimes counted by a quantity.</summary>
    private CommonNp ThingNp(bool simple = false, bool allowQuantity = false)
    {
        var noun = _r.Chance(0.8) ? _r.Pick(_topic.Objects) : _r.Pick(Things);
        Word? adj = _r.Chance(simple ? 0.15 : 0.3) ? Adjective() : null;
        if (allowQuantity && _r.Chance(0.15)) return QuantityNp(noun, adj);
        var plural = _r.Chance(0.5);
        return new CommonNp(noun, plural, SampleDet(plural), adj);
    }

    private CommonNp QuantityNp(Noun noun, Word? adj = null)
    {
        var inWords = _r.Chance(0.5);
        var value = inWords ? _r.Between(1, 20) : _r.Chance(0.5) ? _r.Between(1, 9) : _r.Between(10, 99);
        return new CommonNp(noun, value != 1, Det.The, adj, Quantity: new Quantity(value, inWords));
    }

    private Np Subject()
    {
        var u = _r.NextDouble();
        if (u < 0.55) return AgentNp();
        if (u < 0.85) return new NameNp(Name());
        var plural = _r.Chance(0.5);
        return new PronounNp(W(plural ? (_r.Chance(0.5) ? "they" : "we") : (_r.Chance(0.5) ? "he" : "she")), plural);
    }

    private Np Object()
    {
        var u = _r.NextDouble();
        if (u < 0.85) return ThingNp(allowQuantity: true);
        if (u < 0.92) return new NameNp(Name());
        var k = _r.Next(5);
        return new PronounNp(W(new[] { "him", "her", "it", "them", "us" }[k]), k >= 3);
    }

    /// <param name="affirmative">No negation (questions).</param>
    /// <param name="tense">The tense a time phrase imposes, if any.</param>
    private Clause SampleClause(bool affirmative = false, Tense? tense = null)
    {
        var subject = Subject();
        var t = _r.Chance(0.55) ? Tense.Present : Tense.Past;
        var u = _r.NextDouble();
        var polarity = affirmative || u < 0.8 ? Polarity.Affirmative : u < 0.92 ? Polarity.Not : Polarity.Never;
        Predicate predicate = _r.Chance(0.25)
            ? new CopulaPredicate(Adjective())
            : new ActionPredicate(ActionVerb(), Object(), _r.Chance(0.15) ? _r.Pick(Adverbs) : null);
        return new Clause(subject, predicate, tense ?? t, polarity);
    }

    /// <summary>on Monday | in the morning | at noon | last week | every evening | in 1987, with the tense it imposes on
    /// its clauses: past after "last ..." and a year, present after "every ...", either after the others.</summary>
    private (TimePhrase Phrase, Tense? Tense) SampleTime() => _r.Next(6) switch
    {
        0 => (new TimePhrase(new Atom[] { new WordAtom(W("on")), new WordAtom(_r.Pick(Weekdays)) }), null),
        1 => (new TimePhrase(new Atom[] { new WordAtom(W("in")), new WordAtom(W("the")), new WordAtom(_r.Pick(DayParts)) }), null),
        2 => (new TimePhrase(new Atom[] { new WordAtom(W("at")), new WordAtom(_r.Pick(DayPoints)) }), null),
        3 => (new TimePhrase(new Atom[] { new WordAtom(W("last")), new WordAtom(_r.Pick(Periods)) }), Tense.Past),
        4 => (new TimePhrase(new Atom[] { new WordAtom(W("every")), new WordAtom(_r.Pick(DayParts)) }), Tense.Present),
        _ => (new TimePhrase(new Atom[] { new WordAtom(W("in")), new NumberAtom(_r.Between(1900, 2029)) }), Tense.Past),
    };

    /// <summary>An aside: "see the X" | "with N Xs" | "in 1987" | "or the ADJ X" | "and NAME" | "for the X", then,
    /// with the nesting probability (halved at depth 2), a nested aside of the other bracket kind.</summary>
    private Aside SampleAside(int depth, char open)
    {
        var body = new List<Atom>();
        switch (_r.Next(6))
        {
            case 0: body.Add(new WordAtom(NeutralVerbs[0].Base)); body.Add(new NpAtom(new CommonNp(_r.Pick(_topic.Objects), _r.Chance(0.5)))); break;
            case 1: body.Add(new WordAtom(W("with"))); body.Add(new NpAtom(QuantityNp(_r.Pick(_topic.Objects)))); break;
            case 2: body.Add(new TimeAtom(new TimePhrase(new Atom[] { new WordAtom(W("in")), new NumberAtom(_r.Between(1900, 2029)) }))); break;
            case 3: body.Add(new WordAtom(W("or"))); body.Add(new NpAtom(new CommonNp(_r.Pick(_topic.Objects), _r.Chance(0.5), Det.The, Adjective()))); break;
            case 4: body.Add(new WordAtom(W("and"))); body.Add(new NpAtom(new NameNp(Name()))); break;
            default: body.Add(new WordAtom(W("for"))); body.Add(new NpAtom(new CommonNp(_r.Pick(_topic.Objects), _r.Chance(0.5)))); break;
        }
        var nest = depth == 1 ? _config.NestedAsideProbability : depth == 2 ? _config.NestedAsideProbability / 2 : 0;
        if (_r.Chance(nest)) body.Add(new AsideAtom(SampleAside(depth + 1, open == '(' ? '[' : '(')));
        return new Aside(open, body);
    }

    // ---- sentences -------------------------------------------------------------------------------------------------

    private Statement SampleStatement()
    {
        var (time, tense) = _r.Chance(0.25) ? SampleTime() : (null, null);
        var timeFirst = _r.Chance(0.6);
        var clause = SampleClause(tense: tense);
        Word? conjunction = null;
        Clause? second = null;
        if (_r.Chance(0.15))
        {
            conjunction = W(new[] { "and", "but", "or", "so" }[_r.Next(4)]);
            second = SampleClause(tense: tense);
        }
        var place = _r.Chance(0.25) ? new PrepPhrase(_r.Pick(PlacePrepositions), new CommonNp(_r.Pick(_topic.Places), false)) : null;
        var aside = _r.Chance(_config.AsideProbability) ? SampleAside(1, _r.Chance(0.7) ? '(' : '[') : null;
        return new Statement(clause, time, timeFirst, conjunction, second, place, aside);
    }

    /// <summary>A quoted clause or question and its speaker, who is not the person the quotation names as subject.</summary>
    private Dialogue SampleDialogue()
    {
        var question = _r.Chance(0.3);
        var clause = SampleClause(affirmative: question);
        Sentence quoted = question ? new QuestionSentence(clause, _r.Chance(0.25)) : new Statement(clause);
        var speakers = _cast.Where(n => clause.Subject is not NameNp s || s.Name != n).ToArray();
        var speaker = speakers[_r.Next(speakers.Length)];
        var speakerFirst = _r.Chance(0.55);
        var exclaim = !question && _r.Chance(0.15);
        return new Dialogue(speaker, question ? Ask : _r.Pick(SayVerbs), quoted, speakerFirst, exclaim);
    }

    private ListSentence SampleList()
    {
        var subject = Subject();
        var verb = ActionVerb();
        var tense = _r.Chance(0.55) ? Tense.Present : Tense.Past;
        var count = _r.Between(3, 5);
        var nouns = new List<Noun>();
        while (nouns.Count < count)
        {
            var n = _r.Pick(_topic.Objects);
            if (!nouns.Contains(n)) nouns.Add(n);
        }
        var items = nouns.Select(n =>
        {
            var plural = _r.Chance(0.5);
            var det = plural ? (_r.Chance(0.7) ? Det.The : Det.Some) : (_r.Chance(0.6) ? Det.The : Det.A);
            return new CommonNp(n, plural, det, _r.Chance(0.2) ? Adjective() : null);
        }).ToArray();
        return new ListSentence(subject, verb, tense, items);
    }

    private int Operand() => _r.Chance(0.55) ? _r.Between(0, 9) : _r.Between(10, _config.MaxOperand);

    private Equation SampleEquation()
    {
        var op = _r.Chance(0.6) ? '+' : '-';
        var (a, b) = (Operand(), Operand());
        if (op == '-' && a < b) (a, b) = (b, a);
        return new Equation(a, op, b);
    }

    /// <summary>One to three equations; with two or more, four times in ten a chain whose left operand is the previous result.</summary>
    private ArithmeticSentence SampleArithmetic()
    {
        var subject = _r.Chance(0.7) ? new NameNp(Name()) : Subject();
        var intro = (ArithIntro)_r.Next(3);
        var n = _r.Between(1, 3);
        var equations = new List<Equation> { SampleEquation() };
        var chain = n >= 2 && _r.Chance(0.4);
        while (equations.Count < n)
        {
            var prev = equations[^1];
            if (!chain) equations.Add(SampleEquation());
            else if (prev.Op == '+' || prev.Result - prev.Right >= 0) equations.Add(new Equation(prev.Result, prev.Op, prev.Right));
            else break;
        }
        return new ArithmeticSentence(subject, intro, equations);
    }

    private WordProblem SampleWordProblem()
    {
        var start = _r.Chance(0.5) ? _r.Between(2, 9) : _r.Between(10, Math.Max(10, _config.MaxOperand));
        var gain = _r.Chance(0.55);
        var change = gain ? Math.Max(1, Operand()) : _r.Between(1, start);
        return new WordProblem(Name(), _r.Pick(_topic.Objects), start, change, gain);
    }

    private CountingSentence SampleCounting()
    {
        var subject = _r.Chance(0.7) ? new NameNp(Name()) : Subject();
        var u = _r.NextDouble();
        var style = u < 0.4 ? CountStyle.Words : u < 0.7 ? CountStyle.DigitsCommas : CountStyle.DigitsSpaces;
        var length = _r.Between(3, 6);
        var down = _r.Chance(0.25);
        var max = style == CountStyle.Words ? NumberWords.Count - 1 : 99;
        var start = down ? _r.Between(length - 1, max) : _r.Chance(0.4) ? 1 : _r.Between(0, max - length + 1);
        var counted = _r.Chance(0.5) ? new CommonNp(_r.Pick(_topic.Objects), true) : null;
        return new CountingSentence(subject, counted, start, length, down, style);
    }

    /// <summary>A random span: four times in ten a digit code, otherwise words drawn uniformly from the whole lexicon
    /// (every topic), so that only the first occurrence predicts the second.</summary>
    private RepeatedSpan SampleSpan()
    {
        var length = _r.Between(_config.MinSpanLength, _config.MaxSpanLength);
        if (_r.Chance(0.4))
        {
            var digits = new char[length];
            for (var i = 0; i < length; i++) digits[i] = (char)('0' + _r.Next(10));
            return new RepeatedSpan(null, new string(digits));
        }
        var words = new Word[length];
        for (var i = 0; i < length; i++) words[i] = _r.Pick(SpanPool);
        return new RepeatedSpan(words, null);
    }

    private RepeatSentence SampleRepeat(RepeatedSpan span, bool second) =>
        new(span, second, _r.Next(RepeatSentence.FrameCount(span.IsCode, second)), Name(), _r.Pick(Things));
}
