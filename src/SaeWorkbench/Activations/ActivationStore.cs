using SaeWorkbench.IO;
using static TorchSharp.torch;

namespace SaeWorkbench.Activations;

/// <summary>
/// A folder of harvested activations (written by <see cref="ActivationHarvester.Harvest"/>): manifest.json plus shards
/// shard-00000.safetensors, shard-00001.safetensors, ... each holding <c>activations</c> [N, D] in the storage dtype,
/// <c>tokens</c> [N] int32, <c>positions</c> [N] int32 (position within the window) and <c>windows</c> [N] int64 (window
/// index in the token stream), so that activations line up with tokens and labels. Shard order is stream order.
/// </summary>
/// <remarks>
/// <see cref="Open"/> reads the manifest strictly and checks that every listed shard exists with its recorded size (a
/// truncated file is caught at once); each read checks the shard's CRC-32C (unless told not to) and its tensors' names,
/// dtypes and shapes against the manifest. Every failure is an <see cref="ActivationStoreException"/> naming the file and
/// the fix. For training use <see cref="ToSource"/>; for evaluation, <see cref="ReadShard"/> or <see cref="ReadAll"/>.
/// </remarks>
public sealed class ActivationStore
{
    /// <summary>Tensor names inside a shard.</summary>
    public const string ActivationsName = "activations", TokensName = "tokens", PositionsName = "positions", WindowsName = "windows";

