using SaeWorkbench.Activations;
using System.Text.Json;
namespace SaeWorkbench.Tests.Activations;

/// <summary>Harvesting into shards and into memory: values and alignment, shard layout, bounded buffering, exact resume.</summary>
public sealed class ActivationHarvestTests : IDisposable
{
    private const int D = 6, T = 8, EndOfText = 7;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"saewb-harvest-{Guid.NewGuid():N}");
    private readonly int[][] _windows = FakeModel.Windows(23, T, 40, seed: 5);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string Dir(string name) => Path.Combine(_root, name);

    private static HarvestConfig Config(ActivationDType dtype = ActivationDType.Float32, bool skip = false, long tokensPerShard = 20, int batchWindows = 4) => new()
    {
        HookName = "blocks.1.hook_resid_post",
        ModelId = "fake",
        DatasetId = "random windows seed=5",
        DModel = D,
        ContextLength = T,
        StorageDType = dtype,
        TokensPerShard = tokensPerShard,
        BatchWindows = batchWindows,
        SkipFirstPosition = skip,
        SkipTokenId = skip ? EndOfText : null,
    };

    /// <summary>Every stored row is the activation of the token and position it names, taken from the window it names,
    /// in stream order; shards hold TokensPerShard rows except the last.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StoredRowsAreTheActivationsOfTheirTokensInStreamOrder(bool skip)
    {
        using var scope = NewDisposeScope();
        var config = Config(skip: skip);
        var store = ActivationHarvester.Harvest(Dir("a"), config, TokenWindows.FromList(_windows, T), FakeModel.For(D));

        var kept = FakeModel.KeptRows(_windows, skip, skip ? EndOfText : null);
        if (!skip) Assert.Equal(23 * T, kept.Count);
        Assert.True(store.IsComplete);
        Assert.Equal(kept.Count, store.RowCount);
        var expectedShards = (kept.Count + 19) / 20;
        Assert.Equal(expectedShards, store.ShardCount);
        for (var i = 0; i < store.ShardCount; i++)
            Assert.Equal(i < store.ShardCount - 1 ? 20 : kept.Count - 20 * (expectedShards - 1), store.ShardRows(i));
        Assert.Equal(23, store.Manifest.WindowsConsumed);

        using var all = store.ReadAll();
        Assert.Equal(kept.Select(k => k.Window), all.Windows.ToArray<long>());
        Assert.Equal(kept.Select(k => k.Position), all.Positions.ToArray<int>());
        Assert.Equal(kept.Select(k => _windows[k.Window][k.Position]), all.Tokens.ToArray<int>());
        if (skip) Assert.DoesNotContain(EndOfText, all.Tokens.ToArray<int>());
        Assert.True(FakeModel.Expected(all, D, ActivationDType.Float32).SameAs(all.Activations));

        // Sequential reads by shard give the same rows.
        long row = 0;
        foreach (var shard in store.ReadShards())
        {
            using (shard)
            {
                Assert.True(all.Activations.narrow(0, row, shard.Count).SameAs(shard.Activations));
                Assert.True(all.Tokens.narrow(0, row, shard.Count).SameAs(shard.Tokens));
                row += shard.Count;
            }
        }
        Assert.Equal(store.RowCount, row);
    }

    /// <summary>The manifest records the identity, layout, shard sizes and checksums, and the resume point.</summary>
    [Fact]
    public void ManifestRecordsIdentityShardsAndChecksums()
    {
        var store = ActivationHarvester.Harvest(Dir("m"), Config(ActivationDType.BFloat16), TokenWindows.FromList(_windows, T), FakeModel.For(D));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(store.Directory, "manifest.json")));
        var r = doc.RootElement;
        Assert.Equal("saewb-activation-store", r.GetProperty("format").GetString());
        Assert.Equal(1, r.GetProperty("format_version").GetInt32());
        Assert.Equal("blocks.1.hook_resid_post", r.GetProperty("hook_name").GetString());
        Assert.Equal("bfloat16", r.GetProperty("dtype").GetString());
        Assert.Equal(D, r.GetProperty("d_model").GetInt32());
        Assert.True(r.GetProperty("complete").GetBoolean());
        var shards = r.GetProperty("shards").EnumerateArray().ToList();
        Assert.Equal(10, shards.Count);
        for (var i = 0; i < shards.Count; i++)
        {
            var path = Path.Combine(store.Directory, $"shard-{i:D5}.safetensors");
            Assert.Equal($"shard-{i:D5}.safetensors", shards[i].GetProperty("file").GetString());
            Assert.Equal(new FileInfo(path).Length, shards[i].GetProperty("bytes").GetInt64());
            var crc = Crc32C.Append(0, File.ReadAllBytes(path)).ToString("x8");
            Assert.Equal(crc, shards[i].GetProperty("crc32c").GetString());
            // 20 rows per shard = 2.5 windows: shard i starts at row 20 i = window 20 i / 8, row 20 i mod 8.
            Assert.Equal(20 * i / T, shards[i].GetProperty("first_window").GetInt64());
            Assert.Equal(20 * i % T, shards[i].GetProperty("first_row_in_window").GetInt64());
        }
        // bfloat16 halves the activation bytes: 20 rows x 6 x 2 bytes, plus tokens, positions (4 bytes) and windows (8 bytes).
        Assert.InRange(shards[0].GetProperty("bytes").GetInt64() - 20 * (D * 2 + 16), 1, 512);
    }

    /// <summary>The in-memory mode runs the same harvest: equal to reading the disk store back, for each storage dtype.</summary>
    [Theory]
    [InlineData(ActivationDType.Float32)]
    [InlineData(ActivationDType.Float16)]
    [InlineData(ActivationDType.BFloat16)]
    public void InMemoryHarvestEqualsTheDiskStore(ActivationDType dtype)
    {
        using var scope = NewDisposeScope();
        var config = Config(dtype, skip: true);
        var store = ActivationHarvester.Harvest(Dir(dtype.ToString()), config, TokenWindows.FromList(_windows, T), FakeModel.For(D));
        using var disk = store.ReadAll();
        using var memory = ActivationHarvester.HarvestToMemory(config, TokenWindows.FromList(_windows, T), FakeModel.For(D));
        Assert.Equal(ScalarType.Float32, memory.Activations.dtype);
        Assert.True(disk.Activations.SameAs(memory.Activations));
        Assert.True(disk.Tokens.SameAs(memory.Tokens));
        Assert.True(disk.Positions.SameAs(memory.Positions));
        Assert.True(disk.Windows.SameAs(memory.Windows));
        // Rounded through the storage dtype, exactly as torch rounds.
        Assert.True(FakeModel.Expected(memory, D, dtype).SameAs(memory.Activations));
        if (dtype != ActivationDType.Float32) Assert.False(FakeModel.Expected(memory, D, ActivationDType.Float32).SameAs(memory.Activations));

        // ... and hands a TensorActivationSource to the trainer.
        using var source = memory.ToSource();
        Assert.Equal(D, source.DIn);
        Assert.True(source.NextBatch(5).SameAs(memory.Activations.narrow(0, 0, 5)));
    }

    /// <summary>At most one shard is ever buffered: before each forward pass fewer than TokensPerShard harvested rows are
    /// missing from committed shards, also when one batch fills several shards.</summary>
    [Theory]
    [InlineData(20, 4)]
    [InlineData(5, 4)]
    [InlineData(64, 1)]
    public void AtMostOneShardIsBuffered(long tokensPerShard, int batchWindows)
    {
        var dir = Dir($"b{tokensPerShard}");
        long rowsBefore = 0;
        var calls = 0;
        var reports = new List<HarvestProgress>();
        var fn = FakeModel.For(D, tokens_BT =>
        {
            var manifest = Path.Combine(dir, "manifest.json");
            var committed = File.Exists(manifest) ? ActivationStoreManifest.Load(manifest).TotalRows : 0;
            Assert.InRange(rowsBefore - committed, 0, tokensPerShard - 1);
            rowsBefore += tokens_BT.numel();
            calls++;
        });
        var config = Config(tokensPerShard: tokensPerShard, batchWindows: batchWindows);
        var store = ActivationHarvester.Harvest(dir, config, TokenWindows.FromList(_windows, T), fn, new SyncProgress<HarvestProgress>(reports.Add));
        Assert.Equal((23 + batchWindows - 1) / batchWindows, calls);
        Assert.Equal(23 * T, store.RowCount);
        Assert.All(reports, p => Assert.InRange(p.BufferedRows, 0, tokensPerShard - 1));
        Assert.Equal(store.ShardCount, reports[^1].Shards);
        Assert.Equal(23 * T, reports[^1].Tokens);
        Assert.Equal(23, reports[^1].Windows);
        Assert.True(reports[^1].TokensPerSecond > 0);
        Assert.Equal(tokensPerShard * ((long)D * 4 + 16) + 2L * batchWindows * T * D * 4, config.MemoryBoundBytes);
    }

    private static Dictionary<string, byte[]> Files(string dir) =>
        Directory.EnumerateFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void AssertSameFiles(string expectedDir, string actualDir)
    {
        var a = Files(expectedDir);
        var b = Files(actualDir);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, bytes) in a) Assert.True(bytes.SequenceEqual(b[name]), $"{name} differs");
    }

    /// <summary>A harvest cancelled after any batch (with a stale uncommitted shard left behind, as by a crash between the
    /// shard write and the manifest write, and a killed write's temporary file) and then resumed writes byte for byte the
    /// files of an uninterrupted one, and no others.</summary>
    [Theory]
    [InlineData(1, ActivationDType.Float32)]
    [InlineData(2, ActivationDType.Float16)]
    [InlineData(3, ActivationDType.Float32)]
    [InlineData(5, ActivationDType.BFloat16)]
    public void AResumedHarvestWritesTheSameBytesAsAnUninterruptedOne(int cancelAfterBatches, ActivationDType dtype)
    {
        // Skipping makes windows hold different row counts, so shards end inside windows at irregular offsets.
        var config = Config(dtype, skip: true, tokensPerShard: 11, batchWindows: 3);
        var source = TokenWindows.FromList(_windows, T);
        var full = ActivationHarvester.Harvest(Dir("full"), config, source, FakeModel.For(D));

        using var cts = new CancellationTokenSource();
        var calls = 0;
        var fn = FakeModel.For(D, _ =>
        {
            if (++calls == cancelAfterBatches) cts.Cancel();
        });
        Assert.Throws<OperationCanceledException>(() => ActivationHarvester.Harvest(Dir("resumed"), config, source, fn, cancellationToken: cts.Token));
        var partial = ActivationStore.Open(Dir("resumed"));
        Assert.False(partial.IsComplete);
        Assert.InRange(partial.RowCount, 0, full.RowCount - 1);
        File.WriteAllText(Path.Combine(Dir("resumed"), ActivationStore.ShardFileName(partial.ShardCount)), "stale, uncommitted");
        File.WriteAllText(Path.Combine(Dir("resumed"), ActivationStore.ShardFileName(partial.ShardCount) + ".tmp-0123456789abcdef"), "killed mid-write");

        var resumedCalls = 0;
        var store = ActivationHarvester.Harvest(Dir("resumed"), config, source, FakeModel.For(D, _ => resumedCalls++));
        Assert.True(store.IsComplete);
        // The resume re-runs at most the batch holding the resume point: 23 windows in batches of 3 is 8 batches.
        Assert.Equal(8 - partial.Manifest.WindowsConsumed / 3, resumedCalls);
        AssertSameFiles(Dir("full"), Dir("resumed"));

        // Resuming a complete store changes nothing.
        ActivationHarvester.Harvest(Dir("resumed"), config, source, FakeModel.For(D, _ => Assert.Fail("a complete store must not run the model")));
        AssertSameFiles(Dir("full"), Dir("resumed"));
    }

    /// <summary>A window limit stops the harvest; an endless stream needs one.</summary>
    [Fact]
    public void MaxWindowsLimitsAnEndlessStream()
    {
        var endless = new EndlessWindows();
        var config = Config() with { MaxWindows = 10 };
        var store = ActivationHarvester.Harvest(Dir("endless"), config, endless, FakeModel.For(D));
        Assert.Equal(10 * T, store.RowCount);
        Assert.Equal(10, store.Manifest.WindowsConsumed);
        Assert.Equal(10, store.Manifest.WindowLimit);
        using var memory = ActivationHarvester.HarvestToMemory(config, endless, FakeModel.For(D));
        using var disk = store.ReadAll();
        Assert.True(disk.Activations.SameAs(memory.Activations));

        // A different limit on a complete store is refused, naming both.
        var e = Assert.Throws<ActivationStoreException>(() =>
            ActivationHarvester.Harvest(Dir("endless"), config with { MaxWindows = 12 }, endless, FakeModel.For(D)));
        Assert.Contains("window_limit = 10", e.Message);
        Assert.Contains("MaxWindows = 12", e.Message);
    }

    private sealed class EndlessWindows : ITokenWindowSource
    {
        public int ContextLength => T;

        public IEnumerable<int[]> ReadFrom(long firstWindow)
        {
            for (var w = firstWindow; ; w++) yield return Enumerable.Range(0, T).Select(t => (int)((w * 31 + t * 7) % 50)).ToArray();
        }
    }

    [Fact]
    public void TokenWindowsFromTokensCutsConsecutiveWindows()
    {
        var source = TokenWindows.FromTokens(Enumerable.Range(0, 30).ToArray(), 8);
        Assert.Equal([[8, 9, 10, 11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21, 22, 23]], source.ReadFrom(1).ToList());
        Assert.Throws<ArgumentException>(() => TokenWindows.FromList([new int[8], new int[7]], 8));
    }

    /// <summary>Bad configs and a model that returns the wrong shape fail with messages naming the field or hook.</summary>
    [Fact]
    public void BadConfigsAndWrongActivationShapesAreNamed()
    {
        var source = TokenWindows.FromList(_windows, T);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationHarvester.HarvestToMemory(Config(tokensPerShard: 0), source, FakeModel.For(D)));
        Assert.Contains("HarvestConfig.TokensPerShard = 0", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => ActivationHarvester.HarvestToMemory(Config() with { ContextLength = 1, SkipFirstPosition = true },
            TokenWindows.FromList([[1]], 1), FakeModel.For(D)));
        Assert.Contains("HarvestConfig.ContextLength = 1", e.Message);
        var a = Assert.Throws<ArgumentException>(() => ActivationHarvester.HarvestToMemory(Config() with { ContextLength = 4 }, source, FakeModel.For(D)));
        Assert.Contains("8 tokens", a.Message);
        var i = Assert.Throws<InvalidOperationException>(() => ActivationHarvester.HarvestToMemory(Config(), source, FakeModel.For(D + 1)));
        Assert.Contains("'blocks.1.hook_resid_post'", i.Message);
        Assert.Contains("[4, 8, 6]", i.Message);
    }
}
