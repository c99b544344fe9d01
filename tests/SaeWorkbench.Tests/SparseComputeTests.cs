using SaeWorkbench.Saes;

namespace SaeWorkbench.Tests;

/// <summary>
/// The sparse TopK kernels against dense autograd: the same SAE weights run once with
/// <see cref="TopKSaeConfig.SparseCompute"/> (gather, embedding-bag decode, hand-written backward that forms only the
/// chosen and AuxK latents' gradients) and once as the plain dense-autograd SAE (topk, scatter into [B, N], matmul).
/// Every loss term and every parameter gradient must agree to float32 precision.
/// </summary>
public class SparseComputeTests(ITestOutputHelper output)
{
    private static Tensor DeadMask(long n, int every)
    {
        var mask = new bool[n];
        for (var i = 0; i < n; i += every) mask[i] = true;
        return tensor(mask);
    }

    private void AssertSparseMatchesDense(TopKSaeConfig config, Tensor? dead, int seed)
    {
        using var scope = NewDisposeScope();
        using var sparse = SaeRegistry.Create(config with { SparseCompute = true });
        using var dense = SaeRegistry.Create(config with { SparseCompute = false });
        manual_seed(seed);
        var x = randn(48, config.DIn) * 2 + 0.5;
        using (no_grad())
        {
            // Non-trivial biases so every gradient path (b_pre through the encoder and decoder, b_enc) is exercised.
            var bPre = randn(config.DIn) * 0.3;
            var bEnc = randn(config.NumLatents) * 0.1;
            sparse.b_dec_D.copy_(bPre);
            dense.b_dec_D.copy_(bPre);
            ((TopKSae)sparse).b_enc_N.copy_(bEnc);
            ((TopKSae)dense).b_enc_N.copy_(bEnc);
        }
        var options = new ForwardOptions { DeadMask_N = dead };
        var a = sparse.Forward(x, options);
        var b = dense.Forward(x, options);
        Assert.Equal(b.Losses.Keys.Order(), a.Losses.Keys.Order());
        foreach (var (name, value) in b.Losses)
        {
            var (va, vb) = (a.Losses[name].ToDouble(), value.ToDouble());
            output.WriteLine($"{name}: sparse {va:G9} dense {vb:G9}");
            Assert.True(Math.Abs(va - vb) <= 1e-6 * Math.Max(1, Math.Abs(vb)), $"loss term {name}: sparse {va} vs dense {vb}");
        }
        Assert.True(a.Latents_BN.allclose(b.Latents_BN, 1e-5, 1e-6), "latents differ");
        Assert.True(a.Reconstruction_BD.allclose(b.Reconstruction_BD, 1e-5, 1e-5), "reconstructions differ");
        a.Loss.backward();
        b.Loss.backward();
        foreach (var ((name, p), (_, q)) in sparse.named_parameters().Zip(dense.named_parameters()))
        {
            var (gp, gq) = (p.grad, q.grad);
            Assert.NotNull(gq);
            Assert.NotNull(gp);
            var scale = gq!.abs().max().ToDouble();
            var diff = (gp! - gq).abs().max().ToDouble();
            output.WriteLine($"d{name}: max |sparse - dense| {diff:G3} (max |dense| {scale:G3})");
            Assert.True(scale > 0, $"gradient of {name} is zero: the test would not see a wrong kernel");
            Assert.True(diff <= 2e-6 * Math.Max(1, scale), $"gradient of {name}: max difference {diff} (max {scale})");
        }
    }

    [Fact]
    public void TopKMatchesDenseAutograd() =>
        AssertSparseMatchesDense(new TopKSaeConfig { DIn = 24, NumLatents = 96, K = 6, AuxK = 0, Init = new SaeInit { Seed = 1 } }, null, 11);

    [Fact]
    public void TopKWithAuxKMatchesDenseAutograd() =>
        AssertSparseMatchesDense(new TopKSaeConfig { DIn = 24, NumLatents = 96, K = 6, AuxK = 8, Init = new SaeInit { Seed = 2 } }, DeadMask(96, 3), 12);

    [Fact]
    public void AuxKWithFewerDeadLatentsThanKAuxMatchesDenseAutograd() =>
        AssertSparseMatchesDense(new TopKSaeConfig { DIn = 24, NumLatents = 96, K = 6, AuxK = 16, Init = new SaeInit { Seed = 3 } }, DeadMask(96, 10), 13);

