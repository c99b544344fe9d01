using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests;

/// <summary>The activations on known inputs, and the test-time swap on a trained-shape SAE (all weights kept).</summary>
public class ActivationTests
{
    private static readonly float[] Pre = { 3, 1, 2, -1, /* token 2 */ -2, 0.5f, -0.5f, 4 };

    private static float[] Apply(Activation a, Tensor? magnitudes = null)
    {
        using var scope = NewDisposeScope();
        return a.Apply(tensor(Pre, new long[] { 2, 4 }), magnitudes).ToArray<float>();
    }

    [Fact]
    public void KnownAnswers()
    {
        Assert.Equal(new float[] { 3, 1, 2, 0, 0, 0.5f, 0, 4 }, Apply(new ReluActivation()));
        Assert.Equal(new float[] { 3, 0, 2, 0, 0, 0.5f, 0, 4 }, Apply(new TopKActivation(2)));
        // TopK keeps the top k even when negative, then ReLU zeroes them.
        Assert.Equal(new float[] { 3, 1, 2, 0, 0, 0.5f, 0, 4 }, Apply(new TopKActivation(4)));
        Assert.Equal(new float[] { 3, 0, 2, 0, 0, 0, 0, 4 }, Apply(new JumpReluActivation(1.5)));
        Assert.Equal(new float[] { 3, 0, 0, 0, 0, 0, 0, 4 }, Apply(new JumpReluActivation(2.0)));  // strictly above
        // BatchTopK(2) over 2 tokens: the 4 largest of the batch, 3 on token 1 and 1 on token 2.
        Assert.Equal(new float[] { 3, 1, 2, 0, 0, 0, 0, 4 }, Apply(new BatchTopKActivation(2)));
    }

    [Fact]
    public void SeparateMagnitudesTakeTheValuesAsTheGatedSaeDoes()
    {
        using var scope = NewDisposeScope();
        var mag = tensor(new float[] { 10, -10, 20, 30, 40, 50, 60, -70 }, new long[] { 2, 4 });
        Assert.Equal(new float[] { 10, 0, 20, 0, 0, 50, 0, 0 }, Apply(new ReluActivation(), mag));
        Assert.Equal(new float[] { 10, 0, 20, 0, 0, 50, 0, 0 }, Apply(new TopKActivation(2), mag));
        Assert.Equal(new float[] { 10, 0, 20, 0, 0, 0, 0, 0 }, Apply(new JumpReluActivation(1.5), mag));
    }

    [Fact]
    public void SpecsRoundTrip()
    {
        foreach (var spec in new[] { "relu", "topk:32", "batchtopk:8", "jumprelu:0.125" })
            Assert.Equal(spec, Activation.Parse(spec).Spec);
        Assert.Equal(new TopKActivation(7), Activation.Parse(" TopK:7 "));
    }

    [Fact]
    public void AnySaeCanBeEvaluatedWithAnotherActivationKeepingItsWeights()
    {
        using var scope = NewDisposeScope();
        SparseAutoencoder[] saes =
        [
            new TopKSae(new TopKSaeConfig { DIn = 8, NumLatents = 32, K = 6, Init = new SaeInit { Seed = 1 } }),
            new ReluSae(new ReluSaeConfig { DIn = 8, NumLatents = 32, Init = new SaeInit { Seed = 2 } }),
            new JumpReluSae(new JumpReluSaeConfig { DIn = 8, NumLatents = 32, Init = new SaeInit { Seed = 3 } }),
            new GatedSae(new GatedSaeConfig { DIn = 8, NumLatents = 32, Init = new SaeInit { Seed = 4 } }),
            new BatchTopKSae(new BatchTopKSaeConfig { DIn = 8, NumLatents = 32, K = 6, Init = new SaeInit { Seed = 5 } }),
        ];
        manual_seed(7);
        var x = randn(20, 8);
        foreach (var sae in saes)
        {
            var before = sae.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            using (no_grad())
            {
                var (xn, _) = sae.Normalize(x);
                var (pre, mag) = sae.PreActivations(xn);
                var k2 = sae.Forward(x, new ForwardOptions { Activation = new TopKActivation(2) });
                Assert.True(k2.L0.ToSingle() <= 2, $"{sae.GetType().Name}: TopK(2) gave L0 {k2.L0.ToSingle()}");
                Assert.True(k2.Latents_BN.allclose(new TopKActivation(2).Apply(pre, mag)));
                Assert.True(k2.Reconstruction_BD.allclose(sae.Decode(k2.Latents_BN)));
                Assert.Equal(new[] { "mse" }, k2.Losses.Keys);
                var theta = 0.05;
                var j = sae.Forward(x, new ForwardOptions { Activation = new JumpReluActivation(theta) });
                Assert.True(j.Latents_BN.allclose(new JumpReluActivation(theta).Apply(pre, mag)));
                var r = sae.Encode(x, new ReluActivation());
                Assert.True(r.allclose(new ReluActivation().Apply(pre, mag)));
            }
            foreach (var (name, t) in sae.state_dict()) Assert.True(t.allclose(before[name], 0, 0, equal_nan: true), $"{sae.GetType().Name}.{name} changed");
            sae.Dispose();
        }
    }

    [Fact]
    public void BatchTopKUsesItsGlobalThresholdAtInference()
    {
        using var scope = NewDisposeScope();
        using var sae = new BatchTopKSae(new BatchTopKSaeConfig { DIn = 8, NumLatents = 32, K = 4, Init = new SaeInit { Seed = 5 } });
        manual_seed(3);
        var x = randn(64, 8);
        Assert.Equal(0f, sae.threshold.ToSingle());
        var train = sae.Forward(x);                                   // training mode: batch-level top k*B
        Assert.Equal(4.0, train.Code!.Count / 64.0);
        Assert.True(sae.threshold.ToSingle() > 0, "training updates the threshold estimate");
        sae.eval();
        var theta = sae.threshold.ToDouble();
        var inference = sae.Forward(x);
        var (xn, _) = sae.Normalize(x);
        var expected = new JumpReluActivation(theta).Apply(sae.PreActivations(xn).pre_BN);
        Assert.True(inference.Latents_BN.allclose(expected));
        Assert.Equal(sae.threshold.ToSingle(), (float)theta);      // eval does not move it
    }
}
