namespace SaeWorkbench.Corpus;

/// <summary>The five families of ground-truth labels of the synthetic corpus (docs/synthetic-corpus.md).</summary>
public enum LabelCategory
{
    /// <summary>A property of the word itself: its identity or word class.</summary>
    Lexical,

    /// <summary>A property of the token's place in the syntax: quotes, brackets, sentence position, agreement.</summary>
    Syntactic,

    /// <summary>A property of meaning: the document topic, topic vocabulary, sentiment, time expressions.</summary>
    Semantic,

    /// <summary>Digits, arithmetic with correct results, quantities, counting.</summary>
    Numeric,

    /// <summary>A property that depends on what came earlier in the same document: repeated spans, repeated names and words.</summary>
    InContext,
}

/// <summary>
/// One binary token-level label of <see cref="SyntheticCorpus"/>: the ground truth of the probe tasks (Gao et al. 2024, §4.2,
/// probe loss: a 1-D logistic regression on a single latent per binary task) and the facts that N2G explanations
/// (Gao et al. 2024, §4.3) can be checked against. Every token carries a set of labels as a 64-bit mask, bit <see cref="Index"/>
/// standing for this label (<see cref="Bit"/>); the registry <see cref="All"/> is stable: an index never changes meaning.
/// Definitions, with the grammar that produces them, are in docs/synthetic-corpus.md.
/// </summary>
public sealed record CorpusLabel
{
    private CorpusLabel(int index, string name, LabelCategory category, string description)
    {
        Index = index;
        Name = name;
        Category = category;
        Description = description;
    }

    /// <summary>Position in <see cref="All"/> and bit position in a label mask, in [0, 64).</summary>
    public int Index { get; }

    /// <summary>snake_case name, e.g. <c>inside_quotes</c>.</summary>
    public string Name { get; }

    /// <summary>The family the label belongs to.</summary>
    public LabelCategory Category { get; }

    /// <summary>One-line definition.</summary>
    public string Description { get; }

    /// <summary>The label's bit in a token's label mask: <c>1UL &lt;&lt; Index</c>.</summary>
    public ulong Bit => 1UL << Index;

    /// <summary>Whether <paramref name="mask"/> has this label.</summary>
    public bool In(ulong mask) => (mask & Bit) != 0;

    public override string ToString() => Name;

    private static readonly List<CorpusLabel> Registry = new();

    private static CorpusLabel Define(string name, LabelCategory category, string description)
    {
        var label = new CorpusLabel(Registry.Count, name, category, description);
        Registry.Add(label);
        return label;
    }

    // ---- lexical -------------------------------------------------------------------------------------------------
    public static readonly CorpusLabel WordThe = Define("word_the", LabelCategory.Lexical, "the word 'the', in any capitalisation");
    public static readonly CorpusLabel Determiner = Define("determiner", LabelCategory.Lexical, "a determiner: a, an, the, this, that, these, those, some, every, each, many");
    public static readonly CorpusLabel Noun = Define("noun", LabelCategory.Lexical, "a common noun, singular or plural");
    public static readonly CorpusLabel PluralNoun = Define("plural_noun", LabelCategory.Lexical, "the plural form of a common noun");
    public static readonly CorpusLabel Verb = Define("verb", LabelCategory.Lexical, "a verb in any form, auxiliaries (do, does, did) and copulas (is, are, was, were) included");
    public static readonly CorpusLabel PastTenseVerb = Define("past_tense_verb", LabelCategory.Lexical, "a past-tense verb form (chopped, said, did, was, were)");
    public static readonly CorpusLabel Adjective = Define("adjective", LabelCategory.Lexical, "an adjective");
    public static readonly CorpusLabel Adverb = Define("adverb", LabelCategory.Lexical, "an adverb, 'not' and 'never' included");
    public static readonly CorpusLabel Preposition = Define("preposition", LabelCategory.Lexical, "a preposition (in, on, with, near, of, ...)");
    public static readonly CorpusLabel Pronoun = Define("pronoun", LabelCategory.Lexical, "a personal pronoun (he, she, they, we, him, her, them, us, it)");
    public static readonly CorpusLabel Conjunction = Define("conjunction", LabelCategory.Lexical, "a coordinating conjunction: and, but, or, so");
    public static readonly CorpusLabel ProperName = Define("proper_name", LabelCategory.Lexical, "a person's first name");
    public static readonly CorpusLabel CapitalizedWord = Define("capitalized_word", LabelCategory.Lexical, "a word whose first letter is upper case");
    public static readonly CorpusLabel Punctuation = Define("punctuation", LabelCategory.Lexical, "a punctuation mark: . , ? ! : quote marks and brackets");
    public static readonly CorpusLabel Comma = Define("comma", LabelCategory.Lexical, "a comma");

