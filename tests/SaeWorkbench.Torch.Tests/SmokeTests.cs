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

public class SafeTensorsTensorTests
{
    [Fact]
    public void TensorsRoundTripThroughSafetensorsWithEveryDtype()
    {
        var path = Path.Combine(Path.GetTempPath(), $"saewb-rt-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var scope = NewDisposeScope();
            var src = new Dictionary<string, Tensor>
            {
                ["f32"] = arange(0, 12, dtype: float32).reshape(3, 4).transpose(0, 1), // non-contiguous
                ["f64"] = linspace(-1, 1, 5, float64),
                ["f16"] = arange(0, 6, dtype: float16),
                ["bf16"] = arange(0, 6, dtype: bfloat16).mul(0.5),
                ["i64"] = arange(-3, 3),
                ["i32"] = arange(0, 4, dtype: int32),
                ["u8"] = arange(0, 4, dtype: uint8),
                ["b"] = arange(0, 4).gt(1),
                ["scalar"] = tensor(3.5),
                ["empty"] = zeros(new long[] { 0, 3 }),
            };
            save_safetensors(src, path, new Dictionary<string, string> { ["format"] = "pt" });
            var back = load_safetensors(path);
            Assert.Equal(src.Keys.OrderBy(k => k), back.Keys.OrderBy(k => k));
            foreach (var (k, v) in src)
            {
                Assert.Equal(v.dtype, back[k].dtype);
                Assert.Equal(v.shape, back[k].shape);
                Assert.True(v.equal(back[k]), $"tensor {k} differs after the round trip");
            }
        }
        finally { File.Delete(path); }
    }
}
