using System.Text.Json;
using SaeWorkbench.Experiments;
using Xunit;
using static TorchSharp.torch;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// The artifact cache on a tiny random GPT-2: a second reproduction with the same config reads every step back (the same
/// results and bit-identical SAEs); a changed config gets its own folder; a damaged SAE file is trained again rather than
/// trusted.
/// </summary>
public sealed class ArtifactCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("saewb-cache-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static readonly ReproduceConfig Tiny = ReproduceConfig.Quick with
    {
        HarvestTokens = 1L << 13, TrainingTokens = 1L << 13, BatchSize = 1024, TestWindows = 16, DownstreamWindows = 8,
        NumLatents = 64, MainK = 4, DeadWindowTokens = 1L << 11,
        Sweeps = [new(Saes.SaeRegistry.TopK, [4, 8], [16, 32, 64, 128]), new(Saes.SaeRegistry.MultiTopK, [4]), new(Saes.SaeRegistry.Relu, [0.1, 0.3]),
            new(Saes.SaeRegistry.JumpRelu, [1e-3, 1e-2]), new(Saes.SaeRegistry.Gated, [0.3, 0.6])],
        N2gLatents = 4, N2gTrainWindows = 16, AblationSites = 2, RefinementTokens = 32, RefinementIterations = 50,
    };

    private (ReproductionResults results, List<string> log, Dictionary<string, float[]> weights) Run(string model, ArtifactCache cache, ReproduceConfig config)
    {
        var log = new List<string>();
        using var repro = Reproduction.Open(config, model, log.Add);
        repro.Cache = cache;
        var results = repro.RunAll();
        var weights = repro.Runs.ToDictionary(r => r.Name, r => r.Sae.W_dec_ND.data<float>().ToArray().Concat(r.Sae.W_enc_ND.data<float>().ToArray()).ToArray());
        return (results, log, weights);
    }

    private (string model, ArtifactCache cache) TinyModelAndCache()
    {
        var model = Path.Combine(_root, "tiny");
        QuickReproductionFixture.WriteTinyModel(model);
        return (model, new ArtifactCache(Path.Combine(_root, "art")));
    }

    private static string Numbers(ReproductionResults r) =>
        JsonSerializer.Serialize(r with { Timings = [], Started = default, Command = "" }, ReportBuilder.JsonOptions);

    [Fact]
    public void ASecondRunReadsEveryStepBackWithTheSameNumbersAndWeights()
    {
        var (model, cache) = TinyModelAndCache();
        var first = Run(model, cache, Tiny);
        Assert.DoesNotContain(first.log, l => l.Contains("read from", StringComparison.Ordinal));
        var second = Run(model, cache, Tiny);
        Assert.Equal(Reproduction.Steps.Count, second.log.Count(l => l.Contains("read from", StringComparison.Ordinal)));
        Assert.Equal(Numbers(first.results), Numbers(second.results));
        Assert.Equal(first.weights.Keys, second.weights.Keys);
        foreach (var (name, w) in first.weights) Assert.True(w.SequenceEqual(second.weights[name]), $"{name}'s weights differ after reading back");

        // Every SAE is also a SAELens folder.
        var saes = Directory.GetDirectories(Directory.GetDirectories(cache.Root, "run-*").Single() + "/saes");
        Assert.Equal(first.weights.Count, saes.Length);
        Assert.All(saes, d => Assert.True(File.Exists(Path.Combine(d, "cfg.json")) && File.Exists(Path.Combine(d, "sae_weights.safetensors"))));

        // Another config: its own run folder, the same harvest.
        Run(model, cache, Tiny with { Seed = 2 });
        Assert.Equal(2, Directory.GetDirectories(cache.Root, "run-*").Length);
        Assert.Single(Directory.GetDirectories(cache.Root, "harvest-*"));
    }

    [Fact]
    public void ADamagedSaeFileIsTrainedAgainNotTrusted()
    {
        var (model, cache) = TinyModelAndCache();
        var first = Run(model, cache, Tiny);
        var state = Directory.GetFiles(cache.Root, ArtifactCache.StateFile, SearchOption.AllDirectories).First();
        File.WriteAllBytes(state, File.ReadAllBytes(state)[..100]);   // truncated
        var second = Run(model, cache, Tiny);
        Assert.Contains(second.log, l => l.Contains("cannot be read", StringComparison.Ordinal) && l.Contains("they train again", StringComparison.Ordinal));
        // Retrained from the same seeds: the same weights and the same measurements.
        foreach (var (name, w) in first.weights) Assert.True(w.SequenceEqual(second.weights[name]), $"{name} retrained to other weights");
        Assert.Equal(JsonSerializer.Serialize(first.results.Evaluations, ReportBuilder.JsonOptions), JsonSerializer.Serialize(second.results.Evaluations, ReportBuilder.JsonOptions));
    }
}
