using SaeWorkbench.IO;
using System.Text;
using System.Text.Json;

namespace SaeWorkbench.Tokenization;

/// <summary>
/// GPT-2's tokenizer files (openai/gpt-2 <c>encoder.json</c> + <c>vocab.bpe</c>, published by Hugging Face as
/// <c>vocab.json</c> + <c>merges.txt</c>): vocab.json is one JSON object from each token, written in the byte
/// alphabet (<see cref="BpeByteAlphabet"/>), to its id; merges.txt has an optional <c>#version</c> first line and then
/// one merge per line, "left right", by rank.
/// </summary>
public sealed partial class BpeTokenizer
{
    /// <summary>File name of the vocabulary in a tokenizer folder.</summary>
    public const string VocabFileName = "vocab.json";

    /// <summary>File name of the merges in a tokenizer folder.</summary>
    public const string MergesFileName = "merges.txt";

    /// <summary>Loads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="dir"/> (e.g. a Hugging Face gpt2 snapshot).</summary>
    public static BpeTokenizer Load(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"tokenizer folder '{Path.GetFullPath(dir)}' does not exist; it must hold {VocabFileName} and {MergesFileName} (GPT-2's, or written by BpeTokenizer.Save)");
        return FromFiles(Path.Combine(dir, VocabFileName), Path.Combine(dir, MergesFileName));
    }

    /// <summary>
    /// Reads a GPT-2-format vocabulary and merge list. Entries of vocab.json that are neither a single byte nor the
    /// result of a merge are special tokens (GPT-2: <c>&lt;|endoftext|&gt;</c>). Every problem throws
    /// <see cref="InvalidDataException"/> naming the file (and the line of merges.txt).
    /// </summary>
    public static BpeTokenizer FromFiles(string vocabJsonPath, string mergesTxtPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabJsonPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesTxtPath);
        var vocab = ReadVocab(vocabJsonPath);
        var merges = ReadMerges(mergesTxtPath);

        var v = vocab.Length;
        var idByText = new Dictionary<string, int>(v, StringComparer.Ordinal);
        for (var id = 0; id < v; id++) idByText[vocab[id]] = id;

        // Byte tokens: every one of the 256 alphabet characters must be an entry.
        var tokens = new byte[]?[v];
        var regular = new bool[v];
        for (var b = 0; b < 256; b++)
        {
            var c = BpeByteAlphabet.ToChar((byte)b).ToString();
            if (!idByText.TryGetValue(c, out var id))
                throw new InvalidDataException($"{vocabJsonPath}: no entry \"{c}\" for byte 0x{b:X2}; a byte-level BPE vocabulary needs all 256 byte tokens (is this GPT-2's vocab.json?)");
            tokens[id] = [(byte)b];
            regular[id] = true;
        }

        // Merges: parts and result must be entries; results are regular tokens.
        var triples = new (int Left, int Right, int Result)[merges.Count];
        for (var r = 0; r < merges.Count; r++)
        {
            var (line, left, right) = merges[r];
            var merged = left + right;
            var l = Lookup(left, "left part");
            var rt = Lookup(right, "right part");
            var res = Lookup(merged, "result");
            var bytes = BpeByteAlphabet.TryToBytes(merged)
                ?? throw new InvalidDataException($"{mergesTxtPath} line {line}: '{left} {right}' has a character outside GPT-2's byte alphabet");
            triples[r] = (l, rt, res);
            tokens[res] = bytes;
            regular[res] = true;

            int Lookup(string text, string what) => idByText.TryGetValue(text, out var id)
                ? id
                : throw new InvalidDataException($"{mergesTxtPath} line {line}: the {what} '{text}' of merge '{left} {right}' is not in {vocabJsonPath}; the two files do not belong together");
        }
        var seen = new HashSet<(int, int)>();
        for (var r = 0; r < triples.Length; r++)
        {
            var (l, rt, _) = triples[r];
            foreach (var part in (ReadOnlySpan<int>)[l, rt])
                if (!regular[part])
                    throw new InvalidDataException($"{mergesTxtPath} line {merges[r].Line}: '{vocab[part]}' is neither a byte token nor the result of a merge");
            if (!seen.Add((l, rt)))
                throw new InvalidDataException($"{mergesTxtPath} line {merges[r].Line}: the merge '{merges[r].Left} {merges[r].Right}' appears twice");
        }

        var specialText = new string?[v];
        for (var id = 0; id < v; id++)
            if (!regular[id]) specialText[id] = vocab[id];

        try
        {
            return new BpeTokenizer(tokens, specialText, triples);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{vocabJsonPath} with {mergesTxtPath}: {e.Message}", e);
        }
    }

    /// <summary>id -> token text; checks JSON shape, integer ids, no duplicate tokens or ids, ids 0..N-1.</summary>
    private static string[] ReadVocab(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"vocabulary file '{Path.GetFullPath(path)}' does not exist (GPT-2's vocab.json, e.g. from huggingface.co/openai-community/gpt2, or one written by BpeTokenizer.Save)", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path, Encoding.UTF8));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object from token to id, found a JSON {root.ValueKind}");
            var byToken = new Dictionary<string, int>(StringComparer.Ordinal);
            var entries = new List<(string Token, int Id)>();
            foreach (var p in root.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out var id) || id < 0)
                    throw new InvalidDataException($"{path}: token \"{p.Name}\" has id {p.Value.GetRawText()}; ids are non-negative integers");
                if (p.Name.Length == 0)
                    throw new InvalidDataException($"{path}: the empty string is not a token");
                if (!byToken.TryAdd(p.Name, id))
                    throw new InvalidDataException($"{path}: token \"{p.Name}\" appears twice");
                entries.Add((p.Name, id));
            }
            if (entries.Count == 0) throw new InvalidDataException($"{path}: the vocabulary is empty");
            var byId = new string?[entries.Count];
            foreach (var (token, id) in entries)
            {
                if (id >= entries.Count)
                    throw new InvalidDataException($"{path}: token \"{token}\" has id {id}, but {entries.Count} tokens need ids 0..{entries.Count - 1} (no gaps)");
                if (byId[id] is { } other)
                    throw new InvalidDataException($"{path}: tokens \"{other}\" and \"{token}\" both have id {id}");
                byId[id] = token;
            }
            return byId!;
        }
    }

    /// <summary>(line number, left, right) per merge, by rank.</summary>
    private static List<(int Line, string Left, string Right)> ReadMerges(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"merges file '{Path.GetFullPath(path)}' does not exist (GPT-2's merges.txt, e.g. from huggingface.co/openai-community/gpt2, or one written by BpeTokenizer.Save)", path);
        var merges = new List<(int, string, string)>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (lineNo == 1 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (line.Length == 0) continue;
            var space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new InvalidDataException($"{path} line {lineNo}: expected two tokens separated by one space, found '{line}'");
            merges.Add((lineNo, line[..space], line[(space + 1)..]));
        }
        return merges;
    }

    /// <summary>
    /// Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="dir"/> (created if missing) in GPT-2's format,
    /// each file atomically (temporary file, then rename); <c>Load(dir)</c> gives a tokenizer that encodes identically.
    /// merges.txt is written first, so a reader never sees a new vocabulary with stale merges.
    /// </summary>
    public void Save(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        Directory.CreateDirectory(dir);
        var merges = new StringBuilder("#version: 0.2\n");
        for (var r = 0; r < MergeCount; r++)
            merges.Append(TokenText(_mergeLeft[r])).Append(' ').Append(TokenText(_mergeRight[r])).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(dir, MergesFileName), merges.ToString());

        var vocab = new StringBuilder("{\n");
        for (var id = 0; id < VocabSize; id++)
        {
            vocab.Append("  ");
            AppendJsonString(vocab, TokenText(id));
            vocab.Append(": ").Append(id).Append(id + 1 < VocabSize ? ",\n" : "\n");
        }
        vocab.Append("}\n");
        AtomicFile.WriteAllText(Path.Combine(dir, VocabFileName), vocab.ToString());
    }

    private static void AppendJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                default:
                    if (c < 0x20 || char.IsSurrogate(c)) sb.Append("\\u").Append(((int)c).ToString("x4"));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
