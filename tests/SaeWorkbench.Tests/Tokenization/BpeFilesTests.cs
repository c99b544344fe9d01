using SaeWorkbench.Tokenization;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>vocab.json + merges.txt: Save/Load round trip, and a clear error naming the file for each kind of bad file.</summary>
public sealed class BpeFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bpe-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Vocab => Path.Combine(_dir, "vocab.json");
    private string Merges => Path.Combine(_dir, "merges.txt");

    [Fact]
    public void Save_then_load_encodes_identically()
    {
        var tok = BpeTestText.Tokenizer;
        var saved = Path.Combine(_dir, "tok");
        tok.Save(saved);
        tok.Save(saved); // overwriting is fine
        Assert.Equal(["merges.txt", "vocab.json"], Directory.GetFiles(saved).Select(Path.GetFileName).Order());
        Assert.StartsWith("#version: 0.2\n", File.ReadAllText(Path.Combine(saved, "merges.txt")));
        Assert.Equal(tok.MergeCount + 1, File.ReadAllLines(Path.Combine(saved, "merges.txt")).Length);

        var back = BpeTokenizer.Load(saved);
        Assert.Equal(tok.VocabSize, back.VocabSize);
        Assert.Equal(tok.MergeCount, back.MergeCount);
        Assert.Equal(tok.EndOfTextId, back.EndOfTextId);
        for (var id = 0; id < tok.VocabSize; id++) Assert.Equal(tok.TokenText(id), back.TokenText(id));
        for (var r = 0; r < tok.MergeCount; r++) Assert.Equal(tok.Merge(r), back.Merge(r));
        var text = BpeTestText.Generate(20_000, seed: 42) + "<|endoftext|>\"\\\u0001";
        Assert.Equal(tok.Encode(text), back.Encode(text));
        Assert.Equal(tok.Encode(text, true), back.Encode(text, true));
    }

    [Fact]
    public void Hugging_face_style_files_load()
    {
        // Compact JSON with \u escapes (as json.dumps(ensure_ascii=True) writes), CRLF merges, no trailing newline.
        var entries = Enumerable.Range(0, 256).Select(id => BpeByteAlphabet.ToChar(BpeByteAlphabet.ByteAt(id)).ToString())
            .Append("\u0120t").Append("<|endoftext|>").ToList();
        File.WriteAllText(Vocab, "{" + string.Join(",", entries.Select((e, i) => $"\"{Escape(e)}\":{i}")) + "}");
        File.WriteAllText(Merges, "#version: 0.2 - Trained by `huggingface/tokenizers`\r\n\u0120 t");
        var tok = BpeTokenizer.FromFiles(Vocab, Merges);
        Assert.Equal(258, tok.VocabSize);
        Assert.Equal([256, 256], tok.Encode(" t t"));
        Assert.Equal(257, tok.EndOfTextId);

        static string Escape(string s) => string.Concat(s.Select(c => c is '"' or '\\' || c > 126 ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    private static string ByteEntries(int count = 256) =>
        string.Join(", ", Enumerable.Range(0, count).Select(id => $"{System.Text.Json.JsonSerializer.Serialize(BpeByteAlphabet.ToChar(BpeByteAlphabet.ByteAt(id)).ToString())}: {id}"));

    private void Expect<T>(string vocab, string merges, string fileNamed, string fragment) where T : Exception
    {
        File.WriteAllText(Vocab, vocab);
        File.WriteAllText(Merges, merges);
        var e = Assert.Throws<T>(() => BpeTokenizer.Load(_dir));
        Assert.Contains(fileNamed, e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void Malformed_vocab_names_the_file()
    {
        var ok = "#version: 0.2\n";
        Expect<InvalidDataException>("{ \"a\": 0, ", ok, Vocab, "not valid JSON");
        Expect<InvalidDataException>("[\"a\"]", ok, Vocab, "expected a JSON object");
        Expect<InvalidDataException>("{" + ByteEntries() + ", \"ab\": \"x\"}", ok, Vocab, "\"ab\" has id \"x\"");
        Expect<InvalidDataException>("{" + ByteEntries() + ", \"ab\": -1}", ok, Vocab, "non-negative");
        Expect<InvalidDataException>("{" + ByteEntries() + ", \"ab\": 256, \"ab\": 257}", ok, Vocab, "\"ab\" appears twice");
        Expect<InvalidDataException>("{" + ByteEntries() + ", \"ab\": 255}", ok, Vocab, "both have id 255");
        Expect<InvalidDataException>("{" + ByteEntries() + ", \"ab\": 300}", ok, Vocab, "no gaps");
        Expect<InvalidDataException>("{" + ByteEntries(255) + "}", ok, Vocab, "byte 0xAD");
        Expect<InvalidDataException>("{}", ok, Vocab, "empty");
    }

    [Fact]
    public void Malformed_merges_name_the_file_and_line()
    {
        var vocab = "{" + ByteEntries() + ", \"ab\": 256, \"abc\": 257}";
        Expect<InvalidDataException>(vocab, "#version: 0.2\na b c\n", Merges, "line 2: expected two tokens");
        Expect<InvalidDataException>(vocab, "#version: 0.2\nab\n", Merges, "line 2: expected two tokens");
        Expect<InvalidDataException>(vocab, "a b\nab  c\n", Merges, "line 2: expected two tokens");
        Expect<InvalidDataException>(vocab, "a b\nab d\n", Merges, "line 2: the result 'abd'");
        Expect<InvalidDataException>(vocab, "a b\na bc\n", Merges, "line 2: the right part 'bc'");
        Expect<InvalidDataException>(vocab, "a b\na b\n", Merges, "line 2: the merge 'a b' appears twice");
        Expect<InvalidDataException>(vocab, "ab c\n", Merges, "line 1: 'ab' is neither a byte token nor the result of a merge");
        Expect<InvalidDataException>(vocab, "a Ġ€\n", Merges, "line 1: the right part");
    }

    [Fact]
    public void Missing_files_say_what_to_provide()
    {
        var e = Assert.Throws<FileNotFoundException>(() => BpeTokenizer.Load(_dir));
        Assert.Contains(Vocab, e.Message);
        File.WriteAllText(Vocab, "{" + ByteEntries() + "}");
        e = Assert.Throws<FileNotFoundException>(() => BpeTokenizer.Load(_dir));
        Assert.Contains(Merges, e.Message);
        var d = Assert.Throws<DirectoryNotFoundException>(() => BpeTokenizer.Load(Path.Combine(_dir, "nope")));
        Assert.Contains("vocab.json", d.Message);
    }
}
