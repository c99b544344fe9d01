using SaeWorkbench.Activations;
using SaeWorkbench.Subject;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Experiments;
namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae reproduce [--out out/reproduce] [--model dir] [--hook name] [--quick | --config file.json]</c>: runs every
/// experiment (<see cref="Reproduction"/>) on the built-in model, or on any GPT-2 in Hugging Face's layout, and writes
/// the browsable report (index.html) and every number of it (results.json). Shows the harvest's tokens/s, the training
/// progress of every SAE (tokens/s, loss terms, L0, dead %) and the timing of each metric; Ctrl-C stops cleanly without
/// writing a partial report.
/// </summary>
public static class ReproduceCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for index.html and results.json.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "reproduce")) };
        var model = new Option<DirectoryInfo?>("--model") { Description = $"Model folder (config.json, model.safetensors, vocab.json, merges.txt); default: the built-in {BuiltinModel.RelativeDirectory}." };
        var hook = new Option<string?>("--hook") { Description = "Hook point of the SAEs, e.g. blocks.2.hook_resid_post; default: the residual stream after the block at 3/4 depth." };
        var quick = new Option<bool>("--quick") { Description = "Every experiment at a smoke-test scale (about a minute on 2 cores)." };
        var config = new Option<FileInfo?>("--config") { Description = "JSON file of ReproduceConfig fields (missing fields keep the full run's defaults)." };
        var threads = new Option<int?>("--threads")
        {
            Description = "libtorch intra-op threads (default: the core count). 1 can be much faster when other processes hold the cores: " +
                          "threads of one operation wait for each other at every barrier.",
        };
        var command = new Command("reproduce", "Run every experiment of the TopK, JumpReLU and Gated SAE papers on a subject model and write a browsable report.")
        {
            output, model, hook, quick, config, threads,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(output)!.FullName, parse.GetValue(model)?.FullName, parse.GetValue(hook),
            parse.GetValue(quick), parse.GetValue(config)?.FullName, parse.GetValue(threads), stdout, stderr, ct)));
        return command;
    }

    public static int Run(string outDir, string? modelDir, string? hook, bool quick, string? configPath, int? threads, TextWriter stdout, TextWriter stderr,
        CancellationToken ct)
    {
        if (threads is not { } t) return Run(outDir, modelDir, hook, quick, configPath, stdout, stderr, ct);
        if (t < 1 || t > 1024)
        {
            stderr.WriteLine($"error: --threads = {t} is out of range: must be in [1, 1024]");
            return 2;
        }
        // The thread count is process-wide: put it back for whatever runs next in this process.
        var before = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(t);
        try { return Run(outDir, modelDir, hook, quick, configPath, stdout, stderr, ct); }
        finally { TorchSharp.torch.set_num_threads(before); }
    }

    private static int Run(string outDir, string? modelDir, string? hook, bool quick, string? configPath, TextWriter stdout, TextWriter stderr,
        CancellationToken ct)
    {
        ReproduceConfig cfg;
        try
        {
            if (quick && configPath is not null)
                throw new ConfigException(configPath, "give --quick or --config, not both (a config file may copy the quick preset's fields)");
            cfg = quick ? ReproduceConfig.Quick : configPath is null ? ReproduceConfig.Default : JsonConfig.Load<ReproduceConfig>(configPath);
            if (hook is not null) cfg = cfg with { Hook = hook };
            try { cfg.Validate(); }
            catch (ArgumentException e) { throw new ConfigException(configPath ?? (quick ? "--quick" : "defaults"), e.Message, e); }
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"error: {CliErrors.OneLine(e.Message)}");
            return 2;
        }

        // The output folder is checked before any work: a run must not end by failing to write its report.
        outDir = OutputFolder.Check(outDir);
        var clock = Stopwatch.StartNew();
        void Log(string line) => stdout.WriteLine(line);
        var commandLine = "sae reproduce" + (quick ? " --quick" : "") + (configPath is null ? "" : $" --config {Path.GetFileName(configPath)}")
                          + (modelDir is null ? "" : $" --model {modelDir}") + (hook is null ? "" : $" --hook {hook}");
        Reproduction repro;
        try
        {
            Log($"loading the subject model from {modelDir ?? BuiltinModel.RelativeDirectory}");
            repro = Reproduction.Open(cfg, modelDir, Log, commandLine, ct);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or InvalidDataException or ArgumentException)
        {
            stderr.WriteLine($"error: {CliErrors.OneLine(e.Message)}");
            return 2;
        }

        using (repro)
        {
            try
            {
                var last = TimeSpan.Zero;
                repro.Context.HarvestProgress = new SyncProgress<HarvestProgress>(p =>
                {
                    if (p.Elapsed - last < TimeSpan.FromSeconds(2)) return;
                    last = p.Elapsed;
                    Log(string.Create(CultureInfo.InvariantCulture, $"  harvest: {p.Tokens:N0} activations, {p.TokensPerSecond:N0} tok/s, {p.Elapsed:mm\\:ss}"));
                });
                var view = new TrainingProgressView(stdout) { LineInterval = TimeSpan.FromSeconds(5) };
                foreach (var step in Reproduction.Steps)
                {
                    if (step is TrainingExperiment)
                        view.RunAsync(p =>
                        {
                            repro.Context.TrainingProgress = p;
                            repro.Run(step);
                            return Task.FromResult(true);
                        }).GetAwaiter().GetResult();
                    else
                        repro.Run(step);
                }
            }
            catch (OperationCanceledException)
            {
                stdout.WriteLine($"cancelled after {clock.Elapsed.TotalSeconds:F0} s; nothing was written to {outDir}");
                return 130;
            }

            var results = repro.Results;
            var page = ReportBuilder.Write(results, outDir);
            stdout.WriteLine();
            Summary(results, stdout);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {page}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"numbers: {Path.Combine(outDir, ReportBuilder.ResultsFileName)}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {clock.Elapsed.TotalSeconds:F0} s"));
            return 0;
        }
    }

    /// <summary>The headline numbers: step timings and the matched architectures.</summary>
    private static void Summary(ReproductionResults r, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine("step timings:");
        foreach (var t in r.Timings) o.WriteLine(string.Create(inv, $"  {t.Step,-36} {t.Seconds,8:F1} s"));
        if (r.Architectures is { } a)
        {
            o.WriteLine(string.Create(inv, $"architectures at n = {a.NumLatents}, L0 near {a.MainK} (test tokens):"));
            o.WriteLine(string.Create(inv, $"  {"architecture",-14} {"L0",7} {"nMSE",8} {"EV",7} {"dead %",7} {"delta loss",11} {"KL",8}"));
            foreach (var m in a.Matched)
                o.WriteLine(string.Create(inv,
                    $"  {m.Run.Label,-14} {m.L0,7:F1} {m.NormalizedMse,8:F4} {m.ExplainedVariance,7:F4} {m.DeadFraction * 100,7:F1} {m.Downstream?.DeltaLoss,11:F4} {m.Downstream?.KlMean,8:F4}"));
        }
        if (r.Probes is { } p)
            o.WriteLine("probe loss: " + string.Join(", ", p.Runs.Select(x => string.Create(inv, $"{x.Label} {x.Result.MeanCrossEntropy:F4}"))));
        if (r.Explanations is { } n)
            o.WriteLine(string.Create(inv, $"N2G: precision {n.MeanPrecision:F3}, recall {n.MeanRecall:F3}; delta loss SAE {n.Sae.DeltaLoss:F4}, explanations {n.Explained.DeltaLoss:F4}"));
        if (r.Refinement is { } f)
            o.WriteLine("refinement magnitude ratio: " + string.Join(", ", f.Runs.Select(x => string.Create(inv, $"{x.Run.Label} {x.Result.MagnitudeRatio:F3}"))));
    }
}
