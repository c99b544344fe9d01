using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics;

namespace SaeWorkbench.Tests.Metrics;

public class ProbeTasksTests
{
    [Fact]
    public void TasksAreKeptWhenBothPartsHaveEnoughPositivesAndNegativesAndTheMatrixMarksThem()
    {
        // 4 windows of 4 tokens; window 0 is held out (every 2nd: windows 0 and 2). Noun on every even position, Verb only in window 1.
        ulong Mask(int w, int p) => (p % 2 == 0 ? CorpusLabel.Noun.Bit : 0) | (w == 1 && p == 1 ? CorpusLabel.Verb.Bit : 0);
        var windows = Enumerable.Range(0, 4).Select(w => new TokenWindow(new int[4], Enumerable.Range(0, 4).Select(p => Mask(w, p)).ToArray(), new long[4])).ToList();
        var windowOf = Enumerable.Range(0, 16).Select(i => (long)(i / 4)).ToArray();
        var positionOf = Enumerable.Range(0, 16).Select(i => i % 4).ToArray();
        using var scope = torch.NewDisposeScope();
        var set = ProbeTaskSet.FromWindows(windows, windowOf, positionOf, [CorpusLabel.Noun, CorpusLabel.Verb], heldOutEvery: 2, minPositives: 2);
        var noun = Assert.Single(set.Tasks);
        Assert.Equal(("noun", 4L, 4L, 0.5), (noun.Name, noun.TrainPositives, noun.HeldOutPositives, noun.BaseRate));
        Assert.Equal(["verb (1 + 0 positives)"], set.Skipped);
        Assert.Equal((8L, 8L), (set.TrainTokens, set.HeldOutTokens));
        Assert.Equal(new byte[] { 1, 0, 1, 0 }, set.Labels_TJ.narrow(0, 0, 4).reshape(-1).ToArray<byte>());
        Assert.Equal(new[] { true, true, true, true, false }, set.HeldOut_T.narrow(0, 0, 5).ToArray<bool>());
        var none = Assert.Throws<InvalidOperationException>(() => ProbeTaskSet.FromWindows(windows, windowOf, positionOf, [CorpusLabel.Verb], 2, 2));
        Assert.Contains("raise TestWindows or lower ProbeMinPositives", none.Message);
    }

    [Fact]
    public void WindowsBatchIntoInt64MatricesInOrder()
    {
        var windows = Enumerable.Range(0, 5).Select(w => new TokenWindow([w, w + 10, w + 20], new ulong[3], new long[3])).ToList();
        using var scope = torch.NewDisposeScope();
        var m = TokenWindowBatches.Matrix(windows);
        Assert.Equal(new long[] { 5, 3 }, m.shape);
        Assert.Equal(new long[] { 1, 11, 21 }, m[1].ToArray<long>());
        var batches = TokenWindowBatches.Batches(windows, 2).ToList();
        Assert.Equal([2L, 2L, 1L], batches.Select(b => b.size(0)));
        Assert.Equal(new long[] { 4, 14, 24 }, batches[2][0].ToArray<long>());
        Assert.Throws<ArgumentException>(() => TokenWindowBatches.Matrix([windows[0], new TokenWindow([1, 2], new ulong[2], new long[2])]));
    }
}
