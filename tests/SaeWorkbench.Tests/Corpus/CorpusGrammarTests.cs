using SaeWorkbench.Corpus;
using static SaeWorkbench.Tests.Corpus.Lex;
using L = SaeWorkbench.Corpus.CorpusLabel;

namespace SaeWorkbench.Tests.Corpus;

/// <summary>
/// Hand-made sentences of the synthetic-corpus grammar: each is built from an explicit syntax tree, and its text and
/// labels are checked piece by piece against what the grammar (docs/synthetic-corpus.md) says they must be.
/// </summary>
public class CorpusGrammarTests
{
    private static readonly CommonNp TheChefWithTheKnives =
        new(Noun("chef"), false, Det.The, Attachment: new PrepPhrase(W("with"), new CommonNp(Noun("knife"), true)));

    [Fact]
    public void AgreementAcrossAnAttractorIsLabelledOnTheVerb()
    {
        var clause = new Clause(TheChefWithTheKnives, new ActionPredicate(Verb("chop"), new CommonNp(Noun("onion"), true)));
        var p = Render(Cooking, new Statement(clause));
        Assert.Equal("The chef with the knives chops the onions.", Text(p));
        Exact(p[0], "The", Mask(Cooking, L.WordThe, L.Determiner, L.CapitalizedWord, L.SentenceFirstWord, L.SubjectNp));
        Exact(p[1], " chef", Mask(Cooking, L.Noun, L.AnimateNoun, L.TopicWord, L.SubjectNp));
        Exact(p[2], " with", Mask(Cooking, L.Preposition, L.SubjectNp));
        Exact(p[3], " the", Mask(Cooking, L.WordThe, L.Determiner, L.SubjectNp));
        Exact(p[4], " knives", Mask(Cooking, L.Noun, L.PluralNoun, L.TopicWord, L.SubjectNp));
        Exact(p[5], " chops", Mask(Cooking, L.Verb, L.TopicWord, L.VerbAgreesSingular, L.AgreementAttractor));
        Exact(p[6], " the", Mask(Cooking, L.WordThe, L.Determiner));
        Exact(p[7], " onions", Mask(Cooking, L.Noun, L.PluralNoun, L.TopicWord, L.SentenceLastToken));
        Exact(p[8], ".", Mask(Cooking, L.Punctuation, L.SentenceEnd));
        Assert.Equal(9, p.Length);
    }

    [Fact]
    public void AnAttachedNounOfTheSameNumberIsNoAttractor()
    {
        var subject = new CommonNp(Noun("chef"), true, Det.The, Attachment: new PrepPhrase(W("with"), new CommonNp(Noun("knife"), true)));
        var p = Render(Cooking, new Statement(new Clause(subject, new ActionPredicate(Verb("chop"), new CommonNp(Noun("onion"), false, Det.A)))));
        Assert.Equal("The chefs with the knives chop an onion.", Text(p));
        Exact(p[5], " chop", Mask(Cooking, L.Verb, L.TopicWord, L.VerbAgreesPlural));
        Exact(p[6], " an", Mask(Cooking, L.Determiner));
    }

    [Fact]
    public void NegationAgreesOnTheAuxiliaryAndScopesThePredicate()
    {
        var subject = new CommonNp(Noun("baker"), true, Det.This);
        var present = new Clause(subject, new ActionPredicate(Verb("bake"), new CommonNp(Noun("cake"), false, Det.A), W("again")), Tense.Present, Polarity.Not);
        var past = new Clause(new NameNp(Name("Maria")), new ActionPredicate(Verb("fry"), new PronounNp(W("them"), true)), Tense.Past, Polarity.Never);
        var p = Render(Cooking, new Statement(present), new Statement(past));
        Assert.Equal("These bakers do not bake a cake again. Maria never fried them.", Text(p));
        Exact(p[2], " do", Mask(Cooking, L.Verb, L.VerbAgreesPlural));
        Assert.Equal("not bake a cake again never fried them", With(p, L.NegationScope));
        Exact(p[10], " never", Mask(Cooking, L.Adverb, L.NegationScope));
        Exact(p[11], " fried", Mask(Cooking, L.Verb, L.PastTenseVerb, L.TopicWord, L.NegationScope)); // past: no agreement
        Exact(p[12], " them", Mask(Cooking, L.Pronoun, L.NegationScope, L.SentenceLastToken));
    }