    // ---- syntactic -----------------------------------------------------------------------------------------------
    public static readonly CorpusLabel InsideQuotes = Define("inside_quotes", LabelCategory.Syntactic, "strictly between an opening quote mark and its closing quote mark");
    public static readonly CorpusLabel QuoteMark = Define("quote_mark", LabelCategory.Syntactic, "an opening or closing quote mark");
    public static readonly CorpusLabel InsideParens = Define("inside_parens", LabelCategory.Syntactic, "inside at least one unclosed round bracket '('");
    public static readonly CorpusLabel InsideSquareBrackets = Define("inside_square_brackets", LabelCategory.Syntactic, "inside at least one unclosed square bracket '['");
    public static readonly CorpusLabel BracketDepthGe1 = Define("bracket_depth_ge1", LabelCategory.Syntactic, "enclosed by at least one unclosed bracket of either kind");
    public static readonly CorpusLabel BracketDepthGe2 = Define("bracket_depth_ge2", LabelCategory.Syntactic, "enclosed by at least two unclosed brackets (a nested aside)");
    public static readonly CorpusLabel BracketMark = Define("bracket_mark", LabelCategory.Syntactic, "a bracket: ( ) [ ]");
    public static readonly CorpusLabel SentenceFirstWord = Define("sentence_first_word", LabelCategory.Syntactic, "the first word of a top-level sentence");
    public static readonly CorpusLabel SentenceLastToken = Define("sentence_last_token", LabelCategory.Syntactic, "the last piece before a sentence's final . ? or !");
    public static readonly CorpusLabel SentenceEnd = Define("sentence_end", LabelCategory.Syntactic, "the . ? or ! that ends a sentence");
    public static readonly CorpusLabel Question = Define("question", LabelCategory.Syntactic, "a question, from its first word to its '?'");
    public static readonly CorpusLabel SubjectNp = Define("subject_np", LabelCategory.Syntactic, "the subject noun phrase of a clause, with its attached prepositional phrase");
    public static readonly CorpusLabel VerbAgreesSingular = Define("verb_agrees_singular", LabelCategory.Syntactic, "a verb form marked singular that agrees with a singular subject (chops, does, is, was)");
    public static readonly CorpusLabel VerbAgreesPlural = Define("verb_agrees_plural", LabelCategory.Syntactic, "a verb form marked plural that agrees with a plural subject (chop, do, are, were)");
    public static readonly CorpusLabel AgreementAttractor = Define("agreement_attractor", LabelCategory.Syntactic, "an agreeing verb whose subject holds a prepositional-phrase noun of the other number");
    public static readonly CorpusLabel InList = Define("in_list", LabelCategory.Syntactic, "a coordinated list of three to five noun phrases, first item to last");
    public static readonly CorpusLabel NegationScope = Define("negation_scope", LabelCategory.Syntactic, "'not' or 'never' and the rest of its predicate");

    // ---- semantic ------------------------------------------------------------------------------------------------
    public static readonly CorpusLabel TopicCooking = Define("topic_cooking", LabelCategory.Semantic, "every token of a document about cooking");
    public static readonly CorpusLabel TopicSports = Define("topic_sports", LabelCategory.Semantic, "every token of a document about sports");
    public static readonly CorpusLabel TopicSpace = Define("topic_space", LabelCategory.Semantic, "every token of a document about space flight");
    public static readonly CorpusLabel TopicMedicine = Define("topic_medicine", LabelCategory.Semantic, "every token of a document about medicine");
    public static readonly CorpusLabel TopicMusic = Define("topic_music", LabelCategory.Semantic, "every token of a document about music");
    public static readonly CorpusLabel TopicLaw = Define("topic_law", LabelCategory.Semantic, "every token of a document about law");
    public static readonly CorpusLabel TopicComputing = Define("topic_computing", LabelCategory.Semantic, "every token of a document about computing");
    public static readonly CorpusLabel TopicFarming = Define("topic_farming", LabelCategory.Semantic, "every token of a document about farming");
    public static readonly CorpusLabel TopicSailing = Define("topic_sailing", LabelCategory.Semantic, "every token of a document about sailing and the sea");
    public static readonly CorpusLabel TopicBuilding = Define("topic_building", LabelCategory.Semantic, "every token of a document about building and construction");
    public static readonly CorpusLabel TopicWord = Define("topic_word", LabelCategory.Semantic, "a word from the vocabulary of the document's own topic");
    public static readonly CorpusLabel AnimateNoun = Define("animate_noun", LabelCategory.Semantic, "a noun naming a person or an animal");
    public static readonly CorpusLabel SentimentPositive = Define("sentiment_positive", LabelCategory.Semantic, "a word with positive sentiment (lovely, praise)");
    public static readonly CorpusLabel SentimentNegative = Define("sentiment_negative", LabelCategory.Semantic, "a word with negative sentiment (awful, blame)");
    public static readonly CorpusLabel TimePhrase = Define("time_phrase", LabelCategory.Semantic, "a time expression (on Monday, in the morning, in 1987, last week)");

