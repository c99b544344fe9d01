using SaeWorkbench.Corpus;
using System.Text.RegularExpressions;
using L = SaeWorkbench.Corpus.CorpusLabel;

namespace SaeWorkbench.Tests.Corpus;

/// <summary>The label registry and the lexicon: stable indices, enough labels of every family, topic vocabularies that
/// do not overlap, one word class per surface form, and the English spelling rules of the inflected forms.</summary>
public class CorpusLexiconTests(ITestOutputHelper output)
{
    [Fact]
    public void TheRegistryHasStableIndicesAndEnoughLabelsOfEveryFamily()
    {
        Assert.InRange(L.All.Count, 40, 64);
        for (var i = 0; i < L.All.Count; i++)
        {
            var l = L.All[i];
            Assert.Equal(i, l.Index);
            Assert.Equal(1UL << i, l.Bit);
            Assert.Matches(new Regex("^[a-z][a-z0-9_]*$"), l.Name);
            Assert.False(string.IsNullOrWhiteSpace(l.Description));
            Assert.Same(l, L.ByName(l.Name));
        }
        Assert.Equal(L.All.Count, L.All.Select(l => l.Name).Distinct().Count());
        foreach (var c in Enum.GetValues<LabelCategory>())
            Assert.True(L.All.Count(l => l.Category == c) >= 5, $"category {c} has fewer than 5 labels");
        Assert.True(L.Topics.Count >= 8);
        Assert.All(L.Topics, t => Assert.Equal(LabelCategory.Semantic, t.Category));
        Assert.Equal(L.Topics.Count, SyntheticCorpus.TopicNames.Count);
        for (var t = 0; t < L.Topics.Count; t++) Assert.Equal("topic_" + SyntheticCorpus.TopicNames[t], L.Topics[t].Name);
        var ex = Assert.Throws<ArgumentException>(() => L.ByName("inside_braces"));
        Assert.Contains("inside_quotes", ex.Message);
        Assert.Equal(L.InsideQuotes.Bit | L.Digit.Bit, L.Mask(L.InsideQuotes, L.Digit));
        Assert.Equal(new[] { L.InsideQuotes, L.Digit }, L.InMask(L.Mask(L.Digit, L.InsideQuotes)));
    }

    private static readonly ulong WordLabels = L.Mask(L.WordThe, L.Determiner, L.Noun, L.PluralNoun, L.Verb, L.PastTenseVerb, L.Adjective,
        L.Adverb, L.Preposition, L.Pronoun, L.Conjunction, L.ProperName, L.AnimateNoun, L.SentimentPositive, L.SentimentNegative, L.NumberWord);

    [Fact]
    public void EverySurfaceFormHasOneTopicAndOneWordClass()
    {
        var all = CorpusLexicon.AllWords().ToList();
        foreach (var g in all.GroupBy(w => w.Text))
        {
            var topics = g.Select(w => w.Topic).Distinct().ToList();
            Assert.True(topics.Count == 1, $"'{g.Key}' belongs to topics {string.Join(", ", topics)}");
            var classes = g.Select(w => w.Labels & WordLabels).Distinct().ToList();
            Assert.True(classes.Count == 1, $"'{g.Key}' has different labels: {string.Join(" / ", classes.Select(c => string.Join(' ', L.InMask(c))))}");
            Assert.True(g.Select(w => w.IsContent).Distinct().Count() == 1, $"'{g.Key}' is both a content and a function word");
            Assert.True((g.First().Labels & WordLabels) != 0 && (g.First().Labels & ~WordLabels) == 0, $"'{g.Key}' has no word class or a non-word label");
        }
        // Case-insensitively too, so that a capitalised sentence start is not another word's form.
        foreach (var g in all.GroupBy(w => w.Text.ToLowerInvariant()))
            Assert.True(g.Select(w => w.Text).Distinct().Count() == 1, $"'{g.Key}' is written in two capitalisations");
        var distinct = all.Select(w => w.Text).Distinct().Count();
        output.WriteLine($"{distinct} distinct word forms; {CorpusLexicon.SpanPool.Count} in the repeated-span pool");
        Assert.InRange(distinct, 1500, 3000);
    }

    [Fact]
    public void EveryTopicHasItsOwnSizeableVocabulary()
    {
        Assert.Equal(L.Topics.Count, CorpusLexicon.Topics.Count);
        foreach (var t in CorpusLexicon.Topics)
        {
            Assert.Same(L.Topics[t.Index], t.Label);
            var lemmas = t.Agents.Count + t.Objects.Count + t.Places.Count + t.Verbs.Count + t.Adjectives.Count;
            output.WriteLine($"{t.Name,-10} {t.Agents.Count} agents, {t.Objects.Count} things, {t.Places.Count} places, {t.Verbs.Count} verbs, {t.Adjectives.Count} adjectives = {lemmas}");
            Assert.InRange(lemmas, 55, 90);
            Assert.True(t.Agents.Count >= 6 && t.Objects.Count >= 25 && t.Places.Count >= 4 && t.Verbs.Count >= 12 && t.Adjectives.Count >= 9, $"topic {t.Name} is too small");
            Assert.All(t.Agents, n => Assert.True(n.Animate));
            Assert.All(t.Agents.Concat(t.Objects).Concat(t.Places), n => Assert.Equal(t.Index, n.Singular.Topic));
        }
    }

    [Theory]
    [InlineData("box", "boxes")]
    [InlineData("match", "matches")]
    [InlineData("galaxy", "galaxies")]
    [InlineData("key", "keys")]
    [InlineData("piano", "pianos")]
    [InlineData("virus", "viruses")]
    public void RegularPlurals(string singular, string plural) => Assert.Equal(plural, CorpusLexicon.PluralOf(singular));

    [Theory]
    [InlineData("fry", "fries", "fried")]
    [InlineData("bake", "bakes", "baked")]
    [InlineData("survey", "surveys", "surveyed")]
    [InlineData("patch", "patches", "patched")]
    [InlineData("veto", "vetoes", "vetoed")]
    public void RegularVerbForms(string verb, string third, string past)
    {
        Assert.Equal(third, CorpusLexicon.ThirdSingularOf(verb));
        Assert.Equal(past, CorpusLexicon.PastOf(verb));
    }

    [Fact]
    public void IrregularFormsAreWrittenOut()
    {
        Assert.Equal("knives", Lex.Noun("knife").Plural.Text);
        Assert.Equal("children", Lex.Noun("child").Plural.Text);
        Assert.Equal("caught", Lex.Verb("catch").Past.Text);
        Assert.Equal("catches", Lex.Verb("catch").ThirdSingular.Text);
        Assert.Equal("stirred", Lex.Verb("stir").Past.Text);
        Assert.Equal("has", CorpusLexicon.FrameVerb("have").ThirdSingular.Text);
        Assert.Equal("had", CorpusLexicon.FrameVerb("have").Past.Text);
    }
}
