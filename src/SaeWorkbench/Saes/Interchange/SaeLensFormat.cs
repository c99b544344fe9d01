using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using SaeWorkbench.IO;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Saes.Interchange;

/// <summary>Where an SAE was trained, for SAELens's cfg.json "meta" (all optional).</summary>
public sealed record SaeLensMetadata
{
    public string? ModelName { get; init; }
    public string? HookName { get; init; }
    public int? HookLayer { get; init; }
    public int? HookHeadIndex { get; init; }
    public int? ContextSize { get; init; }
    public string? DatasetPath { get; init; }
    public bool? PrependBos { get; init; }
}

/// <summary>
/// SAELens's on-disk layout, so SAEs move between SAELens and this workbench: a folder with
/// <c>sae_weights.safetensors</c> (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_dec [d_in], and per architecture
/// b_enc [d_sae]; JumpReLU: threshold [d_sae]; Gated: b_gate, r_mag, b_mag instead of b_enc) and <c>cfg.json</c>
/// with SAELens's field names (d_in, d_sae, dtype, device, apply_b_dec_to_input, normalize_activations, architecture,
/// k for TopK, meta; plus the older activation_fn_str / activation_fn_kwargs so pre-v6 readers agree).
/// <list type="bullet">
/// <item>ReLU = SAELens "standard"; TopK = "topk"; BatchTopK is written as "jumprelu" with its global threshold for every
///   latent (what SAELens does for inference); the original architecture is kept in "saewb_architecture".</item>
/// <item>Normalisation: per-token standardisation = "layer_norm" (the same formula); the scalar Gemma Scope scale is folded
///   into the weights (W_enc * s, W_dec / s, b_dec / s, as SAELens's fold_activation_norm_scaling_factor) and written
///   as "none"; the TopK paper's per-token mean-subtract + unit norm has no SAELens equivalent and is written as
///   <see cref="PerTokenUnitNormName"/>, a name of this workbench's that SAELens refuses to load rather than misread.</item>
/// </list>
/// Both files are written atomically (temporary file, then rename).
/// </summary>
public static class SaeLensFormat
{
    public const string WeightsFile = "sae_weights.safetensors";
    public const string ConfigFile = "cfg.json";

    /// <summary>The "normalize_activations" value of the TopK paper's per-token mean-subtract + unit norm (Gao et al. 2024,
    /// §2.1), which SAELens lacks: this workbench reads it back; SAELens stops at the unknown name.</summary>
    public const string PerTokenUnitNormName = "saewb_per_token_unit_norm";

