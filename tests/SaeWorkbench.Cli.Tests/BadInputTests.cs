using System.Text.Json.Nodes;
using SaeWorkbench.Cli;
using SaeWorkbench.IO;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>The files and folders every bad-input case is built from: a tiny model, a toy config, a trained toy checkpoint.</summary>
public sealed class BadInputFixture : IDisposable
{
    public BadInputFixture()
    {
        Root = Directory.CreateTempSubdirectory("saewb-badinput-").FullName;
        Model = Path.Combine(Root, "model");
        QuickReproductionFixture.WriteTinyModel(Model);
        AFile = Path.Combine(Root, "a-file.txt");
        File.WriteAllText(AFile, "not a folder");
        ToyConfig = WriteToy("toy.json", """{ "Name": "topk", "Architecture": "topk", "Sae": { "NumLatents": 32, "K": 3, "AuxK": 4 } }""");
        Trained = Path.Combine(Root, "trained");
        var code = SaeCli.RunAsync(["train-toy", "--config", ToyConfig, "--out", Trained], TextWriter.Null, TextWriter.Null).GetAwaiter().GetResult();
        if (code != 0) throw new InvalidOperationException($"the fixture's toy training failed ({code})");
    }

    public string Root { get; }
    public string Model { get; }
    public string AFile { get; }
    public string ToyConfig { get; }
    public string Trained { get; }

    public string WriteToy(string name, string runs, string trainer = """{ "BatchSize": 64, "TotalTokens": 640, "ReportEverySteps": 5, "InitSampleTokens": 256 }""",
        string toy = """{ "D": 8, "NumFeatures": 16, "MeanActive": 2, "Seed": 3 }""")
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, $$"""{ "Toy": {{toy}}, "Trainer": {{trainer}}, "Runs": [ {{runs}} ] }""");
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); }
        catch (IOException) { }
    }
}

/// <summary>
/// Issue 15: bad input at the command line. Every case exits non-zero, prints no stack trace, and its message names the
/// file or field and says what to do.
/// </summary>
public class BadInputTests(BadInputFixture f) : IClassFixture<BadInputFixture>
{
    /// <summary>A case: what to prepare (returns the arguments), and phrases the message must contain.</summary>
    public sealed record Case(string Name, Func<BadInputFixture, string[]> Args, params string[] Expect)
    {
        public override string ToString() => Name;
    }

