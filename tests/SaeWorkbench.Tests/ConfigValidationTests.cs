using SaeWorkbench.Saes;
using SaeWorkbench.Training;

namespace SaeWorkbench.Tests;

/// <summary>Bad config values fail when the SAE (or trainer) is constructed, naming the field, the value and the range.</summary>
public class ConfigValidationTests
{
    private static void AssertNamesField(Exception e, string field, string value)
    {
        var a = Assert.IsAssignableFrom<ArgumentException>(e);
        Assert.Equal(field, a.ParamName);
        Assert.Contains(field, a.Message);
        Assert.Contains(value, a.Message);
    }

    [Fact]
    public void KLargerThanTheNumberOfLatents() =>
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TopKSae(new TopKSaeConfig { DIn = 8, NumLatents = 64, K = 100 })), "K", "100");

    [Fact]
    public void KOfZero() =>
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new BatchTopKSae(new BatchTopKSaeConfig { DIn = 8, NumLatents = 64, K = 0 })), "K", "0");

    [Fact]
    public void MultiTopKNeedsFourKLatents() =>
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TopKSae(new TopKSaeConfig { DIn = 8, NumLatents = 64, K = 20, MultiTopK = true })), "K", "20");

    [Fact]
    public void AuxKLargerThanTheNumberOfLatents() =>
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TopKSae(new TopKSaeConfig { DIn = 8, NumLatents = 64, K = 4, AuxK = 65 })), "AuxK", "65");

    [Fact]
    public void NegativeLambdas()
    {
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new ReluSae(new ReluSaeConfig { DIn = 8, NumLatents = 16, L1Coefficient = -0.1 })), "L1Coefficient", "-0.1");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new JumpReluSae(new JumpReluSaeConfig { DIn = 8, NumLatents = 16, L0Coefficient = -1 })), "L0Coefficient", "-1");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new GatedSae(new GatedSaeConfig { DIn = 8, NumLatents = 16, L1Coefficient = -2 })), "L1Coefficient", "-2");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TopKSae(new TopKSaeConfig { DIn = 8, NumLatents = 16, K = 2, AuxKCoefficient = -1 })), "AuxKCoefficient", "-1");
    }

    [Fact]
    public void BandwidthMustBePositive()
    {
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new JumpReluSae(new JumpReluSaeConfig { DIn = 8, NumLatents = 16, Bandwidth = 0 })), "Bandwidth", "0");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new JumpReluSae(new JumpReluSaeConfig { DIn = 8, NumLatents = 16, Bandwidth = -0.001 })), "Bandwidth", "-0.001");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new JumpReluSae(new JumpReluSaeConfig { DIn = 8, NumLatents = 16, InitialThreshold = 0 })), "InitialThreshold", "0");
    }

    [Fact]
    public void UnknownActivationAndArchitectureNames()
    {
        var e = Assert.Throws<ArgumentException>(() => Activation.Parse("softplus"));
        Assert.Equal("activation", e.ParamName);
        Assert.Contains("softplus", e.Message);
        Assert.Contains("topk:K", e.Message);
        Assert.Equal("activation", Assert.Throws<ArgumentException>(() => Activation.Parse("topk:many")).ParamName);
        Assert.Equal("activation", Assert.Throws<ArgumentException>(() => Activation.Parse("jumprelu")).ParamName);
        var a = Assert.Throws<ArgumentException>(() => SaeRegistry.DefaultConfig("sparsemax", 8, 16));
        Assert.Equal("architecture", a.ParamName);
        Assert.Contains("sparsemax", a.Message);
    }

    [Fact]
    public void ActivationArguments()
    {
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TopKActivation(0)), "K", "0");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new JumpReluActivation(-0.5)), "Threshold", "-0.5");
        using var scope = NewDisposeScope();
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TopKActivation(9).Apply(zeros(2, 8))), "K", "9");
    }

    [Fact]
    public void SharedFields()
    {
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new ReluSae(new ReluSaeConfig { DIn = 0, NumLatents = 16 })), "DIn", "0");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new ReluSae(new ReluSaeConfig { DIn = 8, NumLatents = 16, DeadWindowTokens = 0 })), "DeadWindowTokens", "0");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new ReluSae(new ReluSaeConfig { DIn = 8, NumLatents = 16, DType = int64 })), "DType", "Int64");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new BatchTopKSae(new BatchTopKSaeConfig { DIn = 8, NumLatents = 64, K = 2, MultiTopK = true })), "MultiTopK", "True");
    }

    [Fact]
    public void TrainerAndOptimiserSettings()
    {
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerConfig { BatchSize = 0 }.Validate()), "BatchSize", "0");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerConfig { BatchSize = 64, TotalTokens = 10 }.Validate()), "TotalTokens", "10");
        using var sae = new TopKSae(new TopKSaeConfig { DIn = 8, NumLatents = 16, K = 2 });
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingRun("r", sae, new OptimizerSettings { LearningRate = -1e-4 })), "LearningRate", "-0.0001");
        AssertNamesField(Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingRun("r", sae, new OptimizerSettings { Beta1 = 1.0 })), "Beta1", "1");
    }
}
