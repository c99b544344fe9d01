namespace SaeWorkbench.Corpus;

/// <summary>A word form of the corpus lexicon: its text (no leading space; names capitalised, everything else lower
/// case), its inherent labels (lexical class, animacy, sentiment, number word) and the topic whose vocabulary it
/// belongs to (-1 for the shared vocabulary). Function words (the, not, was, ...) are never content words, whatever
/// their class; nouns, verbs and adjectives of the lists are (<see cref="IsContent"/>).</summary>
internal readonly record struct Word(string Text, ulong Labels, int Topic = -1, bool Function = false)
{
    private static readonly ulong ContentClasses = CorpusLabel.Noun.Bit | CorpusLabel.Verb.Bit | CorpusLabel.Adjective.Bit;

    /// <summary>A noun, verb or adjective that is not a function word: what <c>content_word_seen_before</c> tracks.</summary>
    public bool IsContent => !Function && (Labels & ContentClasses) != 0;

    public override string ToString() => Text;
}

/// <summary>A common noun: its singular and plural forms (each labelled <c>noun</c>, the plural also <c>plural_noun</c>).</summary>
internal sealed record Noun(Word Singular, Word Plural)
{
    public Word Form(bool plural) => plural ? Plural : Singular;

    public bool Animate => CorpusLabel.AnimateNoun.In(Singular.Labels);
}

/// <summary>A verb: base form (chop), third-person singular present (chops) and past (chopped).</summary>
internal sealed record Verb(Word Base, Word ThirdSingular, Word Past);

/// <summary>The vocabulary of one topic (docs/synthetic-corpus.md, "Topics"): people who act in it, things they act
/// on, places, verbs and adjectives. No word form belongs to two topics or to a topic and the shared vocabulary.</summary>
internal sealed record TopicVocabulary(
    int Index,
    string Name,
    CorpusLabel Label,
    IReadOnlyList<Noun> Agents,
    IReadOnlyList<Noun> Objects,
    IReadOnlyList<Noun> Places,
    IReadOnlyList<Verb> Verbs,
    IReadOnlyList<Word> Adjectives);

/// <summary>
/// The words of the synthetic corpus (docs/synthetic-corpus.md, "Lexicon"): ten topic vocabularies and the shared
/// vocabulary (names, general nouns, verbs and adjectives with sentiment, function words, number words). Lists are
/// written compactly: a noun "knife/knives" names an irregular plural, a verb "chop/chopped" an irregular (or
/// consonant-doubling) past, "have/has/had" all three forms; a trailing '*' marks an animate noun. Regular forms
/// follow the spelling rules in <see cref="PluralOf"/>, <see cref="ThirdSingularOf"/> and <see cref="PastOf"/>.
/// Built once; read-only afterwards.
/// </summary>
internal static class CorpusLexicon
{
    // Label masks of the word classes.
    private static readonly ulong NounL = CorpusLabel.Noun.Bit;
    private static readonly ulong PluralL = CorpusLabel.PluralNoun.Bit;
    private static readonly ulong VerbL = CorpusLabel.Verb.Bit;
    private static readonly ulong PastL = CorpusLabel.PastTenseVerb.Bit;
    private static readonly ulong AdjL = CorpusLabel.Adjective.Bit;
    private static readonly ulong Animate = CorpusLabel.AnimateNoun.Bit;
    private static readonly ulong Positive = CorpusLabel.SentimentPositive.Bit;
    private static readonly ulong Negative = CorpusLabel.SentimentNegative.Bit;

