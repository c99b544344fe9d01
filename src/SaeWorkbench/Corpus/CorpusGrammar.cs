using static SaeWorkbench.Corpus.CorpusLexicon;

namespace SaeWorkbench.Corpus;

// The syntax tree of a synthetic-corpus sentence: every choice the grammar makes, written out, so that a sentence
// can be built by hand (the tests do) or drawn at random (DocumentSampler does) and rendered the same way.

/// <summary>Determiner of a common noun phrase; the rendered word follows number (this / these) and the next word (a / an).</summary>
internal enum Det { The, A, This, That, Some, Every, Each, Many }

internal enum Tense { Present, Past }

internal enum Polarity { Affirmative, Not, Never }

/// <summary>A noun phrase: a name, a pronoun, or a common noun phrase.</summary>
internal abstract record Np
{
    public abstract bool Plural { get; }
}

internal sealed record NameNp(Word Name) : Np
{
    public override bool Plural => false;
}

internal sealed record PronounNp(Word Pronoun, bool IsPlural) : Np
{
    public override bool Plural => IsPlural;
}

/// <summary>A number counting the noun after it: digits, or a number word (0 .. 20).</summary>
internal sealed record Quantity(int Value, bool InWords);

/// <summary>[Det | Quantity] [Adjective] Noun [PrepPhrase]. With a quantity the determiner is not written and the noun is
/// plural unless the quantity is one.</summary>
internal sealed record CommonNp(Noun Noun, bool IsPlural, Det Det = Det.The, Word? Adjective = null, PrepPhrase? Attachment = null, Quantity? Quantity = null) : Np
{
    public override bool Plural => IsPlural;
}

/// <summary>Preposition + noun phrase; attached to a subject it is the "attractor" of agreement.</summary>
internal sealed record PrepPhrase(Word Preposition, CommonNp Object);

internal abstract record Predicate;

/// <summary>Transitive verb + object [+ adverb].</summary>
internal sealed record ActionPredicate(Verb Verb, Np Object, Word? Adverb = null) : Predicate;

/// <summary>Copula (is / are / was / were) + adjective.</summary>
internal sealed record CopulaPredicate(Word Adjective) : Predicate;

internal sealed record Clause(Np Subject, Predicate Predicate, Tense Tense = Tense.Present, Polarity Polarity = Polarity.Affirmative);

/// <summary>Pieces of a time phrase or an aside: a word, a number, a noun phrase, a time phrase or a nested aside.</summary>
internal abstract record Atom;

internal sealed record WordAtom(Word Word) : Atom;

internal sealed record NumberAtom(int Value) : Atom;

internal sealed record NpAtom(Np Np) : Atom;

internal sealed record TimeAtom(TimePhrase Time) : Atom;

internal sealed record AsideAtom(Aside Aside) : Atom;

/// <summary>on Monday | in the morning | at noon | last week | every evening | in 1987.</summary>
internal sealed record TimePhrase(IReadOnlyList<Atom> Atoms);

/// <summary>A bracketed aside, '(' or '[', whose body may end in a nested aside of the other kind.</summary>
internal sealed record Aside(char Open, IReadOnlyList<Atom> Body);

internal abstract record Sentence;

/// <summary>[Time ","] Clause ["," Conjunction Clause] [Time] [Place] [Aside] "."</summary>
internal sealed record Statement(
    Clause Clause,
    TimePhrase? Time = null,
    bool TimeFirst = false,
    Word? Conjunction = null,
    Clause? Second = null,
    PrepPhrase? Place = null,
    Aside? Aside = null) : Sentence;

/// <summary>["Why"] Aux/Copula Subject (BaseVerb Object [Adverb] | Adjective) "?"</summary>
internal sealed record QuestionSentence(Clause Clause, bool Why = false) : Sentence;

/// <summary>Speaker SayVerb "," '"' Quoted '"'  |  '"' Quoted ('," | ?" | !"') SayVerb Speaker ".". The quoted part is a
/// clause (a statement) or a question.</summary>
internal sealed record Dialogue(Word Speaker, Verb SayVerb, Sentence Quoted, bool SpeakerFirst, bool Exclaim = false) : Sentence;

/// <summary>Subject Verb Item ("," Item)* "and" Item "." with three to five items.</summary>
internal sealed record ListSentence(Np Subject, Verb Verb, Tense Tense, IReadOnlyList<CommonNp> Items) : Sentence;

