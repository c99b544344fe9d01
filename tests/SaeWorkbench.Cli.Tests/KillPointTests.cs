using System.Diagnostics;
using SaeWorkbench.IO;
using SaeWorkbench.Training;
using Xunit;
using Xunit.Abstractions;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// Issue 15 with real processes, at exact points: a child <c>sae train-toy</c> (three SAEs, so a checkpoint save is three
/// pending files, the manifest and three renames) sends itself SIGKILL right after a chosen file operation of its saves
/// (<see cref="StartupHook"/>), so no finally block, flush or clean-up runs; then <c>--resume</c> runs until it finishes.
/// Every resume must succeed and end with exactly the uninterrupted run's numbers: the same summary rows, and checkpoints
/// whose metadata and tensors are byte for byte the reference's (all but the default CPU generator's state, which differs
/// between two uninterrupted processes too and feeds no number). One case is killed again while its resume rolls the
/// committed set forward. KillResumeTests kills at random moments; SaeWorkbench.Tests/CheckpointSetTests throws at every
/// operation in-process.
/// </summary>
public sealed class KillPointTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("saewb-kill-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, true); }
        catch (IOException) { }
    }

    private static readonly string[] Runs = ["topk", "relu", "jumprelu"];

    /// <summary>The only files a finished checkpoint folder holds.</summary>
    private static readonly string[] FinishedFolder =
        [CheckpointSet.ManifestFileName, .. Runs.Select(r => Path.GetFileName(CheckpointSet.PathOf("", r))).Order(StringComparer.Ordinal)];

    /// <summary>36 steps of 128 tokens; a checkpoint set every <paramref name="every"/> steps.</summary>
    private string Config(int every)
    {
        var path = Path.Combine(_root, $"toy-every{every}.json");
        File.WriteAllText(path, $$"""
            { "Toy": { "D": 16, "NumFeatures": 32, "MeanActive": 3, "Seed": 5 },
              "Trainer": { "BatchSize": 128, "TotalTokens": 4608, "ReportEverySteps": 12, "CheckpointEverySteps": {{every}}, "InitSampleTokens": 1024 },
              "Runs": [
                { "Name": "topk", "Architecture": "topk", "Sae": { "NumLatents": 48, "K": 3, "AuxK": 8, "DeadWindowTokens": 1024 } },
                { "Name": "relu", "Architecture": "relu", "Sae": { "NumLatents": 48 } },
                { "Name": "jumprelu", "Architecture": "jumprelu", "Sae": { "NumLatents": 48 } } ] }
            """);
        return path;
    }

    private sealed record Exit(int Code, string Stdout, string Stderr, double Seconds);

    /// <summary>Runs <c>sae train-toy</c> in a child process (one intra-op thread, as a CI machine shared with others
    /// would want), with the kill switch armed at operation <paramref name="killAt"/> when given.</summary>
    private static async Task<Exit> Sae(string config, string outDir, bool resume, int? killAt = null)
    {
        var info = SaeChild.StartInfo(["train-toy", "--config", config, "--out", outDir, .. resume ? new[] { "--resume" } : []]);
        info.Environment["DOTNET_STARTUP_HOOKS"] = typeof(StartupHook).Assembly.Location;
        if (killAt is { } n) info.Environment[StartupHook.Variable] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"sae train-toy --out {outDir} did not finish in 2 minutes");
        }
        return new Exit(p.ExitCode, await stdout, await stderr, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The rows of the final table (run, steps, dead %, MMCS, losses).</summary>
    private static string Summary(string stdout) => SaeChild.Summary(stdout, Runs.Length);

    /// <summary>Resumes until a child exits 0 (each resume may itself be killed, by <paramref name="killResumesAt"/>).</summary>
    private async Task<Exit> ResumeToTheEnd(string config, string dir, string what, params int[] killResumesAt)
    {
        foreach (var k in killResumesAt)
        {
            var killed = await Sae(config, dir, resume: true, killAt: k);
            Assert.True(killed.Code == 137, $"{what}: the resume armed to die at operation {k} exited {killed.Code}:\n{killed.Stdout}{killed.Stderr}");
            output.WriteLine($"{what}: the resume was {killed.Stderr.Trim()}");
        }
        var done = await Sae(config, dir, resume: true);
        Assert.True(done.Code == 0, $"{what}: the resume failed with exit code {done.Code}:\n{done.Stdout}\n{done.Stderr}");
        return done;
    }

    /// <summary>The folder and the numbers are exactly the reference's.</summary>
    private static void AssertSameAsReference(string dir, Exit final, string reference, string referenceSummary, string what)
    {
        Assert.Equal(referenceSummary, Summary(final.Stdout));
        Assert.Equal(FinishedFolder, Directory.EnumerateFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var run in Runs)
        {
            using var a = SafeTensorsFile.Open(CheckpointSet.PathOf(reference, run));
            using var b = SafeTensorsFile.Open(CheckpointSet.PathOf(dir, run));
            Assert.Equal(a.Metadata.OrderBy(kv => kv.Key), b.Metadata.OrderBy(kv => kv.Key));
            Assert.Equal(a.Entries.Select(e => (e.Name, e.DType, e.ShapeString)), b.Entries.Select(e => (e.Name, e.DType, e.ShapeString)));
            foreach (var e in a.Entries.Where(e => e.Name != "rng.default_cpu"))
                Assert.True(a.ReadBytes(e.Name).AsSpan().SequenceEqual(b.ReadBytes(e.Name)), $"{what}: {run} tensor '{e.Name}' differs from the uninterrupted run's");
        }
        var manifest = CheckpointSet.ReadManifest(dir)!;
        Assert.Equal(36, manifest.TrainerStep);
    }

    [Fact]
    public async Task ARealKillAfterEachFileOperationOfASaveResumesToTheUninterruptedNumbers()
    {
        var config = Config(every: 3);
        var reference = Path.Combine(_root, "reference");
        var full = await Sae(config, reference, resume: false);
        Assert.True(full.Code == 0, full.Stdout + full.Stderr);
        var summary = Summary(full.Stdout);

        // Operations 1-7 are the first save (step 3): pending topk, relu, jumprelu, the manifest, then three renames; 8-14
        // the second (step 6). Operation 6 is between two renames of the first set (relu's committed file does not exist
        // yet); 8-14 is every point of a save over a committed set. The last case is killed between two renames, and its
        // first resume is killed again while it rolls that set forward (the resume's first operation is the next rename).
        var cases = new[] { 6 }.Concat(Enumerable.Range(8, 7)).Select(k => (k, resumeKills: Array.Empty<int>())).Append((12, [1])).ToList();
        var seconds = new List<double>();
        foreach (var (killAt, resumeKills) in cases)
        {
            var what = $"kill after operation {killAt}" + (resumeKills.Length > 0 ? " and during the roll-forward" : "");
            var dir = Path.Combine(_root, $"op{killAt}-{resumeKills.Length}");
            var clock = Stopwatch.StartNew();
            var killed = await Sae(config, dir, resume: false, killAt: killAt);
            Assert.True(killed.Code == 137, $"{what}: the child exited {killed.Code} instead of dying:\n{killed.Stdout}{killed.Stderr}");
            var left = string.Join(" ", Directory.EnumerateFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var final = await ResumeToTheEnd(config, dir, what, resumeKills);
            AssertSameAsReference(dir, final, reference, summary, what);
            seconds.Add(clock.Elapsed.TotalSeconds);
            output.WriteLine($"{what} ({killed.Stderr.Trim()}): left [{left}]; resumed to the uninterrupted numbers");
        }
        output.WriteLine($"{cases.Count} kills survived; {seconds.Sum():F1} s ({seconds.Average():F1} s a case, uninterrupted run {full.Seconds:F1} s)");
    }
}
