using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SaeWorkbench.IO;

/// <summary>
/// Element types that can appear in a safetensors header. The member names are exactly the dtype
/// strings used by the format (see <see cref="SafeTensorDTypes.ToName"/>).
/// </summary>
public enum SafeTensorDType
{
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    BOOL,
    U16,
    U32,
    U64,
    F8_E4M3,
    F8_E5M2,
}

/// <summary>Helpers for <see cref="SafeTensorDType"/>: element sizes and the format's dtype strings.</summary>
public static class SafeTensorDTypes
{
    private static readonly SafeTensorDType[] All = Enum.GetValues<SafeTensorDType>();

    /// <summary>Size in bytes of one element of <paramref name="t"/>.</summary>
    public static int ElementSize(SafeTensorDType t) => t switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 8,
        SafeTensorDType.F32 or SafeTensorDType.I32 or SafeTensorDType.U32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.I16 or SafeTensorDType.U16 => 2,
        SafeTensorDType.I8 or SafeTensorDType.U8 or SafeTensorDType.BOOL
            or SafeTensorDType.F8_E4M3 or SafeTensorDType.F8_E5M2 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "Unknown SafeTensorDType value."),
    };

    /// <summary>The dtype string written in safetensors headers, e.g. <c>"F32"</c>, <c>"BF16"</c>, <c>"F8_E4M3"</c>.</summary>
    public static string ToName(SafeTensorDType t) => t switch
    {
        SafeTensorDType.F64 => "F64",
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.F16 => "F16",
        SafeTensorDType.BF16 => "BF16",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.I16 => "I16",
        SafeTensorDType.I8 => "I8",
        SafeTensorDType.U8 => "U8",
        SafeTensorDType.BOOL => "BOOL",
        SafeTensorDType.U16 => "U16",
        SafeTensorDType.U32 => "U32",
        SafeTensorDType.U64 => "U64",
        SafeTensorDType.F8_E4M3 => "F8_E4M3",
        SafeTensorDType.F8_E5M2 => "F8_E5M2",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "Unknown SafeTensorDType value."),
    };

    /// <summary>
    /// Parses a header dtype string (case-sensitive, exactly as the format spells it).
    /// </summary>
    /// <param name="name">The dtype string, e.g. <c>"F32"</c>.</param>
    /// <param name="context">Where the string came from, used in the error message,
    /// e.g. <c>"tensor 'w_enc' in safetensors file '/path/x.safetensors'"</c>.</param>
    /// <exception cref="SafeTensorsException">The string is not a known dtype.</exception>
    public static SafeTensorDType Parse(string name, string context)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (TryParse(name, out var t))
            return t;
        throw new SafeTensorsException(
            $"Unknown dtype '{Truncate(name, 40)}' for {context}. Known dtypes: {string.Join(", ", All.Select(ToName))} " +
            "(case-sensitive). Re-save the tensor with one of these dtypes.");
    }

    /// <summary>Parses a header dtype string (case-sensitive); returns false when it is not known.</summary>
    public static bool TryParse(string? name, out SafeTensorDType dtype)
    {
        switch (name)
        {
            case "F64": dtype = SafeTensorDType.F64; return true;
            case "F32": dtype = SafeTensorDType.F32; return true;
            case "F16": dtype = SafeTensorDType.F16; return true;
            case "BF16": dtype = SafeTensorDType.BF16; return true;
            case "I64": dtype = SafeTensorDType.I64; return true;
            case "I32": dtype = SafeTensorDType.I32; return true;
            case "I16": dtype = SafeTensorDType.I16; return true;
            case "I8": dtype = SafeTensorDType.I8; return true;
            case "U8": dtype = SafeTensorDType.U8; return true;
            case "BOOL": dtype = SafeTensorDType.BOOL; return true;
            case "U16": dtype = SafeTensorDType.U16; return true;
            case "U32": dtype = SafeTensorDType.U32; return true;
            case "U64": dtype = SafeTensorDType.U64; return true;
            case "F8_E4M3": dtype = SafeTensorDType.F8_E4M3; return true;
            case "F8_E5M2": dtype = SafeTensorDType.F8_E5M2; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>
    /// True for the dtypes that every libtorch build can hold as a tensor
    /// (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL). U16/U32/U64 and the FP8 types can be listed
    /// and read as raw bytes, but converting them to tensors is not supported.
    /// </summary>
    public static bool IsSupportedForTensorConversion(SafeTensorDType t) => t switch
    {
        SafeTensorDType.F64 or SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16
            or SafeTensorDType.I64 or SafeTensorDType.I32 or SafeTensorDType.I16 or SafeTensorDType.I8
            or SafeTensorDType.U8 or SafeTensorDType.BOOL => true,
        _ => false,
    };

    internal static string Truncate(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max), "…");
}

