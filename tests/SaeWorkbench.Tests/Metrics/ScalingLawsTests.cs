using SaeWorkbench.Metrics;

namespace SaeWorkbench.Tests.Metrics;

/// <summary>Scaling-law fits (Gao et al. 2024, §3) recover the parameters of synthetic data, and their confidence
/// intervals cover the truth about as often as they claim.</summary>
public class ScalingLawsTests(ITestOutputHelper output)
{
    private static readonly double[] Sizes = Enumerable.Range(0, 16).Select(i => Math.Pow(2, 10 + 0.7 * i)).ToArray();   // 2^10 .. 2^20.5
    private const double A = 5, B = 0.5, C = 0.1;

    private static readonly (double n, double k)[] Grid =
        (from i in Enumerable.Range(0, 9) from j in Enumerable.Range(0, 6) select (Math.Pow(2, 12 + i), Math.Pow(2, 3 + j))).ToArray();
    private static readonly double[] JointTruth = [1.0, -0.2, -0.3, 0.02, -2.5, -0.1];   // alpha, beta_k, beta_n, gamma, zeta, eta

    private static double[] Noise(int count, double sigma, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(seed);
        return (randn(new[] { (long)count }, float64, generator: gen) * sigma).ToArray<double>();
    }

    private static double[] PowerLawData(double sigma, ulong seed)
    {
        var e = Noise(Sizes.Length, sigma, seed);
        return Sizes.Select((n, i) => (A * Math.Pow(n, -B) + C) * Math.Exp(e[i])).ToArray();
    }

    private static double[] JointData(double sigma, ulong seed)
    {
        var e = Noise(Grid.Length, sigma, seed);
        return Grid.Select((g, i) => ScalingLaws.Joint(JointTruth, g.n, g.k) * Math.Exp(e[i])).ToArray();
    }

    [Fact]
    public void APowerLawIsRecoveredExactlyWithoutNoiseAndWithinItsIntervalsWithNoise()
    {
        var exact = ScalingLaws.FitPowerLaw(Sizes, PowerLawData(0, 0));
        Assert.Equal(A, exact.A, 6);
        Assert.Equal(B, exact.B, 8);
        Assert.Equal(C, exact.C, 8);
        Assert.Equal(exact.Predict(1e5), A * Math.Pow(1e5, -B) + C, 10);

        var fit = ScalingLaws.FitPowerLaw(Sizes, PowerLawData(0.01, 1));
        foreach (var p in fit.Parameters) output.WriteLine($"{p.Name} = {p.Value:G5} +- {p.StandardError:G3}  [{p.Lower:G5}, {p.Upper:G5}]");
        output.WriteLine($"s = {fit.ResidualStandardError:G3} (true 0.01), {fit.Iterations} iterations, {fit.ExitCondition}");
        Assert.True(fit["a"].Contains(A) && fit["b"].Contains(B) && fit["c"].Contains(C));
        Assert.InRange(fit.ResidualStandardError, 0.005, 0.02);
        Assert.Equal(13, fit.DegreesOfFreedom);
    }

    [Fact]
    public void PowerLawIntervalsCoverTheTruthAboutNinetyFivePercentOfTheTime()
    {
        const int reps = 300;
        var hits = new int[3];
        for (var r = 0; r < reps; r++)
        {
            var fit = ScalingLaws.FitPowerLaw(Sizes, PowerLawData(0.02, 100 + (ulong)r));
            hits[0] += fit["a"].Contains(A) ? 1 : 0;
            hits[1] += fit["b"].Contains(B) ? 1 : 0;
            hits[2] += fit["c"].Contains(C) ? 1 : 0;
        }
        output.WriteLine($"coverage of 95% intervals over {reps} data sets: a {hits[0] / (double)reps:P1}, b {hits[1] / (double)reps:P1}, c {hits[2] / (double)reps:P1}");
        Assert.All(hits, h => Assert.InRange(h / (double)reps, 0.90, 0.99));
    }

    [Fact]
    public void TheJointLawIsRecoveredExactlyWithoutNoiseAndWithinItsIntervalsWithNoise()
    {
        var ns = Grid.Select(g => g.n).ToArray();
        var ks = Grid.Select(g => g.k).ToArray();
        var exact = ScalingLaws.FitJoint(ns, ks, JointData(0, 0));
        for (var i = 0; i < 6; i++) Assert.Equal(JointTruth[i], exact.Parameters[i].Value, 5);
        Assert.Equal(ScalingLaws.Joint(JointTruth, 5000, 20), exact.Predict(5000, 20), 8);

        var fit = ScalingLaws.FitJoint(ns, ks, JointData(0.01, 2));
        foreach (var p in fit.Parameters) output.WriteLine($"{p.Name} = {p.Value:G5} +- {p.StandardError:G3}  [{p.Lower:G5}, {p.Upper:G5}]");
        for (var i = 0; i < 6; i++) Assert.True(fit.Parameters[i].Contains(JointTruth[i]), $"{fit.Parameters[i].Name}: {fit.Parameters[i]} misses {JointTruth[i]}");
    }

    [Fact]
    public void JointLawIntervalsCoverTheTruthAboutNinetyFivePercentOfTheTime()
    {
        var ns = Grid.Select(g => g.n).ToArray();
        var ks = Grid.Select(g => g.k).ToArray();
        const int reps = 200;
        var hits = new int[6];
        for (var r = 0; r < reps; r++)
        {
            var fit = ScalingLaws.FitJoint(ns, ks, JointData(0.01, 1000 + (ulong)r));
            for (var i = 0; i < 6; i++) hits[i] += fit.Parameters[i].Contains(JointTruth[i]) ? 1 : 0;
        }
        output.WriteLine("coverage of 95% intervals over " + reps + " data sets: " + string.Join(", ", hits.Select(h => $"{h / (double)reps:P1}")));
        Assert.All(hits, h => Assert.InRange(h / (double)reps, 0.88, 0.99));
    }

    [Fact]
    public void LinearResidualsFitAdditiveNoise()
    {
        var e = Noise(Sizes.Length, 0.002, 7);
        var loss = Sizes.Select((n, i) => A * Math.Pow(n, -B) + C + e[i]).ToArray();
        var fit = ScalingLaws.FitPowerLaw(Sizes, loss, new ScalingLawOptions { Residuals = ResidualSpace.Linear });
        Assert.Equal(ResidualSpace.Linear, fit.Residuals);
        Assert.True(fit["b"].Contains(B) && fit["c"].Contains(C), $"{fit["b"]} {fit["c"]}");
        Assert.InRange(fit.ResidualStandardError, 0.001, 0.004);
    }

    [Fact]
    public void BadDataIsRefusedNamingTheValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ScalingLaws.FitPowerLaw([1, 2, -3, 4, 5], [1, 1, 1, 1, 1]));
        Assert.Contains("n[2] = -3", e.Message);
        Assert.Throws<ArgumentException>(() => ScalingLaws.FitPowerLaw([1, 2, 3], [1, 1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScalingLaws.FitPowerLaw(Sizes, PowerLawData(0, 0), new ScalingLawOptions { ConfidenceLevel = 1 }));
    }
}