    [Fact]
    public void CopulasAgreeInBothTenses()
    {
        var p = Render(Cooking,
            new Statement(new Clause(new CommonNp(Noun("pie"), true), new CopulaPredicate(Adjective("crispy")), Tense.Past)),
            new QuestionSentence(new Clause(new PronounNp(W("she"), false), new CopulaPredicate(Adjective("lovely")))));
        Assert.Equal("The pies were crispy. Is she lovely?", Text(p));
        Exact(p[2], " were", Mask(Cooking, L.Verb, L.PastTenseVerb, L.VerbAgreesPlural));
        Exact(p[5], " Is", Mask(Cooking, L.Verb, L.VerbAgreesSingular, L.CapitalizedWord, L.SentenceFirstWord, L.Question));
        Exact(p[6], " she", Mask(Cooking, L.Pronoun, L.SubjectNp, L.Question));
        Exact(p[7], " lovely", Mask(Cooking, L.Adjective, L.SentimentPositive, L.SentenceLastToken, L.Question));
        Exact(p[8], "?", Mask(Cooking, L.Punctuation, L.SentenceEnd, L.Question));
    }

    [Fact]
    public void SpeakerFirstDialogueQuotesAQuestion()
    {
        var q = new QuestionSentence(new Clause(new CommonNp(Noun("waiter"), false), new ActionPredicate(Verb("serve"), new CommonNp(Noun("soup"), false))), Why: true);
        var p = Render(Cooking, new Dialogue(Name("Maria"), CorpusLexicon.Ask, q, SpeakerFirst: true));
        Assert.Equal("Maria asked, \"Why does the waiter serve the soup?\"", Text(p));
        Exact(p[0], "Maria", Mask(Cooking, L.ProperName, L.CapitalizedWord, L.SentenceFirstWord));
        Exact(p[3], " \"", Mask(Cooking, L.Punctuation, L.QuoteMark));
        Exact(p[4], "Why", Mask(Cooking, L.Adverb, L.CapitalizedWord, L.InsideQuotes, L.Question));
        Exact(p[5], " does", Mask(Cooking, L.Verb, L.VerbAgreesSingular, L.InsideQuotes, L.Question));
        Exact(p[9], " the", Mask(Cooking, L.WordThe, L.Determiner, L.InsideQuotes, L.Question));
        Exact(p[10], " soup", Mask(Cooking, L.Noun, L.TopicWord, L.InsideQuotes, L.Question, L.SentenceLastToken));
        Exact(p[11], "?", Mask(Cooking, L.Punctuation, L.InsideQuotes, L.Question, L.SentenceEnd));
        Exact(p[12], "\"", Mask(Cooking, L.Punctuation, L.QuoteMark));
    }

    [Fact]
    public void QuoteFirstDialogueStartsTheSentenceInsideTheQuotes()
    {
        var quoted = new Statement(new Clause(new PronounNp(W("we"), true), new ActionPredicate(Verb("bake"), new CommonNp(Noun("loaf"), true))));
        var p = Render(Cooking, new Dialogue(Name("Omar"), Verb("whisper"), quoted, SpeakerFirst: false));
        Assert.Equal("\"We bake the loaves,\" whispered Omar.", Text(p));
        Exact(p[0], "\"", Mask(Cooking, L.Punctuation, L.QuoteMark));
        Exact(p[1], "We", Mask(Cooking, L.Pronoun, L.CapitalizedWord, L.SentenceFirstWord, L.SubjectNp, L.InsideQuotes));
        Exact(p[2], " bake", Mask(Cooking, L.Verb, L.TopicWord, L.VerbAgreesPlural, L.InsideQuotes));
        Exact(p[5], ",", Mask(Cooking, L.Punctuation, L.Comma, L.InsideQuotes));
        Exact(p[8], " Omar", Mask(Cooking, L.ProperName, L.CapitalizedWord, L.SentenceLastToken));
        Exact(p[9], ".", Mask(Cooking, L.Punctuation, L.SentenceEnd));
    }