/// <summary>An equation a + b = c or a - b = c; the result is computed, so it is always correct.</summary>
internal sealed record Equation(int Left, char Op, int Right)
{
    public int Result => Op == '+' ? Left + Right : Left - Right;
}

internal enum ArithIntro { Wrote, CheckedTheSums, Added }

/// <summary>Subject ("wrote" | "checked the sums" | "added") ":" Equation ("," Equation)* ".".</summary>
internal sealed record ArithmeticSentence(Np Subject, ArithIntro Intro, IReadOnlyList<Equation> Equations) : Sentence;

/// <summary>Name "had" N Nouns "and" ("got" M "more" | "lost" M) "," "so" N (+|-) M "=" R ".".</summary>
internal sealed record WordProblem(Word Name, Noun Noun, int Start, int Change, bool Gain) : Sentence;

internal enum CountStyle { Words, DigitsCommas, DigitsSpaces }

/// <summary>Subject "counted" ["down"] [the Nouns] ":" n, n±1, ... "." with three or more numbers.</summary>
internal sealed record CountingSentence(Np Subject, CommonNp? Counted, int Start, int Length, bool Down, CountStyle Style) : Sentence
{
    public int ValueAt(int i) => Down ? Start - i : Start + i;
}

/// <summary>A random span that a document writes twice: words drawn from the whole lexicon, or a digit code.</summary>
internal sealed record RepeatedSpan(IReadOnlyList<Word>? Words, string? Digits)
{
    public bool IsCode => Digits is not null;
}

/// <summary>The first or second occurrence of a repeated span in one of its frames (docs/synthetic-corpus.md).</summary>
internal sealed record RepeatSentence(RepeatedSpan Span, bool Second, int Frame, Word Name, Noun Thing) : Sentence
{
    /// <summary>Frames per (span kind, occurrence): words first 2, words second 3, code first 2, code second 2.</summary>
    public static int FrameCount(bool code, bool second) => code ? 2 : second ? 3 : 2;
}

/// <summary>
/// The productions of the synthetic corpus (docs/synthetic-corpus.md, "Grammar"): each renders one node of the syntax
/// tree into a <see cref="DocumentBuilder"/> and attaches the labels that the node's choices decide (subject,
/// agreement, negation, question, list, time phrase, arithmetic, counting, quantities, repeated spans). Positional
/// labels (quotes, brackets, sentence position, topic) come from the builder.
/// </summary>
internal static class CorpusGrammar
{
    private static ulong L(CorpusLabel l) => l.Bit;

    public static void Sentence(DocumentBuilder b, Sentence s)
    {
        switch (s)
        {
            case Statement st: Statement(b, st); break;
            case QuestionSentence q: Question(b, q); break;
            case Dialogue d: Dialogue(b, d); break;
            case ListSentence l: List(b, l); break;
            case ArithmeticSentence a: Arithmetic(b, a); break;
            case WordProblem w: WordProblem(b, w); break;
            case CountingSentence c: Counting(b, c); break;
            case RepeatSentence r: Repeat(b, r); break;
            default: throw new ArgumentException($"unknown sentence type {s.GetType().Name}", nameof(s));
        }
    }

    // ---- noun phrases ----------------------------------------------------------------------------------------------

    public static void NounPhrase(DocumentBuilder b, Np np)
    {
        switch (np)
        {
            case NameNp n: b.Word(n.Name); break;
            case PronounNp p: b.Word(p.Pronoun); break;
            case CommonNp c: Common(b, c); break;
            default: throw new ArgumentException($"unknown noun phrase {np.GetType().Name}", nameof(np));
        }
    }

    private static void Common(DocumentBuilder b, CommonNp c)
    {
        var noun = c.Noun.Form(c.IsPlural);
        if (c.Quantity is { } q)
        {
            if ((q.Value == 1) == c.IsPlural) throw new ArgumentException($"quantity {q.Value} does not agree with a {(c.IsPlural ? "plural" : "singular")} noun");
            if (q.InWords) b.Word(NumberWords[q.Value], L(CorpusLabel.QuantityNumber));
            else b.Number(q.Value, L(CorpusLabel.QuantityNumber));
        }
        else
        {
            var next = c.Adjective?.Text ?? noun.Text;
            b.Word(Determiner(c.Det, c.IsPlural, next));
        }
        if (c.Adjective is { } adj) b.Word(adj);
        b.Word(noun);
        if (c.Attachment is { } pp)
        {
            b.Word(pp.Preposition);
            Common(b, pp.Object);
        }
    }

