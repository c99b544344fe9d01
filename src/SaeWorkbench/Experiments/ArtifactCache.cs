using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SaeWorkbench.Activations;
using SaeWorkbench.IO;
using SaeWorkbench.Saes;
using SaeWorkbench.Saes.Interchange;
using SaeWorkbench.Training;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>
/// The shared work of the notebooks and of <c>sae reproduce</c>, saved to disk keyed by its configuration so that it is
/// done once: the harvested activations (an <see cref="ActivationStore"/> per split, which a stopped harvest resumes), the
/// trained sweep (one SAELens folder per SAE, <see cref="SaeLensFormat"/>, beside the module's exact state) and every
/// experiment's result record. A notebook run alone computes what is missing; run after another notebook of the same
/// scale and model, it reads what that one left.
/// <para>Layout under <see cref="Root"/>:
/// <c>harvest-KEY/{train,test}/</c> (activation stores; KEY hashes the model's files, the hook, the corpus and the
/// harvest fields of the config) and <c>run-KEY/</c> (KEY hashes the harvest key and the whole config):
/// <c>config.json</c> (what it was run with, for people), <c>saes/RUN/</c> (cfg.json, sae_weights.safetensors,
/// saewb_state.safetensors) and <c>results.json</c> (the results of every step done, rewritten atomically after each).</para>
/// </summary>
public sealed class ArtifactCache
{
    /// <summary>Bumped when what is saved changes meaning, so that older folders are not read.</summary>
    private const string FormatVersion = "saewb-artifacts-1";

    /// <summary>The exact module state beside each SAELens folder (buffers SAELens has no place for).</summary>
    public const string StateFile = "saewb_state.safetensors";

    private readonly Dictionary<string, string> _modelKeys = new(StringComparer.Ordinal);

    /// <param name="root">The folder that holds the artifacts (created when first written).</param>
    public ArtifactCache(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>
    /// Where artifacts go when nobody says: the environment variable <c>SAEWB_ARTIFACTS</c>; else <c>out/artifacts</c> of the
    /// clone the current folder is in (the folder above that holds SaeWorkbench.sln), so notebooks opened from
    /// <c>notebooks/</c> and <c>sae reproduce</c> share one cache; else <c>~/.cache/saeworkbench/artifacts</c>.
    /// </summary>
    public static string DefaultRoot()
    {
        var env = Environment.GetEnvironmentVariable("SAEWB_ARTIFACTS");
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        if (Workbench.CloneAbove(Environment.CurrentDirectory) is { } clone) return Path.Combine(clone, "out", "artifacts");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "saeworkbench", "artifacts");
    }

    // ---- keys ----------------------------------------------------------------------------------------------

    /// <summary>What is worked out once per context: its two folders, and the saved results once read (kept up to date by
    /// every save), so no step re-hashes the config or re-reads results.json.</summary>
    private sealed class Keys
    {
        public required string Harvest { get; init; }
        public required string Run { get; init; }
        public ReproductionResults? Saved { get; set; }
        public bool SavedRead { get; set; }
    }

    private readonly ConditionalWeakTable<ReproductionContext, Keys> _keys = new();

    private Keys KeysOf(ReproductionContext c) => _keys.GetValue(c, ctx =>
    {
        var harvest = "harvest-" + Hash(FormatVersion, ModelKey(ctx.Subject.Directory), ctx.Subject.HookName,
            ctx.Subject.Corpus.Config.Seed.ToString(CultureInfo.InvariantCulture),
            Inv($"{ctx.Config.ContextLength}|{ctx.Config.HarvestTokens}|{ctx.Config.TestWindows}|{ctx.Config.SkipFirstPosition}"));
        var run = "run-" + Hash(harvest, JsonSerializer.Serialize(ctx.Config, ReportBuilder.JsonOptions));
        return new Keys { Harvest = Path.Combine(Root, harvest), Run = Path.Combine(Root, run) };
    });

    /// <summary>The folder of the harvested activations of this context's model, hook, corpus and harvest fields.</summary>
    public string HarvestFolder(ReproductionContext c) => KeysOf(c).Harvest;

    /// <summary>The folder of the trained sweep and the results of this context's whole config.</summary>
    public string RunFolder(ReproductionContext c) => KeysOf(c).Run;

