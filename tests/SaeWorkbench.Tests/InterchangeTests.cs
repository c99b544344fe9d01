using System.Text.Json.Nodes;
using SaeWorkbench.Saes;
using SaeWorkbench.Saes.Interchange;

namespace SaeWorkbench.Tests;

/// <summary>
/// SAELens layout and the released TopK SAEs' tensor names: round trips on files the tests make, and independent
/// forward passes in Debian's PyTorch (python/sae_reference.py) on the very files written or read here.
/// </summary>
public sealed class InterchangeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"saewb-interchange-{Guid.NewGuid():N}");

    public InterchangeTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Tensor Inputs(long d)
    {
        manual_seed(99);
        return randn(9, d) * 2 + 0.3;
    }

    /// <summary>Random non-trivial biases (and thresholds) so that every saved tensor matters.</summary>
    private static void Perturb(SparseAutoencoder sae)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(7);
        sae.b_dec_D.copy_(randn(sae.DIn) * 0.2);
        switch (sae)
        {
            case BatchTopKSae b: b.b_enc_N.copy_(randn(sae.NumLatents) * 0.1); b.threshold.fill_(0.15); break;
            case TopKSae t: t.b_enc_N.copy_(randn(sae.NumLatents) * 0.1); break;
            case ReluSae r: r.b_enc_N.copy_(randn(sae.NumLatents) * 0.1 - 0.1); break;
            case JumpReluSae j: j.b_enc_N.copy_(randn(sae.NumLatents) * 0.1); j.log_threshold_N.copy_((rand(sae.NumLatents) * 0.3 + 0.05).log()); break;
            case GatedSae g: g.b_gate_N.copy_(randn(sae.NumLatents) * 0.2); g.r_mag_N.copy_(randn(sae.NumLatents) * 0.2); g.b_mag_N.copy_(randn(sae.NumLatents) * 0.2); break;
        }
    }

    public static TheoryData<string> Architectures => new() { "relu", "topk", "topk-layernorm", "jumprelu-scaled", "gated", "batchtopk" };

    private static SparseAutoencoder Make(string name) => name switch
    {
        "relu" => new ReluSae(new ReluSaeConfig { DIn = 10, NumLatents = 24, Init = new SaeInit { Seed = 1 } }),
        "topk" => new TopKSae(new TopKSaeConfig { DIn = 10, NumLatents = 24, K = 4, Init = new SaeInit { Seed = 2 } }),
        "topk-layernorm" => new TopKSae(new TopKSaeConfig { DIn = 10, NumLatents = 24, K = 4, Normalization = InputNormalization.PerTokenStandardize, Init = new SaeInit { Seed = 3 } }),
        "jumprelu-scaled" => new JumpReluSae(new JumpReluSaeConfig { DIn = 10, NumLatents = 24, Init = new SaeInit { Seed = 4, Decoder = DecoderInit.HeUniform } }),
        "gated" => new GatedSae(new GatedSaeConfig { DIn = 10, NumLatents = 24, Init = new SaeInit { Seed = 5 } }),
        "batchtopk" => new BatchTopKSae(new BatchTopKSaeConfig { DIn = 10, NumLatents = 24, K = 4, Init = new SaeInit { Seed = 6 } }),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void SaeLensLayoutRoundTripsAndMatchesSaeLensFormulas(string name)
    {
        using var scope = NewDisposeScope();
        using var sae = Make(name);
        var x = Inputs(10);
        if (sae.Config.Normalization == InputNormalization.UnitMeanSquaredNorm) sae.InitializeFromData(x);   // a scale != 1 to fold
        Perturb(sae);
        sae.eval();
        var dir = Path.Combine(_dir, name);
        SaeLensFormat.Save(sae, dir, new SaeLensMetadata { ModelName = "gpt2", HookName = "blocks.8.hook_resid_post", HookLayer = 8, ContextSize = 64 });

        // The files: SAELens's names and shapes.
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, SaeLensFormat.ConfigFile)))!.AsObject();
        Assert.Equal(10, cfg["d_in"]!.GetValue<long>());
        Assert.Equal(24, cfg["d_sae"]!.GetValue<long>());
        Assert.Equal("blocks.8.hook_resid_post", cfg["meta"]!["hook_name"]!.GetValue<string>());
        var weights = SafeTensors.Load(Path.Combine(dir, SaeLensFormat.WeightsFile));
        Assert.Equal(new long[] { 10, 24 }, weights["W_enc"].shape);
        Assert.Equal(new long[] { 24, 10 }, weights["W_dec"].shape);

        // Round trip: the loaded SAE computes the same function on raw inputs.
        using var loaded = SaeLensFormat.Load(dir);
        loaded.eval();
        using (no_grad())
        {
            Assert.True(loaded.Reconstruct(x).allclose(sae.Reconstruct(x), 1e-5, 1e-5), "reconstructions differ after the round trip");
            Assert.True(loaded.Encode(x).allclose(sae.Encode(x), 1e-5, 1e-5), "latents differ after the round trip");
        }

        // SAELens's formulas in PyTorch on the same files give the same latents and outputs.
        var xFile = Path.Combine(dir, "x.safetensors");
        var outFile = Path.Combine(dir, "python_out.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = x }, xFile);
        Python.Run("sae_reference.py", "saelens", dir, xFile, outFile);
        var reference = SafeTensors.Load(outFile);
        using (no_grad())
        {
            Assert.True(reference["sae_out"].allclose(sae.Reconstruct(x), 1e-5, 1e-5), "SAELens's forward disagrees on the output");
            Assert.True(reference["feature_acts"].allclose(sae.Encode(x), 1e-5, 1e-5), "SAELens's forward disagrees on the latents");
            Assert.True(reference["feature_acts"].ne(0).any().ToBoolean() && reference["feature_acts"].eq(0).any().ToBoolean());
        }
    }

    [Fact]
    public void ReleasedTopKTensorsLoadWithTheStandardisationTheyExpect()
    {
        using var scope = NewDisposeScope();
        Python.Run("sae_reference.py", "released", _dir);
        var file = Path.Combine(_dir, "released_topk.safetensors");
        var e = Assert.Throws<ArgumentException>(() => ReleasedTopKFormat.Load(file));
        Assert.Contains("k", e.ParamName);
        using var sae = ReleasedTopKFormat.Load(file, k: 5);
        Assert.Equal(InputNormalization.PerTokenStandardize, sae.Config.Normalization);
        var reference = SafeTensors.Load(Path.Combine(_dir, "released_reference.safetensors"));
        var x = reference["x"];
        using (no_grad())
        {
            Assert.True(sae.Encode(x).allclose(reference["latents"], 1e-5, 1e-5), "latents differ from the released model's forward");
            Assert.True(sae.Reconstruct(x).allclose(reference["recons"], 1e-5, 1e-5), "reconstructions differ from the released model's forward");
            var o = sae.Forward(x);
            Assert.True(o.ReconstructionInInputSpace_BD.allclose(reference["recons"], 1e-5, 1e-5));
        }
        // Written back under the same names, with k in the metadata, it loads without being told k.
        var again = Path.Combine(_dir, "again.safetensors");
        ReleasedTopKFormat.Save(sae, again);
        using var reloaded = ReleasedTopKFormat.Load(again);
        Assert.Equal(5, reloaded.Config.K);
        foreach (var (n, t) in sae.state_dict()) Assert.True(t.allclose(reloaded.state_dict()[n], 0, 0, equal_nan: true), n);
    }

    [Fact]
    public void BadFilesGiveErrorsNamingTheFileAndTheTensor()
    {
        using var scope = NewDisposeScope();
        using var sae = Make("topk");
        var dir = Path.Combine(_dir, "bad");
        SaeLensFormat.Save(sae, dir);
        var weights = Path.Combine(dir, SaeLensFormat.WeightsFile);
        var tensors = SafeTensors.Load(weights);
        tensors.Remove("b_enc");
        SafeTensors.Save(tensors, weights);
        var missing = Assert.Throws<InvalidDataException>(() => SaeLensFormat.Load(dir));
        Assert.Contains(weights, missing.Message);
        Assert.Contains("'b_enc'", missing.Message);
        tensors["b_enc"] = zeros(25);
        SafeTensors.Save(tensors, weights);
        var shape = Assert.Throws<InvalidDataException>(() => SaeLensFormat.Load(dir));
        Assert.Contains("'b_enc' has shape [25], expected [24]", shape.Message);
        var cfgPath = Path.Combine(dir, SaeLensFormat.ConfigFile);
        File.WriteAllText(cfgPath, File.ReadAllText(cfgPath).Replace("\"topk\"", "\"matryoshka\""));
        Assert.Contains("matryoshka", Assert.Throws<NotSupportedException>(() => SaeLensFormat.Load(dir)).Message);
        // The TopK paper's per-token unit norm has no SAELens name: written under the workbench's own, read back as itself.
        using var unitNorm = new TopKSae(new TopKSaeConfig { DIn = 10, NumLatents = 24, K = 4, Normalization = InputNormalization.PerTokenUnitNorm });
        SaeLensFormat.Save(unitNorm, Path.Combine(_dir, "unit-norm"));
        Assert.Contains($"\"{SaeLensFormat.PerTokenUnitNormName}\"", File.ReadAllText(Path.Combine(_dir, "unit-norm", SaeLensFormat.ConfigFile)));
        using var back = SaeLensFormat.Load(Path.Combine(_dir, "unit-norm"));
        Assert.Equal(InputNormalization.PerTokenUnitNorm, back.Config.Normalization);
        var x = randn(6, 10) * 3 + 1;
        Assert.True(unitNorm.Forward(x).Reconstruction_BD.allclose(back.Forward(x).Reconstruction_BD, rtol: 1e-5, atol: 1e-6));
    }
}
