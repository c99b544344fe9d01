using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Training;

/// <summary>
/// Dead and dense latents, counted in tokens (Gao et al. 2024, Appendix A.2: dead = has not fired in the last
/// 10M tokens, fired = activation above 1e-3 in the released code; JumpReLU paper: "high-frequency" latents fire on
/// more than 10% of tokens). Keeps per latent the tokens since it last fired, and firing counts over consecutive
/// windows of <see cref="DenseWindowTokens"/> tokens. All state is in tensors, saved with a checkpoint.
/// </summary>
public sealed class DeadLatentTracker : IDisposable
{
    private readonly Tensor _tokensSinceFired;   // [N] int64
    private readonly Tensor _windowCounts;       // [N] int64, firing counts in the current dense window
    private readonly Tensor _lastFrequency;      // [N] float64, firing frequency over the last completed window (NaN before)

    /// <param name="numLatents">N.</param>
    /// <param name="deadWindowTokens">A latent that has not fired in this many tokens is dead, >= 1.</param>
    /// <param name="denseWindowTokens">Length of the windows over which firing frequencies are measured, >= 1.</param>
    /// <param name="denseFrequency">A latent firing on more than this fraction of a window's tokens is dense, in (0, 1].</param>
    /// <param name="device">Where the state lives (the SAE's device).</param>
    public DeadLatentTracker(long numLatents, long deadWindowTokens, long denseWindowTokens, double denseFrequency = 0.1, Device? device = null)
    {
        const string owner = nameof(DeadLatentTracker);
        ConfigCheck.Positive(numLatents, owner, nameof(numLatents));
        ConfigCheck.Positive(deadWindowTokens, owner, nameof(deadWindowTokens));
        ConfigCheck.Positive(denseWindowTokens, owner, nameof(denseWindowTokens));
        ConfigCheck.Require(denseFrequency > 0 && denseFrequency <= 1, owner, nameof(denseFrequency), denseFrequency, "in (0, 1]");
        NumLatents = numLatents;
        DeadWindowTokens = deadWindowTokens;
        DenseWindowTokens = denseWindowTokens;
        DenseFrequency = denseFrequency;
        var dev = device ?? CPU;
        _tokensSinceFired = zeros(new[] { numLatents }, int64, dev).DetachFromDisposeScope();
        _windowCounts = zeros(new[] { numLatents }, int64, dev).DetachFromDisposeScope();
        _lastFrequency = full(new[] { numLatents }, double.NaN, float64, dev).DetachFromDisposeScope();
    }

    public long NumLatents { get; }
    public long DeadWindowTokens { get; }
    public long DenseWindowTokens { get; }
    public double DenseFrequency { get; }

    /// <summary>Tokens counted so far.</summary>
    public long TokensSeen { get; private set; }

    /// <summary>Tokens counted in the current (incomplete) dense window.</summary>
    public long WindowTokens { get; private set; }

    /// <summary>Records one batch: <paramref name="firingCounts_N"/> = on how many of its <paramref name="batchTokens"/> tokens each latent fired.</summary>
    public void Update(Tensor firingCounts_N, long batchTokens)
    {
        ConfigCheck.Positive(batchTokens, nameof(DeadLatentTracker), nameof(batchTokens));
        using var scope = NewDisposeScope();
        var counts = firingCounts_N.to(int64, _windowCounts.device);
        var fired = counts.gt(0);
        _tokensSinceFired.add_(batchTokens).masked_fill_(fired, 0);
        _windowCounts.add_(counts);
        TokensSeen += batchTokens;
        WindowTokens += batchTokens;
        if (WindowTokens >= DenseWindowTokens)
        {
            _lastFrequency.copy_(_windowCounts.to(float64) / WindowTokens);
            _windowCounts.zero_();
            WindowTokens = 0;
        }
    }

    /// <summary>Latents that have not fired in the last <see cref="DeadWindowTokens"/> tokens: [N] bool.</summary>
    public Tensor DeadMask_N() => _tokensSinceFired.ge(DeadWindowTokens);

    /// <summary>Latents that fired on more than <see cref="DenseFrequency"/> of the last completed window's tokens: [N] bool (all false before one completes).</summary>
    public Tensor DenseMask_N() => _lastFrequency.gt(DenseFrequency);

    /// <summary>Tokens since each latent last fired: [N] int64 (a copy).</summary>
    public Tensor TokensSinceFired_N() => _tokensSinceFired.clone();

    /// <summary>Firing frequency of each latent over the last completed window: [N] float64, NaN before one completes (a copy).</summary>
    public Tensor LastWindowFrequency_N() => _lastFrequency.clone();

    public long DeadCount()
    {
        using var scope = NewDisposeScope();
        return DeadMask_N().sum().ToInt64();
    }

    public double DeadFraction => DeadCount() / (double)NumLatents;

    public double DenseFraction
    {
        get
        {
            using var scope = NewDisposeScope();
            return DenseMask_N().sum().ToInt64() / (double)NumLatents;
        }
    }

    /// <summary>The state as named tensors (copies) for a checkpoint.</summary>
    public Dictionary<string, Tensor> state_dict() => new()
    {
        ["tokens_since_fired"] = _tokensSinceFired.clone(),
        ["window_counts"] = _windowCounts.clone(),
        ["last_frequency"] = _lastFrequency.clone(),
        ["tokens_seen"] = full(Array.Empty<long>(), TokensSeen, int64),
        ["window_tokens"] = full(Array.Empty<long>(), WindowTokens, int64),
    };

    /// <summary>Restores <see cref="state_dict"/>; a missing key or a wrong shape fails naming it.</summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        Tensor Get(string key, long[] shape)
        {
            if (!state.TryGetValue(key, out var t)) throw new ArgumentException($"dead-latent tracker state has no '{key}'");
            if (!t.shape.SequenceEqual(shape)) throw new ArgumentException($"dead-latent tracker state '{key}' has shape {t.ShapeString}, expected [{string.Join(", ", shape)}]");
            return t;
        }
        _tokensSinceFired.copy_(Get("tokens_since_fired", [NumLatents]));
        _windowCounts.copy_(Get("window_counts", [NumLatents]));
        _lastFrequency.copy_(Get("last_frequency", [NumLatents]));
        TokensSeen = Get("tokens_seen", []).ToInt64();
        WindowTokens = Get("window_tokens", []).ToInt64();
    }

    public void Dispose()
    {
        _tokensSinceFired.Dispose();
        _windowCounts.Dispose();
        _lastFrequency.Dispose();
    }
}
