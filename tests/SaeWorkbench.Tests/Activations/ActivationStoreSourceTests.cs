using SaeWorkbench.Activations;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;

namespace SaeWorkbench.Tests.Activations;

/// <summary>Shuffled training reads from a store: every row once per epoch, seeded order, exact state restore.</summary>
public sealed class ActivationStoreSourceTests : IDisposable
{
    private const int D = 4, T = 8, Windows = 23, Rows = Windows * T, PerShard = 20;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"saewb-source-{Guid.NewGuid():N}");
    private readonly ActivationStore _store;

    /// <summary>Token ids 0..183 in order, so column 0 of a row (its token) is its row number in the stream.</summary>
    public ActivationStoreSourceTests()
    {
        var config = new HarvestConfig { HookName = "h", ModelId = "fake", DModel = D, ContextLength = T, TokensPerShard = PerShard, BatchWindows = 5 };
        _store = ActivationHarvester.Harvest(_dir, config, TokenWindows.FromTokens(Enumerable.Range(0, Rows).ToArray(), T), FakeModel.For(D));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Row ids of the next <paramref name="count"/> rows read in batches of <paramref name="batch"/>.</summary>
    private static List<int> Read(IActivationSource source, int count, int batch)
    {
        var ids = new List<int>();
        while (ids.Count < count)
        {
            using var scope = NewDisposeScope();
            var x = source.NextBatch(Math.Min(batch, count - ids.Count));
            Assert.Equal(ScalarType.Float32, x.dtype);
            Assert.Equal(D, x.size(1));
            ids.AddRange(x[.., 0].ToArray<float>().Select(v => (int)v));
        }
        return ids;
    }

    [Fact]
    public void EachEpochVisitsEveryRowOnceInAFreshShuffledOrder()
    {
        using var source = _store.ToSource(new StoreReadOptions { ShuffleSeed = 3, ShuffleShards = 3 });
        Assert.Equal(Rows, source.RowsPerEpoch);
        var ids = Read(source, 3 * Rows, 37);
        var epochs = ids.Chunk(Rows).ToList();
        foreach (var e in epochs) Assert.Equal(Enumerable.Range(0, Rows), e.Order());
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(epochs[1], epochs[2]);
        Assert.Equal(3 * Rows, source.TokensRead);
        Assert.Equal(2, source.Epoch);

        // Rows are read buffer by buffer: each run of 3 x 20 rows comes from 3 whole shards, in shuffled row order.
        var firstBuffer = epochs[0].Take(3 * PerShard).ToList();
        Assert.Equal(3, firstBuffer.Select(i => i / PerShard).Distinct().Count());
        Assert.NotEqual(firstBuffer.Order(), firstBuffer);
        // ... and the shard order itself is shuffled per epoch (seed 3: not 0, 1, 2, ... in every epoch).
        var shardOrders = epochs.Select(e => e.Select(i => i / PerShard).Distinct().ToList()).ToList();
        Assert.Contains(shardOrders, o => !o.SequenceEqual(Enumerable.Range(0, 10)));
        Assert.NotEqual(shardOrders[0], shardOrders[1]);
        Assert.Equal((3 + 1) * PerShard * D * 4, source.MemoryBoundBytes);
    }

    [Fact]
    public void TheSameSeedGivesTheSameOrderAndNoSeedReadsInStoredOrder()
    {
        using var a = _store.ToSource(new StoreReadOptions { ShuffleSeed = 9 });
        using var b = _store.ToSource(new StoreReadOptions { ShuffleSeed = 9 });
        using var c = _store.ToSource(new StoreReadOptions { ShuffleSeed = 10 });
        var ra = Read(a, 2 * Rows, 50);
        Assert.Equal(ra, Read(b, 2 * Rows, 13));
        Assert.NotEqual(ra, Read(c, 2 * Rows, 50));

        using var ordered = _store.ToSource(new StoreReadOptions { ShuffleSeed = null });
        Assert.Equal(Enumerable.Range(0, Rows).Concat(Enumerable.Range(0, Rows)), Read(ordered, 2 * Rows, 29));
    }

    [Fact]
    public void AShardSubsetReadsOnlyThoseShards()
    {
        using var source = _store.ToSource(new StoreReadOptions { ShuffleSeed = 1, Shards = [.. Enumerable.Range(0, 9)] });
        Assert.Equal(9 * PerShard, source.RowsPerEpoch);
        Assert.Equal(Enumerable.Range(0, 9 * PerShard), Read(source, 9 * PerShard, 64).Order());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _store.ToSource(new StoreReadOptions { Shards = [0, 10] }));
        Assert.Contains("StoreReadOptions.Shards = 10", e.Message);
    }

    /// <summary>Interrupted at any point (inside a buffer, at a buffer's end, in a later epoch), saved through a
    /// safetensors file like a checkpoint, and restored into a new source, the reads continue exactly.</summary>
    [Theory]
    [InlineData(25)]
    [InlineData(60)]
    [InlineData(184)]
    [InlineData(300)]
    public void ARestoredSourceContinuesExactly(int readBefore)
    {
        var options = new StoreReadOptions { ShuffleSeed = 5, ShuffleShards = 3 };
        using var a = _store.ToSource(options);
        Read(a, readBefore, 20);
        var path = Path.Combine(_dir, "state.safetensors");
        using (var scope = NewDisposeScope()) SafeTensors.Save(a.state_dict(), path);
        var expected = Read(a, 2 * Rows, 23);

        using var b = _store.ToSource(options);
        using (var scope = NewDisposeScope()) b.load_state_dict(SafeTensors.Load(path));
        Assert.Equal(readBefore, b.TokensRead);
        Assert.Equal(expected, Read(b, 2 * Rows, 23));

        // A state from another shuffle is refused.
        using var other = _store.ToSource(options with { ShuffleSeed = 6 });
        using (var scope = NewDisposeScope())
        {
            var e = Assert.Throws<ArgumentException>(() => other.load_state_dict(SafeTensors.Load(path)));
            Assert.Contains("ShuffleSeed", e.Message);
        }
    }

    /// <summary>The trainer takes a store source as its data and trains on it.</summary>
    [Fact]
    public void TheTrainerTrainsFromAStore()
    {
        using var scope = NewDisposeScope();
        using var source = _store.ToSource();
        var run = new TrainingRun("topk", new TopKSae(new TopKSaeConfig { DIn = D, NumLatents = 8, K = 2, Init = new SaeInit { Seed = 1 } }));
        var result = new Trainer(new TrainerConfig { BatchSize = 32, TotalTokens = 320, InitSampleTokens = 64, ReportEverySteps = 5 }, source, [run]).Train();
        Assert.Equal(10, result["topk"].Steps);
        Assert.Equal(64 + 320, source.TokensRead);
        Assert.True(double.IsFinite(result["topk"].FinalLosses["total"]));
        run.Sae.Dispose();
        run.Dispose();
    }
}
