using SaeWorkbench.Subject;
using SaeWorkbench.Experiments;
using Xunit;

namespace SaeWorkbench.Tests.Experiments;

public class ReproduceConfigTests
{
    [Fact]
    public void ThePresetsAreValid()
    {
        ReproduceConfig.Default.Validate();
        ReproduceConfig.Quick.Validate();
        Assert.True(ReproduceConfig.Quick.TrainingTokens < ReproduceConfig.Default.TrainingTokens);
        Assert.Equal(ReproduceConfig.Default.TrainingTokens / ReproduceConfig.Default.BatchSize, ReproduceConfig.Default.Steps);
    }

    public static TheoryData<ReproduceConfig, string> BadConfigs => new()
    {
        { ReproduceConfig.Default with { ContextLength = 1 }, "ReproduceConfig.ContextLength = 1" },
        { ReproduceConfig.Default with { HarvestTokens = 10 }, "ReproduceConfig.HarvestTokens = 10" },
        { ReproduceConfig.Default with { DownstreamWindows = 1000 }, "ReproduceConfig.DownstreamWindows = 1000" },
        { ReproduceConfig.Default with { TrainingTokens = 100 }, "ReproduceConfig.TrainingTokens = 100" },
        { ReproduceConfig.Default with { Ks = [16, 16] }, "ReproduceConfig.Ks = [16, 16]" },
        { ReproduceConfig.Default with { ScalingLatents = [256, 512, 1024] }, "ReproduceConfig.ScalingLatents = [256, 512, 1024] is out of range: must be at least 4 distinct values" },
        { ReproduceConfig.Default with { Ks = [8, 16, 512] }, "ReproduceConfig.Ks = [8, 16, 512] is out of range: must be values in [1, the smallest width = 256]" },
        { ReproduceConfig.Default with { MainK = 12 }, "ReproduceConfig.MainK = 12 is out of range: must be one of Ks = [8, 16, 32]" },
        { ReproduceConfig.Default with { MultiTopKKs = [32], NumLatents = 100 }, "ReproduceConfig.MultiTopKKs = [32]" },
        { ReproduceConfig.Default with { BatchTopKKs = [7] }, "ReproduceConfig.BatchTopKKs = [7]" },
        { ReproduceConfig.Default with { ReluL1Coefficients = [0.1, -1] }, "ReproduceConfig.ReluL1Coefficients = [0.1, -1]" },
        { ReproduceConfig.Default with { JumpReluL0Coefficients = [] }, "ReproduceConfig.JumpReluL0Coefficients = []" },
        { ReproduceConfig.Default with { JumpReluInitialThreshold = 0 }, "ReproduceConfig.JumpReluInitialThreshold = 0" },
        { ReproduceConfig.Default with { LearningRate = double.NaN }, "ReproduceConfig.LearningRate = NaN" },
        { ReproduceConfig.Default with { WarmupFraction = 1.5 }, "ReproduceConfig.WarmupFraction = 1.5" },
        { ReproduceConfig.Default with { DeadWindowTokens = 1L << 40 }, "ReproduceConfig.DeadWindowTokens" },
        { ReproduceConfig.Default with { ProgressiveKs = [0, 4] }, "ReproduceConfig.ProgressiveKs = [0, 4]" },
        { ReproduceConfig.Default with { ProbeHeldOutEvery = 1 }, "ReproduceConfig.ProbeHeldOutEvery = 1" },
        { ReproduceConfig.Default with { N2gLatents = 0 }, "ReproduceConfig.N2gLatents = 0" },
        { ReproduceConfig.Default with { AblationPositions = 65 }, "ReproduceConfig.AblationPositions = 65 is out of range: must be in [1, ContextLength = 64]" },
        { ReproduceConfig.Default with { Hook = " " }, "ReproduceConfig.Hook" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void ABadFieldIsNamedWithItsValueAndRange(ReproduceConfig config, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(config.Validate);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(4, "blocks.2.hook_resid_post")]    // the built-in model: after 3 of 4 blocks
    [InlineData(12, "blocks.8.hook_resid_post")]   // GPT-2 small: the TopK paper's site
    [InlineData(24, "blocks.17.hook_resid_post")]
    [InlineData(2, "blocks.0.hook_resid_post")]
    [InlineData(1, "blocks.0.hook_resid_post")]
    public void TheDefaultHookIsTheResidualStreamAtThreeQuartersDepth(int layers, string hook) =>
        Assert.Equal(hook, SubjectModel.DefaultHook(layers));
}

public class FrontierAtL0Tests
{
    private static SaeRunEvaluation Run(string name, double l0, double mse, double delta) =>
        new(name, "relu", 1024, null, 0.1, false, l0, mse, 1 - mse, 0, 0,
            new SaeWorkbench.Metrics.DownstreamLossResult(100, 2, 2 + delta, delta, 0.01, 3, 3, 0.9, 0.9, null));

    [Fact]
    public void TheFrontierIsInterpolatedLogLogBetweenTheBracketingRuns()
    {
        var runs = new[] { Run("a", 4, 0.4, 0.3), Run("b", 8, 0.2, 0.2), Run("c", 32, 0.05, 0.1) };
        var p = Reproduction.FrontierAt("relu", runs, 16);
        Assert.Equal(Math.Sqrt(0.2 * 0.05), p.NormalizedMse!.Value, 12);   // halfway in log L0: the geometric mean
        Assert.Equal(0.15, p.DeltaLoss!.Value, 12);
        Assert.Equal("between b and c", p.From);
        Assert.Equal(0.2, Reproduction.FrontierAt("relu", runs, 8.05).NormalizedMse!.Value, 12);   // within 1%: the run itself
        Assert.Null(Reproduction.FrontierAt("relu", runs, 64).NormalizedMse);                     // nothing brackets it
        Assert.Null(Reproduction.FrontierAt("relu", runs, 2).From);
    }
}
