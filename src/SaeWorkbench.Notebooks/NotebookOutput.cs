using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// One output of a code cell, as nbformat 4 stores it: <see cref="StreamOutput"/>,
/// <see cref="DisplayDataOutput"/>, <see cref="ExecuteResultOutput"/>, <see cref="ErrorOutput"/>,
/// or <see cref="UnknownOutput"/> for output types from a later format (kept verbatim).
/// </summary>
public abstract class NotebookOutput
{
    /// <summary>The nbformat <c>output_type</c>.</summary>
    public abstract string OutputType { get; }
}

/// <summary>Text written to stdout or stderr (<c>"output_type": "stream"</c>).</summary>
public sealed class StreamOutput(string name, string text) : NotebookOutput
{
    /// <summary>Standard output stream name.</summary>
    public const string Stdout = "stdout";
    /// <summary>Standard error stream name.</summary>
    public const string Stderr = "stderr";

    /// <inheritdoc />
    public override string OutputType => "stream";
    /// <summary>"stdout" or "stderr".</summary>
    public string Name { get; } = name;
    /// <summary>The text, lines joined with "\n".</summary>
    public string Text { get; set; } = text;
}

/// <summary>
/// Rich data shown by <c>display(...)</c> (<c>"output_type": "display_data"</c>): a mime bundle
/// (mime type → content) and output metadata.
/// </summary>
public class DisplayDataOutput : NotebookOutput
{
    /// <summary>Creates an output with the given mime bundle and metadata.</summary>
    public DisplayDataOutput(MimeBundle data, JsonObject? metadata = null)
    {
        Data = data;
        Metadata = metadata ?? new JsonObject();
    }

    /// <inheritdoc />
    public override string OutputType => "display_data";
    /// <summary>Mime type → content (text for text types, any JSON for JSON types).</summary>
    public MimeBundle Data { get; set; }
    /// <summary>Output metadata (kept verbatim).</summary>
    public JsonObject Metadata { get; set; }
}

/// <summary>The value of a cell's trailing expression (<c>"output_type": "execute_result"</c>).</summary>
public sealed class ExecuteResultOutput(MimeBundle data, int? executionCount, JsonObject? metadata = null)
    : DisplayDataOutput(data, metadata)
{
    /// <inheritdoc />
    public override string OutputType => "execute_result";
    /// <summary>The prompt number of the cell that produced it.</summary>
    public int? ExecutionCount { get; set; } = executionCount;
}

/// <summary>A compile error or an exception (<c>"output_type": "error"</c>).</summary>
public sealed class ErrorOutput(string ename, string evalue, IReadOnlyList<string> traceback) : NotebookOutput
{
    /// <inheritdoc />
    public override string OutputType => "error";
    /// <summary>The error's name (exception type, or "CompilationError").</summary>
    public string EName { get; } = ename;
    /// <summary>The error's message.</summary>
    public string EValue { get; } = evalue;
    /// <summary>Traceback lines (no trailing newlines).</summary>
    public IReadOnlyList<string> Traceback { get; } = traceback;
}

/// <summary>An output of a type this version does not know, kept as read.</summary>
public sealed class UnknownOutput(JsonObject json) : NotebookOutput
{
    /// <inheritdoc />
    public override string OutputType => (string?)Json["output_type"] ?? "";
    /// <summary>The output as read.</summary>
    public JsonObject Json { get; } = json;
}

/// <summary>
/// A mime bundle: mime type → content, in insertion order. Text types (text/plain, text/html,
/// image/png as base64, ...) hold strings; JSON types (application/json, application/*+json)
/// hold any JSON value.
/// </summary>
public sealed class MimeBundle : OrderedDictionary<string, JsonNode?>
{
    /// <summary>Plain text.</summary>
    public const string TextPlain = "text/plain";
    /// <summary>HTML.</summary>
    public const string TextHtml = "text/html";

    /// <summary>Whether <paramref name="mimeType"/> holds JSON rather than text (nbformat's rule).</summary>
    public static bool IsJsonMimeType(string mimeType) =>
        System.Text.RegularExpressions.Regex.IsMatch(mimeType, @"^application/(.*\+)?json$");

    /// <summary>The text for <paramref name="mimeType"/>, or null when absent or not text.</summary>
    public string? GetText(string mimeType) =>
        TryGetValue(mimeType, out var node) && node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>Sets a text mime type (returns this bundle, for chaining).</summary>
    public MimeBundle WithText(string mimeType, string text)
    {
        this[mimeType] = JsonValue.Create(text);
        return this;
    }
}
