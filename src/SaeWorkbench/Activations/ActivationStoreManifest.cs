using SaeWorkbench.IO;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Activations;

/// <summary>One shard as recorded in manifest.json.</summary>
public sealed record ShardInfo
{
    /// <summary>File name inside the store's folder: "shard-00000.safetensors", numbered from 0 without gaps.</summary>
    public required string File { get; init; }

    /// <summary>Rows (token activations) in the shard.</summary>
    public required long Rows { get; init; }

    /// <summary>File size in bytes.</summary>
    public required long Bytes { get; init; }

    /// <summary>CRC-32C of the whole file (<see cref="Crc32C"/>), 8 lowercase hex digits.</summary>
    public required string Crc32c { get; init; }

    /// <summary>Where the shard starts in the stream: the window of its first row (the resume point after the previous shard).</summary>
    public required long FirstWindow { get; init; }

    /// <summary>How many kept rows of <see cref="FirstWindow"/> belong to the shard before (shards may split a window).</summary>
    public required long FirstRowInWindow { get; init; }
}

/// <summary>
/// manifest.json, the commit point of an activation store: a shard exists for readers only once the manifest that lists it
/// has been written (atomically, after the shard). It records what was harvested (hook, model, token stream, d_model,
/// context length, storage dtype, skipping rules, layout), every shard with its size and checksum, and where the harvest
/// stands in the token stream (<see cref="WindowsConsumed"/>, <see cref="NextRowInWindow"/>, <see cref="Complete"/>).
/// </summary>
public sealed record ActivationStoreManifest
{
    /// <summary>File name of the manifest inside a store's folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Value of <see cref="Format"/>.</summary>
    public const string FormatName = "saewb-activation-store";

    /// <summary>The <see cref="FormatVersion"/> this build writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Value of <see cref="Checksum"/>: the algorithm of <see cref="ShardInfo.Crc32c"/>.</summary>
    public const string ChecksumName = "crc32c";