    [Fact]
    public void NestedAsidesCarryDepthAndBracketKind()
    {
        var inner = new Aside('[', new Atom[] { new TimeAtom(new TimePhrase(new Atom[] { new WordAtom(W("in")), new NumberAtom(1987) })) });
        var outer = new Aside('(', new Atom[] { new WordAtom(Verb("see").Base), new NpAtom(new CommonNp(Noun("oven"), false)), new AsideAtom(inner) });
        var clause = new Clause(new NameNp(Name("Anna")), new ActionPredicate(Verb("clean"), new CommonNp(Noun("pan"), false)), Tense.Past);
        var p = Render(Cooking, new Statement(clause, Aside: outer));
        Assert.Equal("Anna cleaned the pan (see the oven [in 1987]).", Text(p));
        var depth1 = Mask(Cooking, L.InsideParens, L.BracketDepthGe1);
        var depth2 = depth1 | L.InsideSquareBrackets.Bit | L.BracketDepthGe2.Bit | L.TimePhrase.Bit;
        Exact(p[4], " (", Mask(Cooking, L.Punctuation, L.BracketMark));
        Exact(p[5], "see", depth1 | L.Verb.Bit);
        Exact(p[7], " oven", depth1 | L.Noun.Bit | L.TopicWord.Bit);
        Exact(p[8], " [", depth1 | L.Punctuation.Bit | L.BracketMark.Bit);
        Exact(p[9], "in", depth2 | L.Preposition.Bit);
        foreach (var (i, d) in new[] { (10, "1"), (11, "9"), (12, "8"), (13, "7") })
            Exact(p[i], i == 10 ? " 1" : d, depth2 | L.Digit.Bit | L.MultiDigitNumber.Bit);
        Exact(p[14], "]", depth1 | L.Punctuation.Bit | L.BracketMark.Bit);
        Exact(p[15], ")", Mask(Cooking, L.Punctuation, L.BracketMark, L.SentenceLastToken));
    }

    [Fact]
    public void EquationsLabelOperandsOperatorEqualsAndCorrectResults()
    {
        var a = new ArithmeticSentence(new NameNp(Name("Tom")), ArithIntro.Wrote, new[] { new Equation(7, '+', 5), new Equation(12, '-', 9) });
        var p = Render(Cooking, a);
        Assert.Equal("Tom wrote: 7 + 5 = 12, 12 - 9 = 3.", Text(p));
        Assert.Equal("7 5 1 2 9", With(p, L.ArithOperandDigit));
        Assert.Equal("+ -", With(p, L.ArithOperator));
        Assert.Equal("= =", With(p, L.ArithEquals));
        Assert.Equal("1 2 3", With(p, L.ArithResultDigit));
        Exact(p[7], " 1", Mask(Cooking, L.Digit, L.MultiDigitNumber, L.ArithResultDigit));
        Exact(p[8], "2", Mask(Cooking, L.Digit, L.MultiDigitNumber, L.ArithResultDigit));
        Exact(p[5], " 5", Mask(Cooking, L.Digit, L.ArithOperandDigit));
        Assert.Throws<ArgumentException>(() => Render(Cooking, new ArithmeticSentence(new NameNp(Name("Tom")), ArithIntro.Added, new[] { new Equation(3, '-', 5) })));
    }

    [Fact]
    public void WordProblemsCountTheNounAndComputeTheResult()
    {
        var p = Render(Cooking, new WordProblem(Name("Lucy"), Noun("egg"), 12, 5, Gain: false), new WordProblem(Name("Lucy"), Noun("egg"), 2, 9, Gain: true));
        Assert.Equal("Lucy had 12 eggs and lost 5, so 12 - 5 = 7. Lucy had 2 eggs and got 9 more, so 2 + 9 = 11.", Text(p));
        Assert.Equal("1 2 2", With(p, L.QuantityNumber));
        Assert.Equal("7 1 1", With(p, L.ArithResultDigit));
        Assert.Equal("Lucy", With(p, L.NameSeenBefore));
    }