    /// <summary>The ten topics, index t carrying label <c>CorpusLabel.Topics[t]</c>.</summary>
    public static IReadOnlyList<TopicVocabulary> Topics { get; } = new[]
    {
        Topic(0, "cooking",
            agents: "chef baker waiter butcher diner caterer",
            objects: "soup onion carrot potato/potatoes tomato/tomatoes pepper lemon egg cake pie loaf/loaves bun noodle dumpling sauce stew " +
                     "salad spoon fork knife/knives pan pot bowl plate oven kettle ladle apron recipe cookie muffin sausage biscuit " +
                     "pastry skillet napkin cupboard menu cheese mushroom omelette pancake sandwich teapot",
            places: "kitchen bakery restaurant pantry cafe canteen",
            verbs: "chop/chopped boil bake fry slice peel roast taste grill serve knead simmer grate melt stir/stirred whisk marinate garnish",
            adjectives: "crispy spicy savory tender juicy sour creamy burnt crunchy buttery"),
        Topic(1, "sports",
            agents: "player coach referee goalkeeper striker fan athlete sprinter umpire",
            objects: "ball goal match team whistle trophy medal glove racket bat helmet jersey boot penalty league tournament sprint lap " +
                     "hurdle foul shirt scoreboard stopwatch podium puck javelin dumbbell sneaker bicycle",
            places: "stadium arena gym racetrack clubhouse",
            verbs: "kick throw/threw catch/caught win/won score defend tackle dribble block cheer shoot/shot chase pass train",
            adjectives: "agile athletic unbeaten swift muscular sporty tireless offside competitive"),
        Topic(2, "space",
            agents: "astronaut pilot engineer cosmonaut commander alien astronomer",
            objects: "rocket planet moon star comet satellite telescope galaxy asteroid capsule spacesuit engine booster crater meteor " +
                     "nebula module antenna launchpad thruster probe lander rover shuttle orbit beacon visor airlock",
            places: "station observatory spaceport cockpit hangar",
            verbs: "launch land dock explore observe detect circle refuel scan/scanned survey transmit/transmitted photograph",
            adjectives: "orbital lunar solar cosmic stellar weightless distant airless galactic interstellar"),
        Topic(3, "medicine",
            agents: "doctor nurse surgeon patient pharmacist dentist paramedic medic",
            objects: "pill bandage syringe fever wound vaccine tablet stethoscope thermometer scalpel splint ointment dose symptom " +
                     "infection prescription needle stretcher pulse injury remedy virus tonsil fracture blister allergy inhaler crutch",
            places: "hospital clinic pharmacy ward infirmary",
            verbs: "diagnose treat examine heal inject vaccinate prescribe cure sterilize stitch soothe disinfect",
            adjectives: "feverish sterile chronic contagious medical clinical swollen bruised immune"),
        Topic(4, "music",
            agents: "singer drummer pianist violinist conductor composer guitarist musician",
            objects: "guitar piano violin drum flute trumpet melody chord song rhythm harp cello lyric album ballad orchestra choir " +
                     "anthem symphony tempo chorus microphone banjo saxophone concerto metronome tambourine",
            places: "studio theater conservatory bandstand hall",
            verbs: "sing/sang strum/strummed hum/hummed compose conduct rehearse record perform harmonize improvise serenade pluck applaud",
            adjectives: "melodic harmonic rhythmic acoustic musical tuneful operatic lyrical symphonic"),
        Topic(5, "law",
            agents: "judge lawyer witness juror clerk prosecutor defendant attorney",
            objects: "verdict trial contract statute lawsuit warrant testimony oath gavel deed clause motion ruling charge alibi " +
                     "subpoena hearing docket law affidavit injunction precedent plea indictment handcuff fingerprint jurisdiction",
            places: "courtroom courthouse prison tribunal chamber",
            verbs: "sue testify convict acquit/acquitted appeal argue accuse prosecute pardon overrule swear/swore dismiss cite indict",
            adjectives: "legal guilty innocent lawful judicial binding criminal civil unlawful"),
        Topic(6, "computing",
            agents: "programmer hacker coder developer tester analyst webmaster sysadmin",
            objects: "computer keyboard screen laptop server database file folder program bug byte pixel cable router disk chip " +
                     "network algorithm compiler browser website printer monitor modem spreadsheet cursor terminal icon widget firewall",
            places: "lab datacenter cubicle helpdesk",
            verbs: "debug/debugged compile install download upload encrypt reboot delete click scroll format/formatted patch hack",
            adjectives: "digital binary wireless offline online virtual secure buggy automated electronic"),
        Topic(7, "farming",
            agents: "farmer shepherd rancher farmhand gardener beekeeper",
            objects: "cow* goat* pig* hen* horse* ram* calf/calves* lamb* piglet* tractor seed crop haystack fence pumpkin turnip apple " +
                     "bucket shovel rake scarecrow saddle cart trough sack beehive vine",
            places: "barn meadow orchard pasture stable farmyard",
            verbs: "plant plough harvest feed/fed shear sow milk fertilize irrigate reap prune breed/bred herd",
            adjectives: "rural organic muddy fertile ripe rustic woolly leafy seasonal"),
        Topic(8, "sailing",
            agents: "sailor captain fisherman/fishermen diver pirate skipper navigator deckhand",
            objects: "boat ship anchor rope net wave mast deck compass oar buoy cargo whale* shark* crab* lighthouse raft yacht " +
                     "rudder hull knot tide reef seagull* lifeboat harpoon lobster* dolphin* porthole",
            places: "harbor port pier beach island bay cove",
            verbs: "sail row moor hoist tow paddle haul chart salvage dredge navigate steer",
            adjectives: "nautical coastal marine seaworthy tidal briny windswept tropical stormy"),
        Topic(9, "building",
            agents: "builder carpenter plumber electrician architect bricklayer mason welder",
            objects: "brick hammer nail roof beam plank ladder crane scaffold chisel wrench bolt screw pipe tile girder blueprint " +
                     "wheelbarrow shingle trowel staircase chimney pillar foundation bulldozer drill rafter faucet",
            places: "workshop warehouse quarry attic basement",
            verbs: "build/built weld plaster measure demolish construct assemble renovate insulate varnish erect reinforce paint",
            adjectives: "sturdy wooden concrete structural solid unfinished crooked hollow brittle"),
    };