    [Fact]
    public void MultiTopKMatchesDenseAutograd() =>
        AssertSparseMatchesDense(new TopKSaeConfig { DIn = 24, NumLatents = 96, K = 5, AuxK = 8, MultiTopK = true, Init = new SaeInit { Seed = 4 } }, DeadMask(96, 4), 14);

    [Fact]
    public void BatchTopKMatchesDenseAutograd() =>
        AssertSparseMatchesDense(new BatchTopKSaeConfig { DIn = 24, NumLatents = 96, K = 6, AuxK = 8, Init = new SaeInit { Seed = 5 } }, DeadMask(96, 3), 15);

    [Fact]
    public void PerTokenNormalisationAndNoInputBiasMatchDenseAutograd() =>
        AssertSparseMatchesDense(new TopKSaeConfig
        {
            DIn = 24, NumLatents = 96, K = 6, AuxK = 8, Normalization = InputNormalization.PerTokenStandardize,
            ApplyDecoderBiasToInput = false, Init = new SaeInit { Seed = 6 },
        }, DeadMask(96, 2), 16);

    [Fact]
    public void SparseDecodeMatchesFiniteDifferences()
    {
        // float64, a variable-length code (BatchTopK-style): the decode's backward for values and W_dec.
        using var scope = NewDisposeScope();
        var flat = tensor(new long[] { 0 * 7 + 1, 0 * 7 + 5, 1 * 7 + 1, 2 * 7 + 0, 2 * 7 + 3, 2 * 7 + 6, 2 * 7 + 2, 3 * 7 + 4 });
        var (code, _) = SparseCode.FromFlatIndices(flat, numTokens: 4, numLatents: 7);
        var values = GradCheck.Input(new long[] { code.Count }, seed: 1);
        var w = GradCheck.Input(new long[] { 7, 5 }, seed: 2);
        GradCheck.Assert(t => SparseCompute.Decode(t[0], t[1], code), values, w);
    }

    [Fact]
    public void EncoderGatherMatchesFiniteDifferences()
    {
        // float64: d(pre at entries)/d(W_enc, b_enc, b_pre) with two codes sharing one backward (TopK + AuxK).
        using var scope = NewDisposeScope();
        var x = GradCheck.Input(new long[] { 4, 5 }, seed: 3, requires_grad: false);
        var w = GradCheck.Input(new long[] { 7, 5 }, seed: 4);
        var bEnc = GradCheck.Input(new long[] { 7 }, seed: 5);
        var bPre = GradCheck.Input(new long[] { 5 }, seed: 6);
        var main = SparseCode.FromTopK(tensor(new long[] { 1, 3, 0, 3, 6, 2, 5, 1 }, new long[] { 4, 2 }), 7);
        var aux = SparseCode.FromTopK(tensor(new long[] { 4, 4, 2, 0 }, new long[] { 4, 1 }), 7);
        GradCheck.Assert(t =>
        {
            // The selection supplies the entries' values; recompute them from the (perturbed) weights.
            Tensor xc, pre;
            using (no_grad())
            {
                xc = x - t[2];
                pre = t[1].addmm(xc, t[0].t()).reshape(-1);
            }
            var codes = new[] { main, aux };
            var values = codes.Select(c => pre.index_select(0, c.Tokens_M * 7 + c.Latents_M)).ToArray();
            var g = SparseCompute.EncoderEntries(values, xc, t[0], t[1], t[2], codes);
            return cat(g);
        }, w, bEnc, bPre);
    }

    [Fact]
    public void SparseCodeDensifiesToTheSelectedEntries()
    {
        using var scope = NewDisposeScope();
        var idx = tensor(new long[] { 2, 0, 1, 2 }, new long[] { 2, 2 });
        var code = SparseCode.FromTopK(idx, 3);
        var dense = code.ToDense(tensor(new float[] { 1, 2, 3, 4 }));
        Assert.Equal(new float[] { 2, 0, 1, 0, 3, 4 }, dense.ToArray<float>());
        Assert.Equal(new long[] { 0, 2 }, code.Offsets_B.ToArray<long>());
        Assert.Equal(new long[] { 1, 1, 2 }, code.FiringCounts(tensor(new float[] { 1, 2, 3, 4 }), 0.5).ToArray<long>());
    }
}
