using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Activations;

/// <summary>
/// Where training activations come from: a stream of [B, d_in] batches whose position (and any random state)
/// can be saved in a checkpoint and restored, so that a resumed run reads exactly the batches an uninterrupted
/// one would have read. Implemented by the toy generators, <see cref="TensorActivationSource"/> and the
/// activation store.
/// </summary>
public interface IActivationSource
{
    /// <summary>Width d_in of every batch.</summary>
    long DIn { get; }

    /// <summary>The next <paramref name="batchSize"/> activation vectors: [B, d_in], owned by the caller's dispose scope.</summary>
    Tensor NextBatch(long batchSize);

    /// <summary>Activation vectors (tokens) handed out so far.</summary>
    long TokensRead { get; }

    /// <summary>The data position and random state as named tensors (copies).</summary>
    Dictionary<string, Tensor> state_dict();

    /// <summary>Restores <see cref="state_dict"/>.</summary>
    void load_state_dict(IReadOnlyDictionary<string, Tensor> state);
}

/// <summary>
/// An in-memory matrix of activations [T, d_in] read in order, wrapping around at the end (each pass in a fresh
/// random order when a shuffle seed is given). Its state is the read position and the permutation.
/// </summary>
public sealed class TensorActivationSource : IActivationSource, IDisposable
{
    private readonly Tensor _data;
    private readonly Generator? _gen;
    private Tensor _order;
    private long _position;

    public TensorActivationSource(Tensor data_TD, ulong? shuffleSeed = null)
    {
        if (data_TD.dim() != 2 || data_TD.size(0) == 0)
            throw new ArgumentException($"activations must be a non-empty [T, d] matrix, got {data_TD.ShapeString}", nameof(data_TD));
        _data = data_TD.alias().DetachFromDisposeScope();
        if (shuffleSeed is { } seed) _gen = new Generator(seed);
        _order = NewOrder();
    }

    public long DIn => _data.size(1);

    public long TokensRead { get; private set; }

    private Tensor NewOrder() => (_gen is null ? arange(_data.size(0)) : randperm(_data.size(0), generator: _gen)).DetachFromDisposeScope();

    public Tensor NextBatch(long batchSize)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be > 0");
        var parts = new List<Tensor>();
        var need = batchSize;
        using (var scope = NewDisposeScope())
        {
            while (need > 0)
            {
                if (_position == _data.size(0))
                {
                    _order.Dispose();
                    _order = NewOrder();
                    _position = 0;
                }
                var take = Math.Min(need, _data.size(0) - _position);
                parts.Add(_data.index_select(0, _order.narrow(0, _position, take)).MoveToOuterDisposeScope());
                _position += take;
                need -= take;
            }
        }
        TokensRead += batchSize;
        if (parts.Count == 1) return parts[0];
        var batch = cat(parts);
        foreach (var p in parts) p.Dispose();
        return batch;
    }

    public Dictionary<string, Tensor> state_dict()
    {
        var d = new Dictionary<string, Tensor>
        {
            ["position"] = full(Array.Empty<long>(), _position, int64),
            ["tokens_read"] = full(Array.Empty<long>(), TokensRead, int64),
            ["order"] = _order.clone(),
        };
        if (_gen is not null) d["generator"] = _gen.get_state();
        return d;
    }

    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        Tensor Get(string k) => state.TryGetValue(k, out var t) ? t : throw new ArgumentException($"activation source state has no '{k}'");
        _position = Get("position").ToInt64();
        TokensRead = Get("tokens_read").ToInt64();
        _order.Dispose();
        _order = Get("order").clone().DetachFromDisposeScope();
        if (_gen is not null) _gen.set_state(Get("generator"));
    }

    public void Dispose()
    {
        _data.Dispose();
        _order.Dispose();
        _gen?.Dispose();
    }
}
