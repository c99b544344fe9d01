using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// Builds figure-model objects with every JSON-written property set, by reflection, so that a schema check covers
/// every attribute name the model can write (not only those a sample figure happens to use). Values are plausible
/// (the first candidate the property's own validation accepts). Records where enums sit so every member can be tried.
/// </summary>
public sealed class ModelPopulator
{
    private static readonly Dictionary<string, string> StringByName = new()
    {
        ["HoverInfo"] = "x+y", ["XRef"] = "paper", ["YRef"] = "paper", ["Anchor"] = "free", ["Matches"] = "x",
        ["ScaleAnchor"] = "x", ["Overlaying"] = "free", ["XAxis"] = "x", ["YAxis"] = "y", ["Symbol"] = "circle",
        ["HoverTemplate"] = "%{y}<extra></extra>", ["TickFormat"] = ".2f", ["Family"] = "Arial, sans-serif",
    };

    /// <summary>Enum-typed properties found, with the object that holds each.</summary>
    public List<(object Owner, PropertyInfo Property)> EnumSlots { get; } = [];

    /// <summary>Properties that no candidate value could be given (should stay empty).</summary>
    public List<string> Unset { get; } = [];

    /// <summary>Every concrete trace type of the model, populated.</summary>
    public List<Trace> AllTraces() =>
        typeof(Trace).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Trace)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.Name)
            .Select(t => (Trace)Populate(Activator.CreateInstance(t)!, 0))
            .ToList();

    /// <summary>A populated layout (with a second x and y axis) and config.</summary>
    public (Layout Layout, Config Config) LayoutAndConfig() => ((Layout)Populate(new Layout(), 0), (Config)Populate(new Config(), 0));

    /// <summary>The JSON of a figure with <paramref name="traces"/>, written without the figure's own checks (the
    /// populated values need not agree with one another, only with plotly.js).</summary>
    public static string Json(IEnumerable<Trace> traces, Layout layout, Config config) =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["data"] = traces.Cast<object>().ToList(), ["layout"] = layout, ["config"] = config }, PlotlyJson.Compact);

    private object Populate(object o, int depth)
    {
        if (depth > 8) throw new InvalidOperationException($"the model nests deeper than 8 at {o.GetType().Name}");
        foreach (var p in o.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<JsonIgnoreAttribute>() is not null && !IsCollection(p.PropertyType)) continue;
            if (p.Name == "Extra") continue;
            if (IsCollection(p.PropertyType))
            {
                FillCollection(o, p, depth);
                continue;
            }
            if (p.SetMethod is not { IsPublic: true }) continue;
            var set = false;
            foreach (var candidate in Candidates(p, depth))
            {
                try
                {
                    p.SetValue(o, candidate);
                    set = true;
                    break;
                }
                catch (TargetInvocationException e) when (e.InnerException is ArgumentException)
                {
                    // The property's validation refused this candidate; try the next.
                }
            }
            if (!set) Unset.Add($"{o.GetType().Name}.{p.Name}");
            else if (Nullable.GetUnderlyingType(p.PropertyType) is { IsEnum: true } || p.PropertyType.IsEnum) EnumSlots.Add((o, p));
        }
        return o;
    }

    private static bool IsCollection(Type t) =>
        t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(List<>) || t.GetGenericTypeDefinition() == typeof(SortedDictionary<,>));

    private void FillCollection(object o, PropertyInfo p, int depth)
    {
        var value = p.GetValue(o)!;
        var args = p.PropertyType.GetGenericArguments();
        if (p.PropertyType.GetGenericTypeDefinition() == typeof(List<>))
        {
            if (args[0] == typeof(Trace)) return; // Figure.Data: traces are populated one by one
            p.PropertyType.GetMethod("Add")!.Invoke(value, [Populate(Activator.CreateInstance(args[0])!, depth + 1)]);
        }
        else
        {
            p.PropertyType.GetMethod("Add")!.Invoke(value, [2, Populate(Activator.CreateInstance(args[1])!, depth + 1)]);
        }
    }

    private IEnumerable<object?> Candidates(PropertyInfo p, int depth)
    {
        var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
        if (t == typeof(bool)) return [true];
        if (t == typeof(int)) return [1, 2, 10, 20];
        if (t == typeof(double)) return [0.5, 1.0, 2.0, 10.0, 20.0];
        if (t == typeof(string)) return StringByName.TryGetValue(p.Name, out var s) ? [s] : ["s", "x", "y"];
        if (t.IsEnum) return [Enum.GetValues(t).GetValue(0)];
        if (t == typeof(double[])) return [new[] { 0.1, 0.9 }];
        if (t == typeof(DataArray)) return [(DataArray)new[] { 1.0, 2.0 }];
        if (t == typeof(DataMatrix)) return [(DataMatrix)new double[,] { { 1, 2 }, { 3, 4 } }];
        if (t == typeof(OneOrMany<double>)) return [OneOrMany<double>.One(1)];
        if (t == typeof(OneOrMany<string>)) return [OneOrMany<string>.One(StringByName.GetValueOrDefault(p.Name, "s"))];
        if (t == typeof(Color)) return [(Color)"red"];
        if (t == typeof(Colorscale)) return [Colorscale.Viridis];
        if (t.Assembly == typeof(Figure).Assembly && t.IsClass && t.GetConstructor(Type.EmptyTypes) is not null)
            return [Populate(Activator.CreateInstance(t)!, depth + 1)];
        return [];
    }
}
