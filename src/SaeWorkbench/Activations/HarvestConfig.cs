using static TorchSharp.torch;

namespace SaeWorkbench.Activations;

/// <summary>How harvested activations are stored (on disk and, rounded the same way, in memory).</summary>
public enum ActivationDType
{
    /// <summary>4 bytes per value, exact.</summary>
    Float32,

    /// <summary>2 bytes per value; 11-bit mantissa, range +-65504 (GPT-2's residual stream stays well inside it).</summary>
    Float16,

    /// <summary>2 bytes per value; float32's range with an 8-bit mantissa.</summary>
    BFloat16,
}

/// <summary>Names and sizes of <see cref="ActivationDType"/>.</summary>
public static class ActivationDTypes
{
    /// <summary>The tensor dtype.</summary>
    public static ScalarType ToScalarType(this ActivationDType t) => t switch
    {
        ActivationDType.Float32 => ScalarType.Float32,
        ActivationDType.Float16 => ScalarType.Float16,
        ActivationDType.BFloat16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not an ActivationDType"),
    };

    /// <summary>Bytes per value.</summary>
    public static int ElementSize(this ActivationDType t) => t == ActivationDType.Float32 ? 4 : 2;

    /// <summary>The name used in manifest.json: "float32", "float16" or "bfloat16".</summary>
    public static string ToName(this ActivationDType t) => t switch
    {
        ActivationDType.Float32 => "float32",
        ActivationDType.Float16 => "float16",
        ActivationDType.BFloat16 => "bfloat16",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not an ActivationDType"),
    };

    /// <summary>Parses <see cref="ToName"/>; null when the name is not one of them.</summary>
    public static ActivationDType? TryParse(string? name) => name switch
    {
        "float32" => ActivationDType.Float32,
        "float16" => ActivationDType.Float16,
        "bfloat16" => ActivationDType.BFloat16,
        _ => null,
    };
}

/// <summary>
/// Runs the language model on a batch of token windows and returns the activations at one hook point.
/// Input: int64 token ids [B, T] on the CPU. Output: floating activations [B, T, D] on any device. The harvester calls it
/// under <c>torch.no_grad()</c> inside a dispose scope, so the result and every intermediate are freed after each batch.
/// The GPT-2 host's <c>model.RunToHook(tokens_BT, hookName)</c> fits as <c>t => model.RunToHook(t, hook)</c>.
/// </summary>
public delegate Tensor ActivationFunction(Tensor tokens_BT);

/// <summary>
/// What to harvest and how to lay it out on disk (TopK paper setup, Gao et al. 2024, §2.1: GPT-2 small,
/// <c>blocks.8.hook_resid_post</c>, 64-token contexts). The identity fields (every field except <see cref="MaxWindows"/>)
/// are recorded in manifest.json; resuming into a folder whose manifest differs in any of them is refused.
/// </summary>
/// <remarks>
/// Memory bound of a disk harvest (<see cref="MemoryBoundBytes"/>): one shard buffer of <see cref="TokensPerShard"/> rows
/// (d_model values in <see cref="StorageDType"/> plus 16 bytes of token id, position and window index per row) plus one
/// batch: the model's [B, T, D] output and its selected rows, two float32 copies of <see cref="BatchWindows"/> x
/// <see cref="ContextLength"/> x d_model values (a 16-bit storage dtype adds a half copy for the conversion). What the
/// model allocates internally per batch comes on top.
/// </remarks>
public sealed record HarvestConfig
{
    /// <summary>Hook point, e.g. "blocks.8.hook_resid_post" (TransformerLens names); recorded, never interpreted here. Not empty.</summary>
    public required string HookName { get; init; }

    /// <summary>Which model produced the activations, e.g. "gpt2" or a weights file's name; recorded. Not empty.</summary>
    public required string ModelId { get; init; }

    /// <summary>Which token stream was read, e.g. "synthetic-corpus seed=1"; recorded and checked on resume, so that a
    /// harvest does not continue on different text. May be empty.</summary>
    public string DatasetId { get; init; } = "";

    /// <summary>Width d of each activation vector (d_model; 768 for GPT-2 small), >= 1.</summary>
    public required int DModel { get; init; }

