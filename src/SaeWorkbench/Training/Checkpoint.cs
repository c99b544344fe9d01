using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.IO;
using static TorchSharp.torch;

namespace SaeWorkbench.Training;

/// <summary>
/// A training checkpoint: one safetensors file holding every tensor of a run under a prefix ("sae.", "optim.",
/// "tracker.", "data.", "rng.") and the scalars (step, tokens, schedule step, configs as JSON) in its metadata.
/// Written atomically (a temporary file in the same folder, flushed, then renamed over the old one), so a crash
/// never leaves a half-written checkpoint and the previous one stays until the new one is complete.
/// </summary>
public static class Checkpoint
{
    /// <summary>The metadata value of "format" in every checkpoint this version writes.</summary>
    public const string FormatName = "saewb-training-checkpoint-1";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> (plus "format") to <paramref name="path"/>, atomically.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var meta = new Dictionary<string, string>(metadata) { ["format"] = FormatName };
        SafeTensors.Save(tensors, path, meta);
    }

    /// <summary>Reads a checkpoint: its tensors (owned by the caller's dispose scope) and metadata. A file that is not
    /// a checkpoint of this format fails naming the file.</summary>
    public static (Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata) Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue("format", out var format) || format != FormatName)
            throw new InvalidDataException($"'{path}' is not a training checkpoint of format {FormatName} (its format: {format ?? "none"})");
        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in file.Entries) tensors[e.Name] = SafeTensors.LoadOne(file, e.Name);
        return (tensors, new Dictionary<string, string>(file.Metadata));
    }

    /// <summary>The entries of <paramref name="source"/> under "<paramref name="prefix"/>." with the prefix removed.</summary>
    public static Dictionary<string, Tensor> Section(IReadOnlyDictionary<string, Tensor> source, string prefix) =>
        source.Where(kv => kv.Key.StartsWith(prefix + ".", StringComparison.Ordinal))
              .ToDictionary(kv => kv.Key[(prefix.Length + 1)..], kv => kv.Value);

    /// <summary>Adds <paramref name="entries"/> to <paramref name="target"/> under "<paramref name="prefix"/>.".</summary>
    public static void AddSection(Dictionary<string, Tensor> target, string prefix, IReadOnlyDictionary<string, Tensor> entries)
    {
        foreach (var (k, v) in entries) target[$"{prefix}.{k}"] = v;
    }

    /// <summary>A config record as JSON (enums by name), for the metadata and for resume checks.</summary>
    public static string ToJson(object config) => JsonSerializer.Serialize(config, config.GetType(), Json);
}
