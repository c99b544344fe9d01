using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Toys;

/// <summary>Settings of the one-direction toy of the JumpReLU paper's figure 1 (Rajamanoharan et al. 2024b).</summary>
public sealed record JumpReluToyConfig
{
    /// <summary>Probability that the feature is active on a sample, in (0, 1).</summary>
    public double ActiveProbability { get; init; } = 0.2;

    /// <summary>Active magnitudes are uniform in [MagnitudeMin, MagnitudeMax], 0 &lt; min &lt; max.</summary>
    public double MagnitudeMin { get; init; } = 1.0;

    /// <summary>Upper end of the active magnitudes.</summary>
    public double MagnitudeMax { get; init; } = 2.0;

    /// <summary>Standard deviation of the pre-activation when the feature is inactive (mean 0: positive half the time), > 0.</summary>
    public double InactiveNoiseStd { get; init; } = 0.3;

    /// <summary>Seed of the samples.</summary>
    public ulong Seed { get; init; }

    public void Validate()
    {
        const string owner = nameof(JumpReluToyConfig);
        ConfigCheck.Require(ActiveProbability > 0 && ActiveProbability < 1, owner, nameof(ActiveProbability), ActiveProbability, "in (0, 1)");
        ConfigCheck.Require(MagnitudeMin > 0 && MagnitudeMax > MagnitudeMin, owner, nameof(MagnitudeMax), MagnitudeMax, $"> MagnitudeMin = {MagnitudeMin} > 0");
        ConfigCheck.Positive(InactiveNoiseStd, owner, nameof(InactiveNoiseStd));
    }
}

/// <summary>How well an activation recovers the true magnitude of the toy's feature.</summary>
/// <param name="Mse">Mean squared error of the estimate against the true magnitude (0 when inactive).</param>
/// <param name="FalsePositiveRate">Fraction of inactive samples with a nonzero estimate.</param>
/// <param name="MagnitudeRatio">Over active samples with a nonzero estimate: sum(estimate) / sum(true magnitude); below 1 is shrinkage.</param>
public sealed record ToyScore(double Mse, double FalsePositiveRate, double MagnitudeRatio);

/// <summary>
/// The JumpReLU paper's figure 1 (Rajamanoharan et al. 2024b): one feature direction whose
/// pre-activation equals the feature's magnitude when it is active and is low but sometimes positive (noise) when it
/// is not. ReLU passes the positive noise (false positives), or, with a bias shift large enough to suppress them,
/// shrinks every true magnitude by that shift; JumpReLU's threshold removes the false positives and keeps the true
/// magnitudes. Ground truth is exposed for scoring (<see cref="Score"/>).
/// </summary>
public sealed class JumpReluToy : IDisposable
{
    private readonly Generator _gen;

    public JumpReluToy(JumpReluToyConfig config)
    {
        config.Validate();
        Config = config;
        _gen = new Generator(config.Seed);
    }

    public JumpReluToyConfig Config { get; }

    /// <summary>n samples: the pre-activation [n], whether the feature is active [n] (bool) and its true magnitude [n] (0 when inactive).</summary>
    public (Tensor pre_N, Tensor active_N, Tensor magnitude_N) Sample(long n)
    {
        using var scope = NewDisposeScope();
        var c = Config;
        var active = rand(new[] { n }, float64, generator: _gen).lt(c.ActiveProbability);
        var magnitude = (rand(new[] { n }, float64, generator: _gen) * (c.MagnitudeMax - c.MagnitudeMin) + c.MagnitudeMin) * active.to(float64);
        var noise = randn(new[] { n }, float64, generator: _gen) * c.InactiveNoiseStd;
        var pre = magnitude.where(active, noise);
        return (pre.MoveToOuterDisposeScope(), active.MoveToOuterDisposeScope(), magnitude.MoveToOuterDisposeScope());
    }

    /// <summary>Scores an estimate [n] of the magnitude against the ground truth.</summary>
    public static ToyScore Score(Tensor estimate_N, Tensor active_N, Tensor magnitude_N)
    {
        using var scope = NewDisposeScope();
        var e = estimate_N.to(float64);
        var mse = (e - magnitude_N).square().mean().ToDouble();
        var inactive = active_N.logical_not();
        var fp = e.ne(0).logical_and(inactive).sum().ToInt64() / (double)Math.Max(1, inactive.sum().ToInt64());
        var hit = e.ne(0).logical_and(active_N).to(float64);
        var ratio = (e * hit).sum().ToDouble() / (magnitude_N * hit).sum().ToDouble();
        return new ToyScore(mse, fp, ratio);
    }

    /// <summary>ReLU(pre - shift) for the shift in [0, MagnitudeMax] (grid of <paramref name="steps"/>) with the lowest MSE, and its score.</summary>
    public static (double shift, ToyScore score) BestShiftedRelu(Tensor pre_N, Tensor active_N, Tensor magnitude_N, double maxShift, int steps = 201)
    {
        (double, ToyScore) best = (0, new ToyScore(double.PositiveInfinity, 1, 0));
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var shift = maxShift * i / (steps - 1);
            var s = Score((pre_N - shift).relu(), active_N, magnitude_N);
            if (s.Mse < best.Item2.Mse) best = (shift, s);
        }
        return best;
    }

    public void Dispose() => _gen.Dispose();
}
