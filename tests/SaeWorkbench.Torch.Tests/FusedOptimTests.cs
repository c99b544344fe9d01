namespace SaeWorkbench.Torch.Tests;

/// <summary>The fused Adam step and the row kernels of the unit-norm constraint against the op sequences they replace.</summary>
public class FusedOptimTests
{
    [Theory]
    [InlineData(ScalarType.Float32, false, 0.0)]
    [InlineData(ScalarType.Float64, false, 0.0)]
    [InlineData(ScalarType.Float64, true, 0.01)]
    [InlineData(ScalarType.Float32, false, 0.1)]
    public void FusedAdamFollowsTheSameTrajectory(ScalarType dtype, bool decoupled, double weightDecay)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var start = randn(new long[] { 300, 7 }, dtype, generator: g);
        var a = start.clone().requires_grad_();
        var b = start.clone().requires_grad_();
        var options = new optim.AdamOptions { lr = 1e-2, beta1 = 0.9, beta2 = 0.99, eps = 1e-8, weight_decay = weightDecay };
        using optim.Adam plain = decoupled ? new optim.AdamW([a], options) : new optim.Adam([a], options);
        using optim.Adam fused = decoupled ? new optim.AdamW([b], options with { fused = true }) : new optim.Adam([b], options with { fused = true });
        for (var step = 0; step < 20; step++)
        {
            var grad = randn(new long[] { 300, 7 }, dtype, generator: g);
            a.grad = grad.clone();
            b.grad = grad.clone();
            plain.step();
            fused.step();
        }
        var tol = dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        Assert.True(b.allclose(a, tol, tol), $"fused Adam drifted: max |diff| {(b - a).abs().max().item<double>():G3}");
        Assert.False(b.equal(start));
        foreach (var (key, t) in plain.state_dict()) Assert.True(fused.state_dict()[key].allclose(t, tol, tol), key);
    }

    [Theory]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, true)]
    [InlineData(ScalarType.Float32, false)]
    public void UnitNormRowsInsideAdamEqualTheSeparatePasses(ScalarType dtype, bool fused)
    {
        // set_unit_norm_rows: projection, update and rescaling in Adam's pass, bit for bit the three separate steps.
        using var scope = NewDisposeScope();
        using var gen = new Generator(4);
        var start = nn.utils.normalize_rows_(randn(new long[] { 70, 37 }, dtype, generator: gen));
        var a = start.clone().requires_grad_();
        var b = start.clone().requires_grad_();
        var options = new optim.AdamOptions { lr = 1e-2, eps = 1e-8, fused = fused };
        using var separate = new optim.Adam([a], options);
        using var inside = new optim.Adam([b], options);
        inside.set_unit_norm_rows(b);
        for (var step = 0; step < 10; step++)
        {
            var grad = randn(new long[] { 70, 37 }, dtype, generator: gen);
            a.grad = nn.utils.remove_parallel_rows_(grad.clone(), a);
            b.grad = grad.clone();
            separate.step();
            using (no_grad()) nn.utils.normalize_rows_(a);
            inside.step();
            Assert.True(b.grad!.equal(grad), "the gradient tensor must be left as backward made it");
        }
        Assert.True(b.equal(a), $"max |diff| {(b - a).abs().max().item<double>():G3}");
        Assert.True((b.norm(2, 1) - 1).abs().max().item<double>() < (dtype == ScalarType.Float32 ? 1e-6 : 1e-14));
        Assert.False(b.equal(start));
        Assert.Contains("not one of this optimiser's parameters", Assert.Throws<ArgumentException>(() => inside.set_unit_norm_rows(a)).Message);
        var vector = zeros(5).requires_grad_();
        using var other = new optim.Adam([vector]);
        Assert.Contains("must be [N, D]", Assert.Throws<ArgumentException>(() => other.set_unit_norm_rows(vector)).Message);
    }

    [Fact]
    public void RowKernelsEqualTheirCompositeForms()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(2);
        var w = randn(new long[] { 50, 13 }, float64, generator: gen) * 3;
        var g = randn(new long[] { 50, 13 }, float64, generator: gen);
        var expected = g - (g * w).sum(1, keepdim: true) / w.square().sum(1, keepdim: true) * w;
        var projected = nn.utils.remove_parallel_rows_(g.clone(), w);
        Assert.True(projected.allclose(expected, 1e-12, 1e-12));
        Assert.True((projected * w).sum(1).abs().max().item<double>() < 1e-10);
        var normalized = nn.utils.normalize_rows_(w.clone());
        Assert.True(normalized.allclose(w / w.norm(2, 1, keepdim: true), 1e-12, 1e-12));
        Assert.Contains("same [N, D] shape", Assert.Throws<TorchException>(() => nn.utils.remove_parallel_rows_(g, w.narrow(0, 0, 3))).Message);
    }
}