    /// <summary>Tokens per window T (64 in the TopK paper), >= 1 (>= 2 with <see cref="SkipFirstPosition"/>).</summary>
    public int ContextLength { get; init; } = 64;

    /// <summary>Storage precision; float16 and bfloat16 halve the bytes, reads return float32 either way.</summary>
    public ActivationDType StorageDType { get; init; } = ActivationDType.Float32;

    /// <summary>Rows (token activations) per shard file, >= 1; every shard but the last of a complete harvest has exactly
    /// this many. 65,536 rows at d = 768 in float32 is 192 MiB.</summary>
    public long TokensPerShard { get; init; } = 65_536;

    /// <summary>Windows per forward pass of the model, >= 1. Batches always start at multiples of this (also on resume),
    /// so a resumed harvest runs the model on exactly the batches an uninterrupted one does.</summary>
    public int BatchWindows { get; init; } = 32;

    /// <summary>Drop position 0 of every window (its activations are outliers: the first token is an attention sink with
    /// a residual norm many times the others').</summary>
    public bool SkipFirstPosition { get; init; }

    /// <summary>Drop every row whose token is this id (e.g. GPT-2's &lt;|endoftext|&gt;, 50256); null keeps all. >= 0.</summary>
    public int? SkipTokenId { get; init; }

    /// <summary>Stop after this many windows (counted from the start of the stream); null: read until the stream ends. >= 1.
    /// Not part of the identity: an unfinished harvest may be resumed with another limit.</summary>
    public long? MaxWindows { get; init; }

    /// <summary>Bytes buffered by a disk harvest besides the model's own (see remarks).</summary>
    public long MemoryBoundBytes =>
        TokensPerShard * ((long)DModel * StorageDType.ElementSize() + 16) +
        (long)BatchWindows * ContextLength * DModel * (2 * sizeof(float) + (StorageDType == ActivationDType.Float32 ? 0 : StorageDType.ElementSize()));

    public void Validate()
    {
        const string owner = nameof(HarvestConfig);
        ConfigCheck.Require(!string.IsNullOrWhiteSpace(HookName), owner, nameof(HookName), HookName ?? "null", "a non-empty hook name");
        ConfigCheck.Require(!string.IsNullOrWhiteSpace(ModelId), owner, nameof(ModelId), ModelId ?? "null", "a non-empty model identifier");
        ConfigCheck.Require(DatasetId is not null, owner, nameof(DatasetId), "null", "a string (may be empty)");
        ConfigCheck.Positive(DModel, owner, nameof(DModel));
        ConfigCheck.Require(ContextLength >= (SkipFirstPosition ? 2 : 1), owner, nameof(ContextLength), ContextLength,
            SkipFirstPosition ? ">= 2 (SkipFirstPosition drops position 0)" : ">= 1");
        ConfigCheck.Require(Enum.IsDefined(StorageDType), owner, nameof(StorageDType), StorageDType, "Float32, Float16 or BFloat16");
        ConfigCheck.Positive(TokensPerShard, owner, nameof(TokensPerShard));
        ConfigCheck.Positive(BatchWindows, owner, nameof(BatchWindows));
        if (SkipTokenId is { } id) ConfigCheck.NonNegative(id, owner, nameof(SkipTokenId));
        if (MaxWindows is { } m) ConfigCheck.Positive(m, owner, nameof(MaxWindows));
    }
}

/// <summary>A harvest's progress, reported after every batch and every shard.</summary>
/// <param name="Windows">Windows read from the stream so far (including those of earlier sessions).</param>
/// <param name="Tokens">Rows (token activations) harvested so far, committed or buffered.</param>
/// <param name="Shards">Shards committed (written and listed in manifest.json).</param>
/// <param name="BufferedRows">Rows held in memory, not yet in a shard (&lt;= TokensPerShard).</param>
/// <param name="TokensPerSecond">Rows harvested per second in this session.</param>
/// <param name="Elapsed">Time since this session started.</param>
public sealed record HarvestProgress(long Windows, long Tokens, int Shards, long BufferedRows, double TokensPerSecond, TimeSpan Elapsed);
