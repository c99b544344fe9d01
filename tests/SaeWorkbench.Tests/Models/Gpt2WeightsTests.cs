using System.Text.Json.Nodes;
using SaeWorkbench.Models;

namespace SaeWorkbench.Tests.Models;

/// <summary>Hugging Face's GPT-2 folder layout: round trips, and errors that name the file, the tensor and the shapes.</summary>
public sealed class Gpt2WeightsTests : IDisposable
{
    private static readonly Gpt2Config Config = new() { NLayer = 2, NHead = 2, NEmbd = 8, NPositions = 6, VocabSize = 19 };
    private readonly string _dir = Directory.CreateTempSubdirectory("saewb-gpt2-weights-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Saved(string name, Gpt2Config? config = null, ulong seed = 1)
    {
        using var model = HookTests.Model(config ?? Config, seed);
        var dir = Path.Combine(_dir, name);
        Gpt2Weights.Save(model, dir);
        return dir;
    }

    /// <summary>Rewrites a saved folder's tensors through <paramref name="edit"/>.</summary>
    private static void EditWeights(string dir, Action<Dictionary<string, Tensor>> edit)
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(dir, Gpt2Weights.WeightsFile);
        var tensors = SafeTensors.Load(path);
        edit(tensors);
        SafeTensors.Save(tensors, path);
    }

    [Fact]
    public void Save_then_load_gives_the_same_model_in_Hugging_Faces_layout()
    {
        using var scope = NewDisposeScope();
        using var model = HookTests.Model(Config, 3);
        var dir = Path.Combine(_dir, "roundtrip");
        Gpt2Weights.Save(model, dir);
        Assert.Equal(new[] { "config.json", "model.safetensors" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order());

        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        Assert.Equal(8, cfg["n_embd"]!.GetValue<int>());
        Assert.Equal(6, cfg["n_positions"]!.GetValue<int>());
        Assert.Equal("gelu_new", cfg["activation_function"]!.GetValue<string>());
        using (var file = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors")))
        {
            Assert.Equal("pt", file.Metadata["format"]);
            Assert.Equal(new long[] { 8, 24 }, file["h.0.attn.c_attn.weight"].Shape);     // Conv1D: [in, out]
            Assert.Equal(new long[] { 32, 8 }, file["h.1.mlp.c_proj.weight"].Shape);
            Assert.Equal(2 + 2 * 12 + 2, file.Entries.Count);
        }
        var stored = SafeTensors.Load(Path.Combine(dir, "model.safetensors"));
        Assert.True(stored["h.0.attn.c_attn.weight"].SameAs(model.h[0].attn.c_attn.weight.t()));

        using var loaded = Gpt2Weights.Load(dir);
        Assert.Equal(Config, loaded.Config);
        var mine = model.state_dict();
        foreach (var (name, t) in loaded.state_dict()) Assert.True(t.SameAs(mine[name]), name);
        var tokens = randint(0, 19, new[] { 2L, 6L }, int64);
        Assert.True(loaded.Logits(tokens).SameAs(model.Logits(tokens)));

        // Saving over an existing folder replaces it whole, leaving no temporary files.
        using var other = HookTests.Model(Config, 4);
        Gpt2Weights.Save(other, dir);
        Assert.Equal(2, Directory.GetFiles(dir).Length);
        using var reloaded = Gpt2Weights.Load(dir);
        Assert.True(reloaded.wte.weight.SameAs(other.wte.weight));
    }

    [Fact]
    public void A_missing_or_misshapen_tensor_is_named_with_the_file_and_the_shapes()
    {
        using var scope = NewDisposeScope();
        var missing = Saved("missing");
        EditWeights(missing, t => t.Remove("h.1.mlp.c_fc.bias"));
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(missing));
        Assert.Contains("has no tensor 'h.1.mlp.c_fc.bias'", e.Message);
        Assert.Contains(Path.Combine(missing, "model.safetensors"), e.Message);
        Assert.Contains("[32]", e.Message);

        var misshapen = Saved("misshapen");
        EditWeights(misshapen, t => t["h.0.attn.c_proj.weight"] = zeros(8, 9));
        e = Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(misshapen));
        Assert.Contains("'h.0.attn.c_proj.weight' has shape [8, 9], expected [8, 8]", e.Message);
        Assert.Contains("config.json", e.Message);

        // The weights of a wider model under a config that says 8: the message names both.
        var wide = Saved("wide", Config with { NEmbd = 12 });
        File.Copy(Path.Combine(Saved("narrow"), "config.json"), Path.Combine(wide, "config.json"), overwrite: true);
        e = Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(wide));
        Assert.Contains("'wte.weight' has shape [19, 12], expected [19, 8]", e.Message);
        Assert.Contains("n_embd = 8", e.Message);

