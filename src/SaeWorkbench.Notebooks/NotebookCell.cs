using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// One cell of a notebook: markdown, code or raw (or an unknown type from a later format, kept
/// verbatim). Properties this model does not know are kept in <see cref="Extra"/> and written back.
/// </summary>
public sealed class NotebookCell
{
    /// <summary>Code cell type.</summary>
    public const string CodeType = "code";
    /// <summary>Markdown cell type.</summary>
    public const string MarkdownType = "markdown";
    /// <summary>Raw cell type.</summary>
    public const string RawType = "raw";

    /// <summary>Creates a cell.</summary>
    /// <param name="cellType">"code", "markdown", "raw" (or another type, kept as is).</param>
    /// <param name="source">The cell's text; lines separated by "\n".</param>
    /// <param name="metadata">Cell metadata (a new empty object when null).</param>
    /// <param name="id">The nbformat 4.5 cell id (1–64 of [a-zA-Z0-9-_]); null in older notebooks.</param>
    public NotebookCell(string cellType, string source, JsonObject? metadata = null, string? id = null)
    {
        CellType = cellType;
        Source = source;
        Metadata = metadata ?? new JsonObject();
        Id = id;
    }

    /// <summary>"code", "markdown", "raw", or an unknown type.</summary>
    public string CellType { get; }
    /// <summary>The nbformat 4.5 cell id, or null (nbformat &lt; 4.5).</summary>
    public string? Id { get; set; }
    /// <summary>The cell's text, lines separated by "\n".</summary>
    public string Source { get; set; }
    /// <summary>Cell metadata (tags, dotnet_interactive / polyglot_notebook language, ...).</summary>
    public JsonObject Metadata { get; set; }
    /// <summary>Outputs of a code cell (empty for other cells).</summary>
    public List<NotebookOutput> Outputs { get; } = [];
    /// <summary>Prompt number of a code cell, null when not run.</summary>
    public int? ExecutionCount { get; set; }
    /// <summary>Attachments of markdown and raw cells (kept verbatim), or null.</summary>
    public JsonObject? Attachments { get; set; }
    /// <summary>Properties this model does not know, written back unchanged.</summary>
    public JsonObject Extra { get; } = new();

    /// <summary>Whether this is a code cell.</summary>
    public bool IsCode => CellType == CodeType;
    /// <summary>Whether this is a markdown cell.</summary>
    public bool IsMarkdown => CellType == MarkdownType;

    /// <summary>The cell's tags (metadata.tags), empty when none.</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags
            ? tags.Select(t => t is JsonValue v && v.TryGetValue(out string? s) ? s : null).OfType<string>().ToArray()
            : [];

    /// <summary>Whether the cell carries <paramref name="tag"/> (case-sensitive, as Jupyter).</summary>
    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    /// <summary>Adds a tag to metadata.tags unless present.</summary>
    public void AddTag(string tag)
    {
        if (HasTag(tag)) return;
        if (Metadata["tags"] is not JsonArray tags)
        {
            tags = [];
            Metadata["tags"] = tags;
        }
        tags.Add(tag);
    }

    /// <summary>
    /// The language a code cell declares in its metadata, as .NET Interactive writes it
    /// (<c>dotnet_interactive.language</c>, or <c>polyglot_notebook.kernelName</c>), or null when
    /// the cell does not say (then the notebook's default kernel applies).
    /// </summary>
    public string? Language =>
        (Metadata["dotnet_interactive"] as JsonObject)?["language"] is JsonValue a && a.TryGetValue(out string? lang) ? lang
        : (Metadata["polyglot_notebook"] as JsonObject)?["kernelName"] is JsonValue b && b.TryGetValue(out string? kernel) ? kernel
        : null;

    /// <summary>A C# code cell with the metadata VS Code Polyglot Notebooks and Jupyter write.</summary>
    public static NotebookCell Code(string source, string? id = null) =>
        new(CodeType, source, new JsonObject
        {
            ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
            ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
        }, id);

    /// <summary>A markdown cell.</summary>
    public static NotebookCell Markdown(string source, string? id = null) => new(MarkdownType, source, null, id);
}
