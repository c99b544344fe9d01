using SaeWorkbench.Activations;
using SaeWorkbench.Corpus;
using SaeWorkbench.Tokenization;
using System.Text.Json;
using SaeWorkbench.Cli;
using SaeWorkbench.Cli.Commands;
using SaeWorkbench.Experiments;
using SaeWorkbench.Models;
using SaeWorkbench.Tests.Browser;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// A tiny random GPT-2 (2 blocks, d_model 32, context 64) with a BPE tokenizer trained on a few corpus documents, written
/// in Hugging Face's layout, and `sae reproduce --quick` run on it once; the tests read its output. Nothing here needs
/// data/builtin-lm.
/// </summary>
public sealed class QuickReproductionFixture : IDisposable
{
    public QuickReproductionFixture()
    {
        Root = Directory.CreateTempSubdirectory("saewb-reproduce-").FullName;
        ModelDirectory = Path.Combine(Root, "tiny-gpt2");
        WriteTinyModel(ModelDirectory);
        OutDirectory = Path.Combine(Root, "out");
        var o = new StringWriter();
        var e = new StringWriter();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ExitCode = SaeCli.RunAsync(["reproduce", "--quick", "--no-notebooks", "--model", ModelDirectory, "--out", OutDirectory,
            "--artifacts", Path.Combine(Root, "artifacts")], o, e).GetAwaiter().GetResult();
        Seconds = clock.Elapsed.TotalSeconds;
        Stdout = o.ToString();
        Stderr = e.ToString();
    }

    public string Root { get; }
    public string ModelDirectory { get; }
    public string OutDirectory { get; }
    public int ExitCode { get; }
    public string Stdout { get; }
    public string Stderr { get; }
    public double Seconds { get; }

    /// <summary>A random GPT-2 small enough to run every experiment in seconds.</summary>
    public static void WriteTinyModel(string directory)
    {
        Directory.CreateDirectory(directory);
        var corpus = new SyntheticCorpus(new CorpusConfig { Seed = 1 });
        var tokenizer = BpeTokenizer.Train(corpus.Texts(SyntheticCorpus.SplitStart(CorpusSplit.Train), 40), 320, [BpeTokenizer.EndOfText]);
        using var model = new Gpt2(new Gpt2Config { NLayer = 2, NHead = 2, NEmbd = 32, NPositions = 64, VocabSize = tokenizer.VocabSize }, seed: 1);
        Gpt2Weights.Save(model, directory);
        tokenizer.Save(directory);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); }
        catch (IOException) { }
    }
}

public class ReproduceCommandTests(QuickReproductionFixture run) : IClassFixture<QuickReproductionFixture>
{
    private static async Task<(int code, string stdout, string stderr)> Sae(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await SaeCli.RunAsync(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private JsonElement Results()
    {
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(run.OutDirectory, ReportBuilder.ResultsFileName))).RootElement;
    }

    private static double D(JsonElement e) => e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetDouble();

