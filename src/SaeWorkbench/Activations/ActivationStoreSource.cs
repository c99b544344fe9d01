using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Activations;

/// <summary>How an <see cref="ActivationStoreSource"/> reads a store.</summary>
public sealed record StoreReadOptions
{
    /// <summary>Seed of the shuffle (shard order per epoch, row order per buffer); null reads in stored order (shards in
    /// order, rows in order), e.g. for evaluation.</summary>
    public ulong? ShuffleSeed { get; init; } = 0;

    /// <summary>Shards loaded together as one shuffle buffer, >= 1: each batch draws from up to ShuffleShards x
    /// TokensPerShard rows of ShuffleShards different stretches of the stream. Memory: the buffer plus one shard being
    /// loaded, (ShuffleShards + 1) x TokensPerShard x d_model x bytes of the storage dtype
    /// (<see cref="ActivationStoreSource.MemoryBoundBytes"/>).</summary>
    public int ShuffleShards { get; init; } = 4;

    /// <summary>Indices of the shards to read (e.g. all but the last, held out for evaluation); null: every shard.
    /// Distinct, each in [0, ShardCount).</summary>
    public IReadOnlyList<int>? Shards { get; init; }

    /// <summary>Check each shard's CRC-32C when it is loaded (a few GB/s with the CPU's CRC instruction; the shard is read
    /// twice, the second time from the page cache).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>Device of the returned batches (null: CPU). The shuffle buffer stays on the CPU.</summary>
    public Device? Device { get; init; }

    public void Validate(int shardCount)
    {
        const string owner = nameof(StoreReadOptions);
        ConfigCheck.Positive(ShuffleShards, owner, nameof(ShuffleShards));
        if (Shards is null) return;
        ConfigCheck.Require(Shards.Count > 0, owner, nameof(Shards), "[]", "null or a non-empty list");
        foreach (var s in Shards) ConfigCheck.Require(s >= 0 && s < shardCount, owner, nameof(Shards), s, $"shard indices in [0, {shardCount})");
        ConfigCheck.Require(Shards.Distinct().Count() == Shards.Count, owner, nameof(Shards), string.Join(",", Shards), "distinct indices");
    }
}

/// <summary>
/// Training batches from an <see cref="ActivationStore"/> (the SAE trainer's <see cref="IActivationSource"/>): [B, D]
/// float32 rows in a seeded shuffled order that visits every row exactly once per epoch. Each epoch shuffles the order of
/// the shards, then takes them <see cref="StoreReadOptions.ShuffleShards"/> at a time as a buffer whose rows are read in a
/// random permutation; batches run across buffer and epoch boundaries. Consecutive rows of the stream (one window's
/// tokens, strongly correlated) are therefore spread over the buffer, and each batch mixes many contexts.
/// </summary>
/// <remarks>
/// Every permutation is drawn from a generator seeded with a hash of (seed, epoch, buffer index), so the read position
/// (epoch, buffer, row within it) is the whole state: <see cref="load_state_dict"/> reloads that buffer and continues with
/// exactly the batches an uninterrupted reader would return.
/// </remarks>
public sealed class ActivationStoreSource : IActivationSource, IDisposable
{
    private readonly ActivationStore _store;
    private readonly StoreReadOptions _options;
    private readonly int[] _shards;
    private readonly long _rows;
    private readonly Generator? _gen;
    private long _epoch;
    private long _group;
    private long _position;
    private int[]? _epochOrder;
    private long _epochOrderOf = -1;
    private Tensor? _buffer_ND;
    private Tensor? _order_N;
    private (long Epoch, long Group) _loaded = (-1, -1);

    public ActivationStoreSource(ActivationStore store, StoreReadOptions? options = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new StoreReadOptions();
        _options.Validate(store.ShardCount);
        _shards = (_options.Shards ?? Enumerable.Range(0, store.ShardCount).ToList()).ToArray();
        _rows = _shards.Sum(i => store.ShardRows(i));
        if (_rows == 0)
            throw new ArgumentException($"the activation store '{store.Directory}' has no rows to read (shards: {_shards.Length}); harvest into it first", nameof(store));
        if (_options.ShuffleSeed is not null) _gen = new Generator(0);
    }

    public long DIn => _store.DModel;

    public long TokensRead { get; private set; }

    /// <summary>Rows per epoch (the selected shards' rows).</summary>
    public long RowsPerEpoch => _rows;

    /// <summary>Current epoch, counted from 0.</summary>
    public long Epoch => _epoch;

    /// <summary>Bytes this source holds at most: the shuffle buffer and one shard being loaded into it.</summary>
    public long MemoryBoundBytes =>
        (Math.Min(_options.ShuffleShards, _shards.Length) + 1) * _store.Manifest.TokensPerShard * _store.DModel * _store.StorageDType.ElementSize();

    private int GroupCount => (_shards.Length + _options.ShuffleShards - 1) / _options.ShuffleShards;

    /// <summary>SplitMix64 of the seed, epoch and buffer index: independent, reproducible seeds for each permutation.</summary>
    private static ulong Mix(ulong seed, long epoch, long group)
    {
        static ulong SplitMix(ulong z)
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
        return SplitMix(SplitMix(SplitMix(seed) ^ (ulong)epoch) ^ (ulong)group);
    }