/// <summary>
/// One tensor as described by a safetensors header. <see cref="Begin"/> and <see cref="End"/> are byte offsets
/// relative to the start of the data region (which begins right after the header).
/// </summary>
/// <remarks>
/// Equality is structural, including the shape's elements. Do not mutate <see cref="Shape"/>.
/// </remarks>
public sealed record SafeTensorEntry(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of bytes of the tensor's data, <c>End - Begin</c>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Product of <see cref="Shape"/> (1 for a 0-d scalar, 0 when any dimension is 0).</summary>
    /// <exception cref="OverflowException">The product does not fit in a long (never for entries read from a file,
    /// which are validated).</exception>
    public long ElementCount => SafeTensorsHeader.CheckedElementCount(Shape);

    /// <summary>Rank (number of dimensions); 0 for a scalar.</summary>
    public int Rank => Shape.Length;

    /// <summary>Shape formatted like <c>[2, 3]</c>.</summary>
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";

    public bool Equals(SafeTensorEntry? other) =>
        other is not null
        && Name == other.Name
        && DType == other.DType
        && Begin == other.Begin
        && End == other.End
        && Shape.AsSpan().SequenceEqual(other.Shape);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Name);
        h.Add(DType);
        h.Add(Begin);
        h.Add(End);
        foreach (var d in Shape)
            h.Add(d);
        return h.ToHashCode();
    }

    public override string ToString() =>
        $"{Name}: {SafeTensorDTypes.ToName(DType)}{ShapeString} bytes [{Begin}, {End})";
}

/// <summary>
/// Any problem with a safetensors file (malformed or hostile header, truncated data, missing tensor, invalid
/// tensors passed to the writer). The message names the file and what is wrong.
/// </summary>
public sealed class SafeTensorsException : Exception
{
    public SafeTensorsException(string message) : base(message) { }

    public SafeTensorsException(string message, Exception? innerException) : base(message, innerException) { }

    public SafeTensorsException(string message, string? filePath, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file the problem is about, when known.</summary>
    public string? FilePath { get; }

    internal static SafeTensorsException ForFile(string path, string problem, Exception? inner = null) =>
        new($"Safetensors file '{path}': {problem}", path, inner);
}

/// <summary>
/// A parsed and validated safetensors header: the tensor entries sorted by data offset, and the
/// optional <c>__metadata__</c> string map.
/// </summary>
public sealed class SafeTensorsHeader
{
    /// <summary>
    /// Largest header (JSON) accepted, in bytes: 16 MiB, room for about 200,000 tensor entries (the reference
    /// implementation allows 100 MB; a GPT-2 header is about 15 KB). A larger header length is rejected before anything
    /// is allocated.
    /// </summary>
    public const long MaxHeaderBytes = 16L << 20;

    /// <summary>Most tensors accepted in one file (a GPT-2 has 148, a training checkpoint a few dozen). Parsing stops at the
    /// first entry past it, so a header of a million tiny tensors costs no more than this many.</summary>
    public const int MaxTensors = 65_536;

    /// <summary>Largest number of dimensions accepted for one tensor.</summary>
    public const int MaxRank = 64;

    /// <summary>Key of the optional metadata object in the header.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata =
        new Dictionary<string, string>(StringComparer.Ordinal).AsReadOnly();

    private SafeTensorsHeader(IReadOnlyList<SafeTensorEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Entries in file order: sorted by <see cref="SafeTensorEntry.Begin"/>, then End, then header order.</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> map; empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    internal static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException(
                "Safetensors data is little-endian; this implementation only supports little-endian machines.");
    }