    /// <summary>People's first names (label <c>proper_name</c>).</summary>
    public static IReadOnlyList<Word> Names { get; } = Words(
        "Maria John Anna Peter Lucy Omar Sofia David Emma Yuki Ravi Chen Laura Mark Nina Paul Sara Tom Ines Hugo " +
        "Ada Ben Clara Diego Elena Felix Grace Ivan Julia Karl Leila Mateo Nora Oscar Priya Quinn Rosa Sam Tariq Vera",
        CorpusLabel.ProperName.Bit);

    /// <summary>Shared people nouns (animate), usable as subjects in every topic.</summary>
    public static IReadOnlyList<Noun> People { get; } = Nouns(
        "friend neighbour child/children woman/women man/men teacher student visitor stranger cousin guest dog* cat* bird* mouse/mice*",
        -1, animate: true);

    /// <summary>Shared things, usable as objects in every topic.</summary>
    public static IReadOnlyList<Noun> Things { get; } = Nouns(
        "box bag table chair door window book letter key lamp cup note picture coat hat bottle basket paper phone clock bench " +
        "bell card jar candle map gift ribbon umbrella wallet", -1, animate: false);

    /// <summary>Shared transitive verbs without sentiment.</summary>
    public static IReadOnlyList<Verb> NeutralVerbs { get; } = Verbs(
        "see/saw find/found take/took give/gave make/made carry bring/brought hold/held move clean open close check watch want need " +
        "use keep/kept show buy/bought sell/sold notice describe fix share wash pack lift visit", -1, 0);

    /// <summary>Shared transitive verbs of positive sentiment (like, praise, ...).</summary>
    public static IReadOnlyList<Verb> PositiveVerbs { get; } = Verbs("like love enjoy admire praise trust thank", -1, Positive);

    /// <summary>Shared transitive verbs of negative sentiment (hate, blame, ...).</summary>
    public static IReadOnlyList<Verb> NegativeVerbs { get; } = Verbs("hate fear dislike blame resent neglect", -1, Negative);

    public static IReadOnlyList<Word> PositiveAdjectives { get; } = Words(
        "good great lovely happy kind clever brave calm bright wonderful pleasant cheerful gentle excellent perfect", AdjL | Positive);

    public static IReadOnlyList<Word> NegativeAdjectives { get; } = Words(
        "bad awful terrible sad angry cruel rotten broken dull nasty gloomy lazy rude horrible dirty", AdjL | Negative);

    public static IReadOnlyList<Word> NeutralAdjectives { get; } = Words(
        "old new small large big long short red blue green yellow heavy round flat tall busy empty full", AdjL);

    /// <summary>Manner and frequency adverbs that may end a predicate.</summary>
    public static IReadOnlyList<Word> Adverbs { get; } = Words(
        "quickly slowly carefully often always rarely quietly loudly gently together", CorpusLabel.Adverb.Bit);

    /// <summary>Prepositions that attach a noun phrase to a subject (the attractor of agreement) or a place phrase.</summary>
    public static IReadOnlyList<Word> AttachPrepositions { get; } = Words("with near behind beside from", CorpusLabel.Preposition.Bit);

    /// <summary>Prepositions of place phrases.</summary>
    public static IReadOnlyList<Word> PlacePrepositions { get; } = Words("in at near behind", CorpusLabel.Preposition.Bit);

    /// <summary>Verbs that introduce speech: said, asked, ...</summary>
    public static IReadOnlyList<Verb> SayVerbs { get; } = Verbs("say/said shout whisper reply answer", -1, 0);

    /// <summary>say / said (the first of <see cref="SayVerbs"/>), used by the sign frames of repeated spans.</summary>
    public static Verb Say => SayVerbs[0];

