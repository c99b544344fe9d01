using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests;

/// <summary>
/// JumpReLU's straight-through pseudo-derivatives (Rajamanoharan et al. 2024b): known answers computed by hand, finite
/// differences where the function is smooth (d/dz away from the threshold), and finite differences of the kernel-smoothed
/// step, whose exact derivative the pseudo-derivative is.
/// </summary>
public class JumpReluTests
{
    private const double Eps = 0.2;

    // z [3, 2] and theta [2]: some entries inside the kernel window |z - theta| < eps/2 = 0.1, some outside, some above.
    private static readonly double[] Z = { 0.95, 2.0, 1.05, 1.48, 0.5, 1.61 };
    private static readonly double[] Theta = { 1.0, 1.55 };
    private static readonly double[] W = { 0.7, -1.3, 1.1, 0.4, -0.6, 2.0 };

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    private static bool InWindow(double z, double theta) => Math.Abs((z - theta) / Eps) < 0.5;

    [Fact]
    public void ForwardKeepsValuesStrictlyAboveTheThreshold()
    {
        using var scope = NewDisposeScope();
        var z = tensor(new double[] { 0.5, 1.0, 1.5, 2.0 }, new long[] { 1, 4 });
        var theta = tensor(new double[] { 1.0, 1.0, 1.0, 2.5 });
        Assert.Equal(new double[] { 0, 0, 1.5, 0 }, JumpReluSae.JumpReLU(z, theta, Eps).ToArray<double>());
        Assert.Equal(new double[] { 0, 0, 1, 0 }, JumpReluSae.Step(z, theta, Eps).ToArray<double>());
    }

    [Fact]
    public void ThresholdPseudoDerivativesMatchTheHandFormula()
    {
        using var scope = NewDisposeScope();
        var z = tensor(Z, new long[] { 3, 2 }, requires_grad: true);
        var theta = tensor(Theta, requires_grad: true);
        var w = tensor(W, new long[] { 3, 2 });
        (JumpReluSae.JumpReLU(z, theta, Eps) * w).sum().backward();
        var dTheta = new double[2];
        var dz = new double[6];
        for (var b = 0; b < 3; b++)
        for (var n = 0; n < 2; n++)
        {
            var i = b * 2 + n;
            if (InWindow(Z[i], Theta[n])) dTheta[n] += W[i] * -(Theta[n] / Eps);   // -(theta/eps) K((z - theta)/eps)
            dz[i] = Z[i] > Theta[n] ? W[i] : 0;                                      // H(z - theta)
        }
        AssertClose(dTheta, theta.grad!.ToArray<double>());
        AssertClose(dz, z.grad!.ToArray<double>());
        Assert.NotEqual(0, dTheta[0]);
        Assert.NotEqual(0, dTheta[1]);

        z.grad = null;
        theta.grad = null;
        (JumpReluSae.Step(z, theta, Eps) * w).sum().backward();
        var dThetaStep = new double[2];
        for (var b = 0; b < 3; b++)
        for (var n = 0; n < 2; n++)
            if (InWindow(Z[b * 2 + n], Theta[n])) dThetaStep[n] += W[b * 2 + n] * -(1 / Eps);
        AssertClose(dThetaStep, theta.grad!.ToArray<double>());
        Assert.True(z.grad is null || z.grad.abs().max().ToDouble() == 0, "the L0 step must pass no gradient to z");
    }

    [Fact]
    public void GradientToTheInputMatchesFiniteDifferencesAwayFromTheThreshold()
    {
        using var scope = NewDisposeScope();
        // Every z at least 0.3 from its threshold, so a 1e-6 perturbation never crosses it.
        var z = tensor(new double[] { 0.2, 1.9, 1.4, 0.6, 2.5, 1.1 }, new long[] { 3, 2 }, requires_grad: true);
        var theta = tensor(new double[] { 1.0, 1.3 });
        GradCheck.Assert(t => JumpReluSae.JumpReLU(t[0], theta, Eps), z);
    }

    /// <summary>H_eps(z - theta) = clamp((z - theta)/eps + 1/2, 0, 1): the step convolved with the rectangle kernel.</summary>
    private static double Smoothed(double z, double theta) => Math.Clamp((z - theta) / Eps + 0.5, 0, 1);

    [Fact]
    public void PseudoDerivativesAreFiniteDifferencesOfTheKernelSmoothedStep()
    {
        // d/dtheta of sum w H_eps(z - theta) is exactly -(1/eps) K((z - theta)/eps) summed with w: the Step's pseudo-derivative.
        // The JumpReLU's is theta0 times it: the derivative of sum w theta0 H_eps(z - theta) at theta = theta0.
        using var scope = NewDisposeScope();
        var z = tensor(Z, new long[] { 3, 2 });
        var theta = tensor(Theta, requires_grad: true);
        var w = tensor(W, new long[] { 3, 2 });
        (JumpReluSae.Step(z, theta, Eps) * w).sum().backward();
        var stepGrad = theta.grad!.ToArray<double>();
        theta.grad = null;
        (JumpReluSae.JumpReLU(z, theta, Eps) * w).sum().backward();
        var jumpGrad = theta.grad!.ToArray<double>();
        const double h = 1e-6;
        for (var n = 0; n < 2; n++)
        {
            double Loss(double th, double multiplier)
            {
                var s = 0.0;
                for (var b = 0; b < 3; b++) s += W[b * 2 + n] * multiplier * Smoothed(Z[b * 2 + n], th);
                return s;
            }
            var fdStep = (Loss(Theta[n] + h, 1) - Loss(Theta[n] - h, 1)) / (2 * h);
            var fdJump = (Loss(Theta[n] + h, Theta[n]) - Loss(Theta[n] - h, Theta[n])) / (2 * h);
            Assert.Equal(fdStep, stepGrad[n], 6);
            Assert.Equal(fdJump, jumpGrad[n], 6);
        }
    }

    [Fact]
    public void TheSaeLearnsLogThresholdsInFloat32ThroughTheL0Term()
    {
        using var scope = NewDisposeScope();
        using var sae = new JumpReluSae(new JumpReluSaeConfig
        {
            DIn = 6, NumLatents = 10, DType = float64, L0Coefficient = 0.5, Bandwidth = 0.5, InitialThreshold = 0.3,
            Normalization = InputNormalization.None, Init = new SaeInit { Seed = 3, Decoder = DecoderInit.HeUniform, GeometricMedianPreBias = false },
        });
        Assert.Equal(float32, sae.log_threshold_N.dtype);
        manual_seed(5);
        var x = randn(new long[] { 16, 6 }, float64);
        var o = sae.Forward(x);
        o.Losses["l0"].backward();
        var pre = o.PreActivations_BN.detach();
        var theta = sae.Threshold_N().detach().to(float64);
        // d(lambda mean_b sum_n H)/d log theta_n = theta_n * lambda / B * sum_b -(1/eps) K((pre - theta)/eps)
        var window = ((pre - theta) / 0.5).abs().lt(0.5).to(float64);
        var expected = theta * (window.sum(0L) * (-1 / 0.5) * 0.5 / 16);
        Assert.True(expected.abs().sum().ToDouble() > 0, "no pre-activation fell in the kernel window: the test checks nothing");
        Assert.True(sae.log_threshold_N.grad!.to(float64).allclose(expected, 1e-5, 1e-7));
        Assert.Null(sae.W_dec_ND.grad); // the L0 term does not involve the decoder
    }
}
