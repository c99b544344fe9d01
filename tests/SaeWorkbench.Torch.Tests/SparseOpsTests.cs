namespace SaeWorkbench.Torch.Tests;

/// <summary>topk_of_sum, spmm_coo, sddmm_coo and decode_backward_coo against the composite ops they replace.</summary>
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
    public void TopKOfSumMatchesTopKOnWideRowsWithTiesAndNaNs(ScalarType dtype)
    {
        // Rows wide enough for the candidate buffer to be cut many times and the 32-wide blocks to be used, with small
        // integers (many ties at the threshold), NaNs in some rows, and a width that is not a multiple of 32.
        using var scope = NewDisposeScope();
        using var g = new Generator(12);
        const long rows = 40, n = 5003;
        var x = randint(-50, 50, new[] { rows, n }, generator: g).to(dtype);
        var nanAt = randint(0, n, new long[] { 5 }, generator: g);
        for (var r = 0; r < 5; r++) x[r * 7, nanAt[r].item<long>()] = tensor(double.NaN, dtype);
        x[3] = full(new[] { n }, 1.0, dtype);                                   // a row of equal values: the first k win
        var bias = randint(-3, 3, new[] { n }, generator: g).to(dtype);
        // The reference order: a stable descending sort with NaN mapped above every value (at::topk itself leaves the
        // order of ties unspecified, so it cannot be the reference for indices).
        var sum = x + bias;
        var (_, order) = sum.masked_fill(sum.isnan(), 1e9).sort(1, descending: true, stable: true);
        foreach (var k in new long[] { 1, 32, 100 })
        {
            var (v, i) = topk_of_sum(x, bias, k);
            var ev = sum.topk(k).values;
            Assert.True(v.isnan().equal(ev.isnan()), $"NaN positions differ for k = {k}");
            Assert.True(v.masked_fill(v.isnan(), 0).equal(ev.masked_fill(ev.isnan(), 0)), $"values differ for k = {k}");
            Assert.True(i.equal(order.narrow(1, 0, k)), $"indices differ from the stable order for k = {k}");
        }
        var (_, first) = topk_of_sum(x.narrow(0, 3, 1), null, 32);
        Assert.Equal(Enumerable.Range(0, 32).Select(j => (long)j), first.ToArray<long>());
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

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void DecodeBackwardEqualsTheGradientsOfTheDenseDecode(ScalarType dtype)
    {
        // x_hat = Z W with Z [B, N] holding z at the code's entries: dL/dz = (g W^T) at the entries, dL/dW = Z^T g.
        using var scope = NewDisposeScope();
        using var gen = new Generator(9);
        const long b = 31, n = 45, d = 37, m = 200;                            // d not a multiple of 16: the lanes' tail
        var token = randint(0, b, new[] { m }, generator: gen);
        var latent = randint(0, n - 5, new[] { m }, generator: gen);           // the last 5 latents have no entries
        var z = randn(new[] { m }, dtype, generator: gen);
        var w = randn(new[] { n, d }, dtype, generator: gen);
        var g = randn(new[] { b, d }, dtype, generator: gen);
        var zDense = zeros(new[] { b * n }, dtype).index_add(0, token * n + latent, z).view(b, n);
        var (dz, dw) = decode_backward_coo(token, latent, z, g, w);
        var tol = dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        Assert.True(dz.allclose(g.mm(w.t()).view(-1).index_select(0, token * n + latent), tol, tol));
        Assert.True(dw.allclose(zDense.t().mm(g), tol, tol));
        Assert.Equal(0.0, dw.narrow(0, n - 5, 5).abs().sum().item<double>());
        // The same numbers as the two separate kernels, and as dense autograd.
        Assert.True(dz.allclose(sddmm_coo(token, latent, g, w), tol, tol));
        Assert.True(dw.allclose(spmm_coo(latent, token, z, g, n), tol, tol));
        var wLeaf = w.clone().requires_grad_();
        var zLeaf = zDense.clone().requires_grad_();
        (zLeaf.mm(wLeaf) * g).sum().backward();
        Assert.True(dw.allclose(wLeaf.grad!, tol, tol));
        Assert.True(dz.allclose(zLeaf.grad!.view(-1).index_select(0, token * n + latent), tol, tol));
        // Bad input names the argument.
        Assert.Contains("decode_backward_coo: latent[", Assert.Throws<TorchException>(() => decode_backward_coo(token, latent + n, z, g, w)).Message);
        Assert.Contains("share D", Assert.Throws<TorchException>(() => decode_backward_coo(token, latent, z, g.narrow(1, 0, 5), w)).Message);
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
