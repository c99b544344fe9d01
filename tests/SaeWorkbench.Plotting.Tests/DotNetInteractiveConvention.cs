using System.Collections;
using System.Linq.Expressions;
using System.Reflection;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// The lookup .NET Interactive does for formatters declared "by convention" (no reference to its assemblies),
/// restated from Microsoft.DotNet.Interactive.Formatting.Formatter.TryRegisterFromConventionBasedFormatterSources
/// (dotnet/interactive, since June 2022): attributes named TypeFormatterSourceAttribute on the type; their
/// FormatterSourceType and PreferredMimeTypes properties; Activator.CreateInstance of the source; its
/// CreateTypeFormatters(); and for each formatter its MimeType and Type properties and a compiled call to
/// Format(object, TextWriter) returning bool. This project does not reference .NET Interactive, so this restatement
/// checks the contract here; the real kernel's lookup is checked by the notebook runner's tests
/// (tests/SaeWorkbench.Notebooks.Tests, KernelFeatureTests) and through the stock kernel by the nbconvert test.
/// </summary>
public static class DotNetInteractiveConvention
{
    /// <summary>A formatter as .NET Interactive registers it.</summary>
    public sealed record Found(string MimeType, Type Type, Func<object, TextWriter, bool> Format);

    /// <summary>The formatters and preferred MIME types .NET Interactive would register for <paramref name="type"/>.</summary>
    public static (List<Found> Formatters, string[] PreferredMimeTypes) Discover(Type type)
    {
        var found = new List<Found>();
        var preferred = Array.Empty<string>();
        foreach (var attr in type.GetCustomAttributes(true).Where(a => a.GetType().Name == "TypeFormatterSourceAttribute"))
        {
            if (TryGet<object>(attr, "FormatterSourceType", out var prop) && prop is Type sourceType)
            {
                var source = Activator.CreateInstance(sourceType)!;
                if (source.GetType().GetMethod("CreateTypeFormatters")!.Invoke(source, null) is IEnumerable formatters)
                {
                    foreach (var f in formatters)
                    {
                        if (!TryGet<string>(f, "MimeType", out var mime)) continue;
                        MethodInfo format = f.GetType().GetMethod("Format")!;
                        var value = Expression.Parameter(typeof(object));
                        var writer = Expression.Parameter(typeof(TextWriter));
                        var call = Expression.Call(Expression.Constant(f), format, value, writer);
                        var compiled = Expression.Lambda<Func<object, TextWriter, bool>>(call, value, writer).Compile();
                        if (!TryGet(f, "Type", out Type formatted)) formatted = type;
                        found.Add(new Found(mime, formatted, compiled));
                    }
                }
            }
            if (TryGet<string[]>(attr, "PreferredMimeTypes", out var mimeTypes)) preferred = mimeTypes;
        }
        return (found, preferred);
    }

    /// <summary>What .NET Interactive would show for <paramref name="value"/> as <paramref name="mimeType"/>, or null.</summary>
    public static string? Format(object value, string mimeType)
    {
        foreach (var f in Discover(value.GetType()).Formatters.Where(f => f.MimeType == mimeType && f.Type.IsInstanceOfType(value)))
        {
            using var w = new StringWriter();
            if (f.Format(value, w)) return w.ToString();
        }
        return null;
    }

    private static bool TryGet<T>(object from, string name, out T value)
    {
        if (from.GetType().GetProperty(name) is { } p && p.GetGetMethod() is { } get && get.Invoke(from, null) is T v)
        {
            value = v;
            return true;
        }
        value = default!;
        return false;
    }
}
