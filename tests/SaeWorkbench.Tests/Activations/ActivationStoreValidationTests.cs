using SaeWorkbench.Activations;
using System.Text.Json.Nodes;
namespace SaeWorkbench.Tests.Activations;

/// <summary>Every way a store can be broken gives an <see cref="ActivationStoreException"/> naming the file and the fix;
/// resuming with a different identity is refused naming both values; the suggested repair works.</summary>
public sealed class ActivationStoreValidationTests : IDisposable
{
    private const int D = 6, T = 8;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"saewb-storecheck-{Guid.NewGuid():N}");
    private readonly string _dir;
    private readonly int[][] _windows = FakeModel.Windows(10, T, 40, seed: 2);
    private readonly HarvestConfig _config = new()
    {
        HookName = "blocks.8.hook_resid_post", ModelId = "gpt2-fake", DModel = D, ContextLength = T, TokensPerShard = 16, BatchWindows = 2,
    };

    public ActivationStoreValidationTests()
    {
        _dir = Path.Combine(_root, "store");
        ActivationHarvester.Harvest(_dir, _config, TokenWindows.FromList(_windows, T), FakeModel.For(D));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private string Shard(int i) => Path.Combine(_dir, ActivationStore.ShardFileName(i));
    private string ManifestPath => Path.Combine(_dir, "manifest.json");

    private static ActivationStoreException Fails(Action action, string file, params string[] phrases)
    {
        var e = Assert.Throws<ActivationStoreException>(action);
        Assert.Equal(Path.GetFullPath(file), e.FilePath);
        Assert.Contains(Path.GetFileName(file), e.Message);
        foreach (var p in phrases) Assert.Contains(p, e.Message);
        return e;
    }

    private const string Repair = "ActivationStore.DropShardsFrom(";

    [Fact]
    public void AMissingShardIsNamedWhenTheStoreOpens()
    {
        File.Delete(Shard(3));
        Fails(() => ActivationStore.Open(_dir), Shard(3), "is missing", Repair);
    }

    [Fact]
    public void ATruncatedShardIsNamedWhenTheStoreOpens()
    {
        var bytes = File.ReadAllBytes(Shard(2));
        File.WriteAllBytes(Shard(2), bytes[..^10]);
        Fails(() => ActivationStore.Open(_dir), Shard(2), "truncated", $"{bytes.Length - 10} bytes", $"records {bytes.Length}", Repair);
    }

    [Fact]
    public void ACorruptedShardFailsItsChecksumWhenRead()
    {
        var bytes = File.ReadAllBytes(Shard(1));
        bytes[^5] ^= 0x40;   // inside the last tensor's data: the header still parses, the size is unchanged
        File.WriteAllBytes(Shard(1), bytes);
        var store = ActivationStore.Open(_dir);
        using (store.ReadShard(0)) { }
        Fails(() => store.ReadShard(1), Shard(1), "CRC-32C", "corrupt", Repair);
        Fails(store.Verify, Shard(1), "CRC-32C");
        using var source = store.ToSource(new StoreReadOptions { ShuffleSeed = null });
        Fails(() => source.NextBatch(40), Shard(1), "CRC-32C");
        // Skipping the checksum reads what is there.
        using (store.ReadShard(1, verifyChecksum: false)) { }
    }

    /// <summary>Replaces shard 0 with a well-formed file whose tensors differ from what the manifest says, and updates the
    /// manifest's size and checksum so that only the content check can catch it.</summary>
    private void ReplaceShard0(Tensor activations, int rows)
    {
        using (var scope = NewDisposeScope())
        {
            SafeTensors.Save(new Dictionary<string, Tensor>
            {
                ["activations"] = activations,
                ["tokens"] = zeros([rows], ScalarType.Int32),
                ["positions"] = zeros([rows], ScalarType.Int32),
                ["windows"] = zeros([rows], ScalarType.Int64),
            }, Shard(0));
        }
        var m = JsonNode.Parse(File.ReadAllText(ManifestPath))!;
        m["shards"]![0]!["bytes"] = new FileInfo(Shard(0)).Length;
        m["shards"]![0]!["crc32c"] = Crc32C.Append(0, File.ReadAllBytes(Shard(0))).ToString("x8");
        File.WriteAllText(ManifestPath, m.ToJsonString());
    }

    [Fact]
    public void AShardWithTheWrongWidthIsRefused()
    {
        using var scope = NewDisposeScope();
        ReplaceShard0(zeros([16, D - 1]), 16);
        Fails(() => ActivationStore.Open(_dir).ReadShard(0), Shard(0), "'activations' is F32 [16, 5]", "d_model = 6", "does not belong", Repair);
    }

    [Fact]
    public void AShardWithTheWrongDtypeIsRefused()
    {
        using var scope = NewDisposeScope();
        ReplaceShard0(zeros([16, D], ScalarType.Float16), 16);
        Fails(() => ActivationStore.Open(_dir).ReadShard(0), Shard(0), "'activations' is F16 [16, 6]", "dtype = float32");
    }

    [Fact]
    public void AShardWithTheWrongRowCountIsRefused()
    {
        using var scope = NewDisposeScope();
        ReplaceShard0(zeros([15, D]), 15);
        Fails(() => ActivationStore.Open(_dir).ReadShard(0), Shard(0), "[15, 6]", "rows = 16");
    }

    [Fact]
    public void AMissingOrCorruptManifestIsNamed()
    {
        var original = File.ReadAllText(ManifestPath);
        File.Delete(ManifestPath);
        Fails(() => ActivationStore.Open(_dir), ManifestPath, "no manifest.json", "Harvest into it first");

        File.WriteAllText(ManifestPath, original[..(original.Length / 2)]);
        Fails(() => ActivationStore.Open(_dir), ManifestPath, "not valid JSON", "Harvest again");

        File.WriteAllText(ManifestPath, original.Replace("\"d_model\"", "\"d_modle\""));
        Fails(() => ActivationStore.Open(_dir), ManifestPath, "corrupt", "d_modle");

        File.WriteAllText(ManifestPath, original.Replace("\"total_rows\": 80", "\"total_rows\": 81"));
        Fails(() => ActivationStore.Open(_dir), ManifestPath, "total_rows = 81", "shards hold 80");

        File.WriteAllText(ManifestPath, original.Replace("shard-00002.safetensors", "../shard-00002.safetensors"));
        Fails(() => ActivationStore.Open(_dir), ManifestPath, "expected 'shard-00002.safetensors'");
    }

    [Fact]
    public void AnotherFormatVersionIsRefused()
    {
        var original = File.ReadAllText(ManifestPath);
        Assert.Contains("\"format_version\": 1,", original);
        File.WriteAllText(ManifestPath, original.Replace("\"format_version\": 1,", "\"format_version\": 2,"));
        Fails(() => ActivationStore.Open(_dir), ManifestPath, "format_version 2", "reads version 1", "newer SaeWorkbench");
        File.WriteAllText(ManifestPath, original.Replace("saewb-activation-store", "something-else"));
        Fails(() => ActivationStore.Open(_dir), ManifestPath, "not an activation store manifest", "'something-else'");
    }

    /// <summary>Resuming a harvest with another hook, model, width or dtype is refused, naming the recorded and the
    /// requested value.</summary>
    [Fact]
    public void ResumingWithADifferentIdentityIsRefusedNamingBothValues()
    {
        var dir = Path.Combine(_root, "partial");
        using var cts = new CancellationTokenSource();
        var source = TokenWindows.FromList(_windows, T);
        Assert.Throws<OperationCanceledException>(() =>
            ActivationHarvester.Harvest(dir, _config, source, FakeModel.For(D, _ => cts.Cancel()), cancellationToken: cts.Token));
        var manifest = Path.Combine(dir, "manifest.json");

        Fails(() => ActivationHarvester.Harvest(dir, _config with { HookName = "blocks.6.hook_resid_post" }, source, FakeModel.For(D)), manifest,
            "hook_name = 'blocks.8.hook_resid_post' but this harvest asks for 'blocks.6.hook_resid_post'", "another folder");
        Fails(() => ActivationHarvester.Harvest(dir, _config with { ModelId = "gpt2-medium" }, source, FakeModel.For(D)), manifest,
            "model_id = 'gpt2-fake' but this harvest asks for 'gpt2-medium'");
        Fails(() => ActivationHarvester.Harvest(dir, _config with { DModel = 7 }, source, FakeModel.For(7)), manifest,
            "d_model = 6 but this harvest asks for 7");
        Fails(() => ActivationHarvester.Harvest(dir, _config with { StorageDType = ActivationDType.BFloat16 }, source, FakeModel.For(D)), manifest,
            "dtype = 'float32' but this harvest asks for 'bfloat16'");

        // The same identity resumes; overwrite starts over with the new one.
        Assert.True(ActivationHarvester.Harvest(dir, _config, source, FakeModel.For(D)).IsComplete);
        var replaced = ActivationHarvester.Harvest(dir, _config with { StorageDType = ActivationDType.BFloat16 }, source, FakeModel.For(D), overwrite: true);
        Assert.Equal(ActivationDType.BFloat16, replaced.StorageDType);
        Assert.Equal(80, replaced.RowCount);
    }

    /// <summary>The repair the errors suggest: drop the broken shard and those after it, resume, and the store is whole
    /// again, byte for byte.</summary>
    [Fact]
    public void DroppingBrokenShardsAndResumingRestoresTheStore()
    {
        var before = Directory.EnumerateFiles(_dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        File.WriteAllBytes(Shard(2), File.ReadAllBytes(Shard(2))[..100]);
        ActivationStore.DropShardsFrom(_dir, 2);
        var dropped = ActivationStore.Open(_dir);
        Assert.Equal(2, dropped.ShardCount);
        Assert.False(dropped.IsComplete);
        Assert.Equal(32, dropped.RowCount);
        Assert.Equal(4, dropped.Manifest.WindowsConsumed);

        ActivationHarvester.Harvest(_dir, _config, TokenWindows.FromList(_windows, T), FakeModel.For(D)).Verify();
        var after = Directory.EnumerateFiles(_dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before) Assert.True(bytes.SequenceEqual(after[name]), $"{name} differs");
    }
}
