using System.Text.Json;
using System.Text.RegularExpressions;
using SaeWorkbench.Plotting;
using SaeWorkbench.Tests.Browser;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// plotly.js's own description of every attribute (<c>Plotly.PlotSchema.get()</c>, read from the bundle the workbench
/// ships, inside Chromium), and a checker of figure JSON against it: every attribute name must exist for its trace
/// type (or layout, config); enumerated values, flag lists, booleans, numbers and their ranges, subplot ids and
/// arrays must be what plotly.js accepts. plotly.js itself ignores unknown attributes silently, which is why a typo in
/// the figure model would otherwise go unnoticed.
/// </summary>
public sealed class PlotSchema
{
    private static readonly HashSet<string> MetaKeys =
        ["editType", "role", "description", "impliedEdits", "_isSubplotObj", "_isLinkedToArray", "_arrayAttrRegexps", "_deprecated", "_noTemplating"];

    private readonly JsonElement root;

    private PlotSchema(JsonElement root) => this.root = root;

    /// <summary>The schema JSON as plotly.js returned it.</summary>
    public string Json => root.GetRawText();

    /// <summary>Trace types plotly.js knows.</summary>
    public IEnumerable<string> TraceTypes => root.GetProperty("traces").EnumerateObject().Select(p => p.Name);

    /// <summary>
    /// The schema of the plotly.js embedded in SaeWorkbench.Plotting.dll, read in Chromium once per test run; also kept as
    /// <c>plot-schema.json</c> among the browser artifacts.
    /// </summary>
    public static Task<PlotSchema> LoadAsync(ChromiumFixture chromium) => chromium.SharedAsync("plot-schema", async browser =>
    {
        var page = Path.Combine(ChromiumFixture.ArtifactsDir, "plot-schema.html");
        await File.WriteAllTextAsync(page, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\">{PlotlyJs.ScriptElement()}</head><body></body></html>");
        await using var tab = await browser.OpenAsync(page);
        var json = (await tab.EvaluateAsync("JSON.stringify(Plotly.PlotSchema.get())")).GetString()!;
        if (tab.Errors.Count > 0) throw new InvalidOperationException("loading plotly.js logged errors:\n" + string.Join("\n", tab.Errors));
        await File.WriteAllTextAsync(Path.Combine(ChromiumFixture.ArtifactsDir, "plot-schema.json"), json);
        return Parse(json);
    });

    /// <summary>Parses <c>JSON.stringify(Plotly.PlotSchema.get())</c>.</summary>
    public static PlotSchema Parse(string json)
    {
        var root = JsonDocument.Parse(json).RootElement.Clone();
        foreach (var k in new[] { "traces", "layout", "config" })
            if (!root.TryGetProperty(k, out _)) throw new FormatException($"the plot schema has no '{k}'.");
        return new PlotSchema(root);
    }

    /// <summary>
    /// Problems of a figure JSON (<c>{data, layout, config}</c>); empty when plotly.js accepts every attribute.
    /// With <paramref name="namesOnly"/> only names and the object/leaf structure are checked, not leaf values.
    /// </summary>
    public IReadOnlyList<string> Check(string figureJson, bool namesOnly = false)
    {
        var problems = new List<string>();
        var ctx = new Context(problems, namesOnly);
        using var doc = JsonDocument.Parse(figureJson);
        var fig = doc.RootElement;
        if (fig.ValueKind != JsonValueKind.Object)
        {
            problems.Add("the figure is not a JSON object.");
            return problems;
        }
        foreach (var p in fig.EnumerateObject())
            if (p.Name is not ("data" or "layout" or "config" or "frames"))
                problems.Add($"{p.Name}: not a figure key (data, layout, config).");

        var traces = root.GetProperty("traces");
        var types = new HashSet<string>();
        if (fig.TryGetProperty("data", out var data))
        {
            if (data.ValueKind != JsonValueKind.Array) problems.Add("data: not an array.");
            else
            {
                var i = 0;
                foreach (var t in data.EnumerateArray())
                {
                    var where = $"data[{i++}]";
                    if (!t.TryGetProperty("type", out var typeEl) || typeEl.ValueKind != JsonValueKind.String)
                    {
                        problems.Add($"{where}: no \"type\".");
                        continue;
                    }
                    var type = typeEl.GetString()!;
                    if (!traces.TryGetProperty(type, out var traceSchema))
                    {
                        problems.Add($"{where}: \"{type}\" is not a plotly.js trace type.");
                        continue;
                    }
                    types.Add(type);
                    CheckObject(ctx, $"{where} ({type})", t, Attributes(traceSchema.GetProperty("attributes")));
                }
            }
        }

        if (fig.TryGetProperty("layout", out var layout))
        {
            var attrs = Attributes(root.GetProperty("layout").GetProperty("layoutAttributes"));
            // Trace modules add layout attributes (bar: barmode, bargap; box: boxmode) when such traces are present.
            foreach (var type in types)
                if (traces.GetProperty(type).TryGetProperty("layoutAttributes", out var extra))
                    foreach (var (k, v) in Attributes(extra)) attrs.TryAdd(k, v);
            CheckObject(ctx, "layout", layout, attrs);
        }

        if (fig.TryGetProperty("config", out var config))
            CheckObject(ctx, "config", config, Attributes(root.GetProperty("config")));
        return problems;
    }

