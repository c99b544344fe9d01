using SaeWorkbench.Models;

namespace SaeWorkbench.Tests.Models;

/// <summary>
/// The GPT-2 forward pass, every hook activation, the loss and its gradients against an independent GPT-2 written in
/// Debian's PyTorch (python/gpt2_reference.py) on the very same safetensors files: one written by Python the way
/// transformers writes them (Conv1D layout, "transformer." prefix, mask buffers, lm_head), and one the C# side saved.
/// </summary>
public sealed class Gpt2ReferenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saewb-gpt2-ref-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>max |a - b| / max |b|.</summary>
    internal static double RelativeError(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.to(float64) - b.to(float64)).abs().max().ToDouble() / Math.Max(1e-30, b.to(float64).abs().max().ToDouble());
    }

    private Tensor Tokens(long b, long t, long vocab, ulong seed)
    {
        using var gen = new Generator(seed);
        return randint(0, vocab, new[] { b, t }, int64, generator: gen);
    }

    [Fact]
    public void Forward_hooks_loss_and_gradients_match_an_independent_PyTorch_GPT2()
    {
        using var scope = NewDisposeScope();
        var tokens = Tokens(3, 11, 61, 5);                            // T < n_positions: the position table is sliced
        var tokensFile = Path.Combine(_dir, "tokens.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["tokens"] = tokens }, tokensFile);
        var modelDir = Path.Combine(_dir, "hf");
        var outFile = Path.Combine(_dir, "reference.safetensors");
        Python.Run("gpt2_reference.py", "make", modelDir, "--layers", "2", "--heads", "4", "--embd", "32", "--positions", "16",
            "--vocab", "61", "--seed", "3", "--prefix", "--forward", tokensFile, outFile);
        var reference = SafeTensors.Load(outFile);
        using var model = Gpt2Weights.Load(modelDir);
        Assert.Equal(new Gpt2Config { NLayer = 2, NHead = 4, NEmbd = 32, NPositions = 16, VocabSize = 61 }, model.Config);

        // Logits and every TransformerLens hook point, in one cached pass.
        var names = HookPoint.All(model.Config.NLayer).Select(p => p.Name).ToList();
        using var cache = model.RunWithCache(tokens, names, computeLogits: true);
        Assert.True(RelativeError(cache.Logits_BTV!, reference["logits"]) < 1e-4, $"logits differ: {RelativeError(cache.Logits_BTV!, reference["logits"]):E2}");
        foreach (var name in names)
        {
            Assert.Equal(reference[name].shape, cache[name].shape);
            var err = RelativeError(cache[name], reference[name]);
            Assert.True(err < 1e-4, $"{name}: relative error {err:E2}");
        }
        Assert.True(RelativeError(model.Logits(tokens), reference["logits"]) < 1e-4);

        // The training loss and every parameter's gradient (Conv1D weights are stored transposed).
        model.train();
        var loss = model.Loss(tokens);
        Assert.True(loss.requires_grad);
        Assert.Equal(reference["loss"].ToSingle(), loss.ToSingle(), 4);
        model.zero_grad();
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            var refGrad = reference["grad." + name];
            var conv1d = name.EndsWith("c_attn.weight") || name.EndsWith("c_proj.weight") || name.EndsWith("c_fc.weight");
            var err = RelativeError(p.grad!, conv1d ? refGrad.t() : refGrad);
            Assert.True(err < 1e-4, $"gradient of {name}: relative error {err:E2}");
        }

        // What the C# side saves, Python reads to the same logits (no prefix, no buffers, no lm_head).
        var savedDir = Path.Combine(_dir, "saved");
        Gpt2Weights.Save(model, savedDir);
        var outFile2 = Path.Combine(_dir, "reference2.safetensors");
        Python.Run("gpt2_reference.py", "forward", savedDir, tokensFile, outFile2);
        Assert.True(RelativeError(SafeTensors.Load(outFile2)["logits"], reference["logits"]) < 1e-5);
    }

    [Fact]
    public void A_full_context_and_a_custom_mlp_width_also_match_the_reference()
    {
        using var scope = NewDisposeScope();
        var tokens = Tokens(2, 8, 40, 1);                               // T == n_positions
        var tokensFile = Path.Combine(_dir, "tokens8.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["tokens"] = tokens }, tokensFile);
        var modelDir = Path.Combine(_dir, "inner");
        var outFile = Path.Combine(_dir, "reference8.safetensors");
        Python.Run("gpt2_reference.py", "make", modelDir, "--layers", "1", "--heads", "2", "--embd", "16", "--positions", "8",
            "--vocab", "40", "--seed", "9", "--inner", "24", "--forward", tokensFile, outFile);
        var reference = SafeTensors.Load(outFile);
        using var model = Gpt2Weights.Load(modelDir);
        Assert.Equal(24, model.Config.DMlp);
        Assert.True(RelativeError(model.Logits(tokens), reference["logits"]) < 1e-4);
        Assert.True(RelativeError(model.RunToHook(tokens, "blocks.0.mlp.hook_post"), reference["blocks.0.mlp.hook_post"]) < 1e-4);
    }
}