    [Fact]
    public void CountingLabelsTheSequenceAndItsContinuation()
    {
        var up = new CountingSentence(new NameNp(Name("Ravi")), new CommonNp(Noun("spoon"), true), 8, 4, Down: false, CountStyle.DigitsSpaces);
        var down = new CountingSentence(new PronounNp(W("they"), true), null, 3, 3, Down: true, CountStyle.Words);
        var p = Render(Cooking, up, down);
        Assert.Equal("Ravi counted the spoons: 8 9 10 11. They counted down: three, two, one.", Text(p));
        Assert.Equal("8 9 1 0 1 1 three , two , one", With(p, L.CountSequence));
        Assert.Equal("9 1 0 1 1 two one", With(p, L.CountContinuation));
        Assert.Equal("1 0 1 1", With(p, L.MultiDigitNumber));
        Assert.Equal("three two one", With(p, L.NumberWord));
        Assert.Throws<ArgumentException>(() => Render(Cooking, new CountingSentence(new NameNp(Name("Ravi")), null, 19, 4, false, CountStyle.Words)));
    }

    [Fact]
    public void ListsSpanTheirItems()
    {
        var items = new[]
        {
            new CommonNp(Noun("knife"), false, Det.A), new CommonNp(Noun("pot"), true, Det.Some),
            new CommonNp(Noun("ladle"), false, Det.The, Adjective("old")),
        };
        var p = Render(Cooking, new ListSentence(new NameNp(Name("Nina")), Verb("wash"), Tense.Present, items));
        Assert.Equal("Nina washes a knife, some pots and the old ladle.", Text(p));
        Assert.Equal("a knife , some pots and the old ladle", With(p, L.InList));
        Exact(p[1], " washes", Mask(Cooking, L.Verb, L.VerbAgreesSingular));
    }

    [Fact]
    public void QuantitiesAgreeWithTheirNoun()
    {
        var clause = new Clause(new NameNp(Name("Hugo")), new ActionPredicate(Verb("peel"), new CommonNp(Noun("potato"), false, Quantity: new Quantity(1, InWords: true))), Tense.Past);
        var clause2 = new Clause(new NameNp(Name("Hugo")), new ActionPredicate(Verb("peel"), new CommonNp(Noun("potato"), true, Quantity: new Quantity(14, InWords: false))), Tense.Past);
        var p = Render(Cooking, new Statement(clause), new Statement(clause2));
        Assert.Equal("Hugo peeled one potato. Hugo peeled 14 potatoes.", Text(p));
        Assert.Equal("one 1 4", With(p, L.QuantityNumber));
        var bad = new Clause(new NameNp(Name("Hugo")), new ActionPredicate(Verb("peel"), new CommonNp(Noun("potato"), false, Quantity: new Quantity(3, false))));
        Assert.Throws<ArgumentException>(() => Render(Cooking, new Statement(bad)));
        Assert.Throws<ArgumentException>(() => CorpusGrammar.Determiner(Det.A, plural: true, "cakes"));
        Assert.Throws<ArgumentException>(() => CorpusGrammar.Determiner(Det.Many, plural: false, "cake"));
    }

    [Fact]
    public void TimePhrasesCoordinationAndPlacesInOneStatement()
    {
        var time = new TimePhrase(new Atom[] { new WordAtom(W("on")), new WordAtom(CorpusLexicon.Weekdays[0]) });
        var c1 = new Clause(new NameNp(Name("Sofia")), new CopulaPredicate(Adjective("angry")));
        var c2 = new Clause(new CommonNp(Noun("diner"), true), new CopulaPredicate(Adjective("calm")), Tense.Present, Polarity.Not);
        var place = new PrepPhrase(W("in"), new CommonNp(Noun("kitchen"), false));
        var p = Render(Cooking, new Statement(c1, time, TimeFirst: true, W("but"), c2, place));
        Assert.Equal("On Monday, Sofia is angry, but the diners are not calm in the kitchen.", Text(p));
        Exact(p[0], "On", Mask(Cooking, L.Preposition, L.CapitalizedWord, L.SentenceFirstWord, L.TimePhrase));
        Exact(p[1], " Monday", Mask(Cooking, L.Noun, L.CapitalizedWord, L.TimePhrase));
        Exact(p[3], " Sofia", Mask(Cooking, L.ProperName, L.CapitalizedWord, L.SubjectNp));
        Exact(p[5], " angry", Mask(Cooking, L.Adjective, L.SentimentNegative));
        Assert.Equal("Sofia the diners", With(p, L.SubjectNp));
        Assert.Equal("is are", With(p, L.VerbAgreesSingular) + " " + With(p, L.VerbAgreesPlural));
        Assert.Equal("not calm", With(p, L.NegationScope));
        Exact(p[15], " kitchen", Mask(Cooking, L.Noun, L.TopicWord, L.SentenceLastToken));
    }