    // ---- numeric -------------------------------------------------------------------------------------------------
    public static readonly CorpusLabel Digit = Define("digit", LabelCategory.Numeric, "a digit 0-9 (every number is written one digit per piece)");
    public static readonly CorpusLabel MultiDigitNumber = Define("multi_digit_number", LabelCategory.Numeric, "a digit of a number with two or more digits");
    public static readonly CorpusLabel NumberWord = Define("number_word", LabelCategory.Numeric, "a number written as a word (one ... twenty)");
    public static readonly CorpusLabel QuantityNumber = Define("quantity_number", LabelCategory.Numeric, "a number (digits or word) that counts the noun after it (3 onions)");
    public static readonly CorpusLabel ArithOperandDigit = Define("arith_operand_digit", LabelCategory.Numeric, "a digit of an operand of an equation a + b = c or a - b = c");
    public static readonly CorpusLabel ArithOperator = Define("arith_operator", LabelCategory.Numeric, "the + or - of an equation");
    public static readonly CorpusLabel ArithEquals = Define("arith_equals", LabelCategory.Numeric, "the = of an equation");
    public static readonly CorpusLabel ArithResultDigit = Define("arith_result_digit", LabelCategory.Numeric, "a digit of the (correct) result of an equation");
    public static readonly CorpusLabel CountSequence = Define("count_sequence", LabelCategory.Numeric, "a counting sequence (one, two, three / 3 4 5 6), first element to last");
    public static readonly CorpusLabel CountContinuation = Define("count_continuation", LabelCategory.Numeric, "a number of a counting sequence after its first element (predictable from the count)");

    // ---- in-context ----------------------------------------------------------------------------------------------
    public static readonly CorpusLabel RepeatFirstOccurrence = Define("repeat_first_occurrence", LabelCategory.InContext, "the first occurrence of a random span that the document repeats later");
    public static readonly CorpusLabel RepeatSecondOccurrence = Define("repeat_second_occurrence", LabelCategory.InContext, "the second occurrence of a repeated random span");
    public static readonly CorpusLabel RepeatPredictable = Define("repeat_predictable", LabelCategory.InContext, "a piece of a second occurrence after its first piece (predictable by induction)");
    public static readonly CorpusLabel NameSeenBefore = Define("name_seen_before", LabelCategory.InContext, "a name already mentioned earlier in the document");
    public static readonly CorpusLabel ContentWordSeenBefore = Define("content_word_seen_before", LabelCategory.InContext, "a noun, verb or adjective whose word (any case) appeared earlier in the document as one");

    /// <summary>Every label, in index order (<c>All[i].Index == i</c>).</summary>
    public static IReadOnlyList<CorpusLabel> All { get; } = Registry.AsReadOnly();

    /// <summary>The ten topic labels, in the order of the topic vocabularies (topic t has label <c>Topics[t]</c>).</summary>
    public static IReadOnlyList<CorpusLabel> Topics { get; } = new[]
    {
        TopicCooking, TopicSports, TopicSpace, TopicMedicine, TopicMusic, TopicLaw, TopicComputing, TopicFarming, TopicSailing, TopicBuilding,
    };

    /// <summary>The label called <paramref name="name"/>; throws naming the known labels when there is none.</summary>
    public static CorpusLabel ByName(string name) =>
        Registry.Find(l => l.Name == name)
        ?? throw new ArgumentException($"no corpus label is called '{name}'; known labels: {string.Join(", ", Registry.Select(l => l.Name))}", nameof(name));

    /// <summary>The labels set in <paramref name="mask"/>, in index order.</summary>
    public static IEnumerable<CorpusLabel> InMask(ulong mask)
    {
        for (var i = 0; i < Registry.Count; i++)
            if ((mask & (1UL << i)) != 0) yield return Registry[i];
    }

    /// <summary>The mask of a set of labels.</summary>
    public static ulong Mask(params CorpusLabel[] labels)
    {
        ulong m = 0;
        foreach (var l in labels) m |= l.Bit;
        return m;
    }
}
