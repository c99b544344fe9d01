using SaeWorkbench.Models;

namespace SaeWorkbench.Tests.Models;

/// <summary>Reading and replacing activations at TransformerLens hook points, and stopping a pass early.</summary>
public sealed class HookTests
{
    private static readonly Gpt2Config Config = new() { NLayer = 2, NHead = 2, NEmbd = 16, NPositions = 12, VocabSize = 37 };

    /// <summary>A small model whose every parameter matters (GPT-2's N(0, 0.02) init would make attention nearly uniform).</summary>
    internal static Gpt2 Model(Gpt2Config config, ulong seed)
    {
        var model = new Gpt2(config, seed);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var gen = new Generator(seed + 1000);
        foreach (var (name, p) in model.named_parameters())
        {
            var fanIn = p.dim() == 2 ? p.size(1) : 1;
            var std = name.StartsWith("wte") || name.StartsWith("wpe") ? 1.0 : p.dim() == 2 ? 1.0 / Math.Sqrt(fanIn) : 0.2;
            var mean = name.EndsWith("ln_1.weight") || name.EndsWith("ln_2.weight") || name == "ln_f.weight" ? 1.0 : 0.0;
            p.copy_(randn(p.shape, generator: gen) * std + mean);
        }
        model.eval();
        return model;
    }

    private static Tensor Tokens(long b, long t, ulong seed)
    {
        using var gen = new Generator(seed);
        return randint(0, Config.VocabSize, new[] { b, t }, int64, generator: gen);
    }

    [Fact]
    public void Splicing_the_identity_at_any_hook_leaves_the_logits_unchanged_and_zeros_change_them()
    {
        using var scope = NewDisposeScope();
        using var model = Model(Config, 1);
        var tokens = Tokens(2, 7, 2);
        var logits = model.Logits(tokens);
        foreach (var point in HookPoint.All(Config.NLayer))
        {
            long[]? seen = null;
            var same = model.Logits(tokens, new Hooks { { point.Name, x => { seen = x.shape; return x; } } });
            Assert.Equal(point.Shape(Config, 2, 7), seen);
            Assert.True(same.SameAs(logits), $"an identity splice at {point.Name} changed the logits");
            var copy = model.Logits(tokens, new Hooks { { point.Name, x => x.clone() } });      // a new tensor, same values
            Assert.True(copy.allclose(logits, 1e-5, 1e-5), $"splicing a copy at {point.Name} changed the logits");
            var zeroed = model.Logits(tokens, new Hooks { { point.Name, x => zeros_like(x) } });
            Assert.True((zeroed - logits).abs().max().ToSingle() > 1e-3, $"zeroing {point.Name} did not change the logits");
        }
    }

    [Fact]
    public void Patching_the_residual_stream_from_another_input_gives_that_inputs_logits()
    {
        // After block 0 the rest of the model sees only the residual stream: replacing all of it with the one computed
        // for other tokens must give exactly the other tokens' logits (activation patching).
        using var scope = NewDisposeScope();
        using var model = Model(Config, 2);
        var a = Tokens(2, 9, 3);
        var b = Tokens(2, 9, 4);
        var residA = model.RunToHook(a, "blocks.0.hook_resid_post");
        var patched = model.Logits(b, new Hooks { { "blocks.0.hook_resid_post", _ => residA } });
        Assert.True(patched.allclose(model.Logits(a), 1e-5, 1e-5));
        Assert.False(residA.IsInvalid, "the pass must not free a tensor a hook handed it");
        Assert.False(patched.allclose(model.Logits(b), 1e-3, 1e-3));

        // Per head: replacing only head 1's z changes the output only through that head.
        var zA = model.RunToHook(a, "blocks.1.attn.hook_z");
        var oneHead = model.Logits(b, new Hooks { { "blocks.1.attn.hook_z", z => { var r = z.clone(); r.select(2, 1).copy_(zA.select(2, 1)); return r; } } });
        Assert.False(oneHead.allclose(model.Logits(b), 1e-4, 1e-4));
        Assert.False(oneHead.allclose(model.Logits(a), 1e-4, 1e-4));
    }

