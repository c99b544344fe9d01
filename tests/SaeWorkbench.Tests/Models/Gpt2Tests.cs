using SaeWorkbench.Models;

namespace SaeWorkbench.Tests.Models;

/// <summary>Properties of the GPT-2 forward pass that need no reference: batching, causality, configs, inputs, training.</summary>
public sealed class Gpt2Tests
{
    private static readonly Gpt2Config Config = new() { NLayer = 2, NHead = 4, NEmbd = 24, NPositions = 10, VocabSize = 29 };

    private static Tensor Tokens(long b, long t, long vocab, ulong seed)
    {
        using var gen = new Generator(seed);
        return randint(0, vocab, new[] { b, t }, int64, generator: gen);
    }

    [Fact]
    public void A_batch_gives_each_sequence_the_logits_it_gets_alone_and_no_position_sees_the_future()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 11);
        var tokens = Tokens(3, 10, 29, 1);
        var batch = model.Logits(tokens);
        Assert.Equal(new long[] { 3, 10, 29 }, batch.shape);
        for (var i = 0; i < 3; i++)
            Assert.True(model.Logits(tokens.narrow(0, i, 1)).allclose(batch.narrow(0, i, 1), 1e-5, 1e-5), $"sequence {i} depends on the rest of the batch");

        // Changing token 6 leaves positions 0..5 exactly as they were and changes position 6.
        var changed = tokens.clone();
        changed[.., 6] = (tokens[.., 6] + 1) % 29;
        var after = model.Logits(changed);
        Assert.True(after.narrow(1, 0, 6).allclose(batch.narrow(1, 0, 6), 1e-6, 1e-6), "an earlier position saw a later token");
        Assert.False(after.narrow(1, 6, 1).allclose(batch.narrow(1, 6, 1), 1e-3, 1e-3));

        // A prefix is a shorter sequence: the same logits (the positions are sliced, not interpolated).
        Assert.True(model.Logits(tokens.narrow(1, 0, 4)).allclose(batch.narrow(1, 0, 4), 1e-5, 1e-5));
    }

    [Fact]
    public void Evaluation_runs_without_autograd_and_training_reaches_every_parameter()
    {
        using var scope = NewDisposeScope();
        using var model = new Gpt2(Config, seed: 7);
        var tokens = Tokens(2, 8, 29, 2);
        Assert.False(model.Logits(tokens).requires_grad);
        Assert.False(model.RunToHook(tokens, "blocks.1.hook_resid_mid").requires_grad);
        Assert.True(model.forward(tokens).requires_grad);

        // GPT-2's init: N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer), zero biases, unit LayerNorms.
        Assert.Equal(0.02, model.h[0].attn.c_attn.weight.std().ToSingle(), 3);
        Assert.Equal(0.02 / Math.Sqrt(4), model.h[1].mlp.c_proj.weight.std().ToSingle(), 3);
        Assert.Equal(0.0, model.h[1].mlp.c_fc.bias!.abs().max().ToSingle());
        Assert.True(model.h[0].ln_1.weight!.eq(1).all().ToBoolean());
        using (var again = new Gpt2(Config, seed: 7)) Assert.True(again.wte.weight.SameAs(model.wte.weight), "the same seed must give the same weights");
        Assert.Equal(Config.ParameterCount, model.parameters().Sum(p => p.numel()));

        var loss = model.Loss(tokens);
        Assert.Equal(Math.Log(29), loss.ToSingle(), 1);                    // near-uniform predictions at init
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.grad is { } g && g.abs().sum().ToSingle() > 0, $"{name} received no gradient");

        var perToken = Gpt2.NextTokenLoss(model.Logits(tokens), tokens, nn.Reduction.None);
        Assert.Equal(new long[] { 2, 7 }, perToken.shape);
        Assert.Equal(loss.ToSingle(), perToken.mean().ToSingle(), 5);
    }

    [Fact]
    public void Bad_configs_and_inputs_are_refused_naming_the_field_or_the_argument()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Gpt2(Config with { NHead = 5 }));
        Assert.Contains("Gpt2Config.NEmbd = 24", e.Message);
        Assert.Contains("multiple of NHead = 5", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new Gpt2(Config with { NLayer = 0 }));
        Assert.Equal("NLayer", e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new Gpt2(Config with { LayerNormEpsilon = 0 }));
        Assert.Equal("LayerNormEpsilon", e.ParamName);

        using var model = new Gpt2(Config);
        Assert.Contains("n_positions = 10", Assert.Throws<ArgumentException>(() => model.Logits(Tokens(1, 11, 29, 1))).Message);
        Assert.Contains("vocab_size = 29", Assert.Throws<ArgumentException>(() => model.Logits(full(new[] { 1L, 3L }, 29L))).Message);
        Assert.Contains("[B, T]", Assert.Throws<ArgumentException>(() => model.Logits(zeros(new[] { 4L }, int64))).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.Logits(zeros(1, 3))).Message);
        Assert.Contains("at least 2 tokens", Assert.Throws<ArgumentException>(() => model.Loss(zeros(new[] { 2L, 1L }, int64))).Message);
    }
}