    private int[] ShardOrder()
    {
        if (_epochOrderOf == _epoch) return _epochOrder!;
        if (_gen is null)
        {
            _epochOrder = _shards;
        }
        else
        {
            using var scope = NewDisposeScope();
            _gen.manual_seed(unchecked((long)Mix(_options.ShuffleSeed!.Value, _epoch, -1)));
            _epochOrder = randperm(_shards.Length, generator: _gen).ToArray<long>().Select(i => _shards[i]).ToArray();
        }
        _epochOrderOf = _epoch;
        return _epochOrder;
    }

    private void EnsureBuffer()
    {
        if (_loaded == (_epoch, _group)) return;
        FreeBuffer();
        var members = ShardOrder().Skip((int)_group * _options.ShuffleShards).Take(_options.ShuffleShards).ToArray();
        var rows = members.Sum(i => _store.ShardRows(i));
        var buffer = empty([rows, _store.DModel], _store.StorageDType.ToScalarType()).DetachFromDisposeScope();
        try
        {
            long at = 0;
            foreach (var i in members)
            {
                using var scope = NewDisposeScope();
                var a = _store.LoadShard(i, _options.VerifyChecksums, withAlignment: false).Activations_ND;
                buffer.narrow(0, at, a.size(0)).copy_(a);
                at += a.size(0);
            }
            if (_gen is null)
            {
                _order_N = arange(rows).DetachFromDisposeScope();
            }
            else
            {
                _gen.manual_seed(unchecked((long)Mix(_options.ShuffleSeed!.Value, _epoch, _group)));
                _order_N = randperm(rows, generator: _gen).DetachFromDisposeScope();
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        _buffer_ND = buffer;
        _loaded = (_epoch, _group);
    }

    private void FreeBuffer()
    {
        _buffer_ND?.Dispose();
        _order_N?.Dispose();
        _buffer_ND = null;
        _order_N = null;
        _loaded = (-1, -1);
    }

    public Tensor NextBatch(long batchSize)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be > 0");
        var parts = new List<Tensor>();
        var need = batchSize;
        try
        {
            while (need > 0)
            {
                EnsureBuffer();
                var rows = _buffer_ND!.size(0);
                if (_position >= rows)
                {
                    _position = 0;
                    if (++_group == GroupCount)
                    {
                        _group = 0;
                        _epoch++;
                    }
                    continue;
                }
                var take = Math.Min(need, rows - _position);
                using (var scope = NewDisposeScope())
                {
                    var part = _buffer_ND.index_select(0, _order_N!.narrow(0, _position, take));
                    parts.Add(part.to(ScalarType.Float32, _options.Device ?? CPU).MoveToOuterDisposeScope());
                }
                _position += take;
                need -= take;
            }
        }
        catch
        {
            foreach (var p in parts) p.Dispose();
            throw;
        }
        TokensRead += batchSize;
        if (parts.Count == 1) return parts[0];
        var batch = cat(parts);
        foreach (var p in parts) p.Dispose();
        return batch;
    }

    public Dictionary<string, Tensor> state_dict() => new()
    {
        ["epoch"] = full([], _epoch, ScalarType.Int64),
        ["buffer"] = full([], _group, ScalarType.Int64),
        ["position"] = full([], _position, ScalarType.Int64),
        ["tokens_read"] = full([], TokensRead, ScalarType.Int64),
        ["rows_per_epoch"] = full([], _rows, ScalarType.Int64),
        ["shards"] = tensor(_shards.Select(i => (long)i).ToArray()),
        ["shuffle"] = tensor(ShuffleFingerprint()),
    };

    /// <summary>[shuffled 0/1, seed bits, ShuffleShards]: what the read order depends on besides the store.</summary>
    private long[] ShuffleFingerprint() => [_gen is null ? 0 : 1, unchecked((long)(_options.ShuffleSeed ?? 0)), _options.ShuffleShards];

    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        Tensor Get(string k) => state.TryGetValue(k, out var t) ? t : throw new ArgumentException($"activation store source state has no '{k}'");
        var rows = Get("rows_per_epoch").ToInt64();
        var shards = Get("shards").ToArray<long>();
        if (rows != _rows || !shards.SequenceEqual(_shards.Select(i => (long)i)))
            throw new ArgumentException(
                $"this activation source state was saved reading {rows} rows from shards [{string.Join(", ", shards)}], but this source reads {_rows} rows " +
                $"from shards [{string.Join(", ", _shards)}] of '{_store.Directory}': resume with the same store and StoreReadOptions.Shards");
        var shuffle = Get("shuffle").ToArray<long>();
        if (!shuffle.SequenceEqual(ShuffleFingerprint()))
            throw new ArgumentException(
                $"this activation source state was saved with shuffle [on, seed, ShuffleShards] = [{string.Join(", ", shuffle)}], but this source has " +
                $"[{string.Join(", ", ShuffleFingerprint())}]: resume with the same StoreReadOptions.ShuffleSeed and ShuffleShards");
        var group = Get("buffer").ToInt64();
        var epoch = Get("epoch").ToInt64();
        var position = Get("position").ToInt64();
        if (epoch < 0 || group < 0 || group >= GroupCount || position < 0)
            throw new ArgumentException($"activation store source state is out of range: epoch {epoch}, buffer {group} (of {GroupCount}), position {position}");
        _epoch = epoch;
        _group = group;
        _position = position;
        TokensRead = Get("tokens_read").ToInt64();
    }

    public void Dispose()
    {
        FreeBuffer();
        _gen?.Dispose();
    }
}
