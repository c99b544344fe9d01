using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests;

/// <summary>The Gated SAE's paths (Rajamanoharan et al. 2024a): forward by hand, every gradient by finite differences,
/// and the stop-gradient of the auxiliary decoder copy.</summary>
public class GatedTests
{
    private static GatedSae Make(double lambda = 0.3) => new(new GatedSaeConfig
    {
        DIn = 4, NumLatents = 6, DType = float64, L1Coefficient = lambda, Init = new SaeInit { Seed = 9, GeometricMedianPreBias = false },
    });

    private static void Randomise(GatedSae sae)
    {
        using var noGrad = no_grad();
        manual_seed(21);
        sae.b_gate_N.copy_(randn(new long[] { 6 }, float64) * 0.3);
        sae.r_mag_N.copy_(randn(new long[] { 6 }, float64) * 0.3);
        sae.b_mag_N.copy_(randn(new long[] { 6 }, float64) * 0.3);
        sae.b_dec_D.copy_(randn(new long[] { 4 }, float64) * 0.3);
    }

    [Fact]
    public void ForwardGatesTheMagnitudePathByTheSignOfPiGate()
    {
        using var scope = NewDisposeScope();
        using var sae = Make();
        Randomise(sae);
        var x = randn(new long[] { 5, 4 }, float64);
        var o = sae.Forward(x);
        var u = (x - sae.b_dec_D).mm(sae.W_enc_ND.t());
        var piGate = u + sae.b_gate_N;
        var piMag = u * sae.r_mag_N.exp() + sae.b_mag_N;
        var f = piGate.gt(0).to(float64) * piMag.relu();
        Assert.True(o.Latents_BN.allclose(f, 1e-12, 1e-12));
        Assert.True(o.Reconstruction_BD.allclose(f.mm(sae.W_dec_ND) + sae.b_dec_D, 1e-12, 1e-12));
        Assert.True(o.PreActivations_BN.allclose(piGate));
        Assert.True(o.Magnitudes_BN!.allclose(piMag));
        Assert.Equal(new[] { "aux", "l1", "mse" }, o.Losses.Keys.Order());
        Assert.True(f.ne(0).any().ToBoolean() && f.eq(0).any().ToBoolean(), "the batch should have both open and closed gates");
    }

    [Fact]
    public void EveryGradientPathMatchesFiniteDifferences()
    {
        // The auxiliary term decodes with a stop-gradient copy of W_dec and b_dec, so the loss whose finite differences
        // the gradient must match holds that copy constant: mse + l1 + ||x - (ReLU(pi_gate) W0 + b0)||^2 with W0, b0 fixed.
        using var scope = NewDisposeScope();
        using var sae = Make();
        Randomise(sae);
        var x = randn(new long[] { 5, 4 }, float64);
        var parameters = sae.parameters().ToArray();
        var w0 = sae.W_dec_ND.detach().clone();
        var b0 = sae.b_dec_D.detach().clone();
        Tensor FrozenCopyLoss()
        {
            var o = sae.Forward(x);
            return o.Losses["mse"] + o.Losses["l1"] + SaeWorkbench.Saes.Losses.Mse(o.PreActivations_BN.relu().mm(w0) + b0, o.Input_BD);
        }
        GradCheck.Assert(_ => FrozenCopyLoss(), parameters);

        // The SAE's own loss has exactly that gradient, on every parameter.
        FrozenCopyLoss().backward();
        var expected = parameters.Select(p => p.grad!.clone()).ToArray();
        sae.zero_grad();
        sae.Forward(x).Loss.backward();
        for (var i = 0; i < parameters.Length; i++)
            Assert.True(parameters[i].grad!.allclose(expected[i], 1e-12, 1e-12), $"parameter {i}: gradient differs from the frozen-copy loss's");
    }

    [Fact]
    public void TheAuxiliaryTermTrainsOnlyTheGatePath()
    {
        using var scope = NewDisposeScope();
        using var sae = Make();
        Randomise(sae);
        var x = randn(new long[] { 5, 4 }, float64);
        sae.Forward(x).Losses["aux"].backward();
        Assert.True(sae.W_dec_ND.grad is null || sae.W_dec_ND.grad.abs().max().ToDouble() == 0, "stop-gradient: no W_dec gradient from the aux term");
        Assert.True(sae.b_dec_D.grad!.abs().max().ToDouble() > 0, "b_dec still enters through the encoder input x - b_dec");
        Assert.True(sae.W_enc_ND.grad!.abs().max().ToDouble() > 0);
        Assert.True(sae.b_gate_N.grad!.abs().max().ToDouble() > 0);
        Assert.True(sae.r_mag_N.grad is null || sae.r_mag_N.grad.abs().max().ToDouble() == 0, "the aux term does not see the magnitude path");

        // The reconstruction term: the Heaviside gate passes nothing back, so b_gate gets no gradient from it.
        sae.zero_grad();
        sae.Forward(x).Losses["mse"].backward();
        Assert.True(sae.b_gate_N.grad is null || sae.b_gate_N.grad.abs().max().ToDouble() == 0);
        Assert.True(sae.r_mag_N.grad!.abs().max().ToDouble() > 0);
    }
}