    private sealed record Context(List<string> Problems, bool NamesOnly);

    private static Dictionary<string, JsonElement> Attributes(JsonElement node) =>
        node.EnumerateObject().Where(p => !MetaKeys.Contains(p.Name)).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);

    private static void CheckObject(Context ctx, string path, JsonElement value, Dictionary<string, JsonElement> attrs)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            ctx.Problems.Add($"{path}: expected an object, got {value.ValueKind}.");
            return;
        }
        foreach (var p in value.EnumerateObject())
        {
            var at = $"{path}.{p.Name}";
            if (!attrs.TryGetValue(p.Name, out var attr))
            {
                // Numbered subplot objects: xaxis2, yaxis3 ... share the schema of xaxis, yaxis.
                var m = Regex.Match(p.Name, "^([a-z]+)([2-9]|[1-9][0-9]+)$");
                if (!(m.Success && attrs.TryGetValue(m.Groups[1].Value, out attr) &&
                      attr.TryGetProperty("_isSubplotObj", out var sub) && sub.ValueKind == JsonValueKind.True))
                {
                    ctx.Problems.Add($"{at}: not a plotly.js attribute.");
                    continue;
                }
            }
            CheckValue(ctx, at, p.Value, attr);
        }
    }

    private static void CheckValue(Context ctx, string path, JsonElement v, JsonElement attr)
    {
        if (attr.ValueKind == JsonValueKind.String)
        {
            // A fixed value: the trace's own "type".
            if (v.ValueKind != JsonValueKind.String || v.GetString() != attr.GetString())
                ctx.Problems.Add($"{path} = {Short(v)}: expected \"{attr.GetString()}\".");
            return;
        }
        if (attr.TryGetProperty("valType", out var vt))
        {
            if (v.ValueKind == JsonValueKind.Object && vt.GetString() != "any")
            {
                ctx.Problems.Add($"{path}: plotly.js takes a {vt.GetString()} here, not an object.");
                return;
            }
            if (!ctx.NamesOnly) CheckLeaf(ctx, path, v, attr, vt.GetString()!);
            return;
        }
        // An array of objects, e.g. layout.annotations: {items: {annotation: {...}}, role: "object"}.
        if (attr.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object)
        {
            var item = items.EnumerateObject().Single().Value;
            if (v.ValueKind != JsonValueKind.Array)
            {
                ctx.Problems.Add($"{path}: expected an array, got {v.ValueKind}.");
                return;
            }
            var i = 0;
            foreach (var e in v.EnumerateArray()) CheckObject(ctx, $"{path}[{i++}]", e, Attributes(item));
            return;
        }
        CheckObject(ctx, path, v, Attributes(attr));
    }

    private static void CheckLeaf(Context ctx, string path, JsonElement v, JsonElement attr, string valType)
    {
        var arrayOk = attr.TryGetProperty("arrayOk", out var ao) && ao.ValueKind == JsonValueKind.True;
        if (valType is not ("data_array" or "info_array" or "colorscale" or "colorlist" or "any") && v.ValueKind == JsonValueKind.Array)
        {
            if (!arrayOk)
            {
                ctx.Problems.Add($"{path}: plotly.js takes one {valType} here, not an array.");
                return;
            }
            var i = 0;
            foreach (var e in v.EnumerateArray())
                if (e.ValueKind != JsonValueKind.Null) CheckLeaf(ctx, $"{path}[{i++}]", e, attr, valType);
                else i++;
            return;
        }

        string? problem = valType switch
        {
            "data_array" => v.ValueKind == JsonValueKind.Array ? null : "expected a data array",
            "enumerated" => Enumerated(v, attr),
            "flaglist" => FlagList(v, attr),
            "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "expected true or false",
            "number" => Number(v, attr, integer: false),
            "integer" => Number(v, attr, integer: true),
            "string" => v.ValueKind == JsonValueKind.String ? null : "expected a string",
            "color" => v.ValueKind is JsonValueKind.String || (arrayOk && v.ValueKind == JsonValueKind.Number) ? null : "expected a colour string",
            "colorscale" => Colorscale(v),
            "colorlist" => v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) ? null : "expected an array of colours",
            "subplotid" => SubplotId(v, attr),
            "info_array" => InfoArray(ctx, path, v, attr),
            "angle" => v.ValueKind == JsonValueKind.Number || (v.ValueKind == JsonValueKind.String && v.GetString() == "auto") ? null : "expected an angle in degrees",
            "any" => null,
            _ => $"unknown valType '{valType}' in the schema (update PlotSchema)",
        };
        if (problem is not null) ctx.Problems.Add($"{path} = {Short(v)}: {problem}.");
    }

    private static string? Enumerated(JsonElement v, JsonElement attr)
    {
        var values = attr.GetProperty("values").EnumerateArray().ToList();
        if (values.Any(allowed => Matches(v, allowed))) return null;
        return $"not one of [{string.Join(", ", values.Select(x => x.GetRawText()))}]";
    }

    private static bool Matches(JsonElement v, JsonElement allowed)
    {
        if (allowed.ValueKind == JsonValueKind.String && v.ValueKind == JsonValueKind.String)
        {
            var a = allowed.GetString()!;
            if (a.Length > 2 && a[0] == '/' && a[^1] == '/') return Regex.IsMatch(v.GetString()!, a[1..^1]);
            return a == v.GetString();
        }
        if (allowed.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.ValueKind == allowed.ValueKind;
        if (allowed.ValueKind == JsonValueKind.Number && v.ValueKind == JsonValueKind.Number) return allowed.GetDouble() == v.GetDouble();
        return false;
    }

    private static string? FlagList(JsonElement v, JsonElement attr)
    {
        var extras = attr.TryGetProperty("extras", out var ex) ? ex.EnumerateArray().ToList() : [];
        if (extras.Any(e => Matches(v, e))) return null;
        if (v.ValueKind != JsonValueKind.String) return "expected flags joined by '+'";
        var flags = attr.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).ToHashSet();
        var parts = v.GetString()!.Split('+');
        if (parts.All(flags.Contains) && parts.Distinct().Count() == parts.Length) return null;
        return $"not flags from [{string.Join(", ", flags)}] joined by '+' (or one of [{string.Join(", ", extras.Select(e => e.GetRawText()))}])";
    }

    private static string? Number(JsonElement v, JsonElement attr, bool integer)
    {
        if (v.ValueKind != JsonValueKind.Number)
        {
            var extras = attr.TryGetProperty("extras", out var ex) ? ex.EnumerateArray().ToList() : [];
            return extras.Any(e => Matches(v, e)) ? null : integer ? "expected an integer" : "expected a number";
        }
        var d = v.GetDouble();
        if (integer && d != Math.Floor(d)) return "expected an integer";
        if (attr.TryGetProperty("min", out var min) && min.ValueKind == JsonValueKind.Number && d < min.GetDouble()) return $"below the minimum {min.GetDouble()}";
        if (attr.TryGetProperty("max", out var max) && max.ValueKind == JsonValueKind.Number && d > max.GetDouble()) return $"above the maximum {max.GetDouble()}";
        return null;
    }

    private static string? Colorscale(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.String) return null;
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(s =>
                s.ValueKind == JsonValueKind.Array && s.GetArrayLength() == 2 &&
                s[0].ValueKind == JsonValueKind.Number && s[1].ValueKind == JsonValueKind.String))
            return null;
        return "expected a scale name or [[position, colour], ...]";
    }

    private static string? SubplotId(JsonElement v, JsonElement attr)
    {
        var dflt = attr.GetProperty("dflt").GetString()!;
        return v.ValueKind == JsonValueKind.String && Regex.IsMatch(v.GetString()!, $"^{dflt}([2-9]|[1-9][0-9]+)?$")
            ? null
            : $"expected \"{dflt}\", \"{dflt}2\", ...";
    }

    private static string? InfoArray(Context ctx, string path, JsonElement v, JsonElement attr)
    {
        if (v.ValueKind != JsonValueKind.Array) return "expected an array";
        if (!attr.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array) return null;
        var free = attr.TryGetProperty("freeLength", out var fl) && fl.ValueKind == JsonValueKind.True;
        if (!free && v.GetArrayLength() > items.GetArrayLength()) return $"expected at most {items.GetArrayLength()} items";
        var i = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (i < items.GetArrayLength() && items[i].TryGetProperty("valType", out var vt))
                CheckLeaf(ctx, $"{path}[{i}]", e, items[i], vt.GetString()!);
            i++;
        }
        return null;
    }

    private static string Short(JsonElement v)
    {
        var s = v.ValueKind == JsonValueKind.String ? $"\"{v.GetString()}\"" : v.GetRawText();
        return s.Length > 60 ? s[..60] + "..." : s;
    }
}
