namespace SaeWorkbench.Torch.Tests;

/// <summary>torch.autograd.Function: forward in C#, hand-written backward called by libtorch's engine.</summary>
public class CustomFunctionTests
{
    private static Tensor Cube(Tensor x) => autograd.Function("Cube", new[] { x },
        (ctx, i) => { ctx.save_for_backward(i[0]); return i[0].pow(3); },
        (ctx, g) => new Tensor?[] { g * 3 * ctx.saved_tensors[0].pow(2) });

    [Fact]
    public void HandWrittenBackwardFeedsTheEngine()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { -2, 0.5, 3 }, requires_grad: true);
        var y = Cube(x);
        Assert.Equal("Cube", y.grad_fn_name);
        (y * tensor(new double[] { 1, 2, 3 })).sum().backward();
        Assert.Equal(new double[] { 12, 1.5, 81 }, x.grad!.ToArray<double>());
    }

    [Fact]
    public void ComposesWithBuiltInOpsOnBothSides()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new double[] { 1, 2 }, requires_grad: true);
        var z = Cube(w * 2).sum() + w.sum();
        z.backward();
        // d/dw [ (2w)^3 + w ] = 24 w^2 + 1
        Assert.Equal(new double[] { 25, 97 }, w.grad!.ToArray<double>());
    }

    [Fact]
    public void StraightThroughGradientForAStep()
    {
        // JumpReLU-style: forward H(x - theta), backward d/dtheta = -(1/eps) K((x - theta)/eps).
        using var scope = NewDisposeScope();
        const double eps = 0.5;
        var x = tensor(new double[] { 0.9, 1.2, 3.0 });
        var theta = tensor(new double[] { 1.0 }, requires_grad: true);
        var h = autograd.Function("Step", new[] { x, theta },
            (ctx, i) => { ctx.save_for_backward(i[0], i[1]); return i[0].gt(i[1]).to(float64); },
            (ctx, g) =>
            {
                var u = (ctx.saved_tensors[0] - ctx.saved_tensors[1]) / eps;
                var kernel = u.abs().lt(0.5).to(float64);
                return new Tensor?[] { null, (g * kernel * (-1 / eps)).sum(0, keepdim: true) };
            });
        Assert.Equal(new double[] { 0, 1, 1 }, h.ToArray<double>());
        h.sum().backward();
        // |x - theta| / eps < 1/2 holds for 0.9 and 1.2 only: two kernels of -1/eps.
        Assert.Equal(-4.0, theta.grad!.item<double>(), 12);
    }

    [Fact]
    public void NoNodeIsRecordedWhenNothingRequiresGrad()
    {
        using var scope = NewDisposeScope();
        var y = Cube(tensor(new double[] { 2 }));
        Assert.False(y.requires_grad);
        Assert.Equal(8.0, y.item<double>());
    }

    [Fact]
    public void AnExceptionInBackwardBecomesATorchExceptionWithItsMessage()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1 }, requires_grad: true);
        var y = autograd.Function("Broken", new[] { x }, (ctx, i) => i[0] * 2,
            (ctx, g) => throw new InvalidOperationException("backward is not implemented for Broken"));
        var e = Assert.Throws<TorchException>(() => y.sum().backward());
        Assert.Contains("backward is not implemented for Broken", e.Message);
    }

    [Fact]
    public void AGradientOfTheWrongShapeIsRejectedByTheEngine()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2, 3 }, requires_grad: true);
        var y = autograd.Function("WrongShape", new[] { x }, (ctx, i) => i[0] * 2,
            (ctx, g) => new Tensor?[] { ones(2, 2).to(float64) });
        var e = Assert.Throws<TorchException>(() => y.sum().backward());
        Assert.Contains("WrongShape", e.Message);
    }

    [Fact]
    public void SavedTensorsAreReleasedWithTheGraph()
    {
        Tensor saved;
        using (var scope = NewDisposeScope())
        {
            var x = tensor(new double[] { 1, 2 }, requires_grad: true);
            autograd.FunctionContext? seen = null;
            var y = autograd.Function("Keep", new[] { x }, (ctx, i) => { seen = ctx; ctx.save_for_backward(i[0]); return i[0] * 1; },
                (ctx, g) => new Tensor?[] { g });
            saved = seen!.saved_tensors[0];
            Assert.False(saved.IsDisposed);
        }
        // y, its graph and x are gone with the scope: the node released its context.
        Assert.True(saved.IsDisposed);
    }
}