    private static string Copy(BadInputFixture f, string name, Action<string>? edit = null)
    {
        var dir = Path.Combine(f.Root, name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(f.Model)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        edit?.Invoke(dir);
        return dir;
    }

    private static void EditConfig(string dir, string field, JsonNode value)
    {
        var path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json[field] = value;
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>Rewrites a model folder's weights without the tensor <paramref name="drop"/>.</summary>
    private static void EditWeights(string dir, string drop)
    {
        var path = Path.Combine(dir, "model.safetensors");
        using var scope = TorchSharp.torch.NewDisposeScope();
        var tensors = SafeTensors.Load(path);
        tensors.Remove(drop);
        SafeTensors.Save(tensors, path, new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static string Write(BadInputFixture f, string name, string text)
    {
        var path = Path.Combine(f.Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string CopyTrained(BadInputFixture f, string name, Action<string> edit)
    {
        var dir = Path.Combine(f.Root, name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(f.Trained)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        edit(dir);
        return dir;
    }

    private static string[] Reproduce(BadInputFixture f, params string[] extra) =>
        ["reproduce", "--quick", .. extra, .. extra.Contains("--model") ? Array.Empty<string>() : ["--model", f.Model],
         .. extra.Contains("--out") ? Array.Empty<string>() : ["--out", Path.Combine(f.Root, "out-" + Guid.NewGuid().ToString("N"))]];

    private static string[] Config(BadInputFixture f, string name, string json) =>
        ["reproduce", "--config", Write(f, name, json), "--model", f.Model, "--out", Path.Combine(f.Root, "out-" + name)];

    private static string[] Toy(BadInputFixture f, string config, string? outDir = null, bool resume = false) =>
        ["train-toy", "--config", config, "--out", outDir ?? Path.Combine(f.Root, "toy-out-" + Guid.NewGuid().ToString("N")), .. resume ? new[] { "--resume" } : []];

    public static TheoryData<Case> Cases => new()
    {
        // ---- reproduce: the output folder, checked before any work
        new Case("out is a file", f => Reproduce(f, "--out", f.AFile), "is a file", "give a folder"),
        new Case("out under a file", f => Reproduce(f, "--out", Path.Combine(f.AFile, "sub")), "lies under", "which is a file"),
        new Case("out not writable", f => Reproduce(f, "--out", "/sys/saewb-cannot-write"), "is not writable", "choose a folder you can write to"),
        // ---- reproduce: the config file
        new Case("config missing", f => ["reproduce", "--config", Path.Combine(f.Root, "nope.json"), "--out", Path.Combine(f.Root, "o")], "nope.json", "file not found", "check the path"),
        new Case("config is a folder", f => ["reproduce", "--config", f.Root, "--out", Path.Combine(f.Root, "o")], "is a folder, not a config file"),
        new Case("config not JSON", f => Config(f, "c1.json", "{ MainK: "), "c1.json"),
        new Case("config unknown field", f => Config(f, "c2.json", """{ "MainKay": 16 }"""), "c2.json", "MainKay"),
        new Case("config wrong type", f => Config(f, "c3.json", """{ "MainK": "sixteen" }"""), "c3.json", "MainK"),
        new Case("config bad value", f => Config(f, "c4.json", """{ "MainK": 5 }"""), "ReproduceConfig.MainK = 5", "one of the topk sweep's k"),
        new Case("config old k list", f => Config(f, "c5.json", """{ "Ks": [8, 16] }"""), "c5.json", "Ks"),
        new Case("config unknown architecture", f => Config(f, "c6.json", """{ "Sweeps": [{ "Architecture": "sparsemax", "Values": [1] }] }"""), "sparsemax", "is not one of"),
        new Case("config no topk sweep", f => Config(f, "c7.json", """{ "Sweeps": [{ "Architecture": "relu", "Values": [0.1] }] }"""), "Sweeps", "a list with a topk sweep"),
        new Case("config negative lambda", f => Config(f, "c8.json", """{ "Sweeps": [{ "Architecture": "topk", "Values": [8, 16], "Widths": [256, 512, 1024, 2048] }, { "Architecture": "multitopk", "Values": [16] }, { "Architecture": "relu", "Values": [-0.1] }] }"""), "Sweeps[relu].Values", "> 0"),
        new Case("config and quick", f => ["reproduce", "--quick", "--config", Write(f, "c9.json", "{}"), "--out", Path.Combine(f.Root, "o")], "give --quick or --config, not both"),
        new Case("config context too long", f => Config(f, "c10.json", """{ "ContextLength": 4096 }"""), "ContextLength = 4096", "n_positions"),
        // ---- reproduce: the model folder
        new Case("model missing", f => Reproduce(f, "--model", Path.Combine(f.Root, "no-model")), "does not exist", "train-lm"),
        new Case("model is a file", f => Reproduce(f, "--model", Path.Combine(f.Model, "config.json")), "is a file, not a model folder", "--model takes the folder"),
        new Case("model lacks files", f => Reproduce(f, "--model", Directory.CreateDirectory(Path.Combine(f.Root, "empty-model")).FullName), "lacks config.json", "train-lm"),
        new Case("model config not JSON", f => Reproduce(f, "--model", Copy(f, "m1", d => File.WriteAllText(Path.Combine(d, "config.json"), "{ n_layer: "))), "config.json", "not a valid GPT-2 config.json"),
        new Case("model vocab 10M", f => Reproduce(f, "--model", Copy(f, "m2", d => EditConfig(d, "vocab_size", 10_000_000))), "wte.weight", "describe different models"),
        new Case("model vocab int max", f => Reproduce(f, "--model", Copy(f, "m3", d => EditConfig(d, "vocab_size", int.MaxValue))), "vocab_size"),
        new Case("model layers 0", f => Reproduce(f, "--model", Copy(f, "m4", d => EditConfig(d, "n_layer", 0))), "m4/config.json", "NLayer = 0", "must be > 0"),
        new Case("model heads do not divide", f => Reproduce(f, "--model", Copy(f, "m5", d => EditConfig(d, "n_head", 3))), "m5/config.json", "a multiple of NHead = 3"),
        new Case("model weights truncated", f => Reproduce(f, "--model", Copy(f, "m6", d =>
        {
            var w = Path.Combine(d, "model.safetensors");
            var bytes = File.ReadAllBytes(w);
            File.WriteAllBytes(w, bytes[..(bytes.Length / 2)]);
        })), "model.safetensors"),
        new Case("model weights not safetensors", f => Reproduce(f, "--model", Copy(f, "m7", d => File.WriteAllBytes(Path.Combine(d, "model.safetensors"), new byte[100]))), "model.safetensors"),
        new Case("model layers above the weights", f => Reproduce(f, "--model", Copy(f, "m8", d => EditConfig(d, "n_layer", 3))), "m8/config.json", "n_layer = 3", "set n_layer to 2"),
        new Case("model layers 10^8", f => Reproduce(f, "--model", Copy(f, "m11", d => EditConfig(d, "n_layer", 100_000_000))), "n_layer = 100000000", "set n_layer to 2"),
        new Case("model layers 10^8, hook given", f => Reproduce(f, "--hook", "blocks.0.hook_resid_post", "--model", Copy(f, "m12", d => EditConfig(d, "n_layer", 100_000_000))),
            "m12/config.json", "(h.0 to h.1)"),
        new Case("model tensor missing", f => Reproduce(f, "--model", Copy(f, "m13", d => EditWeights(d, "h.1.mlp.c_fc.bias"))), "has no tensor 'h.1.mlp.c_fc.bias'", "config.json"),
        new Case("model vocab.json broken", f => Reproduce(f, "--model", Copy(f, "m9", d => File.WriteAllText(Path.Combine(d, "vocab.json"), "[1, 2"))), "vocab.json"),
        new Case("model merges.txt missing", f => Reproduce(f, "--model", Copy(f, "m10", d => File.Delete(Path.Combine(d, "merges.txt")))), "lacks merges.txt"),
        // ---- reproduce: the hook
        new Case("hook unknown", f => Reproduce(f, "--hook", "blocks.0.hook_resid_postt"), "is not a hook point", "Valid hook names"),
        new Case("hook layer out of range", f => Reproduce(f, "--hook", "blocks.9.hook_resid_post"), "layer 9 does not exist", "Valid hook names"),
        new Case("hook with a head axis", f => Reproduce(f, "--hook", "blocks.0.attn.hook_z"), "has a head axis", "use a residual-stream"),
        // ---- train-toy: config and output
        new Case("toy config missing", f => Toy(f, Path.Combine(f.Root, "no-toy.json")), "no-toy.json", "file not found"),
        new Case("toy config is a folder", f => Toy(f, f.Root), "is a folder, not a config file"),
        new Case("toy unknown architecture", f => Toy(f, f.WriteToy("t1.json", """{ "Name": "x", "Architecture": "topkk" }""")), "architecture 'topkk' is not one of"),
        new Case("toy k above n", f => Toy(f, f.WriteToy("t2.json", """{ "Name": "x", "Architecture": "topk", "Sae": { "NumLatents": 16, "K": 40 } }""")), "t2.json", "K"),
        new Case("toy no runs", f => Toy(f, Write(f, "t3.json", """{ "Toy": { "D": 8, "NumFeatures": 16, "MeanActive": 2 }, "Trainer": { "BatchSize": 64, "TotalTokens": 640 }, "Runs": [] }""")), "Runs is empty"),
        new Case("toy duplicate names", f => Toy(f, f.WriteToy("t4.json", """{ "Name": "x", "Architecture": "relu" }, { "Name": "x", "Architecture": "topk" }""")), "the name 'x' is used twice"),
        new Case("toy batch size 0", f => Toy(f, f.WriteToy("t5.json", """{ "Name": "x", "Architecture": "relu" }""", trainer: """{ "BatchSize": 0, "TotalTokens": 640 }""")), "BatchSize"),
        // 2^46 latents of width 8: a 2 PB encoder, beyond any address space, so the allocator refuses it on every machine.
        new Case("toy SAE larger than memory", f => Toy(f, f.WriteToy("t8.json", """{ "Name": "x", "Architecture": "topk", "Sae": { "NumLatents": 70368744177664, "K": 3 } }""")),
            "out of memory", "2,251,799,813,685,248 bytes", "check the sizes"),
        new Case("toy out is a file", f => Toy(f, f.ToyConfig, f.AFile), "is a file", "give a folder"),
        new Case("toy out under a file", f => Toy(f, f.ToyConfig, Path.Combine(f.AFile, "x")), "lies under"),
        // ---- train-toy --resume
        new Case("resume without checkpoints", f => Toy(f, f.ToyConfig, Directory.CreateDirectory(Path.Combine(f.Root, "nothing-yet")).FullName, resume: true), "does not exist", "train without --resume"),
        new Case("resume with a changed config", f => Toy(f, f.WriteToy("t6.json", """{ "Name": "topk", "Architecture": "topk", "Sae": { "NumLatents": 32, "K": 4, "AuxK": 4 } }"""), CopyTrained(f, "r1", _ => { }), resume: true),
            "topk.checkpoint.safetensors", "different SAE config"),
        new Case("resume with other runs", f => Toy(f, f.WriteToy("t7.json", """{ "Name": "other", "Architecture": "topk", "Sae": { "NumLatents": 32, "K": 3, "AuxK": 4 } }"""), CopyTrained(f, "r2", _ => { }), resume: true),
            "are of runs topk", "resume with the config they were written with"),
        new Case("resume with a truncated checkpoint", f => Toy(f, f.ToyConfig, CopyTrained(f, "r3", d =>
        {
            var c = Path.Combine(d, "topk.checkpoint.safetensors");
            var bytes = File.ReadAllBytes(c);
            File.WriteAllBytes(c, bytes[..(bytes.Length - 100)]);
        }), resume: true), "topk.checkpoint.safetensors"),
        new Case("resume with a non-checkpoint file", f => Toy(f, f.ToyConfig, CopyTrained(f, "r4", d => File.Copy(Path.Combine(f.Model, "model.safetensors"), Path.Combine(d, "topk.checkpoint.safetensors"), true)), resume: true),
            "is not a training checkpoint"),
        new Case("train over saved checkpoints without --resume", f => Toy(f, f.ToyConfig, CopyTrained(f, "r6", _ => { })),
            "already holds the checkpoints of runs topk", "continue them with --resume"),
        new Case("resume with a corrupt manifest", f => Toy(f, f.ToyConfig, CopyTrained(f, "r5", d => File.WriteAllText(Path.Combine(d, "checkpoint-set.json"), "{ broken")), resume: true),
            "checkpoint-set.json", "delete the folder to start over"),
        // ---- train-lm
        new Case("lm config missing", f => ["train-lm", "--config", Path.Combine(f.Root, "no-lm.json"), "--out", Path.Combine(f.Root, "lm")], "no-lm.json", "file not found"),
        new Case("lm out is a file", f => ["train-lm", "--config", Path.Combine(BuiltinConfigs(), "builtin-lm.json"), "--out", f.AFile], "is a file", "give a folder"),
    };

    private static string BuiltinConfigs()
    {
        for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (Directory.Exists(Path.Combine(dir, "data", "configs"))) return Path.Combine(dir, "data", "configs");
        throw new DirectoryNotFoundException("data/configs not found above the test folder");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInputExitsNonZeroWithOneLineNamingTheThingAndTheFix(Case c)
    {
        var args = c.Args(f);
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await SaeCli.RunAsync(args, o, e);
        var stderr = e.ToString();
        var all = o + stderr;
        Assert.True(code != 0, $"{c.Name}: exit code 0\n{all}");
        Assert.DoesNotContain("   at ", all);                    // no stack trace
        Assert.DoesNotContain("internal error", stderr);          // bad input is not a bug
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        foreach (var phrase in c.Expect) Assert.True(line.Contains(phrase), $"{c.Name}: '{phrase}' not in: {line}");
    }

    [Fact]
    public void ThereAreAtLeastFortyCases() => Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");
}