    /// <summary>Product of the dimensions with overflow checking.</summary>
    /// <exception cref="OverflowException">The product does not fit in a long.</exception>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public static long CheckedElementCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Negative dimension {d} in shape.", nameof(shape));
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>
    /// Parses and validates header JSON (the <c>N</c> bytes following the 8-byte length prefix).
    /// </summary>
    /// <param name="json">The header bytes, including any trailing space padding.</param>
    /// <param name="dataRegionLength">Length of the data region (file length − 8 − N); every tensor must lie inside it.</param>
    /// <param name="filePath">Used in error messages.</param>
    /// <exception cref="SafeTensorsException">The header is malformed or inconsistent.</exception>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> json, long dataRegionLength, string filePath)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentOutOfRangeException.ThrowIfNegative(dataRegionLength);
        if (json.Length == 0)
            throw SafeTensorsException.ForFile(filePath, "the header is empty (length 0). The file is not a valid safetensors file.");
        if (json.Length > MaxHeaderBytes)
            throw SafeTensorsException.ForFile(filePath,
                $"the header length {json.Length} exceeds the maximum header size of {MaxHeaderBytes} bytes.");
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw SafeTensorsException.ForFile(filePath,
                "the header is not valid UTF-8. The file is corrupt or not a safetensors file.");
        if (json.Length >= 3 && json[0] == 0xEF && json[1] == 0xBB && json[2] == 0xBF)
            throw SafeTensorsException.ForFile(filePath,
                "the header starts with a UTF-8 byte order mark; safetensors headers must start with '{'.");

