using SaeWorkbench.Tokenization;
using System.Diagnostics;
using System.Text;
namespace SaeWorkbench.Tests.Tokenization;

/// <summary>
/// Training time and encode throughput, printed (never asserted: wall clock depends on the machine and its load), with a
/// round-trip check of the whole text so the test can still fail. By default a 1 MB generated text and 2048 ids; set
/// SAEWB_BPE_BENCH_TEXT to a UTF-8 file (and optionally SAEWB_BPE_BENCH_VOCAB) to measure on real text.
/// </summary>
public class BpeThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public void Train_and_encode_throughput()
    {
        var path = Environment.GetEnvironmentVariable("SAEWB_BPE_BENCH_TEXT");
        var text = path is null ? BpeTestText.Generate(1_000_000, seed: 5) : File.ReadAllText(path, Encoding.UTF8);
        var vocab = int.TryParse(Environment.GetEnvironmentVariable("SAEWB_BPE_BENCH_VOCAB"), out var v) ? v : path is null ? 2048 : 4096;
        var docs = Chunks(text, 10_000).ToList();
        var mb = Encoding.UTF8.GetByteCount(text) / 1e6;

        var sw = Stopwatch.StartNew();
        var tok = BpeTokenizer.Train(docs, vocab, [BpeTokenizer.EndOfText]);
        var train = sw.Elapsed.TotalSeconds;

        sw.Restart();
        var total = 0;
        foreach (var d in docs) total += tok.Encode(d).Length;
        var cold = sw.Elapsed.TotalSeconds;
        sw.Restart();
        foreach (var d in docs) tok.Encode(d);
        var warm = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var all = tok.Encode(text);
        var decoded = tok.Decode(all);
        var roundTrip = sw.Elapsed.TotalSeconds;

        output.WriteLine($"text: {(path ?? "generated")}, {mb:F2} MB, {docs.Count} documents; vocabulary {tok.VocabSize} ids ({tok.MergeCount} merges)");
        output.WriteLine($"train: {train:F2} s ({mb / train:F2} MB/s)");
        output.WriteLine($"encode, empty word cache: {cold:F2} s = {mb / cold:F1} MB/s; warm cache: {warm:F2} s = {mb / warm:F1} MB/s (one thread)");
        output.WriteLine($"{total} tokens, {mb * 1e6 / total:F2} bytes/token; whole-text encode+decode {roundTrip:F2} s");
        Assert.Equal(text, decoded);
        Assert.Equal(total, all.Length); // the documents are cut where the pre-tokenizer cuts, so they encode to the same tokens
    }

    /// <summary>
    /// Pieces of about <paramref name="size"/> characters, each cut just before a single space between two non-spaces,
    /// where GPT-2's pre-tokenizer always cuts (" x" starts a piece), so no piece is split.
    /// </summary>
    private static IEnumerable<string> Chunks(string text, int size)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(text.Length, start + size);
            while (end < text.Length && !(text[end] == ' ' && text[end - 1] != ' ' && text[end - 1] != '\n' && !char.IsWhiteSpace(text[end + 1 < text.Length ? end + 1 : end]))) end++;
            yield return text[start..end];
            start = end;
        }
    }
}
