using SaeWorkbench.Activations;
using SaeWorkbench.Subject;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Experiments;
namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae reproduce [--out out/reproduce] [--model dir] [--hook name] [--scale smoke|default|paper | --quick | --config file.json]</c>:
/// runs every experiment (<see cref="Reproduction"/>) on the built-in model, or on any GPT-2 in Hugging Face's layout, saving
/// the shared work in the artifact cache; then executes every notebook of <c>notebooks/</c> at that scale on the same
/// cache (<see cref="NotebookSuite"/>). Writes <c>index.html</c> (every notebook's page with its one-line result),
/// <c>report.html</c> (every number on one page), <c>results.json</c> and <c>notebooks/</c> (the executed notebooks and
/// their pages). Shows the harvest's tokens/s, the training progress of every SAE (tokens/s, loss terms, L0, dead %), the
/// timing of each metric and each notebook's progress. Run again after a stop, it resumes: finished steps are read from
/// the cache and passed notebooks are kept. Ctrl-C stops cleanly.
/// </summary>
public static class ReproduceCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for index.html, report.html, results.json and notebooks/.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "reproduce")) };
        var model = new Option<DirectoryInfo?>("--model") { Description = $"Model folder (config.json, model.safetensors, vocab.json, merges.txt); default: the built-in {BuiltinModel.RelativeDirectory}." };
        var hook = new Option<string?>("--hook") { Description = "Hook point of the SAEs, e.g. blocks.2.hook_resid_post; default: the residual stream after the block at 3/4 depth." };
        var scale = new Option<string?>("--scale") { Description = "smoke (about a minute plus the notebooks), default (the full run) or paper (about four times longer)." };
        var quick = new Option<bool>("--quick") { Description = "The same as --scale smoke." };
        var config = new Option<FileInfo?>("--config") { Description = "JSON file of ReproduceConfig fields (missing fields keep the full run's defaults)." };
        var noNotebooks = new Option<bool>("--no-notebooks") { Description = "Run the experiments and write the report only; do not execute the notebooks." };
        var notebooks = new Option<DirectoryInfo?>("--notebooks") { Description = "Folder of the notebooks to execute; default: notebooks/ of this clone." };
        var artifacts = new Option<DirectoryInfo?>("--artifacts") { Description = "Folder of the artifact cache (harvest, trained SAEs, results); default: $SAEWB_ARTIFACTS, else out/artifacts of this clone." };
        var threads = new Option<int?>("--threads")
        {
            Description = "libtorch intra-op threads (default: the core count). 1 can be much faster when other processes hold the cores: " +
                          "threads of one operation wait for each other at every barrier.",
        };
        var command = new Command("reproduce", "Run every experiment of the TopK, JumpReLU and Gated SAE papers on a subject model, execute the notebooks and write a browsable report.")
        {
            output, model, hook, scale, quick, config, noNotebooks, notebooks, artifacts, threads,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(new Options
        {
            OutDir = parse.GetValue(output)!.FullName, ModelDir = parse.GetValue(model)?.FullName, Hook = parse.GetValue(hook),
            Scale = parse.GetValue(quick) ? (parse.GetValue(scale) is { } sc && sc != "smoke" ? "--quick with --scale " + sc : "smoke") : parse.GetValue(scale),
            ConfigPath = parse.GetValue(config)?.FullName, Threads = parse.GetValue(threads), RunNotebooks = !parse.GetValue(noNotebooks),
            NotebooksDir = parse.GetValue(notebooks)?.FullName, ArtifactsDir = parse.GetValue(artifacts)?.FullName,
        }, stdout, stderr, ct)));
        return command;
    }

    /// <summary>What to run and where.</summary>
    public sealed record Options
    {
        public required string OutDir { get; init; }
        public string? ModelDir { get; init; }
        public string? Hook { get; init; }
        /// <summary>smoke, default or paper; null: default (or the config file's).</summary>
        public string? Scale { get; init; }
        public string? ConfigPath { get; init; }
        public int? Threads { get; init; }
        public bool RunNotebooks { get; init; } = true;
        /// <summary>Null: <see cref="NotebookSuite.FindNotebooks"/>.</summary>
        public string? NotebooksDir { get; init; }
        /// <summary>Null: <see cref="ArtifactCache.DefaultRoot"/>.</summary>
        public string? ArtifactsDir { get; init; }
    }

    /// <summary>The former signature: <paramref name="quick"/> is the smoke scale.</summary>
    public static int Run(string outDir, string? modelDir, string? hook, bool quick, string? configPath, int? threads, TextWriter stdout, TextWriter stderr,
        CancellationToken ct, bool runNotebooks = false, string? artifactsDir = null) =>
        Run(new Options { OutDir = outDir, ModelDir = modelDir, Hook = hook, Scale = quick ? "smoke" : null, ConfigPath = configPath, Threads = threads,
            RunNotebooks = runNotebooks, ArtifactsDir = artifactsDir }, stdout, stderr, ct);

    public static int Run(Options options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (options.Threads is not { } t) return RunWithThreads(options, stdout, stderr, ct);
        if (t < 1 || t > 1024)
        {
            stderr.WriteLine($"error: --threads = {t} is out of range: must be in [1, 1024]");
            return 2;
        }
        // The thread count is process-wide: put it back for whatever runs next in this process.
        var before = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(t);
        try { return RunWithThreads(options, stdout, stderr, ct); }
        finally { TorchSharp.torch.set_num_threads(before); }
    }

    private static int RunWithThreads(Options options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var (outDir, modelDir, hook, configPath) = (options.OutDir, options.ModelDir, options.Hook, options.ConfigPath);
        ReproduceConfig cfg;
        string scale;
        try
        {
            if (options.Scale is { } sc && !Workbench.Scales.Contains(sc))
                throw new ConfigException("--scale", sc.StartsWith("--quick", StringComparison.Ordinal)
                    ? "give --quick or --scale, not both (--quick is --scale smoke)"
                    : $"--scale {sc} is not one of {string.Join(", ", Workbench.Scales)}");
            if (options.Scale is not null && configPath is not null)
                throw new ConfigException(configPath, "give --quick or --config, not both (nor --scale with --config; a config file may copy a preset's fields)");
            scale = options.Scale ?? "default";
            cfg = configPath is null ? Workbench.Config(scale) : JsonConfig.Load<ReproduceConfig>(configPath);
            if (hook is not null) cfg = cfg with { Hook = hook };
            try { cfg.Validate(); }
            catch (ArgumentException e) { throw new ConfigException(configPath ?? "--scale " + scale, e.Message, e); }
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"error: {CliErrors.OneLine(e.Message)}");
            return 2;
        }

        // The output folder is checked before any work: a run must not end by failing to write its report.
        outDir = OutputFolder.Check(outDir);
        string? notebooksDir = null;
        if (options.RunNotebooks)
        {
            notebooksDir = options.NotebooksDir ?? NotebookSuite.FindNotebooks();
            if (notebooksDir is null || !Directory.Exists(notebooksDir) || NotebookSuite.Notebooks(notebooksDir).Count == 0)
            {
                stderr.WriteLine($"error: {(notebooksDir is null ? "no notebooks/ folder was found above the current folder" : $"'{notebooksDir}' holds no .ipynb notebooks")}: " +
                                 "run from the clone, pass --notebooks DIR, or --no-notebooks for the report alone");
                return 2;
            }
        }
        var cache = new ArtifactCache(options.ArtifactsDir ?? ArtifactCache.DefaultRoot());
        var clock = Stopwatch.StartNew();
        void Log(string line) => stdout.WriteLine(line);
        var commandLine = "sae reproduce" + (options.Scale is null ? "" : $" --scale {scale}") + (configPath is null ? "" : $" --config {Path.GetFileName(configPath)}")
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

        ReproductionResults results;
        string runKey;
        using (repro)
        {
            repro.Cache = cache;
            Log($"artifacts: {cache.Root}");
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
                stdout.WriteLine($"cancelled after {clock.Elapsed.TotalSeconds:F0} s; finished steps are kept in {cache.Root}, nothing was written to {outDir}");
                return 130;
            }
            results = repro.Results;
            runKey = Path.GetFileName(cache.RunFolder(repro.Context));
        }

        var page = ReportBuilder.Write(results, outDir);
        stdout.WriteLine();
        Summary(results, stdout);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {page}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"numbers: {Path.Combine(outDir, ReportBuilder.ResultsFileName)}"));
        if (notebooksDir is null)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {clock.Elapsed.TotalSeconds:F0} s"));
            return 0;
        }

        // The notebooks, on the same model, config and cache.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var (savedModel, savedArtifacts, savedOverride) = (Workbench.ModelDirectory, Workbench.Artifacts, Workbench.ConfigOverride);
        IReadOnlyList<NotebookOutcome> outcomes;
        try
        {
            Workbench.ModelDirectory = modelDir;
            Workbench.Artifacts = cache;
            Workbench.ConfigOverride = cfg == Workbench.Config(scale) ? null : cfg;
            outcomes = NotebookSuite.RunAsync(notebooksDir, outDir, scale, runKey, stdout, ct).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            stdout.WriteLine($"cancelled after {clock.Elapsed.TotalSeconds:F0} s; passed notebooks are kept in {Path.Combine(outDir, "notebooks")} and are not run again");
            return 130;
        }
        finally
        {
            (Workbench.ModelDirectory, Workbench.Artifacts, Workbench.ConfigOverride) = (savedModel, savedArtifacts, savedOverride);
        }
        var headline = results.Architectures is { } a
            ? string.Create(CultureInfo.InvariantCulture, $"Normalized MSE on test tokens at n = {a.NumLatents:N0}, the run of each architecture nearest L0 = {a.MainK}: ")
              + string.Join("; ", a.Matched.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Run.Label} {m.NormalizedMse:F4} at L0 {m.L0:F1}"))) + "."
            : null;
        var index = NotebookSuite.WriteIndex(outDir, outcomes, scale, commandLine, page, clock.Elapsed.TotalSeconds, headline);
        stdout.WriteLine();
        stdout.WriteLine("notebooks:");
        foreach (var o in outcomes) stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(o.Succeeded ? "ok  " : "FAIL")} {o.Name,-32} {o.Seconds,6:F1} s  {o.Line}"));
        stdout.WriteLine($"index: {index}");
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total {clock.Elapsed.TotalSeconds:F0} s"));
        var failed = outcomes.Where(o => !o.Succeeded).ToList();
        if (failed.Count == 0) return 0;
        stderr.WriteLine($"error: {failed.Count} of {outcomes.Count} notebooks failed: {string.Join("; ", failed.Select(f => f.Name + ": " + f.Line))}");
        return 1;
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