    /// <summary>The determiner word for <paramref name="det"/> before <paramref name="nextWord"/>; throws when the
    /// determiner cannot take that number (a, every, each: singular; some, many: plural).</summary>
    public static Word Determiner(Det det, bool plural, string nextWord) => det switch
    {
        Det.The => W("the"),
        Det.A when !plural => W("aeiou".Contains(nextWord[0]) ? "an" : "a"),
        Det.This => W(plural ? "these" : "this"),
        Det.That => W(plural ? "those" : "that"),
        Det.Some when plural => W("some"),
        Det.Every when !plural => W("every"),
        Det.Each when !plural => W("each"),
        Det.Many when plural => W("many"),
        _ => throw new ArgumentException($"determiner {det} cannot go with a {(plural ? "plural" : "singular")} noun"),
    };

    /// <summary>The agreement labels of a present-tense (or copula) verb form of <paramref name="subject"/>: singular or
    /// plural, plus <c>agreement_attractor</c> when the subject's attached phrase has a noun of the other number.</summary>
    public static ulong Agreement(Np subject)
    {
        var labels = subject.Plural ? L(CorpusLabel.VerbAgreesPlural) : L(CorpusLabel.VerbAgreesSingular);
        if (subject is CommonNp { Attachment: { } pp } && pp.Object.IsPlural != subject.Plural) labels |= L(CorpusLabel.AgreementAttractor);
        return labels;
    }

    private static void Subject(DocumentBuilder b, Np subject)
    {
        using (b.Scope(CorpusLabel.SubjectNp)) NounPhrase(b, subject);
    }

    // ---- clauses ---------------------------------------------------------------------------------------------------

    /// <summary>Subject, then the predicate with its agreeing verb (present tense, or any copula) and negation scope.</summary>
    public static void Clause(DocumentBuilder b, Clause c)
    {
        Subject(b, c.Subject);
        var agree = Agreement(c.Subject);
        var plural = c.Subject.Plural;
        switch (c.Predicate)
        {
            case CopulaPredicate cp:
                b.Word(Copula(c.Tense, plural), agree);
                if (c.Polarity == Polarity.Affirmative) b.Word(cp.Adjective);
                else
                    using (b.Scope(CorpusLabel.NegationScope))
                    {
                        b.Word(W(c.Polarity == Polarity.Not ? "not" : "never"));
                        b.Word(cp.Adjective);
                    }
                break;
            case ActionPredicate ap:
                switch (c.Polarity)
                {
                    case Polarity.Affirmative:
                        VerbForm(b, ap.Verb, c.Tense, plural, agree);
                        ObjectAndAdverb(b, ap);
                        break;
                    case Polarity.Not:
                        b.Word(c.Tense == Tense.Past ? W("did") : W(plural ? "do" : "does"), c.Tense == Tense.Past ? 0 : agree);
                        using (b.Scope(CorpusLabel.NegationScope))
                        {
                            b.Word(W("not"));
                            b.Word(ap.Verb.Base);
                            ObjectAndAdverb(b, ap);
                        }
                        break;
                    case Polarity.Never:
                        using (b.Scope(CorpusLabel.NegationScope))
                        {
                            b.Word(W("never"));
                            VerbForm(b, ap.Verb, c.Tense, plural, agree);
                            ObjectAndAdverb(b, ap);
                        }
                        break;
                }
                break;
            default: throw new ArgumentException($"unknown predicate {c.Predicate.GetType().Name}", nameof(c));
        }
    }

    private static Word Copula(Tense tense, bool plural) => tense == Tense.Present ? W(plural ? "are" : "is") : W(plural ? "were" : "was");

    private static void VerbForm(DocumentBuilder b, Verb verb, Tense tense, bool plural, ulong agree)
    {
        if (tense == Tense.Past) b.Word(verb.Past);
        else b.Word(plural ? verb.Base : verb.ThirdSingular, agree);
    }

    private static void ObjectAndAdverb(DocumentBuilder b, ActionPredicate ap)
    {
        NounPhrase(b, ap.Object);
        if (ap.Adverb is { } adv) b.Word(adv);
    }

    public static void Time(DocumentBuilder b, TimePhrase t)
    {
        using (b.Scope(CorpusLabel.TimePhrase)) Atoms(b, t.Atoms);
    }