    [Fact]
    public void A_run_stops_at_the_requested_hook_without_computing_later_layers()
    {
        using var scope = NewDisposeScope();
        using var model = Model(Config, 3);
        var tokens = Tokens(3, 5, 5);
        var full = model.RunWithCache(tokens, new[] { "blocks.0.hook_resid_post", "blocks.0.attn.hook_pattern" }, computeLogits: true);
        using (no_grad()) foreach (var p in model.h[1].parameters()) p.fill_(double.NaN);   // block 1 now poisons anything that runs it
        using (no_grad()) model.ln_f.weight!.fill_(double.NaN);

        var resid = model.RunToHook(tokens, "blocks.0.hook_resid_post");
        Assert.True(resid.SameAs(full["blocks.0.hook_resid_post"]));
        var viaRun = model.Run(tokens, stopAt: "blocks.0.hook_resid_post");
        Assert.True(viaRun.SameAs(resid));
        using var cached = model.RunWithCache(tokens, new[] { "blocks.0.attn.hook_pattern", "blocks.0.hook_resid_post" });
        Assert.Null(cached.Logits_BTV);
        Assert.True(cached["blocks.0.attn.hook_pattern"].SameAs(full["blocks.0.attn.hook_pattern"]));
        Assert.True(model.Logits(tokens).isnan().all().ToBoolean(), "the full pass should have run the poisoned block");
        var seen = false;   // a hook after the last cached point extends the pass to it
        using (var c = model.RunWithCache(tokens, new[] { "hook_embed" }, new Hooks().Read("blocks.1.hook_resid_pre", _ => seen = true)))
            Assert.True(seen && c["hook_embed"].isfinite().all().ToBoolean());

        // The pattern is causal and sums to 1 over keys.
        var pattern = full["blocks.0.attn.hook_pattern"];
        Assert.Equal(0.0, pattern.triu(1).abs().max().ToSingle());
        Assert.True(pattern.sum(-1).allclose(ones(3, 2, 5), 1e-5, 1e-5));
    }

    [Fact]
    public void Hooks_run_in_order_and_a_hook_can_keep_its_activation()
    {
        using var scope = NewDisposeScope();
        using var model = Model(Config, 4);
        var tokens = Tokens(1, 4, 6);
        Tensor? kept = null;
        Tensor? second = null;
        var hooks = new Hooks()
            .Add("blocks.1.hook_mlp_out", x => x * 2)
            .Add("blocks.1.hook_mlp_out", x => { second = x.MoveToOuterDisposeScope(); return null; })
            .Read("hook_embed", x => kept = x.MoveToOuterDisposeScope());
        model.Logits(tokens, hooks);
        var plain = model.RunToHook(tokens, "blocks.1.hook_mlp_out");
        Assert.True(second!.allclose(plain * 2, 1e-6, 1e-6), "the second hook should see the first one's replacement");
        Assert.True(kept!.SameAs(model.wte.weight.index_select(0, tokens.reshape(-1)).view(1, 4, 16)));

        // A pass leaves nothing behind in the caller's scope but its result (intermediates are freed block by block).
        using (var inner = NewDisposeScope())
        {
            model.Logits(tokens, new Hooks().Read("blocks.0.attn.hook_pattern", _ => { }));
            model.Loss(tokens);
            Assert.Equal(2, inner.DisposablesCount);
        }
    }

    [Fact]
    public void Bad_hook_names_shapes_and_stop_points_are_refused_with_the_valid_names()
    {
        using var scope = NewDisposeScope();
        using var model = Model(Config, 5);
        var tokens = Tokens(1, 3, 7);
        var e = Assert.Throws<ArgumentException>(() => new Hooks().Add("blocks.0.hook_resid", x => null));
        Assert.Contains("'blocks.0.hook_resid' is not a hook point", e.Message);
        Assert.Contains("hook_resid_post", e.Message);
        Assert.Contains("attn.hook_z", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.RunToHook(tokens, "blocks.2.hook_resid_post"));
        Assert.Contains("layer 2 does not exist", e.Message);
        Assert.Contains("l in [0, 1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Run(tokens, new Hooks { { "blocks.1.hook_resid_pre", x => null } }, "blocks.0.hook_resid_post"));
        Assert.Contains("after the stop point", e.Message);
        var ex = Assert.Throws<InvalidOperationException>(() => model.Logits(tokens, new Hooks { { "blocks.0.hook_resid_post", x => x.sum(-1) } }));
        Assert.Contains("blocks.0.hook_resid_post", ex.Message);
        Assert.Contains("[1, 3, 16]", ex.Message);

        Assert.Equal(HookPoint.ResidPost(8), HookPoint.Parse("blocks.8.hook_resid_post", 12));
        Assert.Equal("blocks.3.attn.hook_z", HookPoint.AttnZ(3).Name);
        foreach (var p in HookPoint.All(3)) Assert.Equal(p, HookPoint.Parse(p.Name, 3));
        Assert.Equal(Enumerable.Range(0, HookPoint.Count(3)), HookPoint.All(3).Select(p => p.Index));
    }
}