    [Fact]
    public void QuickRunWritesAReportWhoseKeyNumbersAreSane()
    {
        var r = Results();
        Console.WriteLine($"reproduce --quick on the tiny model: {run.Seconds:F1} s");
        var config = ReproduceConfig.Quick;

        // Every step ran and was timed.
        var steps = r.GetProperty("Timings").EnumerateArray().Select(t => t.GetProperty("Step").GetString()).ToList();
        Assert.Equal(12, steps.Count);
        Assert.All(r.GetProperty("Timings").EnumerateArray(), t => Assert.True(D(t.GetProperty("Seconds")) >= 0));

        // The default hook of a 2-block model: the residual stream after block 0 (3/4 depth, rounded down).
        Assert.Equal("blocks.0.hook_resid_post", r.GetProperty("Subject").GetProperty("Hook").GetString());

        // Every trained SAE: a finite code, explained variance in (0, 1], and TopK codes with exactly k active latents.
        var evals = r.GetProperty("Evaluations").EnumerateArray().ToList();
        Assert.Equal(config.ScalingLatents().Count * config.Ks().Count + 1 + 1 + 3 * 2, evals.Count);
        foreach (var e in evals)
        {
            var name = e.GetProperty("Run").GetProperty("Name").GetString();
            Assert.False(e.GetProperty("Diverged").GetBoolean(), name);
            var ev = D(e.GetProperty("ExplainedVariance"));
            Assert.True(ev > 0 && ev <= 1, $"{name}: explained variance {ev}");
            Assert.Equal(1 - ev, D(e.GetProperty("NormalizedMse")), 9);
            var l0 = D(e.GetProperty("L0"));
            Assert.True(l0 > 0 && double.IsFinite(l0), $"{name}: L0 {l0}");
            if (e.GetProperty("Run").GetProperty("Architecture").GetString() is "topk" or "multitopk")
                Assert.True(l0 <= e.GetProperty("Run").GetProperty("K").GetInt64() + 1e-9, $"{name}: L0 {l0} above k");   // k kept, fewer if a kept pre-activation is <= 0
            var down = e.GetProperty("Downstream");
            Assert.True(double.IsFinite(D(down.GetProperty("DeltaLoss"))), name);
            Assert.True(D(down.GetProperty("KlMean")) >= 0, name);
        }

        // The matched TopK run is the one with k = MainK, at L0 = MainK.
        var matched = r.GetProperty("Architectures").GetProperty("Matched").EnumerateArray().ToList();
        var topk = matched.Single(m => m.GetProperty("Run").GetProperty("Architecture").GetString() == "topk");
        Assert.Equal(config.MainK, D(topk.GetProperty("L0")), 6);
        Assert.Equal(6, matched.Count);

        // Scaling: one point per (n, k) of the grid.
        Assert.Equal(config.ScalingLatents().Count * config.Ks().Count, r.GetProperty("Scaling").GetProperty("Points").GetArrayLength());

        // Probes: finite losses, a label entropy that is the no-information baseline.
        foreach (var p in r.GetProperty("Probes").GetProperty("Runs").EnumerateArray())
        {
            var res = p.GetProperty("Result");
            var ce = D(res.GetProperty("MeanCrossEntropy"));
            Assert.True(ce > 0 && double.IsFinite(ce), p.GetProperty("Name").GetString());
            Assert.True(D(res.GetProperty("MeanLabelEntropy")) > 0);
        }

        // N2G: a sample of the main TopK SAE's latents, scored, and explanation reconstruction measured.
        var n2g = r.GetProperty("Explanations");
        Assert.Equal($"topk-n{config.NumLatents}-k{config.MainK}", n2g.GetProperty("Run").GetProperty("Name").GetString());
        Assert.True(n2g.GetProperty("SampledLatents").GetInt32() > 0);
        Assert.True(double.IsFinite(D(n2g.GetProperty("Explained").GetProperty("DeltaLoss"))));

        // Refinement of a TopK code moves magnitudes little; geometry and ablation report one row per family.
        foreach (var section in new[] { "Ablation", "Refinement", "Geometry" })
            Assert.Equal(6, r.GetProperty(section).GetProperty("Runs").GetArrayLength());
        foreach (var g in r.GetProperty("Geometry").GetProperty("Runs").EnumerateArray())
        {
            var mean = D(g.GetProperty("MeanMaxCosine"));
            Assert.InRange(mean, 0, 1);
        }
    }

    [Fact]
    public async Task ThePageIsSelfContainedAndRendersInChromiumWithoutConsoleErrors()
    {
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var path = Path.Combine(run.OutDirectory, ReportBuilder.PageFileName);
        var html = File.ReadAllText(path);
        Assert.Equal(1, html.Split("data-saewb-plotly").Length - 1);       // plotly.js once
        Assert.DoesNotContain("<script src=", html);                         // nothing fetched from elsewhere
        foreach (var id in new[] { "subject", "harvest", "architectures", "scaling", "progressive", "probes", "n2g", "ablation", "refinement", "geometry", "timing" })
            Assert.Contains($"<section id=\"{id}\">", html);
        var figures = html.Split("class=\"saewb-figure\"").Length - 1;

        await RunBrowser(path, figures);
    }