    public static Verb Ask { get; } = Verbs("ask", -1, 0)[0];

    /// <summary>check / checked (a shared neutral verb), used by "checked the sums".</summary>
    public static Verb CheckVerb => NeutralVerbs.First(v => v.Base.Text == "check");

    public static IReadOnlyList<Word> Weekdays { get; } = Words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday", NounL);

    /// <summary>Times of day used in "in the morning", "every evening".</summary>
    public static IReadOnlyList<Word> DayParts { get; } = Words("morning evening afternoon", NounL);

    /// <summary>Points of the day used in "at noon".</summary>
    public static IReadOnlyList<Word> DayPoints { get; } = Words("noon dawn night", NounL);

    /// <summary>Periods used in "last week".</summary>
    public static IReadOnlyList<Word> Periods { get; } = Words("week month year weekend", NounL);

    /// <summary>Number words zero ... twenty (index = value).</summary>
    public static IReadOnlyList<Word> NumberWords { get; } = Words(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen " +
        "eighteen nineteen twenty", CorpusLabel.NumberWord.Bit);

    /// <summary>Function and frame words, looked up by text through <see cref="W"/>.</summary>
    private static readonly Dictionary<string, Word> FunctionWords = BuildFunctionWords();

    private static Dictionary<string, Word> BuildFunctionWords()
    {
        var d = new Dictionary<string, Word>();
        void Add(string words, ulong labels)
        {
            foreach (var w in words.Split(' ', StringSplitOptions.RemoveEmptyEntries)) d.Add(w, new Word(w, labels, Function: true));
        }
        Add("the", CorpusLabel.Determiner.Bit | CorpusLabel.WordThe.Bit);
        Add("a an this that these those some every each many", CorpusLabel.Determiner.Bit);
        Add("he she they we him her them us it", CorpusLabel.Pronoun.Bit);
        Add("and but or so", CorpusLabel.Conjunction.Bit);
        Add("in on at with near behind beside from for of about after before during into across without", CorpusLabel.Preposition.Bit);
        Add("not never again later still down more why", CorpusLabel.Adverb.Bit);
        Add("is are does do", VerbL);
        Add("was were did", VerbL | PastL);
        Add("last", AdjL);
        return d;
    }

    /// <summary>Frame nouns and verbs (words, code, sign, write, count, ...), shared vocabulary.</summary>
    private static readonly Dictionary<string, Noun> FrameNouns = Nouns("word code sign sum board", -1, animate: false).ToDictionary(n => n.Singular.Text);

    private static readonly Dictionary<string, Verb> FrameVerbs = Verbs(
        "write/wrote count add have/has/had get/got lose/lost type repeat copy", -1, 0).ToDictionary(v => v.Base.Text);

    /// <summary>A function word by its text (the, not, with, was, ...); throws for a word not in the lexicon.</summary>
    public static Word W(string text) =>
        FunctionWords.TryGetValue(text, out var w) ? w : throw new KeyNotFoundException($"'{text}' is not a function word of the corpus lexicon");

    /// <summary>A frame noun (word, code, sign, sum, board).</summary>
    public static Noun FrameNoun(string singular) => FrameNouns[singular];

    /// <summary>A frame verb (write, count, add, have, get, lose, type, repeat, copy).</summary>
    public static Verb FrameVerb(string baseForm) => FrameVerbs[baseForm];

    /// <summary>Every content word of every topic and of the shared vocabulary (nouns in both numbers, verbs in all forms,
    /// adjectives): the pool that random repeated spans draw from.</summary>
    public static IReadOnlyList<Word> SpanPool { get; } = BuildSpanPool();

    private static Word[] BuildSpanPool()
    {
        var pool = new List<Word>();
        void AddNouns(IEnumerable<Noun> ns) { foreach (var n in ns) { pool.Add(n.Singular); pool.Add(n.Plural); } }
        void AddVerbs(IEnumerable<Verb> vs) { foreach (var v in vs) { pool.Add(v.Base); pool.Add(v.Past); } }
        foreach (var t in Topics)
        {
            AddNouns(t.Agents); AddNouns(t.Objects); AddNouns(t.Places); AddVerbs(t.Verbs); pool.AddRange(t.Adjectives);
        }
        AddNouns(People); AddNouns(Things); AddVerbs(NeutralVerbs); AddVerbs(PositiveVerbs); AddVerbs(NegativeVerbs);
        pool.AddRange(PositiveAdjectives); pool.AddRange(NegativeAdjectives); pool.AddRange(NeutralAdjectives);
        return pool.ToArray();
    }

