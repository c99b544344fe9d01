using System.Text.Json.Nodes;
using SaeWorkbench.Plotting;
using SaeWorkbench.Tests.Browser;
using Xunit.Abstractions;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// The figure JSON against plotly.js's own plot schema (from the bundle the workbench embeds): a misspelt attribute,
/// an enum value plotly.js does not know, or a number out of its range fails here; plotly.js itself would ignore it.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class SchemaTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    public static TheoryData<string> SampleNames => new(SampleFigures.All().Select(s => s.Name));

    [Theory]
    [MemberData(nameof(SampleNames))]
    public async Task Sample_figures_use_only_plotly_js_attributes_and_values(string name)
    {
        var schema = await PlotSchema.LoadAsync(chromium);
        var json = SampleFigures.All().Single(s => s.Name == name).Figure.ToJson();

        var problems = schema.Check(json);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Every_property_of_the_model_is_a_plotly_js_attribute_with_a_valid_value()
    {
        var schema = await PlotSchema.LoadAsync(chromium);
        var pop = new ModelPopulator();
        var traces = pop.AllTraces();
        var (layout, config) = pop.LayoutAndConfig();
        var json = ModelPopulator.Json(traces, layout, config);

        var problems = schema.Check(json);

        Assert.Empty(pop.Unset);
        Assert.Equal(["bar", "box", "heatmap", "histogram", "scatter"], traces.Select(t => t.Type).Order());
        Assert.All(traces, t => Assert.Contains(t.Type, schema.TraceTypes));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        output.WriteLine($"checked {json.Length} characters of JSON; {pop.EnumSlots.Count} enum-valued attributes");
    }

    [Fact]
    public async Task Every_enum_member_of_the_model_is_a_value_plotly_js_accepts_where_it_is_used()
    {
        var schema = await PlotSchema.LoadAsync(chromium);
        var pop = new ModelPopulator();
        var traces = pop.AllTraces();
        var (layout, config) = pop.LayoutAndConfig();
        var problems = new List<string>();
        var tried = 0;
        var baseline = schema.Check(ModelPopulator.Json(traces, layout, config)).ToHashSet(); // reported by the test above

        foreach (var (owner, property) in pop.EnumSlots)
        {
            var original = property.GetValue(owner);
            var enumType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            foreach (var value in Enum.GetValues(enumType))
            {
                property.SetValue(owner, value);
                tried++;
                foreach (var p in schema.Check(ModelPopulator.Json(traces, layout, config)).Where(p => !baseline.Contains(p)))
                    problems.Add($"{owner.GetType().Name}.{property.Name} = {enumType.Name}.{value}: {p}");
            }
            property.SetValue(owner, original);
        }

        Assert.True(pop.EnumSlots.Count > 40, $"only {pop.EnumSlots.Count} enum slots were found");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        output.WriteLine($"{tried} enum values checked in {pop.EnumSlots.Count} places");
    }

    [Fact]
    public async Task Extra_attributes_are_written_and_checked_too()
    {
        var schema = await PlotSchema.LoadAsync(chromium);
        var fig = SampleFigures.ScatterSample().Figure;
        fig.Data[0].Extra["hoverlabel"] = new { bgcolor = "white", namelength = -1 };
        fig.Layout.Extra["uirevision"] = "keep";
        Assert.Empty(schema.Check(fig.ToJson()));

        fig.Data[0].Extra["hoverlable"] = new { bgcolor = "white" };
        Assert.Contains(schema.Check(fig.ToJson()), p => p.Contains("data[0] (scatter).hoverlable: not a plotly.js attribute", StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string> Mistakes => new()
    {
        // what to change in the sample JSON (a JSON pointer-like path), the new JSON, the problem expected
        { "data/1", """{"type":"histogram","x":[1,2],"nbinx":3}""", "data[1] (histogram).nbinx: not a plotly.js attribute" },
        { "data/0/mode", "\"line+markers\"", "data[0] (scatter).mode = \"line+markers\": not flags from" },
        { "data/0/marker/opacity", "1.5", "data[0] (scatter).marker.opacity = 1.5: above the maximum 1" },
        { "data/0/error_y/typ", "\"data\"", "data[0] (scatter).error_y.typ: not a plotly.js attribute" },
        { "data/0/xaxis", "\"y2\"", "data[0] (scatter).xaxis = \"y2\": expected \"x\", \"x2\", ..." },
        { "layout/xaxis/type", "\"logarithmic\"", "layout.xaxis.type = \"logarithmic\": not one of" },
        { "layout/xaxis/tittle", "{\"text\":\"x\"}", "layout.xaxis.tittle: not a plotly.js attribute" },
        { "layout/yaxis2", "{\"domain\":[0,1.5]}", "layout.yaxis2.domain[1] = 1.5: above the maximum 1" },
        { "layout/xaxis1", "{}", "layout.xaxis1: not a plotly.js attribute" },
        { "layout/title", "\"a string title\"", "layout.title: expected an object" },
        { "layout/annotations", """[{"text":"a","showarow":false}]""", "layout.annotations[0].showarow: not a plotly.js attribute" },
        { "layout/barmode", "\"grouped\"", "layout.barmode: not a plotly.js attribute" }, // no bar trace in this figure
        { "config/displaylogo", "\"no\"", "config.displaylogo = \"no\": expected true or false" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task The_schema_check_catches_misspelt_attributes_and_bad_values(string path, string json, string expected)
    {
        var schema = await PlotSchema.LoadAsync(chromium);
        var fig = JsonNode.Parse(SampleFigures.ScatterSample().Figure.ToJson())!;
        Set(fig, path, JsonNode.Parse(json));

        var problems = schema.Check(fig.ToJsonString());

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var parts = path.Split('/');
        var node = root;
        foreach (var part in parts[..^1]) node = int.TryParse(part, out var i) ? node![i] : node![part];
        if (node is JsonArray a) a[int.Parse(parts[^1])] = value;
        else node![parts[^1]] = value;
    }
}