    private static async Task RunBrowser(string path, int figures)
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        await using var page = await browser.OpenAsync(path);
        Assert.Equal(figures, await page.WaitForFiguresAsync(TimeSpan.FromSeconds(60)));
        var rendered = (await page.EvaluateAsync("document.querySelectorAll(\"[data-saewb-state='rendered']\").length")).GetInt32();
        Assert.Equal(figures, rendered);
        Assert.Empty(page.Errors);
        var shot = await page.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "artifacts", "browser", "reproduce-quick.png"));
        Console.WriteLine($"screenshot: {shot}");
    }

    [Theory]
    [InlineData("blocks.7.hook_resid_post", "layer 7 does not exist")]
    [InlineData("blocks.0.hook_resid_middle", "is not a hook point")]
    [InlineData("blocks.0.attn.hook_z", "head axis")]
    public async Task ABadHookIsRefusedNamingTheValidHooks(string hook, string why)
    {
        var (code, _, stderr) = await Sae("reproduce", "--quick", "--model", run.ModelDirectory, "--hook", hook, "--out", Path.Combine(run.Root, "bad-hook"));
        Assert.Equal(2, code);
        Assert.Contains(why, stderr);
        Assert.Contains("Valid hook names", stderr);
        Assert.Contains("hook_resid_post", stderr);
        Assert.False(Directory.Exists(Path.Combine(run.Root, "bad-hook")));
    }

    [Fact]
    public async Task AMissingModelFolderSaysHowToMakeTheBuiltinModel()
    {
        var (code, _, stderr) = await Sae("reproduce", "--quick", "--model", Path.Combine(run.Root, "no-such-model"), "--out", Path.Combine(run.Root, "x"));
        Assert.Equal(2, code);
        Assert.Contains("no-such-model", stderr);
        Assert.Contains("sae train-lm --config data/configs/builtin-lm.json", stderr);

        var empty = Directory.CreateDirectory(Path.Combine(run.Root, "empty-model")).FullName;
        (code, _, stderr) = await Sae("reproduce", "--quick", "--model", empty, "--out", Path.Combine(run.Root, "x"));
        Assert.Equal(2, code);
        Assert.Contains("lacks config.json, model.safetensors, vocab.json, merges.txt", stderr);
    }

    [Theory]
    [InlineData("""{ "MainK": 5 }""", "ReproduceConfig.MainK = 5")]
    [InlineData("""{ "Sweeps": [{ "Architecture": "topk", "Values": [8], "Widths": [32, 64, 128, 256] }, { "Architecture": "multitopk", "Values": [8] }] }""", "ReproduceConfig.Sweeps[topk].Values = [8]")]
    [InlineData("""{ "Sweeps": [{ "Architecture": "topkk", "Values": [8] }] }""", "architecture 'topkk' is not one of: topk, batchtopk, multitopk, relu, jumprelu, gated")]
    [InlineData("""{ "TrainingTokens": 100, "BatchSize": 4096 }""", "ReproduceConfig.TrainingTokens = 100")]
    [InlineData("""{ "NumLatnts": 512 }""", "NumLatnts")]
    [InlineData("""{ "ScalingLatents": "many" }""", "ScalingLatents")]
    public async Task ABadConfigFileNamesTheField(string json, string expected)
    {
        var file = Path.Combine(run.Root, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        var (code, _, stderr) = await Sae("reproduce", "--config", file, "--model", run.ModelDirectory, "--out", Path.Combine(run.Root, "x"));
        Assert.Equal(2, code);
        Assert.Contains(file, stderr);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void AConfigFileOverridesTheFullRunFieldByField()
    {
        var file = Path.Combine(run.Root, "config-lists.json");
        File.WriteAllText(file, """
            { "MainK": 4, "LearningRate": null,
              "Sweeps": [{ "Architecture": "topk", "Values": [4, 8], "Widths": [256, 512, 1024, 2048] }, { "Architecture": "multitopk", "Values": [4] },
                         { "Architecture": "batchtopk", "Values": [8] }, { "Architecture": "standard", "Values": [0.5] }],
              "Normalization": "UnitMeanSquaredNorm", "Hook": "blocks.1.hook_mlp_out" }
            """);
        var cfg = JsonConfig.Load<ReproduceConfig>(file);
        cfg.Validate();
        Assert.Equal(new long[] { 4, 8 }, cfg.Ks());
        Assert.Equal(4, cfg.MainK);
        Assert.Equal(new[] { 0.5 }, cfg.SweepOf(Saes.SaeRegistry.Relu)!.Values);
        Assert.Null(cfg.SweepOf(Saes.SaeRegistry.JumpRelu));                          // a list given replaces the whole list
        Assert.Null(cfg.LearningRate);
        Assert.Equal(Saes.InputNormalization.UnitMeanSquaredNorm, cfg.Normalization);
        Assert.Equal("blocks.1.hook_mlp_out", cfg.Hook);
        Assert.Equal(ReproduceConfig.Default.ScalingLatents(), cfg.ScalingLatents());     // unset fields keep the full run's values
        Assert.Equal(ReproduceConfig.Default.TrainingTokens, cfg.TrainingTokens);
    }

    [Fact]
    public async Task QuickAndConfigTogetherAreRefused()
    {
        var file = Path.Combine(run.Root, "config-both.json");
        File.WriteAllText(file, "{}");
        var (code, _, stderr) = await Sae("reproduce", "--quick", "--config", file, "--model", run.ModelDirectory);
        Assert.Equal(2, code);
        Assert.Contains("not both", stderr);
    }

    [Fact]
    public void CancellingStopsWithoutWritingAReport()
    {
        var outDir = Path.Combine(run.Root, "cancelled");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var o = new StringWriter();
        var code = ReproduceCommand.Run(outDir, run.ModelDirectory, null, quick: true, configPath: null, threads: null, o, new StringWriter(), cts.Token);
        Assert.Equal(130, code);
        Assert.Contains("cancelled", o.ToString());
        Assert.False(File.Exists(Path.Combine(outDir, ReportBuilder.PageFileName)));
    }

    [Fact]
    public void CancellingDuringTheHarvestThrowsAtTheNextBatch()
    {
        using var cts = new CancellationTokenSource();
        using var repro = Reproduction.Open(ReproduceConfig.Quick, run.ModelDirectory, cancellationToken: cts.Token);
        repro.DescribeSubject();
        var reports = 0;
        Assert.Throws<OperationCanceledException>(() => repro.Harvest(new SyncProgressForTest<HarvestProgress>(_ =>
        {
            reports++;
            cts.Cancel();
        })));
        Assert.Equal(1, reports);
        Assert.Throws<OperationCanceledException>(() => repro.Train());   // every later step refuses too
    }

    private sealed class SyncProgressForTest<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