    private static void Atoms(DocumentBuilder b, IReadOnlyList<Atom> atoms)
    {
        foreach (var a in atoms)
        {
            switch (a)
            {
                case WordAtom w: b.Word(w.Word); break;
                case NumberAtom n: b.Number(n.Value); break;
                case NpAtom n: NounPhrase(b, n.Np); break;
                case TimeAtom t: Time(b, t.Time); break;
                case AsideAtom s: AsideNode(b, s.Aside); break;
                default: throw new ArgumentException($"unknown atom {a.GetType().Name}", nameof(atoms));
            }
        }
    }

    public static void AsideNode(DocumentBuilder b, Aside a)
    {
        b.OpenBracket(a.Open);
        Atoms(b, a.Body);
        b.CloseBracket();
    }

    // ---- sentences -------------------------------------------------------------------------------------------------

    public static void Statement(DocumentBuilder b, Statement s)
    {
        b.BeginSentence(topLevel: true);
        if (s.Time is { } t && s.TimeFirst)
        {
            Time(b, t);
            b.Punct(",");
        }
        Clause(b, s.Clause);
        if (s.Second is { } second)
        {
            b.Punct(",");
            b.Word(s.Conjunction ?? W("and"));
            Clause(b, second);
        }
        if (s.Time is { } t2 && !s.TimeFirst) Time(b, t2);
        if (s.Place is { } place)
        {
            b.Word(place.Preposition);
            Common(b, place.Object);
        }
        if (s.Aside is { } aside) AsideNode(b, aside);
        b.EndSentence(".");
    }

    /// <summary>A top-level question: its pieces from the first word to '?' are labelled <c>question</c>.</summary>
    public static void Question(DocumentBuilder b, QuestionSentence q)
    {
        b.BeginSentence(topLevel: true);
        using (b.Scope(CorpusLabel.Question))
        {
            QuestionBody(b, q);
            b.EndSentence("?");
        }
    }

    private static void QuestionBody(DocumentBuilder b, QuestionSentence q)
    {
        var c = q.Clause;
        if (c.Polarity != Polarity.Affirmative) throw new ArgumentException("questions of this grammar are affirmative", nameof(q));
        if (q.Why) b.Word(W("why"));
        var agree = Agreement(c.Subject);
        switch (c.Predicate)
        {
            case CopulaPredicate cp:
                b.Word(Copula(c.Tense, c.Subject.Plural), agree);
                Subject(b, c.Subject);
                b.Word(cp.Adjective);
                break;
            case ActionPredicate ap:
                b.Word(c.Tense == Tense.Past ? W("did") : W(c.Subject.Plural ? "do" : "does"), c.Tense == Tense.Past ? 0 : agree);
                Subject(b, c.Subject);
                b.Word(ap.Verb.Base);
                ObjectAndAdverb(b, ap);
                break;
            default: throw new ArgumentException($"unknown predicate {c.Predicate.GetType().Name}", nameof(q));
        }
    }

    public static void Dialogue(DocumentBuilder b, Dialogue d)
    {
        var question = d.Quoted is QuestionSentence;
        if (d.Quoted is not (QuestionSentence or Statement { Time: null, Second: null, Place: null, Aside: null }))
            throw new ArgumentException("a quotation holds a plain clause (a statement without time, place or aside) or a question", nameof(d));
        b.BeginSentence(topLevel: true);
        if (d.SpeakerFirst)
        {
            b.Word(d.Speaker);
            b.Word(d.SayVerb.Past);
            b.Punct(",");
            b.OpenQuote();
            b.BeginSentence(topLevel: false);
            if (question)
                using (b.Scope(CorpusLabel.Question))
                {
                    QuestionBody(b, (QuestionSentence)d.Quoted);
                    b.EndSentence("?");
                }
            else
            {
                Clause(b, ((Statement)d.Quoted).Clause);
                b.EndSentence(d.Exclaim ? "!" : ".");
            }
            b.CloseQuote();
        }
        else
        {
            b.OpenQuote();
            b.BeginSentence(topLevel: false);
            if (question)
                using (b.Scope(CorpusLabel.Question))
                {
                    QuestionBody(b, (QuestionSentence)d.Quoted);
                    b.Punct("?");
                }
            else
            {
                Clause(b, ((Statement)d.Quoted).Clause);
                b.Punct(d.Exclaim ? "!" : ",");
            }
            b.CloseQuote();
            b.Word(d.SayVerb.Past);
            b.Word(d.Speaker);
            b.EndSentence(".");
        }
    }

