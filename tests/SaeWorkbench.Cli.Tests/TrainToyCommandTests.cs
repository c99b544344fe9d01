using SaeWorkbench.Cli;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>`sae train-toy`: config validation, training with progress and a recovery score, Ctrl-C and resume.</summary>
public class TrainToyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saewb-traintoy-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Config(long totalTokens, string runs = """{ "Name": "topk", "Architecture": "topk", "Sae": { "NumLatents": 64, "K": 3, "AuxK": 8, "DeadWindowTokens": 20000 } }""")
    {
        var path = Path.Combine(_dir, "toy.json");
        File.WriteAllText(path, $$"""
        { "Toy": { "D": 16, "NumFeatures": 32, "MeanActive": 3, "Seed": 3 },
          "Trainer": { "BatchSize": 256, "TotalTokens": {{totalTokens}}, "ReportEverySteps": 20, "InitSampleTokens": 2048 },
          "Runs": [ {{runs}} ] }
        """);
        return path;
    }

    private static async Task<(int, string, string)> Sae(CancellationToken ct, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await SaeCli.RunAsync(args, o, e, ct);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task TrainsWithProgressLinesAndReportsRecovery()
    {
        var (code, stdout, stderr) = await Sae(default, "train-toy", "--config", Config(256 * 300), "--out", Path.Combine(_dir, "out"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("topk step 300/300", stdout);
        Assert.Contains("tok/s", stdout);
        Assert.Contains("dead", stdout);
        var row = stdout.Split('\n').Single(l => l.StartsWith("topk ") && !l.Contains("step"));
        var mmcs = double.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(mmcs > 0.9, $"TopK should recover the 32 toy features (MMCS {mmcs}):\n{stdout}");
        Assert.True(File.Exists(Path.Combine(_dir, "out", "topk.checkpoint.safetensors")));
    }

    [Fact]
    public async Task ABadConfigNamesTheFieldAndExitsWithTwo()
    {
        var (code, _, stderr) = await Sae(default, "train-toy", "--config",
            Config(2560, """{ "Name": "topk", "Architecture": "topk", "Sae": { "NumLatents": 64, "K": 100 } }"""), "--out", _dir);
        Assert.Equal(2, code);
        Assert.Contains("K", stderr);
        Assert.Contains("topk", stderr);
        var (code2, _, stderr2) = await Sae(default, "train-toy", "--config",
            Config(2560, """{ "Name": "x", "Architecture": "topkk" }"""), "--out", _dir);
        Assert.Equal(2, code2);
        Assert.Contains("architecture 'topkk' is not one of", stderr2);
    }

    /// <summary>Captures output and cancels (as Ctrl-C would) once a progress line has been written.</summary>
    private sealed class CancelOnProgress(CancellationTokenSource cts, int reports) : StringWriter
    {
        private int _seen;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value != null && value.Contains(" step ") && ++_seen >= reports) cts.Cancel();
        }
    }

    private static async Task<(int code, string stdout)> SaeUntilProgress(int reports, params string[] args)
    {
        using var cts = new CancellationTokenSource();
        var o = new CancelOnProgress(cts, reports);
        var code = await SaeCli.RunAsync(args, o, new StringWriter(), cts.Token);
        return (code, o.ToString());
    }

    [Fact]
    public async Task CancellationStopsCleanlyAfterACheckpointAndResumeContinues()
    {
        var cfg = Config(256L * 1_000_000);
        var outDir = Path.Combine(_dir, "out");
        var (code, stdout) = await SaeUntilProgress(2, "train-toy", "--config", cfg, "--out", outDir);
        Assert.Equal(130, code);
        Assert.Contains("checkpoints written", stdout);
        var checkpoint = Path.Combine(outDir, "topk.checkpoint.safetensors");
        Assert.True(File.Exists(checkpoint));
        var stepStopped = int.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"stopped at step (\d+)").Groups[1].Value);
        Assert.True(stepStopped >= 40, stdout);

        var (code2, stdout2) = await SaeUntilProgress(1, "train-toy", "--config", cfg, "--out", outDir, "--resume");
        Assert.Equal(130, code2);
        var stepResumed = int.Parse(System.Text.RegularExpressions.Regex.Match(stdout2, @"stopped at step (\d+)").Groups[1].Value);
        Assert.True(stepResumed > stepStopped, $"resume continued from step {stepStopped} to {stepResumed}");
        Assert.DoesNotContain("step 20/", stdout2);
    }
}
