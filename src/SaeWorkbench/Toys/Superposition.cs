using SaeWorkbench.Activations;
using SaeWorkbench.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Toys;

/// <summary>Settings of the superposition ground-truth data (Sharkey et al. 2022).</summary>
public sealed record SuperpositionConfig
{
    /// <summary>Width d of each sample (the paper's setup: 256), >= 1.</summary>
    public long D { get; init; } = 256;

    /// <summary>Number of ground-truth directions (the paper's setup: 512), >= 1.</summary>
    public long NumFeatures { get; init; } = 512;

    /// <summary>Expected active features per sample (about 5), in (0, NumFeatures].</summary>
    public double MeanActive { get; init; } = 5;

    /// <summary>Active coefficients are uniform in [MagnitudeMin, MagnitudeMax] (the toy-model paper: U[0, 1]), 0 &lt;= min &lt; max.</summary>
    public double MagnitudeMin { get; init; }

    /// <summary>Upper end of the coefficient range.</summary>
    public double MagnitudeMax { get; init; } = 1;

    /// <summary>Number of correlated pairs among the first features: feature 2i+1 fires whenever 2i does (with probability
    /// <see cref="PairCoactivation"/>), in [0, NumFeatures / 2].</summary>
    public long CorrelatedPairs { get; init; }

    /// <summary>Probability that the second feature of a correlated pair fires when the first does, in [0, 1].</summary>
    public double PairCoactivation { get; init; } = 1.0;

    /// <summary>Seed of the directions and of the sample stream.</summary>
    public ulong Seed { get; init; }

    /// <summary>The paper's setup: d = 256, 512 unit-norm ground-truth directions, about 5 active per sample.</summary>
    public static SuperpositionConfig Paper => new();

    public void Validate()
    {
        const string owner = nameof(SuperpositionConfig);
        ConfigCheck.Positive(D, owner, nameof(D));
        ConfigCheck.Positive(NumFeatures, owner, nameof(NumFeatures));
        ConfigCheck.Require(MeanActive > 0 && MeanActive <= NumFeatures, owner, nameof(MeanActive), MeanActive, $"in (0, NumFeatures = {NumFeatures}]");
        ConfigCheck.Require(MagnitudeMin >= 0 && MagnitudeMax > MagnitudeMin && double.IsFinite(MagnitudeMax), owner, nameof(MagnitudeMax), MagnitudeMax, $"> MagnitudeMin = {MagnitudeMin} >= 0");
        ConfigCheck.Require(CorrelatedPairs >= 0 && 2 * CorrelatedPairs <= NumFeatures, owner, nameof(CorrelatedPairs), CorrelatedPairs, $"in [0, NumFeatures / 2 = {NumFeatures / 2}]");
        ConfigCheck.InRange(PairCoactivation, 0, 1, owner, nameof(PairCoactivation));
    }
}

/// <summary>
/// Toy data in superposition with known ground truth (Sharkey et al. 2022, "Taking features out of superposition
/// with sparse autoencoders"): F unit-norm directions in d dimensions (F > d), each sample x = sum_i c_i f_i with feature i active
/// independently with probability MeanActive / F and c_i ~ U[min, max] when active; optionally correlated pairs.
/// The directions (<see cref="Features_FD"/>) and each batch's coefficients are exposed for scoring:
/// <see cref="Geometry.Mmcs"/> (mean max cosine similarity) and <see cref="ShrinkageRatio"/>. Implements
/// <see cref="IActivationSource"/>: the sample stream is one seeded generator whose state a checkpoint saves.
/// </summary>
public sealed class SuperpositionData : IActivationSource, IDisposable
{
    private readonly Generator _gen;

    public SuperpositionData(SuperpositionConfig config)
    {
        config.Validate();
        Config = config;
        using var scope = NewDisposeScope();
        using var featureGen = new Generator(config.Seed);
        var f = randn(new[] { config.NumFeatures, config.D }, float32, generator: featureGen);
        Features_FD = (f / f.norm(1, keepdim: true)).DetachFromDisposeScope();
        _gen = new Generator(config.Seed + 0x9E3779B97F4A7C15UL);
    }

