using SaeWorkbench.Tokenization;
using System.Text;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>
/// Seeded English-like text for the tokenizer tests: Zipf-distributed words (common English words plus invented
/// ones), sentences with capitals, punctuation, numbers, contractions, a few non-Latin words and emoji, paragraphs.
/// </summary>
internal static class BpeTestText
{
    private static readonly string[] Common =
    [
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who",
        "so", "no", "she", "other", "its", "may", "these", "about", "into", "than", "them", "only", "some", "time",
        "could", "new", "two", "then", "do", "first", "any", "my", "now", "such", "like", "our", "over", "man", "me",
        "even", "most", "made", "after", "also", "did", "many", "before", "must", "through", "back", "years", "where",
        "much", "your", "way", "well", "down", "should", "because", "each", "just", "those", "people", "how", "too",
        "little", "state", "good", "very", "make", "world", "still", "own", "see", "men", "work", "long", "get", "here",
        "between", "both", "life", "being", "under", "never", "day", "same", "another", "know", "while", "last",
        "might", "us", "great", "old", "year", "off", "come", "since", "against", "go", "came", "right", "used", "take",
        "three", "sparse", "autoencoder", "latent", "feature", "token", "model", "layer", "residual", "stream",
    ];

    private static readonly string[] Exotic = ["café", "naïve", "Zürich", "東京", "Привет", "Ελλάδα", "😀", "𝐀𝐁𝐂", "٣٤٥", "日本語"];

    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    /// <summary>About <paramref name="chars"/> characters of text from <paramref name="seed"/>.</summary>
    public static string Generate(int chars, int seed)
    {
        var rng = new Random(seed);
        var vocab = new List<string>(Common);
        for (var i = 0; i < 600; i++)
        {
            var len = 3 + rng.Next(8);
            var w = new char[len];
            for (var j = 0; j < len; j++) w[j] = "etaoinshrdlcumwfgypbvkjxqz"[Math.Min(25, (int)(rng.NextDouble() * rng.NextDouble() * 26))];
            vocab.Add(new string(w));
        }
        // Zipf weights 1/(rank+1): cumulative table for inverse sampling.
        var cdf = new double[vocab.Count];
        var total = 0.0;
        for (var i = 0; i < vocab.Count; i++) cdf[i] = total += 1.0 / (i + 1);

        var sb = new StringBuilder(chars + 200);
        while (sb.Length < chars)
        {
            var sentence = 4 + rng.Next(14);
            for (var k = 0; k < sentence; k++)
            {
                string word;
                var roll = rng.NextDouble();
                if (roll < 0.02) word = Exotic[rng.Next(Exotic.Length)];
                else if (roll < 0.05) word = rng.Next(2000).ToString();
                else
                {
                    var u = rng.NextDouble() * total;
                    var idx = Array.BinarySearch(cdf, u);
                    word = vocab[idx < 0 ? ~idx : idx];
                }
                if (k == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
                if (k > 0) sb.Append(' ');
                sb.Append(word);
                if (rng.NextDouble() < 0.04) sb.Append(Contractions[rng.Next(Contractions.Length)]);
                if (k + 1 < sentence && rng.NextDouble() < 0.08) sb.Append(',');
            }
            sb.Append(rng.NextDouble() < 0.85 ? "." : rng.NextDouble() < 0.5 ? "?" : "!");
            sb.Append(rng.NextDouble() < 0.15 ? "\n\n" : " ");
        }
        return sb.ToString();
    }

    private static readonly Lazy<BpeTokenizer> Trained = new(() =>
        BpeTokenizer.Train(Documents(60_000, 4, seed: 7), vocabSize: 1024, [BpeTokenizer.EndOfText], minPairCount: 2));

    /// <summary>A tokenizer trained once per test run on 240 kB of <see cref="Generate"/>'s text, 1024 ids.</summary>
    public static BpeTokenizer Tokenizer => Trained.Value;

    /// <summary><paramref name="count"/> documents of about <paramref name="chars"/> characters each.</summary>
    public static IEnumerable<string> Documents(int chars, int count, int seed)
    {
        for (var i = 0; i < count; i++) yield return Generate(chars, seed * 1000 + i);
    }
}