    public static void List(DocumentBuilder b, ListSentence l)
    {
        if (l.Items.Count < 3) throw new ArgumentException("a list has at least three items", nameof(l));
        b.BeginSentence(topLevel: true);
        Subject(b, l.Subject);
        VerbForm(b, l.Verb, l.Tense, l.Subject.Plural, Agreement(l.Subject));
        using (b.Scope(CorpusLabel.InList))
        {
            for (var i = 0; i < l.Items.Count; i++)
            {
                if (i == l.Items.Count - 1) b.Word(W("and"));
                else if (i > 0) b.Punct(",");
                Common(b, l.Items[i]);
            }
        }
        b.EndSentence(".");
    }

    /// <summary>a (+|-) b = c with operand digits, operator, equals and result digits labelled.</summary>
    public static void EquationNode(DocumentBuilder b, Equation e)
    {
        if (e.Op is not ('+' or '-') || e.Left < 0 || e.Right < 0 || e.Result < 0)
            throw new ArgumentException($"equation {e.Left} {e.Op} {e.Right} is not a + b or a - b with non-negative numbers and result", nameof(e));
        b.Number(e.Left, L(CorpusLabel.ArithOperandDigit));
        b.Symbol(e.Op.ToString(), L(CorpusLabel.ArithOperator));
        b.Number(e.Right, L(CorpusLabel.ArithOperandDigit));
        b.Symbol("=", L(CorpusLabel.ArithEquals));
        b.Number(e.Result, L(CorpusLabel.ArithResultDigit));
    }

    public static void Arithmetic(DocumentBuilder b, ArithmeticSentence a)
    {
        if (a.Equations.Count == 0) throw new ArgumentException("an arithmetic sentence has at least one equation", nameof(a));
        b.BeginSentence(topLevel: true);
        Subject(b, a.Subject);
        switch (a.Intro)
        {
            case ArithIntro.Wrote: b.Word(FrameVerb("write").Past); break;
            case ArithIntro.CheckedTheSums:
                b.Word(CheckVerb.Past);
                b.Word(W("the"));
                b.Word(FrameNoun("sum").Plural);
                break;
            case ArithIntro.Added: b.Word(FrameVerb("add").Past); break;
        }
        b.Punct(":");
        for (var i = 0; i < a.Equations.Count; i++)
        {
            if (i > 0) b.Punct(",");
            EquationNode(b, a.Equations[i]);
        }
        b.EndSentence(".");
    }

    public static void WordProblem(DocumentBuilder b, WordProblem w)
    {
        if (w.Start < 2 || w.Change < 1 || (!w.Gain && w.Change > w.Start))
            throw new ArgumentException($"word problem {w.Start} {(w.Gain ? "+" : "-")} {w.Change} needs start >= 2, change >= 1 and no negative result", nameof(w));
        b.BeginSentence(topLevel: true);
        Subject(b, new NameNp(w.Name));
        b.Word(FrameVerb("have").Past);
        Common(b, new CommonNp(w.Noun, true, Quantity: new Quantity(w.Start, false)));
        b.Word(W("and"));
        if (w.Gain)
        {
            b.Word(FrameVerb("get").Past);
            b.Number(w.Change);
            b.Word(W("more"));
        }
        else
        {
            b.Word(FrameVerb("lose").Past);
            b.Number(w.Change);
        }
        b.Punct(",");
        b.Word(W("so"));
        EquationNode(b, new Equation(w.Start, w.Gain ? '+' : '-', w.Change));
        b.EndSentence(".");
    }

    public static void Counting(DocumentBuilder b, CountingSentence c)
    {
        if (c.Length < 3) throw new ArgumentException("a count has at least three numbers", nameof(c));
        var last = c.ValueAt(c.Length - 1);
        if (Math.Min(c.Start, last) < 0 || (c.Style == CountStyle.Words && Math.Max(c.Start, last) >= NumberWords.Count))
            throw new ArgumentException($"count {c.Start} .. {last} is out of range for style {c.Style}", nameof(c));
        b.BeginSentence(topLevel: true);
        Subject(b, c.Subject);
        b.Word(FrameVerb("count").Past);
        if (c.Down) b.Word(W("down"));
        if (c.Counted is { } counted) Common(b, counted);
        b.Punct(":");
        using (b.Scope(CorpusLabel.CountSequence))
        {
            for (var i = 0; i < c.Length; i++)
            {
                if (i > 0 && c.Style != CountStyle.DigitsSpaces) b.Punct(",");
                var extra = i > 0 ? L(CorpusLabel.CountContinuation) : 0;
                if (c.Style == CountStyle.Words) b.Word(NumberWords[c.ValueAt(i)], extra);
                else b.Number(c.ValueAt(i), extra);
            }
        }
        b.EndSentence(".");
    }