        var entries = new List<SafeTensorEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, string> metadata = EmptyMetadata;

        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
                MaxDepth = 8,
            });

            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw SafeTensorsException.ForFile(filePath,
                    $"the header is not a JSON object (found {Describe(ref reader)}). The file is not a valid safetensors file.");

            while (true)
            {
                Next(ref reader, filePath);
                if (reader.TokenType == JsonTokenType.EndObject)
                    break;
                // Inside an object, the only other possible token is a property name.
                var key = reader.GetString()!;
                if (!seen.Add(key))
                    throw SafeTensorsException.ForFile(filePath,
                        $"duplicate key '{SafeTensorDTypes.Truncate(key, 200)}' in the header; each tensor name may appear only once.");

                Next(ref reader, filePath);
                if (key == MetadataKey)
                    metadata = ParseMetadata(ref reader, filePath);
                else
                {
                    if (entries.Count == MaxTensors)
                        throw SafeTensorsException.ForFile(filePath,
                            $"the header lists more than {MaxTensors} tensors, the most this reader accepts in one file; save the tensors in several files.");
                    entries.Add(ParseEntry(ref reader, key, dataRegionLength, filePath));
                }
            }

            // After the root object the header may hold only space padding (what writers pad to 8 bytes with). Anything
            // else, JSON whitespace included, means the declared length does not end where the writer ended the header.
            var jsonEnd = (int)reader.BytesConsumed;
            for (var i = jsonEnd; i < json.Length; i++)
                if (json[i] != (byte)' ')
                    throw SafeTensorsException.ForFile(filePath,
                        $"byte {i} of the header (0x{json[i]:X2}) follows its JSON object but is not a space: only space padding may follow the JSON. " +
                        "The header length is wrong or the file is corrupt.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // JsonException: malformed JSON; InvalidOperationException: e.g. a string escape that decodes to invalid UTF-16.
            throw SafeTensorsException.ForFile(filePath,
                $"the header is not valid JSON ({e.Message}). The file is corrupt or not a safetensors file.", e);
        }

        // Stable sort by (Begin, End); then reject overlap. Gaps are tolerated (the reference format requires
        // the data region to be fully covered, but gaps are harmless for reading).
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToArray();
        long maxEnd = 0;
        SafeTensorEntry? maxEndEntry = null;
        foreach (var e in sorted)
        {
            if (maxEndEntry is not null && e.Begin < maxEnd)
                throw SafeTensorsException.ForFile(filePath,
                    $"tensors '{SafeTensorDTypes.Truncate(maxEndEntry.Name, 200)}' [{maxEndEntry.Begin}, {maxEndEntry.End}) and " +
                    $"'{SafeTensorDTypes.Truncate(e.Name, 200)}' [{e.Begin}, {e.End}) have overlapping data_offsets. The file is corrupt.");
            if (e.End >= maxEnd)
            {
                maxEnd = e.End;
                maxEndEntry = e;
            }
        }

        // The tensors must reach the end of the data region, as the reference format requires: bytes left after the last
        // tensor mean the declared header length is off (lowered into the padding, every tensor would read shifted).
        if (maxEnd != dataRegionLength)
            throw SafeTensorsException.ForFile(filePath,
                $"the data region holds {dataRegionLength} bytes but the tensors end at byte {maxEnd}: {dataRegionLength - maxEnd} byte(s) after the " +
                "last tensor belong to no tensor. The header length is wrong (every tensor would be read shifted) or the file has trailing data.");
        return new SafeTensorsHeader(Array.AsReadOnly(sorted), metadata);
    }

    private static IReadOnlyDictionary<string, string> ParseMetadata(ref Utf8JsonReader reader, string filePath)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return EmptyMetadata;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw SafeTensorsException.ForFile(filePath,
                $"'{MetadataKey}' must be a JSON object mapping strings to strings, found {Describe(ref reader)}.");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            Next(ref reader, filePath);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            var key = reader.GetString()!;
            Next(ref reader, filePath);
            if (reader.TokenType != JsonTokenType.String)
                throw SafeTensorsException.ForFile(filePath,
                    $"'{MetadataKey}' value for key '{SafeTensorDTypes.Truncate(key, 200)}' must be a string, found {Describe(ref reader)}.");
            if (!result.TryAdd(key, reader.GetString()!))
                throw SafeTensorsException.ForFile(filePath,
                    $"duplicate key '{SafeTensorDTypes.Truncate(key, 200)}' in '{MetadataKey}'.");
        }
        return result.AsReadOnly();
    }

    private static SafeTensorEntry ParseEntry(ref Utf8JsonReader reader, string name, long dataRegionLength, string filePath)
    {
        var shown = SafeTensorDTypes.Truncate(name, 200);
        string Where() => $"tensor '{shown}'";

        if (reader.TokenType != JsonTokenType.StartObject)
            throw SafeTensorsException.ForFile(filePath,
                $"the header entry for {Where()} must be a JSON object with dtype, shape and data_offsets, found {Describe(ref reader)}.");

        string? dtypeName = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Next(ref reader, filePath);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            var field = reader.GetString()!;
            Next(ref reader, filePath);
            switch (field)
            {
                case "dtype":
                    if (dtypeName is not null)
                        throw SafeTensorsException.ForFile(filePath, $"duplicate field 'dtype' for {Where()}.");
                    if (reader.TokenType != JsonTokenType.String)
                        throw SafeTensorsException.ForFile(filePath,
                            $"field 'dtype' of {Where()} must be a string, found {Describe(ref reader)}.");
                    dtypeName = reader.GetString()!;
                    break;
                case "shape":
                    if (shape is not null)
                        throw SafeTensorsException.ForFile(filePath, $"duplicate field 'shape' for {Where()}.");
                    shape = ReadIntegerArray(ref reader, filePath, Where(), "shape", MaxRank);
                    break;
                case "data_offsets":
                    if (offsets is not null)
                        throw SafeTensorsException.ForFile(filePath, $"duplicate field 'data_offsets' for {Where()}.");
                    offsets = ReadIntegerArray(ref reader, filePath, Where(), "data_offsets", 2);
                    if (offsets.Length != 2)
                        throw SafeTensorsException.ForFile(filePath,
                            $"field 'data_offsets' of {Where()} must be an array of exactly two integers [begin, end], found {offsets.Length}.");
                    break;
                default:
                    throw SafeTensorsException.ForFile(filePath,
                        $"unknown field '{SafeTensorDTypes.Truncate(field, 100)}' for {Where()}; expected only dtype, shape and data_offsets.");
            }
        }

        if (dtypeName is null)
            throw SafeTensorsException.ForFile(filePath, $"missing field 'dtype' for {Where()}.");
        if (shape is null)
            throw SafeTensorsException.ForFile(filePath, $"missing field 'shape' for {Where()}.");
        if (offsets is null)
            throw SafeTensorsException.ForFile(filePath, $"missing field 'data_offsets' for {Where()}.");

        var dtype = SafeTensorDTypes.Parse(dtypeName, $"{Where()} in safetensors file '{filePath}'");

        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw SafeTensorsException.ForFile(filePath,
                $"data_offsets of {Where()} are [{begin}, {end}]: begin is greater than end. The file is corrupt.");

        long expectedBytes;
        try
        {
            expectedBytes = checked(CheckedElementCount(shape) * SafeTensorDTypes.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw SafeTensorsException.ForFile(filePath,
                $"the shape [{string.Join(", ", shape)}] of {Where()} has an element count that overflows 64 bits. The file is corrupt.");
        }

        if (end - begin != expectedBytes)
            throw SafeTensorsException.ForFile(filePath,
                $"byte count mismatch for {Where()}: data_offsets [{begin}, {end}] span {end - begin} bytes but " +
                $"dtype {dtypeName} with shape [{string.Join(", ", shape)}] needs {expectedBytes} bytes. The file is corrupt.");

        if (end > dataRegionLength)
            throw SafeTensorsException.ForFile(filePath,
                $"data_offsets of {Where()} end at {end}, beyond the end of the data region ({dataRegionLength} bytes). " +
                "The file is truncated or corrupt; re-download or re-save it.");

        return new SafeTensorEntry(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegerArray(ref Utf8JsonReader reader, string filePath, string where, string field, int maxCount)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw SafeTensorsException.ForFile(filePath,
                $"field '{field}' of {where} must be an array of non-negative integers, found {Describe(ref reader)}.");
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, filePath);
            if (reader.TokenType == JsonTokenType.EndArray)
                break;
            if (values.Count >= maxCount)
                throw SafeTensorsException.ForFile(filePath,
                    field == "shape"
                        ? $"field 'shape' of {where} has more than {maxCount} dimensions."
                        : $"field '{field}' of {where} must be an array of exactly two integers [begin, end], found more.");
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v) || v < 0)
                throw SafeTensorsException.ForFile(filePath,
                    $"field '{field}' of {where} must contain only non-negative integers, found {Describe(ref reader)}.");
            values.Add(v);
        }
        return values.ToArray();
    }

    /// <summary>Reads the next token; end of input inside the header means the JSON is incomplete.</summary>
    private static void Next(ref Utf8JsonReader reader, string filePath)
    {
        if (!reader.Read())
            throw SafeTensorsException.ForFile(filePath, "the header JSON ends unexpectedly. The file is corrupt or truncated.");
    }

    private static string Describe(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.None: return "nothing";
            case JsonTokenType.StartObject: return "an object";
            case JsonTokenType.StartArray: return "an array";
            case JsonTokenType.String: return "a string";
            case JsonTokenType.Number:
                var raw = reader.HasValueSequence ? "number" : Encoding.UTF8.GetString(reader.ValueSpan);
                return "the number " + SafeTensorDTypes.Truncate(raw, 40);
            case JsonTokenType.True: return "true";
            case JsonTokenType.False: return "false";
            case JsonTokenType.Null: return "null";
            default: return reader.TokenType.ToString();
        }
    }

    // ------------------------------------------------------------------ writing

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    /// <summary>
    /// Serializes a header: compact JSON with <c>__metadata__</c> first (when non-empty), then the entries in the given
    /// order, each as <c>{"dtype":..,"shape":[..],"data_offsets":[b,e]}</c>; padded with spaces to a multiple of 8 bytes.
    /// Returns the header bytes without the 8-byte length prefix. Inputs are assumed validated.
    /// </summary>
    internal static byte[] Serialize(IReadOnlyList<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata)
                    w.WriteString(k, v);
                w.WriteEndObject();
            }
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", SafeTensorDTypes.ToName(e.DType));
                w.WriteStartArray("shape");
                foreach (var d in e.Shape)
                    w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        var pad = (int)((8 - buffer.Length % 8) % 8);
        for (var i = 0; i < pad; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    internal static void WriteLengthPrefix(Span<byte> destination, long headerLength) =>
        BinaryPrimitives.WriteUInt64LittleEndian(destination, checked((ulong)headerLength));
}
