using SaeWorkbench.Training;

namespace SaeWorkbench.Tests.Engine;

/// <summary>
/// SaeAdam's one-pass CPU kernels (FastTopK/FusedAdam, FastTopK/UnitNormAdam) against Adam written out with TorchSharp
/// ops in the test (PyTorch's single-tensor formula), and the unit-norm rows kept through several steps.
/// </summary>
public class SaeAdamTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_kernel_step_follows_the_PyTorch_Adam_formula(bool unitNormRows)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var w0 = randn(37, 19, dtype: float64);
        if (unitNormRows) w0 = w0 / w0.norm(1, keepdim: true);
        var p = w0.clone().requires_grad_();
        using var opt = new SaeAdam([p], new AdamOptions { lr = lr, beta1 = b1, beta2 = b2, eps = eps });
        if (unitNormRows) opt.SetUnitNormRows(p);

        var reference = w0.clone();
        var m = zeros_like(reference);
        var v = zeros_like(reference);
        for (var step = 1; step <= 5; step++)
        {
            var g = randn(37, 19, dtype: float64);
            p.grad = g.clone();
            opt.step();

            var gr = g.clone();
            if (unitNormRows) gr -= (gr * reference).sum(1, keepdim: true) / (reference * reference).sum(1, keepdim: true) * reference;
            m = b1 * m + (1 - b1) * gr;
            v = b2 * v + (1 - b2) * gr * gr;
            var denom = (v.sqrt() / Math.Sqrt(1 - Math.Pow(b2, step))) + eps;
            reference = reference - lr / (1 - Math.Pow(b1, step)) * m / denom;
            if (unitNormRows) reference = reference / reference.norm(1, keepdim: true);
        }
        var err = (p.detach() - reference).abs().max().ToDouble();
        Assert.True(err < 1e-12, $"kernel step differs from the formula by {err}");
        if (unitNormRows) Assert.True((p.detach().norm(1) - 1).abs().max().ToDouble() < 1e-12);
    }
}
