using SaeWorkbench.Training;

namespace SaeWorkbench.Tests;

/// <summary>
/// Issue 15: the runs' checkpoints commit as one set. A kill at every file operation of a checkpoint save (after each
/// run's pending file, after the manifest, between two runs' renames), with a half-written temporary file left behind,
/// resumes to exactly the numbers of an uninterrupted run, and leaves no stray file.
/// </summary>
public sealed class CheckpointSetTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("saewb-ckset-").FullName;

    public void Dispose()
    {
        CheckpointSet.AfterOperation = null;
        Directory.Delete(_root, recursive: true);
    }

    private sealed class SimulatedKill(string at) : Exception($"killed after {at}");

    // 16 steps, a set every 4: saves at steps 4, 8, 12 and the final one at 16; each is 3 pending files, the commit and 3 renames.
    private static TrainerConfig Config(string dir) => TrainerTests.Config(dir) with { TotalTokens = 64 * 16, CheckpointEverySteps = 4 };

    private const int OperationsPerSave = 7;

    [Fact]
    public void AKillAtEveryOperationOfASaveResumesToTheUninterruptedNumbers()
    {
        using var scope = torch.NewDisposeScope();
        using var dataA = TrainerTests.Data();
        var reference = TrainerTests.Runs();
        new Trainer(Config(Path.Combine(_root, "reference")), dataA, reference).Train();

        var survived = 0;
        // Every operation of the saves at steps 8, 12 and 16 (the one at 4 is the first commit: before it there is nothing to resume).
        for (var kill = OperationsPerSave; kill < 4 * OperationsPerSave; kill++)
        {
            var dir = Path.Combine(_root, $"kill-{kill}");
            var count = 0;
            string? killedAt = null;
            CheckpointSet.AfterOperation = label =>
            {
                if (count++ != kill) return;
                killedAt = label;
                // What an interrupted write leaves: a temporary file beside the checkpoints.
                File.WriteAllBytes(Path.Combine(dir, "topk.checkpoint.safetensors.step99.pending.tmp-0123456789abcdef"), [1, 2, 3]);
                throw new SimulatedKill(label);
            };
            using (var data = TrainerTests.Data())
            {
                var runs = TrainerTests.Runs();
                Assert.Throws<SimulatedKill>(() => new Trainer(Config(dir), data, runs).Train());
                foreach (var r in runs) { r.Sae.Dispose(); r.Dispose(); }
            }
            CheckpointSet.AfterOperation = null;

            using var dataB = TrainerTests.Data();
            var resumed = TrainerTests.Runs();
            var trainer = new Trainer(Config(dir), dataB, resumed);
            trainer.LoadCheckpoints();
            var from = trainer.Step;
            trainer.Train();
            foreach (var (a, b) in reference.Zip(resumed))
            {
                Assert.Equal(a.Step, b.Step);
                foreach (var ((name, p), (_, q)) in a.Sae.state_dict().Zip(b.Sae.state_dict()))
                    Assert.True(p.allclose(q, 0, 0, equal_nan: true), $"kill after {killedAt}: {a.Name}.{name} differs from the uninterrupted run");
            }
            var left = Directory.EnumerateFiles(dir).Select(Path.GetFileName).Order().ToList();
            Assert.Equal([CheckpointSet.ManifestFileName, "jumprelu.checkpoint.safetensors", "relu.checkpoint.safetensors", "topk.checkpoint.safetensors"], left);
            output.WriteLine($"killed after {killedAt} (operation {kill}): resumed from step {from}, identical at step 16");
            foreach (var r in resumed) { r.Sae.Dispose(); r.Dispose(); }
            survived++;
        }
        Assert.Equal(3 * OperationsPerSave, survived);
    }

    [Fact]
    public void AFreshTrainingRefusesAFolderThatHoldsCheckpointsAndLeavesThemAsTheyWere()
    {
        using var scope = torch.NewDisposeScope();
        var dir = Path.Combine(_root, "saved");
        using (var data = TrainerTests.Data()) new Trainer(Config(dir), data, TrainerTests.Runs()).Train();
        var before = Directory.EnumerateFiles(dir).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();

        // The same config without resuming, and a shorter one with other runs: both would have overwritten the set.
        using var data2 = TrainerTests.Data();
        var e = Assert.Throws<IOException>(() => new Trainer(Config(dir), data2, TrainerTests.Runs()).Train());
        Assert.Contains($"'{dir}' already holds the checkpoints of runs topk, jumprelu, relu at step 16", e.Message);
        Assert.Contains("--resume", e.Message);
        var one = new List<TrainingRun> { TrainerTests.Runs()[2] };
        Assert.Throws<IOException>(() => new Trainer(Config(dir) with { TotalTokens = 64 * 2 }, data2, one).Train());
        Assert.Equal(before, Directory.EnumerateFiles(dir).Order().Select(f => (f, File.ReadAllBytes(f))).ToList(),
            new FileComparer());

        // Resumed, the same folder is the trainer's own; an earlier version's bare checkpoint file is refused too.
        var resumed = new Trainer(Config(dir), data2, TrainerTests.Runs());
        resumed.LoadCheckpoints();
        resumed.Train();
        var legacy = Directory.CreateDirectory(Path.Combine(_root, "legacy")).FullName;
        File.Copy(CheckpointSet.PathOf(dir, "relu"), CheckpointSet.PathOf(legacy, "relu"));
        Assert.Contains("checkpoint files (relu.checkpoint.safetensors)",
            Assert.Throws<IOException>(() => new Trainer(Config(legacy), data2, TrainerTests.Runs()).Train()).Message);
    }

    private sealed class FileComparer : IEqualityComparer<(string, byte[])>
    {
        public bool Equals((string, byte[]) a, (string, byte[]) b) => a.Item1 == b.Item1 && a.Item2.AsSpan().SequenceEqual(b.Item2);
        public int GetHashCode((string, byte[]) x) => x.Item1.GetHashCode();
    }

    [Fact]
    public void ResumingAFinishedRunKeepsItsFinalLossesAndResumingNothingSaysSo()
    {
        using var scope = torch.NewDisposeScope();
        var dir = Path.Combine(_root, "finished");
        using (var data = TrainerTests.Data()) new Trainer(Config(dir), data, TrainerTests.Runs()).Train();
        using var again = TrainerTests.Data();
        var trainer = new Trainer(Config(dir), again, TrainerTests.Runs());
        trainer.LoadCheckpoints();
        var result = trainer.Train();
        Assert.All(result.Runs, r => Assert.Contains("total", r.FinalLosses.Keys));

        var empty = Directory.CreateDirectory(Path.Combine(_root, "empty")).FullName;
        using var data3 = TrainerTests.Data();
        var e = Assert.Throws<FileNotFoundException>(() => new Trainer(Config(empty), data3, TrainerTests.Runs()).LoadCheckpoints());
        Assert.Contains("train without --resume", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => new Trainer(Config(Path.Combine(_root, "absent")), data3, TrainerTests.Runs()).LoadCheckpoints());
    }
}