    /// <summary>Writes <paramref name="sae"/> into <paramref name="directory"/> (created if needed).</summary>
    public static void Save(SparseAutoencoder sae, string directory, SaeLensMetadata? metadata = null)
    {
        var c = sae.Config;
        var normalization = c.Normalization switch
        {
            InputNormalization.None or InputNormalization.UnitMeanSquaredNorm => "none",
            InputNormalization.PerTokenStandardize => "layer_norm",
            InputNormalization.PerTokenUnitNorm => PerTokenUnitNormName,
            _ => throw new NotSupportedException($"SAELens has no equivalent of normalisation {c.Normalization}"),
        };
        Directory.CreateDirectory(directory);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Fold the scalar input scale s into the weights: the saved SAE takes raw inputs.
        var s = c.Normalization == InputNormalization.UnitMeanSquaredNorm ? sae.norm_scale.ToDouble() : 1.0;
        var tensors = new Dictionary<string, Tensor>
        {
            ["W_enc"] = (sae.W_enc_ND * s).t().contiguous(),
            ["W_dec"] = (sae.W_dec_ND / s).contiguous(),
            ["b_dec"] = sae.b_dec_D / s,
        };
        var mapping = SaeRegistry.Of(c).SaeLens;
        mapping.WriteTensors(sae, tensors);
        var architecture = mapping.Architecture;
        var meta = metadata ?? new SaeLensMetadata();
        var cfg = new JsonObject
        {
            ["d_in"] = c.DIn,
            ["d_sae"] = c.NumLatents,
            ["dtype"] = c.DType.PyTorchName(),
            ["device"] = c.Device.ToString(),
            ["apply_b_dec_to_input"] = c.ApplyDecoderBiasToInput,
            ["normalize_activations"] = normalization,
            ["reshape_activations"] = "none",
            ["architecture"] = architecture,
            ["activation_fn_str"] = "relu",
            ["activation_fn_kwargs"] = new JsonObject(),
            ["finetuning_scaling_factor"] = false,
            ["model_name"] = meta.ModelName,
            ["hook_name"] = meta.HookName,
            ["hook_layer"] = meta.HookLayer,
            ["hook_head_index"] = meta.HookHeadIndex,
            ["context_size"] = meta.ContextSize,
            ["dataset_path"] = meta.DatasetPath,
            ["prepend_bos"] = meta.PrependBos,
            ["meta"] = new JsonObject
            {
                ["model_name"] = meta.ModelName,
                ["hook_name"] = meta.HookName,
                ["hook_layer"] = meta.HookLayer,
                ["hook_head_index"] = meta.HookHeadIndex,
                ["context_size"] = meta.ContextSize,
                ["dataset_path"] = meta.DatasetPath,
                ["prepend_bos"] = meta.PrependBos,
            },
            ["saewb_architecture"] = c.Architecture,
        };
        mapping.WriteConfig?.Invoke(sae, cfg);
        SafeTensors.Save(tensors, Path.Combine(directory, WeightsFile));
        WriteAtomically(Path.Combine(directory, ConfigFile), cfg.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Reads an SAE saved in SAELens's layout. Errors name the file and the field or tensor: a missing or unknown
    /// architecture, a normalisation that needs SAELens's separate scaling factor, a missing tensor or a wrong shape.
    /// Decoder rows that are all unit norm keep the unit-norm constraint on for further training; otherwise it is off.
    /// </summary>
    public static SparseAutoencoder Load(string directory, Device? device = null)
    {
        var cfgPath = Path.Combine(directory, ConfigFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"'{cfgPath}' does not exist: an SAELens folder holds {ConfigFile} and {WeightsFile}", cfgPath);
        JsonObject cfg;
        try
        {
            cfg = JsonNode.Parse(File.ReadAllText(cfgPath)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"'{cfgPath}' is not a valid SAELens config: {e.Message}", e);
        }
        long Int(string field) => cfg[field]?.GetValue<long>() ?? throw new InvalidDataException($"'{cfgPath}' has no '{field}'");
        var dIn = Int("d_in");
        var dSae = Int("d_sae");
        var architecture = cfg["architecture"]?.GetValue<string>()
            ?? (cfg["activation_fn_str"]?.GetValue<string>() == "topk" ? "topk" : "standard");
        var applyBDec = cfg["apply_b_dec_to_input"]?.GetValue<bool>() ?? true;
        var normalization = (cfg["normalize_activations"]?.GetValue<string>() ?? "none") switch
        {
            "none" => InputNormalization.None,
            "layer_norm" => InputNormalization.PerTokenStandardize,
            PerTokenUnitNormName => InputNormalization.PerTokenUnitNorm,
            var other => throw new NotSupportedException(
                $"'{cfgPath}': normalize_activations '{other}' needs SAELens's separately stored scaling factor; fold it into the weights " +
                "(SAELens: fold_activation_norm_scaling_factor) and save again"),
        };

        using var file = SafeTensorsFile.Open(weightsPath);
        using var scope = NewDisposeScope();
        Tensor Get(string name, params long[] shape)
        {
            if (!file.Contains(name)) throw new InvalidDataException($"'{weightsPath}' has no tensor '{name}' (needed by architecture '{architecture}')");
            var t = SafeTensors.LoadOne(file, name);
            if (!t.shape.SequenceEqual(shape))
                throw new InvalidDataException($"'{weightsPath}': tensor '{name}' has shape {t.ShapeString}, expected [{string.Join(", ", shape)}] (d_in = {dIn}, d_sae = {dSae})");
            return t.to(float32);
        }
        var wEnc = Get("W_enc", dIn, dSae);
        var wDec = Get("W_dec", dSae, dIn);
        var bDec = Get("b_dec", dIn);
        var unitNorm = (wDec.norm(1) - 1).abs().max().ToDouble() < 1e-4;
        var dev = device ?? CPU;
        var init = new SaeInit { GeometricMedianPreBias = false };
        var reader = SaeRegistry.All.Select(a => a.SaeLens).FirstOrDefault(m => m.Architecture == architecture && m.Read is not null)
            ?? throw new NotSupportedException($"'{cfgPath}': architecture '{architecture}' is not one of: " +
                string.Join(", ", SaeRegistry.All.Select(a => a.SaeLens).Where(m => m.Read is not null).Select(m => m.Architecture).Distinct()));
        var sae = reader.Read!(new SaeLensReader(cfgPath, cfg, dIn, dSae,
            shared => shared with { DIn = dIn, NumLatents = dSae, Normalization = normalization, ApplyDecoderBiasToInput = applyBDec, UnitNormDecoder = unitNorm, Init = init, Device = dev },
            Get));
        using (no_grad())
        {
            sae.W_enc_ND.copy_(wEnc.t());
            sae.W_dec_ND.copy_(wDec);
            sae.b_dec_D.copy_(bDec);
        }
        return sae;
    }

    internal static void WriteAtomically(string path, string text)
    {
        var tmp = path + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            using (var w = new StreamWriter(f))
            {
                w.Write(text);
                w.Flush();
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }
}
