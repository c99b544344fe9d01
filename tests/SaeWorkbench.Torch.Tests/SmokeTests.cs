namespace SaeWorkbench.Torch.Tests;

public class SmokeTests
{
    [Fact]
    public void AddMatmulAndBackward()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 }, requires_grad: true);
        var b = tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        var c = a.matmul(b) + 1;
        Assert.Equal(new float[] { 20, 23, 44, 51 }, c.ToArray<float>());
        c.sum().backward();
        Assert.Equal(new float[] { 11, 15, 11, 15 }, a.grad!.ToArray<float>());
    }
}
