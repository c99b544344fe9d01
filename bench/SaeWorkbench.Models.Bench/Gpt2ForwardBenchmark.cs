using System.Diagnostics;
using SaeWorkbench.Bench;
using TorchSharp;
using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Models.Bench;

/// <summary>
/// One GPT-2 forward pass without autograd over a batch of token windows, to the logits or stopping at
/// <c>blocks.{l}.hook_resid_post</c>. The constructor draws the model (GPT-2's init, seeded) and the tokens, writes them
/// to <paramref name="workDir"/> in Hugging Face's layout and reloads the model from there, so both sides run the same
/// weights from the same safetensors. Timed: <see cref="Gpt2.RunToHook"/> or <see cref="Gpt2.Logits"/>, the result freed
/// inside the timed region (Python: gpt2_reference.forward under torch.no_grad(), the same).
/// <para>
/// FLOPs per token (multiply-adds x 2): per block 2 (3 D^2 + D^2 + 2 D M) for the four projections and 4 T D for the
/// attention scores and pattern @ v (all T keys: the causal mask is applied to a full T x T product, on both sides);
/// plus 2 D V for the unembedding when the pass goes to the logits. LayerNorm, softmax, GELU and the adds are not counted.
/// </para>
/// </summary>
internal sealed class Gpt2ForwardBenchmark : IWorkload
{
    public const string WorkloadKey = "gpt2_forward";

    private readonly Gpt2 _model;
    private readonly Tensor _tokens_BT;
    private readonly string? _stopAt;

    public Gpt2ForwardBenchmark(string name, Gpt2Config config, long batch, long seq, int? stopAfterLayer, string workDir, ulong seed)
    {
        Name = name;
        Config = config;
        Batch = batch;
        Seq = seq;
        StopAfterLayer = stopAfterLayer;
        _stopAt = stopAfterLayer is { } l ? HookPoint.ResidPost(l).Name : null;
        ModelDir = Path.Combine(workDir, name);
        TokensFile = Path.Combine(ModelDir, "tokens.safetensors");
        using (var fresh = new Gpt2(config, seed)) Gpt2Weights.Save(fresh, ModelDir);
        _model = Gpt2Weights.Load(ModelDir);
        using var gen = new Generator(seed + 1);
        _tokens_BT = randint(0, config.VocabSize, new[] { batch, seq }, int64, generator: gen).DetachFromDisposeScope();
        SaeWorkbench.IO.SafeTensors.Save(new Dictionary<string, Tensor> { ["tokens"] = _tokens_BT }, TokensFile);
    }

    public string Name { get; }
    public Gpt2Config Config { get; }
    public long Batch { get; }
    public long Seq { get; }
    public int? StopAfterLayer { get; }
    public string ModelDir { get; }
    public string TokensFile { get; }

    public long TokensPerCall => Batch * Seq;

    /// <summary>Blocks the pass runs.</summary>
    public int LayersRun => StopAfterLayer is { } l ? l + 1 : Config.NLayer;

    public double FlopsPerToken
    {
        get
        {
            double d = Config.NEmbd, m = Config.DMlp, t = Seq, v = Config.VocabSize;
            var perBlock = 2 * (3 * d * d + d * d + 2 * d * m) + 4 * t * d;
            return LayersRun * perBlock + (StopAfterLayer is null ? 2 * d * v : 0);
        }
    }

    public double FlopsPerCall => FlopsPerToken * TokensPerCall;

    public string Key => WorkloadKey;

    public string Title => StopAfterLayer is { } l
        ? $"{Name}: to blocks.{l}.hook_resid_post, B={Batch}"
        : $"{Name}: to logits, B={Batch}";

    public IReadOnlyDictionary<string, object> Parameters => new Dictionary<string, object>
    {
        ["model_dir"] = ModelDir, ["tokens_file"] = TokensFile, ["stop_after_layer"] = StopAfterLayer ?? -1,
    };

    public double RunOnce()
    {
        var sw = Stopwatch.StartNew();
        using (NewDisposeScope())
        {
            if (_stopAt is null) _model.Logits(_tokens_BT);
            else _model.RunToHook(_tokens_BT, _stopAt);
        }
        return sw.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        _model.Dispose();
        _tokens_BT.Dispose();
    }
}