    /// <summary>SHA-256 of the model folder's files that define it (config, weights, tokenizer), once per folder.</summary>
    private string ModelKey(string directory)
    {
        if (_modelKeys.TryGetValue(directory, out var key)) return key;
        using var sha = SHA256.Create();
        foreach (var name in Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal))
        {
            if (name.EndsWith(".md", StringComparison.Ordinal)) continue;
            var nameBytes = Encoding.UTF8.GetBytes(name + "\n");
            sha.TransformBlock(nameBytes, 0, nameBytes.Length, null, 0);
            using var f = File.OpenRead(Path.Combine(directory, name));
            var buffer = new byte[1 << 20];
            int read;
            while ((read = f.Read(buffer, 0, buffer.Length)) > 0) sha.TransformBlock(buffer, 0, read, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return _modelKeys[directory] = Convert.ToHexString(sha.Hash!);
    }

    private static string Hash(params string[] parts) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\u0001", parts))))[..16].ToLowerInvariant();

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    // ---- results -------------------------------------------------------------------------------------------

    /// <summary>The results saved for this context's config, or null (read from disk once per context).</summary>
    public ReproductionResults? SavedResults(ReproductionContext c)
    {
        var keys = KeysOf(c);
        if (keys.SavedRead) return keys.Saved;
        keys.SavedRead = true;
        var path = Path.Combine(keys.Run, ReportBuilder.ResultsFileName);
        if (!File.Exists(path)) return null;
        try
        {
            return keys.Saved = JsonSerializer.Deserialize<ReproductionResults>(File.ReadAllText(path), ReportBuilder.JsonOptions);
        }
        catch (JsonException e)
        {
            c.Log($"  the saved results '{path}' cannot be read ({e.Message}); the steps run again");
            return null;
        }
    }

    private void SaveResults(ReproductionContext c, Experiment step)
    {
        var keys = KeysOf(c);
        Directory.CreateDirectory(keys.Run);
        var configPath = Path.Combine(keys.Run, "config.json");
        if (!File.Exists(configPath)) AtomicFile.WriteAllText(configPath, JsonSerializer.Serialize(c.Config, ReportBuilder.JsonOptions));
        var saved = step.WithResultFrom((SavedResults(c) ?? c.Results) with { Config = c.Config }, c.Results);
        AtomicFile.WriteAllText(Path.Combine(keys.Run, ReportBuilder.ResultsFileName), ReportBuilder.Json(saved));
        keys.Saved = saved;
    }

    // ---- restore and save ------------------------------------------------------------------------------------

    /// <summary>
    /// Puts what a step computed, when it was saved for this config, into the context instead of running the step: its
    /// result record, and for the harvest the activations (from complete stores), for the training the SAEs. False when
    /// anything is missing (the step then runs).
    /// </summary>
    internal bool TryRestore(Experiment step, ReproductionContext c)
    {
        var saved = SavedResults(c);
        if (saved is null || step.ResultIn(saved) is null) return false;
        switch (step)
        {
            case HarvestExperiment:
                if (!TryReadStores(c)) return false;
                break;
            case TrainingExperiment:
                if (!TryLoadSaes(c, saved.Training!)) return false;
                break;
        }
        c.Results = step.WithResultFrom(c.Results, saved);
        return true;
    }

    /// <summary>Saves what <paramref name="step"/> left in the context: the trained SAEs after the training, and every step's result.</summary>
    internal void Save(Experiment step, ReproductionContext c)
    {
        if (step is TrainingExperiment) SaveSaes(c);
        SaveResults(c, step);
    }

    private bool TryReadStores(ReproductionContext c)
    {
        var folder = HarvestFolder(c);
        ActivationStore Open(string split) => ActivationStore.Open(Path.Combine(folder, split));
        try
        {
            var train = Open("train");
            var test = Open("test");
            if (!train.IsComplete || !test.IsComplete) return false;
            c.Train?.Dispose();
            c.Test?.Dispose();
            c.Train = train.ReadAll();
            c.Test = test.ReadAll();
            c.EnsureWindows();
            return true;
        }
        catch (Exception e) when (e is IOException or ActivationStoreException or InvalidDataException)
        {
            return false;
        }
    }

    private string SaesFolder(ReproductionContext c) => Path.Combine(RunFolder(c), "saes");

    private bool TryLoadSaes(ReproductionContext c, TrainingResult training)
    {
        var folder = SaesFolder(c);
        if (!Directory.Exists(folder)) return false;
        var runs = TrainingExperiment.NewRuns(c);
        try
        {
            foreach (var r in runs)
            {
                var path = Path.Combine(folder, r.Name, StateFile);
                if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' is missing", path);
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                r.Sae.load_state_dict(SafeTensors.Load(path));
                if (training.Runs.FirstOrDefault(t => t.Run.Name == r.Name) is { Diverged: true } stopped)
                    r.Run.RestoreStopped(stopped.Message ?? "stopped in the saved run");
                r.Sae.eval();
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or SafeTensorsException or ArgumentException)
        {
            c.Log($"  the saved SAEs in '{folder}' cannot be read ({e.Message}); they train again");
            foreach (var r in runs)
            {
                r.Run.Dispose();
                r.Sae.Dispose();
            }
            return false;
        }
        c.DisposeRuns();
        c.Runs.AddRange(runs);
        return true;
    }

    private void SaveSaes(ReproductionContext c)
    {
        var folder = SaesFolder(c);
        var temp = folder + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(temp);
        try
        {
            var meta = new SaeLensMetadata
            {
                ModelName = c.Subject.ModelId, HookName = c.Subject.HookName, HookLayer = c.Subject.Hook.Layer, ContextSize = c.Config.ContextLength,
                DatasetPath = $"saeworkbench synthetic corpus seed={c.Subject.Corpus.Config.Seed}",
            };
            foreach (var r in c.Runs)
            {
                var dir = Path.Combine(temp, r.Name);
                SaeLensFormat.Save(r.Sae, dir, meta);
                using var scope = NewDisposeScope();
                SafeTensors.Save(r.Sae.state_dict(), Path.Combine(dir, StateFile));
            }
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.Move(temp, folder);
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
            throw;
        }
    }
}
