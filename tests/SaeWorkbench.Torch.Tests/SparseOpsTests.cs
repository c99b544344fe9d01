namespace SaeWorkbench.Torch.Tests;

/// <summary>topk_of_sum, spmm_coo and sddmm_coo against the composite ops they replace.</summary>
public class SparseOpsTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void TopKOfSumEqualsTopKOfTheSum(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = randn(new long[] { 37, 211 }, dtype, generator: g);
        var bias = randn(new long[] { 211 }, dtype, generator: g);
        foreach (var k in new long[] { 1, 7, 211 })
        {
            var (v, i) = topk_of_sum(x, bias, k);
            var (ev, ei) = (x + bias).topk(k);
            Assert.True(v.equal(ev), $"values differ for k = {k}");
            Assert.True(i.equal(ei), $"indices differ for k = {k}");
        }
        var (v0, i0) = topk_of_sum(x, null, 5);
        Assert.True(v0.equal(x.topk(5).values) && i0.equal(x.topk(5).indices));
    }

    [Fact]
    public void TopKOfSumTreatsNaNAsLargestAndBreaksTiesByIndex()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, float.NaN, 3, 3, -1, 2 }, new long[] { 1, 6 });
        var (v, i) = topk_of_sum(x, null, 3);
        Assert.Equal(new long[] { 1, 2, 3 }, i.ToArray<long>());
        Assert.True(float.IsNaN(v.ToArray<float>()[0]));
        Assert.Contains("k = 7", Assert.Throws<TorchException>(() => topk_of_sum(x, null, 7)).Message);
        Assert.Contains("bias must be [6]", Assert.Throws<TorchException>(() => topk_of_sum(x, zeros(5), 2)).Message);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void SpmmAndSddmmEqualTheirDenseForms(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        const long m = 300, rows = 23, k = 17, d = 9;
        var row = randint(0, rows, new[] { m }, generator: g);
        var col = randint(0, k, new[] { m }, generator: g);
        var value = randn(new[] { m }, dtype, generator: g);
        var dense = randn(new[] { k, d }, dtype, generator: g);
        // S [rows, k] with repeated coordinates summed, as the coordinate form means.
        var s = zeros(new[] { rows * k }, dtype).index_add(0, row * k + col, value).view(rows, k);
        var tol = dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        Assert.True(spmm_coo(row, col, value, dense, rows).allclose(s.mm(dense), tol, tol));
        var a = randn(new[] { rows, d }, dtype, generator: g);
        var expected = (a.index_select(0, row) * dense.index_select(0, col)).sum(1);
        Assert.True(sddmm_coo(row, col, a, dense).allclose(expected, tol, tol));
        // Empty rows are zero; an out-of-range coordinate is an error naming it.
        Assert.Equal(0.0, spmm_coo(row, col, value, dense, rows + 5).narrow(0, rows, 5).abs().sum().item<double>());
        var bad = Assert.Throws<TorchException>(() => spmm_coo(row, col, value, dense, 3));
        Assert.Contains("out of range [0, 3)", bad.Message);
    }

    [Fact]
    public void SpmmIsDeterministicAcrossThreadCounts()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(8);
        var row = randint(0, 50, new long[] { 20000 }, generator: g);
        var col = randint(0, 70, new long[] { 20000 }, generator: g);
        var value = randn(new long[] { 20000 }, generator: g);
        var dense = randn(new long[] { 70, 33 }, generator: g);
        var threads = get_num_threads();
        try
        {
            set_num_threads(1);
            var one = spmm_coo(row, col, value, dense, 50);
            set_num_threads(Math.Max(2, threads));
            Assert.True(spmm_coo(row, col, value, dense, 50).equal(one));
        }
        finally
        {
            set_num_threads(threads);
        }
    }
}