    private ActivationStore(string directory, ActivationStoreManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    /// <summary>The store's folder, full path.</summary>
    public string Directory { get; }

    /// <summary>The manifest as read when the store was opened.</summary>
    public ActivationStoreManifest Manifest { get; }

    public int ShardCount => Manifest.Shards.Count;
    public long RowCount => Manifest.TotalRows;
    public int DModel => Manifest.DModel;
    public string HookName => Manifest.HookName;
    public string ModelId => Manifest.ModelId;
    public ActivationDType StorageDType => Manifest.StorageDType;

    /// <summary>True when the harvest finished (false: an interrupted harvest; its committed shards can still be read).</summary>
    public bool IsComplete => Manifest.Complete;

    /// <summary>"shard-00007.safetensors" for index 7.</summary>
    public static string ShardFileName(int index) => $"shard-{index:D5}.safetensors";

    /// <summary>Full path of shard <paramref name="index"/>.</summary>
    public string ShardPath(int index) => Path.Combine(Directory, ShardFileName(index));

    /// <summary>Rows in shard <paramref name="index"/>.</summary>
    public long ShardRows(int index) => Manifest.Shards[CheckIndex(index)].Rows;

    /// <summary>Opens the store in <paramref name="directory"/>: reads manifest.json (strictly) and checks that every listed
    /// shard exists with the recorded byte size.</summary>
    public static ActivationStore Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir))
            throw new ActivationStoreException($"activation store folder '{dir}' does not exist; check the path, or harvest into it first.", dir);
        var store = new ActivationStore(dir, ActivationStoreManifest.Load(Path.Combine(dir, ActivationStoreManifest.FileName)));
        for (var i = 0; i < store.ShardCount; i++) store.CheckFileSize(i);
        return store;
    }

    private int CheckIndex(int index) =>
        index >= 0 && index < ShardCount ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"shard index must be in [0, {ShardCount})");

    private string Fix(int index) =>
        $"Restore the file from a copy, or call ActivationStore.DropShardsFrom(\"{Directory}\", {index}) and resume the harvest to rewrite " +
        $"shards {index} onwards (or delete the folder and harvest again).";

    private void CheckFileSize(int index)
    {
        var path = ShardPath(index);
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new ActivationStoreException($"shard '{path}' listed in {ActivationStoreManifest.FileName} is missing. {Fix(index)}", path);
        var expected = Manifest.Shards[index].Bytes;
        if (info.Length != expected)
            throw new ActivationStoreException(
                $"shard '{path}' is {info.Length} bytes but {ActivationStoreManifest.FileName} records {expected}: " +
                $"the file is {(info.Length < expected ? "truncated" : "not the one that was harvested")}. {Fix(index)}", path);
    }

    /// <summary>
    /// Loads shard <paramref name="index"/> after checking its size, its checksum (when <paramref name="verifyChecksum"/>)
    /// and its tensors against the manifest. Activations stay in the storage dtype; the other three only when asked for.
    /// The tensors belong to the caller's dispose scope.
    /// </summary>
    internal (Tensor Activations_ND, Tensor? Tokens_N, Tensor? Positions_N, Tensor? Windows_N) LoadShard(int index, bool verifyChecksum, bool withAlignment)
    {
        CheckIndex(index);
        var path = ShardPath(index);
        var info = Manifest.Shards[index];
        CheckFileSize(index);
        if (verifyChecksum)
        {
            var crc = Crc32C.OfFile(path);
            if (crc != info.Crc32c)
                throw new ActivationStoreException(
                    $"shard '{path}' fails its CRC-32C check ({ActivationStoreManifest.FileName} records {info.Crc32c}, the file has {crc}): " +
                    $"the file is corrupt. {Fix(index)}", path);
        }

        SafeTensorsFile file;
        try
        {
            file = SafeTensorsFile.Open(path);
        }
        catch (SafeTensorsException e)
        {
            throw new ActivationStoreException($"shard '{path}' is not a valid safetensors file ({e.Message}). {Fix(index)}", path, e);
        }
        using (file)
        {
            var storage = SafeTensors.ToSafeTensorDType(StorageDType.ToScalarType());
            SafeTensorEntry Entry(string name, SafeTensorDType dtype, long[] shape)
            {
                var expected = $"{SafeTensorDTypes.ToName(dtype)} [{string.Join(", ", shape)}]";
                if (!file.TryGetEntry(name, out var e))
                    throw new ActivationStoreException(
                        $"shard '{path}' has no tensor '{name}' (expected {expected}): the file does not belong to this store. {Fix(index)}", path);
                if (e.DType != dtype || !e.Shape.SequenceEqual(shape))
                    throw new ActivationStoreException(
                        $"shard '{path}': tensor '{name}' is {SafeTensorDTypes.ToName(e.DType)} {e.ShapeString}, but {ActivationStoreManifest.FileName} " +
                        $"says {expected} (rows = {info.Rows}, d_model = {DModel}, dtype = {Manifest.Dtype}): the file does not belong to this store. {Fix(index)}",
                        path);
                return e;
            }
            var acts = Entry(ActivationsName, storage, [info.Rows, DModel]);
            var tok = Entry(TokensName, SafeTensorDType.I32, [info.Rows]);
            var pos = Entry(PositionsName, SafeTensorDType.I32, [info.Rows]);
            var win = Entry(WindowsName, SafeTensorDType.I64, [info.Rows]);
            var a = SafeTensors.LoadOne(file, acts.Name);
            if (!withAlignment) return (a, null, null, null);
            return (a, SafeTensors.LoadOne(file, tok.Name), SafeTensors.LoadOne(file, pos.Name), SafeTensors.LoadOne(file, win.Name));
        }
    }

    /// <summary>Shard <paramref name="index"/>: its rows (float32) with their tokens, positions and windows.</summary>
    public HarvestedActivations ReadShard(int index, bool verifyChecksum = true)
    {
        using var scope = NewDisposeScope();
        var (a, t, p, w) = LoadShard(index, verifyChecksum, withAlignment: true);
        return new HarvestedActivations(a.to(ScalarType.Float32), t!, p!, w!);
    }

    /// <summary>The shards in order, one at a time (each to be disposed by the caller): sequential access for evaluation
    /// with one shard in memory.</summary>
    public IEnumerable<HarvestedActivations> ReadShards(bool verifyChecksum = true)
    {
        for (var i = 0; i < ShardCount; i++) yield return ReadShard(i, verifyChecksum);
    }

    /// <summary>Every row in stream order (float32 [RowCount, D], with tokens, positions and windows): for small stores.</summary>
    public HarvestedActivations ReadAll(bool verifyChecksum = true)
    {
        using var scope = NewDisposeScope();
        var all = empty([RowCount, DModel], ScalarType.Float32);
        var tokens = new List<Tensor>();
        var positions = new List<Tensor>();
        var windows = new List<Tensor>();
        long row = 0;
        for (var i = 0; i < ShardCount; i++)
        {
            using var shardScope = NewDisposeScope();
            var (a, t, p, w) = LoadShard(i, verifyChecksum, withAlignment: true);
            all.narrow(0, row, a.size(0)).copy_(a);
            row += a.size(0);
            tokens.Add(t!.MoveToOuterDisposeScope());
            positions.Add(p!.MoveToOuterDisposeScope());
            windows.Add(w!.MoveToOuterDisposeScope());
        }
        if (ShardCount == 0) return new HarvestedActivations(all, empty([0], ScalarType.Int32), empty([0], ScalarType.Int32), empty([0], ScalarType.Int64));
        return new HarvestedActivations(all, cat(tokens), cat(positions), cat(windows));
    }

    /// <summary>Checks every shard completely (size, CRC-32C, tensor names, dtypes and shapes); throws on the first fault.</summary>
    public void Verify()
    {
        for (var i = 0; i < ShardCount; i++)
        {
            using var scope = NewDisposeScope();
            LoadShard(i, verifyChecksum: true, withAlignment: false);
        }
    }

    /// <summary>A shuffled (or sequential) training source over this store's shards.</summary>
    public ActivationStoreSource ToSource(StoreReadOptions? options = null) => new(this, options);

    /// <summary>
    /// Forgets shards <paramref name="index"/>, <paramref name="index"/> + 1, ... (deletes their files and rewrites
    /// manifest.json, atomically) so that a resumed harvest rewrites them: the repair for a missing or corrupt shard.
    /// The store becomes unfinished and resumes where shard <paramref name="index"/> started.
    /// </summary>
    public static void DropShardsFrom(string directory, int index)
    {
        var dir = Path.GetFullPath(directory);
        var path = Path.Combine(dir, ActivationStoreManifest.FileName);
        var m = ActivationStoreManifest.Load(path);
        if (index < 0 || index >= m.Shards.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"'{dir}' has {m.Shards.Count} shards; index must be in [0, {m.Shards.Count})");
        var from = m.Shards[index];
        var kept = m.Shards.Take(index).ToList();
        (m with
        {
            Shards = kept,
            TotalRows = kept.Sum(s => s.Rows),
            WindowsConsumed = from.FirstWindow,
            NextRowInWindow = from.FirstRowInWindow,
            Complete = false,
        }).Save(path);
        for (var i = index; i < m.Shards.Count; i++) File.Delete(Path.Combine(dir, ShardFileName(i)));
    }
}