    /// <summary>The span itself: every piece labelled first or second occurrence; in a second occurrence every piece
    /// after the first is also <c>repeat_predictable</c>.</summary>
    public static void Span(DocumentBuilder b, RepeatedSpan span, bool second)
    {
        var start = b.Count;
        using (b.Scope(second ? CorpusLabel.RepeatSecondOccurrence : CorpusLabel.RepeatFirstOccurrence))
        {
            if (span.Digits is { } digits) b.Digits(digits);
            else foreach (var w in span.Words!) b.Word(w);
        }
        if (second)
            for (var i = start + 1; i < b.Count; i++) b.AddLabels(i, L(CorpusLabel.RepeatPredictable));
    }

    /// <summary>The frames of repeated spans:
    /// words, first:  Name "wrote down the words :" SPAN "."  |  "The sign said :" SPAN "."
    /// words, second: "Later ," Name "wrote the words again :" SPAN "."  |  Name "copied the sign :" SPAN "."  |  "The sign still said :" SPAN "."
    /// code, first:   "The code was" SPAN "."  |  Name "wrote the code" SPAN "on the" Thing "."
    /// code, second:  "Again , the code was" SPAN "."  |  Name "typed the code" SPAN "again ."</summary>
    public static void Repeat(DocumentBuilder b, RepeatSentence r)
    {
        var code = r.Span.IsCode;
        if (r.Frame < 0 || r.Frame >= RepeatSentence.FrameCount(code, r.Second))
            throw new ArgumentException($"frame {r.Frame} does not exist for a {(code ? "code" : "word")} span's {(r.Second ? "second" : "first")} occurrence", nameof(r));
        var the = W("the");
        b.BeginSentence(topLevel: true);
        switch (code, r.Second, r.Frame)
        {
            case (false, false, 0):
                Subject(b, new NameNp(r.Name));
                b.Word(FrameVerb("write").Past); b.Word(W("down")); b.Word(the); b.Word(FrameNoun("word").Plural); b.Punct(":");
                break;
            case (false, false, 1):
                Subject(b, new CommonNp(FrameNoun("sign"), false));
                b.Word(Say.Past); b.Punct(":");
                break;
            case (false, true, 0):
                b.Word(W("later")); b.Punct(",");
                Subject(b, new NameNp(r.Name));
                b.Word(FrameVerb("write").Past); b.Word(the); b.Word(FrameNoun("word").Plural); b.Word(W("again")); b.Punct(":");
                break;
            case (false, true, 1):
                Subject(b, new NameNp(r.Name));
                b.Word(FrameVerb("copy").Past); b.Word(the); b.Word(FrameNoun("sign").Singular); b.Punct(":");
                break;
            case (false, true, 2):
                Subject(b, new CommonNp(FrameNoun("sign"), false));
                b.Word(W("still")); b.Word(Say.Past); b.Punct(":");
                break;
            case (true, false, 0):
                Subject(b, new CommonNp(FrameNoun("code"), false));
                b.Word(W("was"), L(CorpusLabel.VerbAgreesSingular));
                break;
            case (true, false, 1):
                Subject(b, new NameNp(r.Name));
                b.Word(FrameVerb("write").Past); b.Word(the); b.Word(FrameNoun("code").Singular);
                break;
            case (true, true, 0):
                b.Word(W("again")); b.Punct(",");
                Subject(b, new CommonNp(FrameNoun("code"), false));
                b.Word(W("was"), L(CorpusLabel.VerbAgreesSingular));
                break;
            case (true, true, 1):
                Subject(b, new NameNp(r.Name));
                b.Word(FrameVerb("type").Past); b.Word(the); b.Word(FrameNoun("code").Singular);
                break;
        }
        Span(b, r.Span, r.Second);
        if (code && !r.Second && r.Frame == 1)
        {
            b.Word(W("on")); b.Word(the); b.Word(r.Thing.Singular);
        }
        if (code && r.Second && r.Frame == 1) b.Word(W("again"));
        b.EndSentence(".");
    }
}
