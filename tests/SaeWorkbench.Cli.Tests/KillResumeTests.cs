using System.Diagnostics;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// Issue 15, with real processes: `sae train-toy` is SIGKILLed at seeded random moments (during steps and during the 40
/// checkpoint-set saves of the run), resumed with --resume after every kill, and finally let finish; its summary (steps,
/// dead %, MMCS and every loss of three SAEs) must equal an uninterrupted run's. The in-process test
/// (SaeWorkbench.Tests/CheckpointSetTests) covers every operation of a save deterministically.
/// </summary>
public sealed class KillResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saewb-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Config()
    {
        var path = Path.Combine(_dir, "toy.json");
        File.WriteAllText(path, """
            { "Toy": { "D": 16, "NumFeatures": 32, "MeanActive": 3, "Seed": 3 },
              "Trainer": { "BatchSize": 256, "TotalTokens": 256000, "ReportEverySteps": 100, "InitSampleTokens": 2048, "CheckpointEverySteps": 25 },
              "Runs": [ { "Name": "topk", "Architecture": "topk", "Sae": { "NumLatents": 64, "K": 3, "AuxK": 8 } },
                        { "Name": "relu", "Architecture": "relu", "Sae": { "NumLatents": 64, "L1Coefficient": 0.05 } },
                        { "Name": "jump", "Architecture": "jumprelu", "Sae": { "NumLatents": 64, "L0Coefficient": 0.01, "Bandwidth": 0.05 } } ] }
            """);
        return path;
    }

    private static Process Start(params string[] args) => Process.Start(SaeChild.StartInfo(args))!;

    private static string Summary(string stdout) => SaeChild.Summary(stdout, runs: 3);

    [Fact]
    public async Task SigkillAtRandomMomentsThenResumeGivesTheUninterruptedNumbers()
    {
        var config = Config();
        using var whole = Start("train-toy", "--config", config, "--out", Path.Combine(_dir, "whole"));
        var wholeOut = await whole.StandardOutput.ReadToEndAsync();
        await whole.WaitForExitAsync();
        Assert.Equal(0, whole.ExitCode);
        var expected = Summary(wholeOut);
        Assert.Contains("topk ", expected);

        var outDir = Path.Combine(_dir, "killed");
        var rng = new Random(15);
        int kills = 0, attempts = 0;
        string? last = null;
        while (attempts++ < 12)
        {
            // Resume when a set was committed (a kill during start-up leaves none: then start over, as a user would).
            var committed = File.Exists(Path.Combine(outDir, "checkpoint-set.json"));
            using var p = Start(["train-toy", "--config", config, "--out", outDir, .. committed ? new[] { "--resume" } : []]);
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (kills < 6 && !p.WaitForExit(TimeSpan.FromMilliseconds(700 + rng.Next(1500))))
            {
                p.Kill();   // SIGKILL: no handler runs
                await p.WaitForExitAsync();
                kills++;
                continue;
            }
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, $"after {kills} kills the run ended with {p.ExitCode}: {await stderr}");
            last = await stdout;
            break;
        }
        Assert.True(kills >= 3, $"only {kills} kills landed before the run finished");
        Assert.NotNull(last);
        Assert.Equal(expected, Summary(last));
        Assert.DoesNotContain(Directory.EnumerateFiles(outDir), f => f.EndsWith(".pending") || f.Contains(".tmp-"));
    }
}
