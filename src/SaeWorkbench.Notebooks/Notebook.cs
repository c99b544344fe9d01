using SaeWorkbench.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// A Jupyter notebook in nbformat 4 (4.0–4.5; the .ipynb JSON). Reading keeps everything:
/// notebook metadata (kernelspec, language_info, polyglot_notebook), cell metadata, cell ids,
/// attachments, outputs of every type and properties this model does not know; writing gives
/// JSON as Jupyter writes it (one-space indent, multi-line strings as arrays of lines) and
/// <see cref="Save"/> never leaves a half-written file.
/// </summary>
public sealed class Notebook
{
    /// <summary>Creates an empty notebook with the given metadata.</summary>
    public Notebook(JsonObject? metadata = null, int formatMinor = 5)
    {
        Metadata = metadata ?? new JsonObject();
        FormatMinor = formatMinor;
    }

    /// <summary>nbformat major version; always 4.</summary>
    public int FormatMajor => 4;
    /// <summary>nbformat minor version (cell ids exist from 4.5).</summary>
    public int FormatMinor { get; set; }
    /// <summary>Notebook metadata (kernelspec, language_info, ...), kept verbatim.</summary>
    public JsonObject Metadata { get; set; }
    /// <summary>The cells in order.</summary>
    public List<NotebookCell> Cells { get; } = [];
    /// <summary>Top-level properties this model does not know, written back unchanged.</summary>
    public JsonObject Extra { get; } = new();

    /// <summary>Whether cells carry ids (nbformat 4.5 and later).</summary>
    public bool UsesCellIds => FormatMinor >= 5;