    [Fact]
    public void RepeatedSpansMarkBothOccurrencesAndTheInductionTargets()
    {
        var span = new RepeatedSpan(new[] { Noun("rocket").Singular, Adjective("sad"), Verb("chop").Past }, null);
        var code = new RepeatedSpan(null, "0417");
        var thing = Noun("box");
        var p = Render(Cooking,
            new RepeatSentence(span, false, 0, Name("Ada"), thing),
            new RepeatSentence(code, false, 1, Name("Ada"), thing),
            null,
            new RepeatSentence(span, true, 0, Name("Ben"), thing),
            new RepeatSentence(code, true, 1, Name("Ada"), thing));
        Assert.Equal("Ada wrote down the words: rocket sad chopped. Ada wrote the code 0417 on the box.\n\n" +
                     "Later, Ben wrote the words again: rocket sad chopped. Ada typed the code 0417 again.", Text(p));
        Assert.Equal("rocket sad chopped 0 4 1 7", With(p, L.RepeatFirstOccurrence));
        Assert.Equal("rocket sad chopped 0 4 1 7", With(p, L.RepeatSecondOccurrence));
        Assert.Equal("sad chopped 4 1 7", With(p, L.RepeatPredictable));
        var rocket = p.Single(x => x.Text == " rocket" && x.Has(L.RepeatFirstOccurrence));
        Exact(rocket, " rocket", Mask(Cooking, L.Noun, L.RepeatFirstOccurrence)); // a space word in a cooking document: no topic_word
        var chopped = p.Single(x => x.Text == " chopped" && x.Has(L.RepeatSecondOccurrence));
        Exact(chopped, " chopped", Mask(Cooking, L.Verb, L.PastTenseVerb, L.TopicWord, L.RepeatSecondOccurrence, L.RepeatPredictable,
            L.ContentWordSeenBefore, L.SentenceLastToken));
        Assert.Equal("Ada Ada", With(p, L.NameSeenBefore)); // Ben is new
        Assert.Equal("\n\n", p.Single(x => x.Text.Contains('\n')).Text);
        Exact(p.Single(x => x.Text == "Later"), "Later", Mask(Cooking, L.Adverb, L.CapitalizedWord, L.SentenceFirstWord));
    }

    [Fact]
    public void ContentWordsSeenBeforeIgnoreCaseAndFunctionWords()
    {
        var c = new Clause(new CommonNp(Noun("chef"), false), new ActionPredicate(Verb("boil"), new CommonNp(Noun("egg"), false, Det.A)));
        var p = Render(Cooking, new Statement(c), new Statement(c with { Tense = Tense.Past }));
        Assert.Equal("The chef boils an egg. The chef boiled an egg.", Text(p));
        Assert.Equal("chef egg", With(p, L.ContentWordSeenBefore)); // boiled is another form; the, an are function words
    }

    [Fact]
    public void TheBuilderRejectsUnbalancedStructure()
    {
        var b = new DocumentBuilder(Cooking);
        b.OpenBracket('(');
        b.Word(W("the"));
        Assert.Throws<InvalidOperationException>(() => b.Finish());
        Assert.Throws<ArgumentException>(() => b.OpenBracket('{'));
        var q = new DocumentBuilder(Cooking);
        q.OpenQuote();
        Assert.Throws<InvalidOperationException>(() => q.OpenQuote());
        Assert.Throws<ArgumentException>(() => q.EndSentence(","));
    }
}
