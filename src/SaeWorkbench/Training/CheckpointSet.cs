using System.Globalization;
using System.Text.Json;
using SaeWorkbench.IO;

namespace SaeWorkbench.Training;

/// <summary>
/// The checkpoints of a trainer's runs, committed as one set so that a kill at any moment leaves either the previous
/// complete set or the new one, never runs at different steps. A save writes every live run's checkpoint beside its
/// committed file as <c>NAME.checkpoint.safetensors.stepN.NONCE.pending</c>, then writes <c>checkpoint-set.json</c> (the commit
/// point: the step, the runs, which files are pending, which runs stopped), then renames the pending files over the
/// committed ones. <see cref="Recover"/>, run before every load and save, finishes the renames of a committed set
/// (roll forward) and deletes pending files no manifest names and half-written temporary files (roll back).
/// </summary>
public static class CheckpointSet
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFileName = "checkpoint-set.json";

    /// <summary>The manifest's "format" value.</summary>
    public const string FormatName = "saewb-checkpoint-set-1";

    /// <summary>A committed set: the trainer step, every run's name, the pending files still to rename (by run), and the
    /// runs that had stopped (by run: why).</summary>
    public sealed record Manifest(string Format, long TrainerStep, IReadOnlyList<string> Runs, IReadOnlyDictionary<string, string> Pending,
        IReadOnlyDictionary<string, string> Stopped);

    /// <summary>Test seam: called after each file operation of a save with a label ("pending:NAME", "commit", "promote:NAME");
    /// a test throws from it to stand for a kill at that moment.</summary>
    internal static Action<string>? AfterOperation { get; set; }

    /// <summary>The committed checkpoint file of a run.</summary>
    public static string PathOf(string directory, string run) => Path.Combine(directory, $"{run}.checkpoint.safetensors");

    /// <summary>
    /// Saves the set: <paramref name="write"/> writes one run's checkpoint to the path it is given (atomically); runs in
    /// <paramref name="live"/> get new files, the others (stopped) keep their committed ones.
    /// </summary>
    public static void Save(string directory, long trainerStep, IReadOnlyList<string> runs, IReadOnlyList<string> live,
        IReadOnlyDictionary<string, string> stopped, Action<string, string> write)
    {
        Directory.CreateDirectory(directory);
        Recover(directory);
        var pending = new Dictionary<string, string>();
        // A nonce per save: a save repeated at the same step and killed before its commit must not reuse a file name that
        // the previous manifest names (recovery would promote the uncommitted file).
        var nonce = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        foreach (var run in live)
        {
            var file = Path.GetFileName(PathOf(directory, run)) + string.Create(CultureInfo.InvariantCulture, $".step{trainerStep}.{nonce}.pending");
            write(run, Path.Combine(directory, file));
            pending[run] = file;
            AfterOperation?.Invoke("pending:" + run);
        }
        var manifest = new Manifest(FormatName, trainerStep, runs, pending, stopped);
        AtomicFile.WriteAllText(Path.Combine(directory, ManifestFileName), JsonSerializer.Serialize(manifest, Json) + "\n");
        AfterOperation?.Invoke("commit");
        Promote(directory, manifest);
    }

    /// <summary>
    /// Brings the folder to its last committed set: renames the pending files a manifest names (a save killed after its
    /// commit), deletes other pending files (a save killed before) and temporary files of interrupted writes. Returns the
    /// manifest, or null for a folder without one (checkpoints of an earlier version: one file per run).
    /// </summary>
    public static Manifest? Recover(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        var manifest = ReadManifest(directory);
        if (manifest is not null) Promote(directory, manifest);
        var named = manifest?.Pending.Values.ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            var stale = (name.EndsWith(".pending", StringComparison.Ordinal) && !named.Contains(name))
                        || (name.Contains(".checkpoint.safetensors", StringComparison.Ordinal) && name.Contains(".tmp-", StringComparison.Ordinal))
                        || (name.StartsWith(ManifestFileName + ".tmp-", StringComparison.Ordinal));
            if (stale) File.Delete(path);
        }
        return manifest;
    }

    private static void Promote(string directory, Manifest manifest)
    {
        foreach (var (run, file) in manifest.Pending)
        {
            var pending = Path.Combine(directory, file);
            if (!File.Exists(pending)) continue;   // renamed before
            File.Move(pending, PathOf(directory, run), overwrite: true);
            AfterOperation?.Invoke("promote:" + run);
        }
    }

    /// <summary>The manifest of a folder, or null when it has none. A manifest that cannot be read fails naming it and the fix.</summary>
    public static Manifest? ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(path)) return null;
        try
        {
            var m = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Json);
            if (m is null || m.Format != FormatName || m.Runs is null || m.Pending is null || m.Stopped is null)
                throw new JsonException($"not a checkpoint-set manifest of format {FormatName}");
            return m;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"checkpoint manifest '{path}' is not readable ({e.Message}); it is the commit point of the checkpoints in " +
                $"'{directory}': restore it from a backup, or delete the folder to start over", e);
        }
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
}
