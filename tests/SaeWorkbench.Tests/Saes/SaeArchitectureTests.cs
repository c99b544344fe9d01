using System.Text.Json;
using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests.Saes;

public class SaeArchitectureTests
{
    [Fact]
    public void EveryConfigFindsItsOwnDescriptorAndTheDescriptorBuildsItsSae()
    {
        foreach (var a in SaeRegistry.All)
        {
            var config = a.NewConfig(8, 256);   // wide enough for every default k (Multi-TopK decodes 4k)
            Assert.IsType(a.ConfigType, config);
            Assert.Same(a, SaeRegistry.Of(config));
            using var sae = SaeRegistry.Create(config);
            Assert.Equal(256, sae.Config.NumLatents);
        }
        // Multi-TopK is a TopK variant: the same config type and SAE class, told apart by the flag.
        Assert.Same(SaeRegistry.TopK, SaeRegistry.MultiTopK.VariantOf);
        Assert.Same(SaeRegistry.MultiTopK, SaeRegistry.Of(new TopKSaeConfig { MultiTopK = true }));
        Assert.Same(SaeRegistry.TopK, SaeRegistry.Of(new TopKSaeConfig()));
        Assert.Same(SaeRegistry.BatchTopK, SaeRegistry.Of(new BatchTopKSaeConfig()));   // a subclass of TopK's config: the exact type wins
    }

    [Fact]
    public void TheKnobSetsAndReadsKOrLambdaAndNamesTheRun()
    {
        var topk = SaeRegistry.TopK.Run(1024, 16);
        Assert.Equal("topk-n1024-k16", topk.Name);
        Assert.Equal(16, topk.K);
        Assert.Null(topk.Lambda);
        Assert.Equal(16, ((TopKSaeConfig)topk.Config(128)).K);
        var jump = SaeRegistry.JumpRelu.Run(1024, 0.01);
        Assert.Equal("jumprelu-n1024-l0_0.01", jump.Name);
        Assert.Null(jump.K);
        Assert.Equal(0.01, ((JumpReluSaeConfig)jump.Config(128)).L0Coefficient);
        Assert.Equal(0.01, SaeRegistry.JumpRelu.Knob.Get(jump.Config(128)));
        Assert.True(((TopKSaeConfig)SaeRegistry.MultiTopK.Run(64, 4).Config(8)).MultiTopK);
        Assert.Equal(4, Assert.IsType<BatchTopKSaeConfig>(SaeRegistry.BatchTopK.Run(64, 4).Config(8)).K);   // the shared k knob keeps the record type
        Assert.False(SaeRegistry.TopK.Knob.IsValid(2.5));
        Assert.False(SaeRegistry.Relu.Knob.IsValid(double.NaN));
    }

    [Fact]
    public void OptimizerDefaultsFollowThePapersPerArchitecture()
    {
        // Gao et al. 2024: lr 2e-4 / sqrt(n / 2^14), Adam (0.9, 0.999); JumpReLU/Gemma Scope: 7e-5, beta1 = 0.
        Assert.Equal(2e-4 / Math.Sqrt(2), OptimizerSettings.For(new TopKSaeConfig { NumLatents = 32768 }).LearningRate!.Value, 15);
        Assert.Equal(0.0, OptimizerSettings.For(new JumpReluSaeConfig()).Beta1);
        Assert.Equal(7e-5, SaeRegistry.Gated.LearningRateRule(4096));
        Assert.Equal(1.0, OptimizerSettings.For(new ReluSaeConfig()).GradClipNorm);
    }

    [Fact]
    public void DescriptorsAreWrittenAsTheirNameAndAnUnknownNameIsRefusedWithTheList()
    {
        var json = JsonSerializer.Serialize(SaeRegistry.Gated.Run(512, 0.3));
        Assert.Contains("\"Architecture\":\"gated\"", json);
        Assert.Same(SaeRegistry.Relu, JsonSerializer.Deserialize<SaeArchitecture>("\"standard\""));
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<SaeArchitecture>("\"sparsemax\""));
        Assert.Contains("topk, batchtopk, multitopk, relu, jumprelu, gated", e.Message);
    }
}