        // A deeper model's weights under a one-layer config: the extra layer is named.
        var deep = Saved("deep");
        var cfgPath = Path.Combine(deep, "config.json");
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        cfg["n_layer"] = 1;
        File.WriteAllText(cfgPath, cfg.ToJsonString());
        e = Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(deep));
        Assert.Contains("'h.1.", e.Message);
        Assert.Contains("n_layer = 1", e.Message);
    }

    [Fact]
    public void An_n_layer_above_the_weights_blocks_is_refused_from_the_header_before_anything_per_block_is_built()
    {
        using var scope = NewDisposeScope();
        var dir = Saved("absurd-depth");
        var cfgPath = Path.Combine(dir, "config.json");
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        cfg["n_layer"] = 200_000;   // 2.4 million expected tensors: hundreds of MB of table before the fix (10^8 took 23 GB)
        File.WriteAllText(cfgPath, cfg.ToJsonString());
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(dir));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains($"'{cfgPath}': n_layer = 200000", e.Message);
        Assert.Contains("holds the tensors of 2 block(s) (h.0 to h.1)", e.Message);
        Assert.Contains("set n_layer to 2", e.Message);
        Assert.True(allocated < 16 << 20, $"{allocated / 1e6:F1} MB allocated before the refusal");
        Assert.Throws<InvalidDataException>(() => Gpt2Weights.CheckBlockCount(dir, Config with { NLayer = 3 }));
        Gpt2Weights.CheckBlockCount(dir, Config);   // the saved depth passes
    }

    [Fact]
    public void Prefixed_names_buffers_and_a_tied_lm_head_load_but_an_untied_one_does_not()
    {
        using var scope = NewDisposeScope();
        var dir = Saved("prefixed");
        using var original = Gpt2Weights.Load(dir);
        EditWeights(dir, t =>
        {
            foreach (var name in t.Keys.ToList())
            {
                t["transformer." + name] = t[name];
                t.Remove(name);
            }
            t["transformer.h.0.attn.bias"] = ones(1, 1, 6, 6).tril();
            t["transformer.h.1.attn.masked_bias"] = tensor(-1e4);
            t["lm_head.weight"] = t["transformer.wte.weight"].clone();
        });
        using (var loaded = Gpt2Weights.Load(dir))
            Assert.True(loaded.h[1].mlp.c_fc.weight.SameAs(original.h[1].mlp.c_fc.weight));

        EditWeights(dir, t => t["lm_head.weight"] = t["lm_head.weight"] + 1);
        Assert.Contains("lm_head.weight", Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(dir)).Message);

        var mixed = Saved("mixed");
        EditWeights(mixed, t => { t["transformer.ln_f.bias"] = t["ln_f.bias"]; t.Remove("ln_f.bias"); });
        Assert.Contains("prefix", Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(mixed)).Message);

        var half = Saved("half");
        EditWeights(half, t => { foreach (var k in t.Keys.ToList()) t[k] = t[k].to(float16); });
        using (var loaded = Gpt2Weights.Load(half))
            Assert.Equal(ScalarType.Float32, loaded.wte.weight.dtype);
    }

    [Fact]
    public void Bad_config_files_are_refused_naming_the_file_and_the_field()
    {
        var dir = Saved("config");
        var cfgPath = Path.Combine(dir, "config.json");
        var good = File.ReadAllText(cfgPath);
        void With(Action<JsonObject> edit)
        {
            var cfg = JsonNode.Parse(good)!.AsObject();
            edit(cfg);
            File.WriteAllText(cfgPath, cfg.ToJsonString());
        }

        With(c => c.Remove("n_head"));
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(dir));
        Assert.Contains("'n_head'", e.Message);
        Assert.Contains(cfgPath, e.Message);
        With(c => c["n_head"] = 3);
        Assert.Contains("NEmbd = 8", Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(dir)).Message);
        With(c => c["activation_function"] = "relu");
        Assert.Contains("activation_function", Assert.Throws<NotSupportedException>(() => Gpt2Weights.Load(dir)).Message);
        With(c => c["scale_attn_by_inverse_layer_idx"] = true);
        Assert.Throws<NotSupportedException>(() => Gpt2Weights.Load(dir));
        With(c => { c.Remove("n_positions"); c["n_ctx"] = 6; });
        using (var m = Gpt2Weights.Load(dir)) Assert.Equal(6, m.Config.NPositions);
        File.WriteAllText(cfgPath, "{ not json");
        Assert.Contains(cfgPath, Assert.Throws<InvalidDataException>(() => Gpt2Weights.Load(dir)).Message);
        File.Delete(cfgPath);
        Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => Gpt2Weights.Load(dir)).Message);
    }
}