    /// <summary>Every word form of the lexicon (for the uniqueness checks of the tests and the vocabulary count).</summary>
    public static IEnumerable<Word> AllWords()
    {
        IEnumerable<Word> NounForms(IEnumerable<Noun> ns) => ns.SelectMany(n => new[] { n.Singular, n.Plural });
        IEnumerable<Word> VerbForms(IEnumerable<Verb> vs) => vs.SelectMany(v => new[] { v.Base, v.ThirdSingular, v.Past });
        foreach (var t in Topics)
            foreach (var w in NounForms(t.Agents).Concat(NounForms(t.Objects)).Concat(NounForms(t.Places)).Concat(VerbForms(t.Verbs)).Concat(t.Adjectives))
                yield return w;
        foreach (var w in Names.Concat(NounForms(People)).Concat(NounForms(Things)).Concat(VerbForms(NeutralVerbs))
                     .Concat(VerbForms(PositiveVerbs)).Concat(VerbForms(NegativeVerbs)).Concat(PositiveAdjectives).Concat(NegativeAdjectives)
                     .Concat(NeutralAdjectives).Concat(Adverbs).Concat(AttachPrepositions).Concat(PlacePrepositions).Concat(VerbForms(SayVerbs))
                     .Concat(VerbForms(new[] { Ask })).Concat(Weekdays).Concat(DayParts).Concat(DayPoints).Concat(Periods).Concat(NumberWords)
                     .Concat(FunctionWords.Values).Concat(NounForms(FrameNouns.Values)).Concat(VerbForms(FrameVerbs.Values)))
            yield return w;
    }

    // ---- construction ----------------------------------------------------------------------------------------------

    private static TopicVocabulary Topic(int index, string name, string agents, string objects, string places, string verbs, string adjectives) =>
        new(index, name, CorpusLabel.Topics[index], Nouns(agents, index, animate: true), Nouns(objects, index, animate: false),
            Nouns(places, index, animate: false), Verbs(verbs, index, 0), Words(adjectives, AdjL, index));

    private static Word[] Words(string list, ulong labels, int topic = -1) =>
        list.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => new Word(w, labels, topic)).ToArray();

    private static Noun[] Nouns(string list, int topic, bool animate) =>
        list.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(entry =>
        {
            var isAnimate = animate || entry.EndsWith('*');
            var forms = entry.TrimEnd('*').Split('/');
            var extra = isAnimate ? Animate : 0;
            var plural = forms.Length > 1 ? forms[1] : PluralOf(forms[0]);
            return new Noun(new Word(forms[0], NounL | extra, topic), new Word(plural, NounL | PluralL | extra, topic));
        }).ToArray();

    private static Verb[] Verbs(string list, int topic, ulong sentiment) =>
        list.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(entry =>
        {
            var forms = entry.Split('/');
            var (b, s, p) = forms.Length switch
            {
                1 => (forms[0], ThirdSingularOf(forms[0]), PastOf(forms[0])),
                2 => (forms[0], ThirdSingularOf(forms[0]), forms[1]),
                _ => (forms[0], forms[1], forms[2]),
            };
            return new Verb(new Word(b, VerbL | sentiment, topic), new Word(s, VerbL | sentiment, topic), new Word(p, VerbL | PastL | sentiment, topic));
        }).ToArray();

    private static bool IsVowel(char c) => "aeiou".Contains(c);

    /// <summary>Regular English plural: -es after s, x, z, ch, sh; consonant + y becomes -ies; otherwise -s.</summary>
    public static string PluralOf(string s)
    {
        if (s.EndsWith('s') || s.EndsWith('x') || s.EndsWith('z') || s.EndsWith("ch") || s.EndsWith("sh")) return s + "es";
        if (s.Length > 1 && s.EndsWith('y') && !IsVowel(s[^2])) return s[..^1] + "ies";
        return s + "s";
    }

    /// <summary>Third-person singular present: -es after s, x, z, ch, sh, o; consonant + y becomes -ies; otherwise -s.</summary>
    public static string ThirdSingularOf(string s) => s.EndsWith('o') ? s + "es" : PluralOf(s);

    /// <summary>Regular past: -d after e; consonant + y becomes -ied; otherwise -ed (doubling is written out in the lists).</summary>
    public static string PastOf(string s)
    {
        if (s.EndsWith('e')) return s + "d";
        if (s.Length > 1 && s.EndsWith('y') && !IsVowel(s[^2])) return s[..^1] + "ied";
        return s + "ed";
    }
}
