using SaeWorkbench.Saes;
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
        { With(new(SaeRegistry.TopK, [16, 16], [256, 512, 1024, 2048])), "ReproduceConfig.Sweeps[topk].Values = [16, 16]" },
        { With(new(SaeRegistry.TopK, [8, 16, 32], [256, 512, 1024])), "ReproduceConfig.Sweeps[topk].Widths = [256, 512, 1024] is out of range: must be at least 4 distinct widths (the scaling grid), including NumLatents = 1024" },
        { With(new(SaeRegistry.TopK, [8, 16, 512], [256, 512, 1024, 2048])), "ReproduceConfig.Sweeps[topk].Values = [8, 16, 512] is out of range: must be k values in [1, the smallest width = 256]" },
        { With(new(SaeRegistry.TopK, [8, 16.5], [256, 512, 1024, 2048])), "ReproduceConfig.Sweeps[topk].Values = [8, 16.5] is out of range: must be at least one value, distinct, each a whole k >= 1" },
        { ReproduceConfig.Default with { MainK = 12 }, "ReproduceConfig.MainK = 12 is out of range: must be one of the topk sweep's k = [8, 16, 32]" },
        { ReproduceConfig.Default with { NumLatents = 100 }, "ReproduceConfig.Sweeps[topk].Widths" },
        { With(new(SaeRegistry.MultiTopK, [32])) with { NumLatents = 100, Sweeps = [new(SaeRegistry.TopK, [16, 32], [64, 100, 128, 256]), new(SaeRegistry.MultiTopK, [32])] }, "ReproduceConfig.Sweeps[multitopk].Values = [32]" },
        { With(new(SaeRegistry.MultiTopK, [8])), "ReproduceConfig.Sweeps[multitopk].Values = [8] is out of range: must be a list containing MainK = 16" },
        { With(new(SaeRegistry.BatchTopK, [2048])), "ReproduceConfig.Sweeps[batchtopk].Values = [2048]" },
        { With(new(SaeRegistry.Relu, [0.1, -1])), "ReproduceConfig.Sweeps[relu].Values = [0.1, -1]" },
        { With(new(SaeRegistry.JumpRelu, [])), "ReproduceConfig.Sweeps[jumprelu].Values = []" },
        { ReproduceConfig.Default with { Sweeps = [.. ReproduceConfig.Default.Sweeps, new(SaeRegistry.Gated, [1.0])] }, "ReproduceConfig.Sweeps = gated is out of range: must be at most one sweep per architecture" },
        { ReproduceConfig.Default with { Sweeps = [.. ReproduceConfig.Default.Sweeps.Where(x => x.Architecture != SaeRegistry.MultiTopK)] }, "must be a list with a multitopk sweep" },
        { ReproduceConfig.Default with { JumpReluInitialThreshold = 0 }, "ReproduceConfig.JumpReluInitialThreshold = 0" },
        { ReproduceConfig.Default with { LearningRate = double.NaN }, "ReproduceConfig.LearningRate = NaN" },
        { ReproduceConfig.Default with { JumpReluInitialFiringRate = 1 }, "ReproduceConfig.JumpReluInitialFiringRate = 1" },
        { ReproduceConfig.Default with { JumpReluAndGatedBeta1 = -0.1 }, "ReproduceConfig.JumpReluAndGatedBeta1 = -0.1" },
        { ReproduceConfig.Default with { WarmupFraction = 1.5 }, "ReproduceConfig.WarmupFraction = 1.5" },
        { ReproduceConfig.Default with { DeadWindowTokens = 1L << 40 }, "ReproduceConfig.DeadWindowTokens" },
        { ReproduceConfig.Default with { ProgressiveKs = [0, 4] }, "ReproduceConfig.ProgressiveKs = [0, 4]" },
        { ReproduceConfig.Default with { ProbeHeldOutEvery = 1 }, "ReproduceConfig.ProbeHeldOutEvery = 1" },
        { ReproduceConfig.Default with { N2gLatents = 0 }, "ReproduceConfig.N2gLatents = 0" },
        { ReproduceConfig.Default with { AblationPositions = 65 }, "ReproduceConfig.AblationPositions = 65 is out of range: must be in [1, ContextLength = 64]" },
        { ReproduceConfig.Default with { Hook = " " }, "ReproduceConfig.Hook" },
    };

    /// <summary>The default config with the sweep of <paramref name="sweep"/>'s architecture replaced by it.</summary>
    private static ReproduceConfig With(SaeSweep sweep) => ReproduceConfig.Default with
    {
        Sweeps = [.. ReproduceConfig.Default.Sweeps.Select(x => x.Architecture == sweep.Architecture ? sweep : x)],
    };

    [Fact]
    public void EveryNotebookScaleIsAValidConfigAndAnUnknownOneIsNamed()
    {
        foreach (var scale in Workbench.Scales) Workbench.Config(scale).Validate();
        Assert.Same(ReproduceConfig.Quick, Workbench.Config("smoke"));
        Assert.Same(ReproduceConfig.Default, Workbench.Config("default"));
        Assert.True(Workbench.Config("paper").TrainingTokens > ReproduceConfig.Default.TrainingTokens);
        var e = Assert.Throws<ArgumentException>(() => Workbench.Config("huge"));
        Assert.Contains("scale = \"huge\" is not one of smoke, default, paper", e.Message);
    }

    [Fact]
    public void TheDefaultPlanHasEveryArchitectureOnceAndTheTopKGrid()
    {
        var c = ReproduceConfig.Default;
        Assert.Equal(SaeRegistry.All, c.Sweeps.Select(x => x.Architecture));
        Assert.Equal(new long[] { 8, 16, 32 }, c.Ks());
        Assert.Equal(new long[] { 256, 512, 1024, 2048 }, c.ScalingLatents());
        Assert.Equal(["topk-n256-k8", "topk-n256-k16", "topk-n256-k32", "topk-n512-k8"],
            c.SweepOf(SaeRegistry.TopK)!.Runs(c.NumLatents).Take(4).Select(r => r.Name));
        Assert.Equal(["jumprelu-n1024-l0_0.001", "jumprelu-n1024-l0_0.005"], c.SweepOf(SaeRegistry.JumpRelu)!.Runs(c.NumLatents).Select(r => r.Name));
    }

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
    private static SaeRunEvaluation Run(double lambda, double l0, double mse, double delta) =>
        new(SaeRegistry.Relu.Run(1024, lambda), false, l0, mse, 1 - mse, 0, 0,
            new SaeWorkbench.Metrics.DownstreamLossResult(100, 2, 2 + delta, delta, 0.01, 3, 3, 0.9, 0.9, null));

    [Fact]
    public void TheFrontierIsInterpolatedLogLogBetweenTheBracketingRuns()
    {
        var runs = new[] { Run(0.4, 4, 0.4, 0.3), Run(0.2, 8, 0.2, 0.2), Run(0.1, 32, 0.05, 0.1) };
        var p = ArchitecturesExperiment.FrontierAt(SaeRegistry.Relu, runs, 16);
        Assert.Equal(Math.Sqrt(0.2 * 0.05), p.NormalizedMse!.Value, 12);   // halfway in log L0: the geometric mean
        Assert.Equal(0.15, p.DeltaLoss!.Value, 12);
        Assert.Equal("between relu-n1024-l1_0.2 and relu-n1024-l1_0.1", p.From);
        Assert.Equal(0.2, ArchitecturesExperiment.FrontierAt(SaeRegistry.Relu, runs, 8.05).NormalizedMse!.Value, 12);   // within 1%: the run itself
        Assert.Null(ArchitecturesExperiment.FrontierAt(SaeRegistry.Relu, runs, 64).NormalizedMse);                     // nothing brackets it
        Assert.Null(ArchitecturesExperiment.FrontierAt(SaeRegistry.Relu, runs, 2).From);
    }
}
