using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;
using SaeWorkbench.Toys;
using SaeWorkbench.Training;

namespace SaeWorkbench.Cli.Commands;

/// <summary>One SAE to train: a name, an architecture from <see cref="SaeRegistry"/> and its config fields.</summary>
public sealed record ToyRunConfig
{
    /// <summary>Run name (checkpoint file name and progress label).</summary>
    public required string Name { get; init; }
    /// <summary>relu, topk, batchtopk, jumprelu or gated.</summary>
    public required string Architecture { get; init; }
    /// <summary>Fields of the architecture's config record (e.g. NumLatents, K, AuxK, L1Coefficient); DIn comes from the toy.</summary>
    public JsonElement Sae { get; init; }
}

/// <summary>The file given to <c>sae train-toy --config</c>.</summary>
public sealed record ToyTrainingConfig : IValidatedConfig
{
    /// <summary>The ground-truth superposition data (Toys/Superposition; paper setup: D 256, 512 features, ~5 active).</summary>
    public required SuperpositionConfig Toy { get; init; }
    /// <summary>Batch size, tokens, reporting and checkpoint cadence.</summary>
    public required TrainerConfig Trainer { get; init; }
    /// <summary>SAEs trained from the same pass over the data.</summary>
    public required IReadOnlyList<ToyRunConfig> Runs { get; init; }

    public void Validate()
    {
        Toy.Validate();
        // The checkpoint folder comes from --out.
        (Trainer with { CheckpointDirectory = Trainer.CheckpointDirectory ?? "--out" }).Validate();
        if (Runs.Count == 0) throw new ArgumentException("Runs is empty: give at least one SAE to train", nameof(Runs));
        var dup = Runs.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"Runs: the name '{dup.Key}' is used twice", nameof(Runs));
        foreach (var r in Runs) SaeRegistry.Canonical(r.Architecture);
    }
}

/// <summary>
/// <c>sae train-toy --config toy.json --out dir</c>: trains SAEs on the toy superposition data
/// (ground truth known, so recovery is scored by MMCS) with live progress, checkpoints in the
/// output folder, <c>--resume</c> from them, and Ctrl-C stopping cleanly after a checkpoint.
/// </summary>
public static class TrainToyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<FileInfo>("--config") { Description = "JSON file: Toy, Trainer and Runs (see README).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for checkpoints.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue from the checkpoints in --out." };
        var command = new Command("train-toy", "Train SAEs on toy superposition data with known ground-truth features.") { config, output, resume };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(config)!.FullName, parse.GetValue(output)!.FullName,
            parse.GetValue(resume), stdout, stderr, ct)));
        return command;
    }

    public static int Run(string configPath, string outDir, bool resume, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ToyTrainingConfig cfg;
        List<TrainingRun> runs = new();
        try
        {
            cfg = JsonConfig.Load<ToyTrainingConfig>(configPath);
            foreach (var r in cfg.Runs)
            {
                var type = SaeRegistry.DefaultConfig(r.Architecture, cfg.Toy.D, 1).GetType();
                var json = r.Sae.ValueKind == JsonValueKind.Undefined ? "{}" : r.Sae.GetRawText();
                var sae = (SaeConfig)JsonConfig.Parse(json, type, $"{configPath} (Runs '{r.Name}'.Sae)");
                sae = sae with { DIn = cfg.Toy.D };
                try { runs.Add(new TrainingRun(r.Name, SaeRegistry.Create(sae))); }
                catch (ArgumentException e) { throw new ConfigException(configPath, $"Runs '{r.Name}': {e.Message}", e); }
            }
        }
        catch (ConfigException e)
        {
            foreach (var run in runs) run.Dispose();
            stderr.WriteLine($"error: {CliErrors.OneLine(e.Message)}");
            return 2;
        }

        try { outDir = OutputFolder.Check(outDir); }
        catch
        {
            foreach (var run in runs) run.Dispose();
            throw;
        }
        using var data = new SuperpositionData(cfg.Toy);
        var trainer = new Trainer(cfg.Trainer with { CheckpointDirectory = outDir }, data, runs);
        try
        {
            if (resume) trainer.LoadCheckpoints();
            var view = new TrainingProgressView(stdout);
            var result = view.RunAsync(p => Task.FromResult(trainer.Train(p, cancellationToken: ct))).GetAwaiter().GetResult();
            stdout.WriteLine();
            stdout.WriteLine($"{"run",-16} {"steps",8} {"dead %",7} {"MMCS",6}  losses");
            foreach (var run in trainer.Runs)
            {
                var r = result[run.Name];
                var mmcs = Geometry.Mmcs(run.Sae.W_dec_ND, data.Features_FD);
                var losses = string.Join(" ", r.FinalLosses.Select(kv => $"{kv.Key} {kv.Value.ToString("G4", CultureInfo.InvariantCulture)}"));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{run.Name,-16} {r.Steps,8} {r.DeadFraction * 100,7:F1} {mmcs,6:F3}  {losses}{(r.Diverged ? "  STOPPED: " + r.Message : "")}"));
            }
            if (ct.IsCancellationRequested)
            {
                stdout.WriteLine($"stopped at step {trainer.Step}; checkpoints written to {outDir} (continue with --resume)");
                return 130;
            }
            return result.Runs.Any(r => r.Diverged) ? 1 : 0;
        }
        finally
        {
            foreach (var run in runs) run.Dispose();
        }
    }
}