    /// <summary>
    /// A new C# notebook with the metadata .NET Interactive writes (kernelspec <c>.net-csharp</c>,
    /// language_info C#, polyglot_notebook default kernel csharp), nbformat 4.5.
    /// </summary>
    public static Notebook CreateCSharp() => new(new JsonObject
    {
        ["kernelspec"] = new JsonObject
        {
            ["display_name"] = ".NET (C#)",
            ["language"] = "C#",
            ["name"] = ".net-csharp",
        },
        ["language_info"] = new JsonObject
        {
            ["file_extension"] = ".cs",
            ["mimetype"] = "text/x-csharp",
            ["name"] = "C#",
            ["pygments_lexer"] = "csharp",
            ["version"] = "13.0",
        },
        ["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = "csharp",
                ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
            },
        },
    });

    /// <summary>Adds a cell, giving it a fresh id when the format uses ids and it has none.</summary>
    public NotebookCell Add(NotebookCell cell)
    {
        if (UsesCellIds && cell.Id is null) cell.Id = NewCellId();
        Cells.Add(cell);
        return cell;
    }

    /// <summary>A cell id not used by any cell of this notebook.</summary>
    public string NewCellId()
    {
        var used = Cells.Select(c => c.Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            var id = Guid.NewGuid().ToString("N")[..12];
            if (!used.Contains(id)) return id;
        }
    }

    /// <summary>The kernel's language: metadata.kernelspec.language, else language_info.name, else null.</summary>
    public string? KernelLanguage =>
        Str((Metadata["kernelspec"] as JsonObject)?["language"]) ?? Str((Metadata["language_info"] as JsonObject)?["name"]);

    /// <summary>The default kernel a Polyglot notebook declares (metadata.polyglot_notebook.kernelInfo.defaultKernelName), or null.</summary>
    public string? DefaultKernelName =>
        Str(((Metadata["polyglot_notebook"] as JsonObject)?["kernelInfo"] as JsonObject)?["defaultKernelName"]);

    // ---------------------------------------------------------------- reading

    /// <summary>Reads a notebook file.</summary>
    /// <exception cref="NotebookFormatException">The file is not nbformat 4 JSON; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static Notebook Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: notebook not found", path);
        return Parse(File.ReadAllText(path, Encoding.UTF8), path);
    }

    /// <summary>Parses notebook JSON; <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="NotebookFormatException">Not nbformat 4 JSON.</exception>
    public static Notebook Parse(string json, string sourceName = "<notebook>")
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new NotebookFormatException(sourceName,
                $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        if (root is not JsonObject top) throw new NotebookFormatException(sourceName, "the top level is not a JSON object");

        int major = Int(top["nbformat"]) ?? throw new NotebookFormatException(sourceName, "missing integer 'nbformat'");
        if (major != 4)
            throw new NotebookFormatException(sourceName, $"nbformat {major} is not supported (only nbformat 4; convert with `jupyter nbconvert --to notebook`)");
        int minor = Int(top["nbformat_minor"]) ?? throw new NotebookFormatException(sourceName, "missing integer 'nbformat_minor'");
        var metadata = top["metadata"] as JsonObject ?? throw new NotebookFormatException(sourceName, "missing object 'metadata'");
        var cells = top["cells"] as JsonArray ?? throw new NotebookFormatException(sourceName, "missing array 'cells'");

        var nb = new Notebook((JsonObject)metadata.DeepClone(), minor);
        foreach (var (key, value) in top)
            if (key is not ("nbformat" or "nbformat_minor" or "metadata" or "cells"))
                nb.Extra[key] = value?.DeepClone();
        for (int i = 0; i < cells.Count; i++)
            nb.Cells.Add(ReadCell(cells[i], i, sourceName));
        return nb;
    }

    private static NotebookCell ReadCell(JsonNode? node, int index, string sourceName)
    {
        string where = $"cell {index}";
        if (node is not JsonObject o) throw new NotebookFormatException(sourceName, $"{where} is not a JSON object");
        var type = Str(o["cell_type"]) ?? throw new NotebookFormatException(sourceName, $"{where} has no string 'cell_type'");
        var source = MultilineString(o["source"], sourceName, $"{where} 'source'");
        var metadata = o["metadata"] switch
        {
            null => new JsonObject(),
            JsonObject m => (JsonObject)m.DeepClone(),
            _ => throw new NotebookFormatException(sourceName, $"{where} 'metadata' is not an object"),
        };
        var cell = new NotebookCell(type, source, metadata, Str(o["id"]));
        if (o["attachments"] is JsonObject att) cell.Attachments = (JsonObject)att.DeepClone();
        if (cell.IsCode)
        {
            cell.ExecutionCount = o["execution_count"] is null ? null
                : Int(o["execution_count"]) ?? throw new NotebookFormatException(sourceName, $"{where} 'execution_count' is not an integer or null");
            if (o["outputs"] is JsonArray outputs)
                for (int k = 0; k < outputs.Count; k++)
                    cell.Outputs.Add(ReadOutput(outputs[k], sourceName, $"{where} output {k}"));
            else if (o["outputs"] is not null)
                throw new NotebookFormatException(sourceName, $"{where} 'outputs' is not an array");
        }
        foreach (var (key, value) in o)
            if (key is not ("cell_type" or "source" or "metadata" or "id" or "attachments" or "execution_count" or "outputs")
                || (!cell.IsCode && key is "execution_count" or "outputs"))
                cell.Extra[key] = value?.DeepClone();
        return cell;
    }

    private static NotebookOutput ReadOutput(JsonNode? node, string sourceName, string where)
    {
        if (node is not JsonObject o) throw new NotebookFormatException(sourceName, $"{where} is not a JSON object");
        switch (Str(o["output_type"]))
        {
            case "stream":
                return new StreamOutput(
                    Str(o["name"]) ?? throw new NotebookFormatException(sourceName, $"{where} (stream) has no string 'name'"),
                    MultilineString(o["text"], sourceName, $"{where} 'text'"));
            case "display_data":
                return new DisplayDataOutput(ReadBundle(o["data"], sourceName, where), ReadOutputMetadata(o, sourceName, where));
            case "execute_result":
                return new ExecuteResultOutput(ReadBundle(o["data"], sourceName, where),
                    o["execution_count"] is null ? null : Int(o["execution_count"]) ?? throw new NotebookFormatException(sourceName, $"{where} 'execution_count' is not an integer"),
                    ReadOutputMetadata(o, sourceName, where));
            case "error":
                var tb = o["traceback"] as JsonArray ?? throw new NotebookFormatException(sourceName, $"{where} (error) has no array 'traceback'");
                return new ErrorOutput(
                    Str(o["ename"]) ?? throw new NotebookFormatException(sourceName, $"{where} (error) has no string 'ename'"),
                    Str(o["evalue"]) ?? throw new NotebookFormatException(sourceName, $"{where} (error) has no string 'evalue'"),
                    tb.Select(t => Str(t) ?? throw new NotebookFormatException(sourceName, $"{where} traceback holds a non-string")).ToArray());
            case null:
                throw new NotebookFormatException(sourceName, $"{where} has no string 'output_type'");
            default:
                return new UnknownOutput((JsonObject)o.DeepClone());
        }
    }

    private static JsonObject ReadOutputMetadata(JsonObject o, string sourceName, string where) => o["metadata"] switch
    {
        null => new JsonObject(),
        JsonObject m => (JsonObject)m.DeepClone(),
        _ => throw new NotebookFormatException(sourceName, $"{where} 'metadata' is not an object"),
    };

    private static MimeBundle ReadBundle(JsonNode? node, string sourceName, string where)
    {
        if (node is not JsonObject data) throw new NotebookFormatException(sourceName, $"{where} has no object 'data'");
        var bundle = new MimeBundle();
        foreach (var (mime, value) in data)
        {
            if (MimeBundle.IsJsonMimeType(mime)) bundle[mime] = value?.DeepClone();
            else bundle[mime] = JsonValue.Create(MultilineString(value, sourceName, $"{where} data '{mime}'"));
        }
        return bundle;
    }

    private static string MultilineString(JsonNode? node, string sourceName, string what) => node switch
    {
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonArray a => string.Concat(a.Select(x => Str(x) ?? throw new NotebookFormatException(sourceName, $"{what} holds a non-string line"))),
        _ => throw new NotebookFormatException(sourceName, $"{what} is not a string or an array of strings"),
    };

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static int? Int(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return null;
        if (v.TryGetValue(out int i)) return i;
        if (v.TryGetValue(out double d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue) return (int)d;
        return null;
    }

    // ---------------------------------------------------------------- writing

    /// <summary>The notebook as an nbformat JSON object (keys sorted as Jupyter writes them).</summary>
    public JsonObject ToJsonObject()
    {
        var cells = new JsonArray();
        foreach (var cell in Cells) cells.Add(CellToJson(cell));
        var top = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["cells"] = cells,
            ["metadata"] = Metadata.DeepClone(),
            ["nbformat"] = FormatMajor,
            ["nbformat_minor"] = FormatMinor,
        };
        foreach (var (k, v) in Extra) top[k] = v?.DeepClone();
        return Sorted(top);
    }

    private static JsonObject CellToJson(NotebookCell cell)
    {
        var o = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["cell_type"] = cell.CellType,
            ["metadata"] = cell.Metadata.DeepClone(),
            ["source"] = Lines(cell.Source),
        };
        if (cell.Id is not null) o["id"] = cell.Id;
        if (cell.Attachments is not null) o["attachments"] = cell.Attachments.DeepClone();
        if (cell.IsCode)
        {
            o["execution_count"] = cell.ExecutionCount is int n ? JsonValue.Create(n) : null;
            var outputs = new JsonArray();
            foreach (var output in cell.Outputs) outputs.Add(OutputToJson(output));
            o["outputs"] = outputs;
        }
        foreach (var (k, v) in cell.Extra) o[k] = v?.DeepClone();
        return Sorted(o);
    }

    private static JsonObject OutputToJson(NotebookOutput output)
    {
        var o = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal) { ["output_type"] = output.OutputType };
        switch (output)
        {
            case StreamOutput s:
                o["name"] = s.Name;
                o["text"] = Lines(s.Text);
                break;
            case ExecuteResultOutput r:
                o["data"] = BundleToJson(r.Data);
                o["metadata"] = r.Metadata.DeepClone();
                o["execution_count"] = r.ExecutionCount is int n ? JsonValue.Create(n) : null;
                break;
            case DisplayDataOutput d:
                o["data"] = BundleToJson(d.Data);
                o["metadata"] = d.Metadata.DeepClone();
                break;
            case ErrorOutput e:
                o["ename"] = e.EName;
                o["evalue"] = e.EValue;
                o["traceback"] = new JsonArray(e.Traceback.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
                break;
            case UnknownOutput u:
                return (JsonObject)u.Json.DeepClone();
        }
        return Sorted(o);
    }

    private static JsonObject BundleToJson(MimeBundle bundle)
    {
        var o = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (mime, value) in bundle)
            o[mime] = !MimeBundle.IsJsonMimeType(mime) && value is JsonValue v && v.TryGetValue(out string? text)
                ? Lines(text)
                : value?.DeepClone();
        return Sorted(o);
    }

    private static JsonObject Sorted(SortedDictionary<string, JsonNode?> entries)
    {
        var o = new JsonObject();
        foreach (var (k, v) in entries) o[k] = v;
        return o;
    }

    /// <summary>Splits text into lines that keep their "\n", as nbformat stores multi-line strings.</summary>
    internal static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl + 1;
            lines.Add(text[start..end]);
            start = end;
        }
        return lines;
    }

    /// <summary>The notebook as .ipynb text (one-space indent, as Jupyter, with a final newline).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 1,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            NewLine = "\n",
        }))
        {
            ToJsonObject().WriteTo(writer);
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>
    /// Validates the notebook against nbformat 4 (<see cref="NotebookSchema"/>) and writes it to
    /// <paramref name="path"/> atomically: into a temporary file in the same folder, flushed to disk,
    /// then renamed over the target. A notebook that fails validation is not written and an
    /// existing file is left untouched.
    /// </summary>
    /// <exception cref="NotebookFormatException">The notebook does not validate; nothing was written.</exception>
    public void Save(string path)
    {
        var json = ToJson();
        var problems = NotebookSchema.Validate(JsonNode.Parse(json));
        if (problems.Count > 0)
            throw new NotebookFormatException(path, "not written, the notebook does not validate against nbformat 4: " + string.Join("; ", problems));
        AtomicFile.WriteAllText(path, json, createFolder: true);
    }

    /// <summary>A deep copy.</summary>
    public Notebook Clone() => Parse(ToJson());
}
