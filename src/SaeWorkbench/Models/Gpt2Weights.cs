using SaeWorkbench.IO;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Models;

/// <summary>
/// Hugging Face's GPT-2 layout, both ways: a folder with <c>config.json</c> (<see cref="Gpt2Config.FromHuggingFace"/>)
/// and <c>model.safetensors</c> holding <c>wte.weight</c> [V, D], <c>wpe.weight</c> [n_positions, D], per block
/// <c>h.{l}.ln_1.{weight,bias}</c>, <c>h.{l}.attn.c_attn.{weight [D, 3D], bias}</c>, <c>h.{l}.attn.c_proj.{weight [D, D], bias}</c>,
/// <c>h.{l}.ln_2.*</c>, <c>h.{l}.mlp.c_fc.{weight [D, d_mlp], bias}</c>, <c>h.{l}.mlp.c_proj.{weight [d_mlp, D], bias}</c>, and
/// <c>ln_f.{weight,bias}</c>. The projections are Conv1D layers stored [in, out]; <see cref="Gpt2"/> holds them as Linear
/// [out, in], so they are transposed on the way in and out.
/// <list type="bullet">
/// <item>Reading: names with or without the <c>transformer.</c> prefix (GPT2LMHeadModel's or GPT2Model's files); the
///   attention-mask buffers <c>h.{l}.attn.bias</c> and <c>h.{l}.attn.masked_bias</c> are ignored, as is an
///   <c>lm_head.weight</c> equal to <c>wte.weight</c> (a different one is refused: this GPT-2's unembedding is tied).
///   F16, BF16 and F64 tensors are converted to float32. A missing tensor, a tensor of another shape, or a tensor that
///   belongs to no part of the configured model is an <see cref="InvalidDataException"/> naming the file, the tensor,
///   the shape expected and found, and the config.json values it was derived from.</item>
/// <item>Writing: no prefix, float32, safetensors metadata <c>format: pt</c> (which transformers requires), config.json
///   with transformers' GPT-2 field names. Each file is written atomically (temporary file, then rename); the weights
///   first, so a folder never holds a new config.json with old weights.</item>
/// </list>
/// </summary>
public static class Gpt2Weights
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    private const string Prefix = "transformer.";

    private static readonly Regex IgnoredBuffer = new(@"^h\.\d+\.attn\.(bias|masked_bias)$", RegexOptions.CultureInvariant);

    /// <summary>The GPT-2 described by a Hugging Face folder's config.json.</summary>
    public static Gpt2Config LoadConfig(string directory)
    {
        var cfgPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(cfgPath))
            throw new FileNotFoundException($"'{cfgPath}' does not exist: a Hugging Face GPT-2 folder holds {ConfigFile} and {WeightsFile}", cfgPath);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(cfgPath)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"'{cfgPath}' is not a valid GPT-2 config.json: {e.Message}", e);
        }
        return Gpt2Config.FromHuggingFace(json, cfgPath);
    }

    /// <summary>Reads a GPT-2 from a Hugging Face folder (config.json + model.safetensors) onto <paramref name="device"/>.</summary>
    public static Gpt2 Load(string directory, Device? device = null)
    {
        var config = LoadConfig(directory);
        var cfgPath = Path.Combine(directory, ConfigFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"'{weightsPath}' does not exist: a Hugging Face GPT-2 folder holds {ConfigFile} and {WeightsFile} " +
                "(a pytorch_model.bin must be converted to safetensors first)", weightsPath);
        using var file = SafeTensorsFile.Open(weightsPath);
        var prefixed = file.Entries.Count(e => e.Name.StartsWith(Prefix, StringComparison.Ordinal));
        if (prefixed > 0 && prefixed < file.Entries.Count(e => e.Name != "lm_head.weight"))
            throw new InvalidDataException($"'{weightsPath}' mixes tensor names with and without the '{Prefix}' prefix; expected all or none");
        var prefix = prefixed > 0 ? Prefix : "";

        CheckBlockCount(file, prefix, config, cfgPath);
        var expected = Expected(config);
        // Every tensor's presence and shape against the file's header first: nothing is allocated for a config.json that
        // the weights do not match (a vocab_size of 10^7 would otherwise allocate gigabytes before failing).
        foreach (var (name, (shape, _, source)) in expected)
        {
            var stored = prefix + name;
            if (!file.TryGetEntry(stored, out var entry))
                throw new InvalidDataException($"'{weightsPath}' has no tensor '{stored}' ({source}; shape [{string.Join(", ", shape)}] " +
                    $"from '{cfgPath}': {Describe(config)})");
            if (!entry.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"'{weightsPath}': tensor '{stored}' has shape {entry.ShapeString}, expected [{string.Join(", ", shape)}] " +
                    $"({source}) from '{cfgPath}': {Describe(config)}. The weights and config.json describe different models.");
        }
        var model = new Gpt2(config, 0, initialize: false);
        try
        {
            var parameters = model.state_dict();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            foreach (var (name, (_, conv1d, _)) in expected)
            {
                var stored = prefix + name;
                var t = SafeTensors.LoadOne(file, stored).to(float32);
                parameters[name].copy_(conv1d ? t.t() : t);
            }
            Tensor? wte = null;
            foreach (var e in file.Entries)
            {
                var name = e.Name.StartsWith(prefix, StringComparison.Ordinal) ? e.Name[prefix.Length..] : e.Name;
                if (expected.ContainsKey(name) || IgnoredBuffer.IsMatch(name)) continue;
                if (e.Name == "lm_head.weight")
                {
                    wte ??= parameters["wte.weight"];
                    if (!e.Shape.SequenceEqual(wte.shape) || !SafeTensors.LoadOne(file, e.Name).to(float32).SameAs(wte))
                        throw new InvalidDataException($"'{weightsPath}': 'lm_head.weight' differs from the token embedding; this GPT-2's unembedding is tied to wte " +
                            "(an untied unembedding is not supported)");
                    continue;
                }
                throw new InvalidDataException($"'{weightsPath}': tensor '{e.Name}' {e.ShapeString} is not part of the GPT-2 described by '{cfgPath}' " +
                    $"({Describe(config)}); the weights and config.json describe different models");
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }
        if (device is { type: not DeviceType.CPU } d) model.to(d);
        model.eval();
        return model;
    }

    /// <summary>
    /// Checks config.json's n_layer against the blocks whose tensors model.safetensors holds (its header only), before
    /// anything per block is built: the expected-tensor table alone has 12 entries a block, so an n_layer of 10^8 took
    /// gigabytes before the first shape was compared. A config with more blocks than the weights is an
    /// <see cref="InvalidDataException"/> naming both files and the n_layer the weights have.
    /// </summary>
    public static void CheckBlockCount(string directory, Gpt2Config config)
    {
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weightsPath)) return;   // Load names the missing file
        using var file = SafeTensorsFile.Open(weightsPath);
        var prefix = file.Entries.Any(e => e.Name.StartsWith(Prefix, StringComparison.Ordinal)) ? Prefix : "";
        CheckBlockCount(file, prefix, config, Path.Combine(directory, ConfigFile));
    }

    private static readonly Regex BlockTensor = new(@"^h\.(\d{1,9})\.", RegexOptions.CultureInvariant);

    private static void CheckBlockCount(SafeTensorsFile file, string prefix, Gpt2Config config, string cfgPath)
    {
        var blocks = 0;
        foreach (var e in file.Entries)
        {
            if (!e.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var m = BlockTensor.Match(e.Name[prefix.Length..]);
            if (m.Success) blocks = Math.Max(blocks, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1);
        }
        if (config.NLayer > blocks)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"'{cfgPath}': n_layer = {config.NLayer}, but '{file.Path}' holds the tensors of {blocks} block(s){(blocks > 0 ? $" (h.0 to h.{blocks - 1})" : "")}: " +
                $"the weights and config.json describe different models; set n_layer to {blocks} or use the config.json that came with these weights"));
    }

    /// <summary>Writes <paramref name="model"/> into <paramref name="directory"/> (created if needed) in Hugging Face's layout.</summary>
    public static void Save(Gpt2 model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        var config = model.Config;
        var parameters = model.state_dict();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, (_, conv1d, _)) in Expected(config))
        {
            var p = parameters[name].detach().to(float32, CPU);
            tensors.Add(new(name, conv1d ? p.t().contiguous() : p));
        }
        SafeTensors.Save(tensors, Path.Combine(directory, WeightsFile), new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile),
            config.ToHuggingFace().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Every tensor of the layout: name (no prefix) -&gt; shape as stored, whether it is a Conv1D weight ([in, out],
    /// transposed relative to our Linear), and which config values fix its shape.</summary>
    private static Dictionary<string, (long[] shape, bool conv1d, string source)> Expected(Gpt2Config c)
    {
        long d = c.NEmbd, m = c.DMlp;
        var r = new Dictionary<string, (long[], bool, string)>
        {
            ["wte.weight"] = ([c.VocabSize, d], false, "[vocab_size, n_embd]"),
            ["wpe.weight"] = ([c.NPositions, d], false, "[n_positions, n_embd]"),
        };
        for (var l = 0; l < c.NLayer; l++)
        {
            var h = string.Create(CultureInfo.InvariantCulture, $"h.{l}.");
            r[h + "ln_1.weight"] = ([d], false, "[n_embd]");
            r[h + "ln_1.bias"] = ([d], false, "[n_embd]");
            r[h + "attn.c_attn.weight"] = ([d, 3 * d], true, "Conv1D [n_embd, 3 n_embd]");
            r[h + "attn.c_attn.bias"] = ([3 * d], false, "[3 n_embd]");
            r[h + "attn.c_proj.weight"] = ([d, d], true, "Conv1D [n_embd, n_embd]");
            r[h + "attn.c_proj.bias"] = ([d], false, "[n_embd]");
            r[h + "ln_2.weight"] = ([d], false, "[n_embd]");
            r[h + "ln_2.bias"] = ([d], false, "[n_embd]");
            r[h + "mlp.c_fc.weight"] = ([d, m], true, "Conv1D [n_embd, d_mlp]");
            r[h + "mlp.c_fc.bias"] = ([m], false, "[d_mlp]");
            r[h + "mlp.c_proj.weight"] = ([m, d], true, "Conv1D [d_mlp, n_embd]");
            r[h + "mlp.c_proj.bias"] = ([d], false, "[n_embd]");
        }
        r["ln_f.weight"] = ([d], false, "[n_embd]");
        r["ln_f.bias"] = ([d], false, "[n_embd]");
        return r;
    }

    private static string Describe(Gpt2Config c) => string.Create(CultureInfo.InvariantCulture,
        $"n_layer = {c.NLayer}, n_embd = {c.NEmbd}, n_head = {c.NHead}, n_positions = {c.NPositions}, vocab_size = {c.VocabSize}, d_mlp = {c.DMlp}");
}
