using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// A validator for nbformat 4 notebook JSON, written from the official JSON schemas
/// (jupyter/nbformat, <c>nbformat/v4/nbformat.v4.{0..5}.schema.json</c>): every required field,
/// every type, the closed property sets (<c>additionalProperties: false</c>) of the notebook,
/// cells and outputs, cell ids (required, pattern and length from 4.5 on, absent before, unique),
/// tags (unique, no commas), execution counts (integer ≥ 0 or null), mime bundles (text types hold a
/// string or an array of strings) and the kernelspec / language_info metadata. It checks the rules
/// of the minor version the notebook declares. It is not a general JSON-schema engine.
/// </summary>
public static partial class NotebookSchema
{
    [GeneratedRegex("^[a-zA-Z0-9-_]+$")]
    private static partial Regex CellIdPattern();

    /// <summary>Validates <paramref name="root"/>; returns the problems found (empty when valid), each with its JSON path.</summary>
    public static IReadOnlyList<string> Validate(JsonNode? root)
    {
        var errors = new List<string>();
        if (root is not JsonObject top)
        {
            errors.Add("$: the notebook must be a JSON object");
            return errors;
        }
        Closed(top, "$", errors, "metadata", "nbformat_minor", "nbformat", "cells");
        Required(top, "$", errors, "metadata", "nbformat_minor", "nbformat", "cells");

        if (top["nbformat"] is { } major && (Integer(major) is not long m || m != 4))
            errors.Add("$.nbformat: must be the integer 4");
        long minor = 0;
        if (top["nbformat_minor"] is { } minorNode)
        {
            if (Integer(minorNode) is long mm && mm >= 0) minor = mm;
            else errors.Add("$.nbformat_minor: must be an integer >= 0");
        }
        if (top["metadata"] is { } md) NotebookMetadata(md, errors);

        if (top["cells"] is { } cellsNode)
        {
            if (cellsNode is not JsonArray cells) errors.Add("$.cells: must be an array");
            else
            {
                var ids = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < cells.Count; i++) Cell(cells[i], $"$.cells[{i}]", minor, ids, errors);
            }
        }
        return errors;
    }

    /// <summary>Validates notebook text (parse errors are reported as problems).</summary>
    public static IReadOnlyList<string> Validate(string json)
    {
        try
        {
            return Validate(JsonNode.Parse(json));
        }
        catch (JsonException e)
        {
            return [$"$: not valid JSON: {e.Message}"];
        }
    }

    private static void NotebookMetadata(JsonNode md, List<string> errors)
    {
        if (md is not JsonObject o)
        {
            errors.Add("$.metadata: must be an object");
            return;
        }
        if (o["kernelspec"] is { } ks)
        {
            if (ks is not JsonObject k) errors.Add("$.metadata.kernelspec: must be an object");
            else
            {
                Required(k, "$.metadata.kernelspec", errors, "name", "display_name");
                StringIfPresent(k, "$.metadata.kernelspec", errors, "name", "display_name");
            }
        }
        if (o["language_info"] is { } li)
        {
            if (li is not JsonObject l) errors.Add("$.metadata.language_info: must be an object");
            else
            {
                Required(l, "$.metadata.language_info", errors, "name");
                StringIfPresent(l, "$.metadata.language_info", errors, "name", "file_extension", "mimetype", "pygments_lexer");
                if (l["codemirror_mode"] is { } cm && !IsString(cm) && cm is not JsonObject)
                    errors.Add("$.metadata.language_info.codemirror_mode: must be a string or an object");
            }
        }
        if (o["orig_nbformat"] is { } orig && (Integer(orig) is not long ov || ov < 1))
            errors.Add("$.metadata.orig_nbformat: must be an integer >= 1");
        StringIfPresent(o, "$.metadata", errors, "title");
        if (o["authors"] is { } authors && authors is not JsonArray)
            errors.Add("$.metadata.authors: must be an array");
    }

    private static void Cell(JsonNode? node, string path, long minor, HashSet<string> ids, List<string> errors)
    {
        if (node is not JsonObject cell)
        {
            errors.Add($"{path}: a cell must be an object");
            return;
        }
        var type = cell["cell_type"] is JsonValue tv && tv.TryGetValue(out string? t) ? t : null;
        if (type is null)
        {
            errors.Add($"{path}.cell_type: required string is missing");
            return;
        }
        bool withIds = minor >= 5;
        switch (type)
        {
            case "code":
                Closed(cell, path, errors, "id", "cell_type", "metadata", "source", "outputs", "execution_count");
                Required(cell, path, errors, withIds
                    ? ["id", "cell_type", "metadata", "source", "outputs", "execution_count"]
                    : ["cell_type", "metadata", "source", "outputs", "execution_count"]);
                break;
            case "markdown" or "raw":
                Closed(cell, path, errors, "id", "cell_type", "metadata", "attachments", "source");
                Required(cell, path, errors, withIds ? ["id", "cell_type", "metadata", "source"] : ["cell_type", "metadata", "source"]);
                break;
            default: // unrecognized cell from a later minor version
                Required(cell, path, errors, "cell_type", "metadata");
                break;
        }
        if (type is "code" or "markdown" or "raw")
        {
            if (cell["id"] is { } idNode)
            {
                if (!withIds) errors.Add($"{path}.id: cell ids are not allowed before nbformat 4.5 (this notebook is 4.{minor})");
                else if (!(idNode is JsonValue iv && iv.TryGetValue(out string? id)))
                    errors.Add($"{path}.id: must be a string");
                else if (id.Length is < 1 or > 64 || !CellIdPattern().IsMatch(id))
                    errors.Add($"{path}.id: '{id}' must be 1-64 characters of [a-zA-Z0-9-_]");
                else if (!ids.Add(id))
                    errors.Add($"{path}.id: '{id}' is not unique");
            }
            if (cell["source"] is { } src) MultilineString(src, $"{path}.source", errors);
            if (cell["attachments"] is { } att)
            {
                if (att is not JsonObject atto) errors.Add($"{path}.attachments: must be an object");
                else foreach (var (name, bundle) in atto) MimeBundle(bundle, $"{path}.attachments['{name}']", errors);
            }
        }
        if (cell["metadata"] is { } md) CellMetadata(md, $"{path}.metadata", type, errors);

        if (type == "code")
        {
            if (cell.ContainsKey("execution_count")) ExecutionCount(cell["execution_count"], $"{path}.execution_count", errors);
            if (cell["outputs"] is { } outs)
            {
                if (outs is not JsonArray outputs) errors.Add($"{path}.outputs: must be an array");
                else for (int i = 0; i < outputs.Count; i++) Output(outputs[i], $"{path}.outputs[{i}]", errors);
            }
            else if (cell.ContainsKey("outputs")) errors.Add($"{path}.outputs: must be an array");
        }
    }

    private static void CellMetadata(JsonNode md, string path, string cellType, List<string> errors)
    {
        if (md is not JsonObject o)
        {
            errors.Add($"{path}: must be an object");
            return;
        }
        if (o["name"] is { } name && !(name is JsonValue nv && nv.TryGetValue(out string? n) && n.Length > 0 && !n.Contains('\n')))
            errors.Add($"{path}.name: must be a non-empty single-line string");
        if (o["tags"] is { } tagsNode)
        {
            if (tagsNode is not JsonArray tags) errors.Add($"{path}.tags: must be an array");
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var tag in tags)
                {
                    if (!(tag is JsonValue tv && tv.TryGetValue(out string? s))) errors.Add($"{path}.tags: every tag must be a string");
                    else if (s.Length == 0 || s.Contains(',')) errors.Add($"{path}.tags: tag '{s}' must be non-empty without commas");
                    else if (!seen.Add(s)) errors.Add($"{path}.tags: tag '{s}' is repeated");
                }
            }
        }
        if (o["jupyter"] is { } jup && jup is not JsonObject) errors.Add($"{path}.jupyter: must be an object");
        if (cellType == "code")
        {
            if (o["collapsed"] is { } c && c.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                errors.Add($"{path}.collapsed: must be a boolean");
            if (o["scrolled"] is { } sc && !(sc.GetValueKind() is JsonValueKind.True or JsonValueKind.False || (IsString(sc) && (string?)sc == "auto")))
                errors.Add($"{path}.scrolled: must be true, false or \"auto\"");
            if (o["execution"] is { } ex)
            {
                if (ex is not JsonObject exo) errors.Add($"{path}.execution: must be an object");
                else foreach (var (k, v) in exo)
                        if (!IsString(v)) errors.Add($"{path}.execution.{k}: must be a string");
            }
        }
        if (cellType == "raw" && o["format"] is { } f && !IsString(f)) errors.Add($"{path}.format: must be a string");
    }

    private static void Output(JsonNode? node, string path, List<string> errors)
    {
        if (node is not JsonObject o)
        {
            errors.Add($"{path}: an output must be an object");
            return;
        }
        var type = o["output_type"] is JsonValue tv && tv.TryGetValue(out string? t) ? t : null;
        switch (type)
        {
            case null:
                errors.Add($"{path}.output_type: required string is missing");
                return;
            case "execute_result":
                Closed(o, path, errors, "output_type", "data", "metadata", "execution_count");
                Required(o, path, errors, "output_type", "data", "metadata", "execution_count");
                if (o.ContainsKey("execution_count")) ExecutionCount(o["execution_count"], $"{path}.execution_count", errors);
                if (o["data"] is { } d1) MimeBundle(d1, $"{path}.data", errors);
                if (o["metadata"] is { } m1 && m1 is not JsonObject) errors.Add($"{path}.metadata: must be an object");
                break;
            case "display_data":
                Closed(o, path, errors, "output_type", "data", "metadata");
                Required(o, path, errors, "output_type", "data", "metadata");
                if (o["data"] is { } d2) MimeBundle(d2, $"{path}.data", errors);
                if (o["metadata"] is { } m2 && m2 is not JsonObject) errors.Add($"{path}.metadata: must be an object");
                break;
            case "stream":
                Closed(o, path, errors, "output_type", "name", "text");
                Required(o, path, errors, "output_type", "name", "text");
                StringIfPresent(o, path, errors, "name");
                if (o["text"] is { } text) MultilineString(text, $"{path}.text", errors);
                break;
            case "error":
                Closed(o, path, errors, "output_type", "ename", "evalue", "traceback");
                Required(o, path, errors, "output_type", "ename", "evalue", "traceback");
                StringIfPresent(o, path, errors, "ename", "evalue");
                if (o["traceback"] is { } tb && !(tb is JsonArray tba && tba.All(IsString)))
                    errors.Add($"{path}.traceback: must be an array of strings");
                break;
            default: // unrecognized output from a later minor version: only output_type is required
                break;
        }
    }

    private static void MimeBundle(JsonNode? node, string path, List<string> errors)
    {
        if (node is not JsonObject bundle)
        {
            errors.Add($"{path}: a mime bundle must be an object");
            return;
        }
        foreach (var (mime, value) in bundle)
            if (!Notebooks.MimeBundle.IsJsonMimeType(mime)) MultilineString(value, $"{path}['{mime}']", errors);
    }

    private static void MultilineString(JsonNode? node, string path, List<string> errors)
    {
        if (IsString(node)) return;
        if (node is JsonArray a && a.All(IsString)) return;
        errors.Add($"{path}: must be a string or an array of strings");
    }

    private static void ExecutionCount(JsonNode? node, string path, List<string> errors)
    {
        if (node is null) return;
        if (Integer(node) is not long n || n < 0) errors.Add($"{path}: must be an integer >= 0 or null");
    }

    private static void Required(JsonObject o, string path, List<string> errors, params string[] names)
    {
        foreach (var name in names)
            if (!o.ContainsKey(name)) errors.Add($"{path}.{name}: required property is missing");
    }

    private static void Closed(JsonObject o, string path, List<string> errors, params string[] allowed)
    {
        foreach (var (key, _) in o)
            if (!allowed.Contains(key)) errors.Add($"{path}.{key}: property is not allowed here");
    }

    private static void StringIfPresent(JsonObject o, string path, List<string> errors, params string[] names)
    {
        foreach (var name in names)
            if (o.ContainsKey(name) && !IsString(o[name])) errors.Add($"{path}.{name}: must be a string");
    }

    private static bool IsString(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private static long? Integer(JsonNode? n)
    {
        if (n is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return null;
        if (v.TryGetValue(out long l)) return l;
        if (v.TryGetValue(out int i)) return i;
        if (v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        return null;
    }
}