    private static readonly Regex ShardName = new(@"^shard-(\d{5,})\.safetensors$", RegexOptions.CultureInvariant);

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        WriteIndented = true,
    };

    public required string Format { get; init; }
    public required int FormatVersion { get; init; }
    public required string HookName { get; init; }
    public required string ModelId { get; init; }
    public required string DatasetId { get; init; }
    public required int DModel { get; init; }
    public required int ContextLength { get; init; }

    /// <summary>"float32", "float16" or "bfloat16" (<see cref="ActivationDTypes.ToName"/>).</summary>
    public required string Dtype { get; init; }

    public required long TokensPerShard { get; init; }
    public required int BatchWindows { get; init; }
    public required bool SkipFirstPosition { get; init; }
    public required int? SkipTokenId { get; init; }

    /// <summary>The <see cref="HarvestConfig.MaxWindows"/> of the latest session (null: the whole stream).</summary>
    public required long? WindowLimit { get; init; }

    /// <summary>Windows whose rows are all in committed shards; the harvest resumes at this window.</summary>
    public required long WindowsConsumed { get; init; }

    /// <summary>Kept rows of window <see cref="WindowsConsumed"/> already committed (the last shard may end inside a window).</summary>
    public required long NextRowInWindow { get; init; }

    /// <summary>Rows in all shards.</summary>
    public required long TotalRows { get; init; }

    /// <summary>True when the stream (or the window limit) was exhausted and the last, possibly short, shard written.</summary>
    public required bool Complete { get; init; }

    /// <summary>Checksum algorithm of the shards: "crc32c".</summary>
    public required string Checksum { get; init; }

    public required IReadOnlyList<ShardInfo> Shards { get; init; }

    /// <summary>The storage dtype as an enum.</summary>
    [JsonIgnore]
    public ActivationDType StorageDType => ActivationDTypes.TryParse(Dtype) ?? throw new InvalidOperationException($"dtype '{Dtype}' is not valid");

    /// <summary>An empty manifest for a new harvest of <paramref name="c"/>.</summary>
    public static ActivationStoreManifest ForNew(HarvestConfig c) => new()
    {
        Format = FormatName,
        FormatVersion = CurrentFormatVersion,
        HookName = c.HookName,
        ModelId = c.ModelId,
        DatasetId = c.DatasetId,
        DModel = c.DModel,
        ContextLength = c.ContextLength,
        Dtype = c.StorageDType.ToName(),
        TokensPerShard = c.TokensPerShard,
        BatchWindows = c.BatchWindows,
        SkipFirstPosition = c.SkipFirstPosition,
        SkipTokenId = c.SkipTokenId,
        WindowLimit = c.MaxWindows,
        WindowsConsumed = 0,
        NextRowInWindow = 0,
        TotalRows = 0,
        Complete = false,
        Checksum = ChecksumName,
        Shards = [],
    };

    /// <summary>Fields recorded here that differ from <paramref name="c"/>: (manifest field, recorded value, requested value).</summary>
    public List<(string Field, string Recorded, string Requested)> Differences(HarvestConfig c)
    {
        var d = new List<(string, string, string)>();
        void Check<T>(string field, T recorded, T requested)
        {
            if (!EqualityComparer<T>.Default.Equals(recorded, requested)) d.Add((field, Show(recorded), Show(requested)));
        }
        Check("hook_name", HookName, c.HookName);
        Check("model_id", ModelId, c.ModelId);
        Check("dataset_id", DatasetId, c.DatasetId);
        Check("d_model", DModel, c.DModel);
        Check("context_length", ContextLength, c.ContextLength);
        Check("dtype", Dtype, c.StorageDType.ToName());
        Check("tokens_per_shard", TokensPerShard, c.TokensPerShard);
        Check("batch_windows", BatchWindows, c.BatchWindows);
        Check("skip_first_position", SkipFirstPosition, c.SkipFirstPosition);
        Check("skip_token_id", SkipTokenId, c.SkipTokenId);
        return d;
    }

    private static string Show<T>(T v) => v switch
    {
        null => "null",
        string s => $"'{s}'",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "null",
    };

    /// <summary>Writes the manifest to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>
    /// Reads and checks a manifest: the file must exist, be JSON, have this format and version, hold exactly the known
    /// fields with the right types, and be consistent (shard names numbered from 0, row counts adding up, full shards
    /// except a complete harvest's last one). Every failure is an <see cref="ActivationStoreException"/> naming the file
    /// and the fix.
    /// </summary>
    public static ActivationStoreManifest Load(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        const string refix = "Harvest again into a new folder (ActivationHarvester.Harvest with overwrite: true replaces it), or restore the file from a copy.";
        if (!File.Exists(full))
            throw new ActivationStoreException(
                $"'{dir}' is not an activation store: it has no {FileName}. Harvest into it first (ActivationHarvester.Harvest), or check the path.", full);

        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (IOException e)
        {
            throw new ActivationStoreException($"cannot read '{full}': {e.Message}", full, e);
        }

        int version;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ActivationStoreException($"'{full}' is corrupt: expected a JSON object, found {root.ValueKind}. {refix}", full);
            var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            if (format != FormatName)
                throw new ActivationStoreException(
                    $"'{full}' is not an activation store manifest: its \"format\" is {(format is null ? "missing" : $"'{format}'")}, expected '{FormatName}'. {refix}",
                    full);
            if (!root.TryGetProperty("format_version", out var v) || !v.TryGetInt32(out version))
                throw new ActivationStoreException($"'{full}' has no integer \"format_version\". {refix}", full);
        }
        catch (JsonException e)
        {
            throw new ActivationStoreException($"'{full}' is corrupt: not valid JSON ({e.Message}). {refix}", full, e);
        }
        if (version != CurrentFormatVersion)
            throw new ActivationStoreException(
                $"'{full}' has format_version {version}, but this build reads version {CurrentFormatVersion}" +
                (version > CurrentFormatVersion ? ": it was written by a newer SaeWorkbench; update this one, or harvest again with it." : ": harvest again with this build."),
                full);

        ActivationStoreManifest m;
        try
        {
            m = JsonSerializer.Deserialize<ActivationStoreManifest>(text, Json)
                ?? throw new ActivationStoreException($"'{full}' is corrupt: it holds null. {refix}", full);
        }
        catch (JsonException e)
        {
            throw new ActivationStoreException($"'{full}' is corrupt: {e.Message} {refix}", full, e);
        }
        m.Check(full, refix);
        return m;
    }

    private void Check(string full, string refix)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ActivationStoreException($"'{full}' is inconsistent: {what}. {refix}", full);
        }
        Require(!string.IsNullOrWhiteSpace(HookName), "hook_name is empty");
        Require(!string.IsNullOrWhiteSpace(ModelId), "model_id is empty");
        Require(DModel >= 1, $"d_model = {DModel} must be >= 1");
        Require(ContextLength >= 1, $"context_length = {ContextLength} must be >= 1");
        Require(ActivationDTypes.TryParse(Dtype) is not null, $"dtype = '{Dtype}' must be float32, float16 or bfloat16");
        Require(TokensPerShard >= 1, $"tokens_per_shard = {TokensPerShard} must be >= 1");
        Require(BatchWindows >= 1, $"batch_windows = {BatchWindows} must be >= 1");
        Require(SkipTokenId is null or >= 0, $"skip_token_id = {SkipTokenId} must be >= 0 or null");
        Require(WindowLimit is null or >= 1, $"window_limit = {WindowLimit} must be >= 1 or null");
        Require(WindowsConsumed >= 0 && NextRowInWindow >= 0, $"windows_consumed = {WindowsConsumed} and next_row_in_window = {NextRowInWindow} must be >= 0");
        Require(Checksum == ChecksumName, $"checksum = '{Checksum}', expected '{ChecksumName}'");
        Require(Shards is not null, "shards is missing");
        long rows = 0;
        for (var i = 0; i < Shards!.Count; i++)
        {
            var s = Shards[i];
            if (s is null) throw new ActivationStoreException($"'{full}' is inconsistent: shards[{i}] is null. {refix}", full);
            var match = ShardName.Match(s.File ?? "");
            Require(match.Success && long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) == i,
                $"shards[{i}].file = '{s.File}', expected '{ActivationStore.ShardFileName(i)}'");
            var last = i == Shards.Count - 1;
            Require(s.Rows >= 1 && s.Rows <= TokensPerShard, $"shards[{i}].rows = {s.Rows} must be in [1, tokens_per_shard = {TokensPerShard}]");
            Require(s.Rows == TokensPerShard || (last && Complete),
                $"shards[{i}].rows = {s.Rows}: only the last shard of a complete harvest may hold fewer than tokens_per_shard = {TokensPerShard}");
            Require(s.Bytes > 0, $"shards[{i}].bytes = {s.Bytes} must be > 0");
            Require(s.Crc32c is { Length: 8 } h && h.All(char.IsAsciiHexDigitLower), $"shards[{i}].crc32c must be 8 lowercase hex digits");
            Require(s.FirstWindow >= 0 && s.FirstRowInWindow >= 0, $"shards[{i}] has a negative first_window or first_row_in_window");
            rows += s.Rows;
        }
        Require(rows == TotalRows, $"total_rows = {TotalRows} but the shards hold {rows}");
    }
}