    public SuperpositionConfig Config { get; }

    /// <summary>The ground-truth directions, unit norm: [F, D].</summary>
    public Tensor Features_FD { get; }

    public long DIn => Config.D;

    public long TokensRead { get; private set; }

    /// <summary>A batch and its ground truth: x [B, D] = c [B, F] @ Features_FD.</summary>
    public (Tensor x_BD, Tensor coefficients_BF) Sample(long batchSize)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be > 0");
        using var scope = NewDisposeScope();
        var c = Config;
        var p = c.MeanActive / c.NumFeatures;
        var active = rand(new[] { batchSize, c.NumFeatures }, float32, generator: _gen).lt(p);
        if (c.CorrelatedPairs > 0)
        {
            var pairs = c.CorrelatedPairs;
            var first = active.narrow(1, 0, 2 * pairs).view(batchSize, pairs, 2).select(2, 0);         // [B, P]
            var follow = rand(new[] { batchSize, pairs }, float32, generator: _gen).lt(c.PairCoactivation);
            var second = first.logical_and(follow);
            var paired = stack(new[] { first, second }, 2).view(batchSize, 2 * pairs);
            active = cat(new[] { paired, active.narrow(1, 2 * pairs, c.NumFeatures - 2 * pairs) }, 1);
        }
        var mags = rand(new[] { batchSize, c.NumFeatures }, float32, generator: _gen) * (c.MagnitudeMax - c.MagnitudeMin) + c.MagnitudeMin;
        var coef = mags * active.to(float32);
        var x = coef.mm(Features_FD);
        TokensRead += batchSize;
        return (x.MoveToOuterDisposeScope(), coef.MoveToOuterDisposeScope());
    }

    public Tensor NextBatch(long batchSize)
    {
        var (x, c) = Sample(batchSize);
        c.Dispose();
        return x;
    }

    /// <summary>
    /// Activation shrinkage against the ground truth: over true features whose best-matching latent has cosine at least
    /// <paramref name="minCosine"/>, and over the samples where both the feature and its latent are active,
    /// sum(latent value * ||decoder row||) / sum(true coefficient). Below 1: the encoder shrinks magnitudes (ReLU + L1);
    /// about 1: it does not (TopK). Also returns how many features were matched.
    /// </summary>
    public static (double ratio, long matchedFeatures) ShrinkageRatio(Tensor latents_BN, Tensor coefficients_BF, Tensor decoder_ND, Tensor truth_FD, double minCosine = 0.9)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (latent, cosine) = Geometry.BestMatches(decoder_ND, truth_FD);
        var keep = cosine.ge(minCosine).nonzero().reshape(-1);                           // [F']
        var matched = keep.numel();
        if (matched == 0) return (double.NaN, 0);
        var lat = latent.index_select(0, keep);
        var norms = decoder_ND.to(float64).norm(1).index_select(0, lat);               // [F']
        var z = latents_BN.to(float64).index_select(1, lat) * norms;                      // [B, F'] latent magnitude along its unit direction
        var c = coefficients_BF.to(float64).index_select(1, keep);                        // [B, F']
        var both = z.gt(0).logical_and(c.gt(0)).to(float64);
        var ratio = (z * both).sum() / (c * both).sum();
        return (ratio.ToDouble(), matched);
    }

    public Dictionary<string, Tensor> state_dict() => new()
    {
        ["generator"] = _gen.get_state(),
        ["tokens_read"] = full(Array.Empty<long>(), TokensRead, int64),
    };

    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("generator", out var g) || !state.TryGetValue("tokens_read", out var t))
            throw new ArgumentException("superposition data state needs 'generator' and 'tokens_read'");
        _gen.set_state(g);
        TokensRead = t.ToInt64();
    }

    public void Dispose()
    {
        Features_FD.Dispose();
        _gen.Dispose();
    }
}
