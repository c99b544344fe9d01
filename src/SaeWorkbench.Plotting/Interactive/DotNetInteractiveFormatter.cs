namespace SaeWorkbench.Plotting.Interactive;

// .NET Interactive (VS Code Polyglot Notebooks, Jupyter with the .NET kernel) finds formatters for a type through an
// attribute named TypeFormatterSourceAttribute. It also accepts, "by convention", an attribute of that name declared
// in any assembly: Microsoft.DotNet.Interactive.Formatting.Formatter looks the attribute up by its type name, reads
// its FormatterSourceType and PreferredMimeTypes properties, creates the source, calls CreateTypeFormatters() and,
// for each returned object, reads MimeType (and Type) and compiles a call to Format(object, TextWriter) -> bool
// (Formatter.TryRegisterFromConventionBasedFormatterSources, since June 2022). So Figure renders as an interactive
// chart there when the DLL is loaded with #r, with no compile-time or run-time dependency on .NET Interactive, and
// whether the DLL is loaded before or after the formatting assembly. The names below are that contract.

/// <summary>
/// Names the formatter source of a type for .NET Interactive, by convention (matched by type name, so it is internal
/// here and does not clash with the real attribute in a notebook).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = true)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    /// <summary>The class whose <c>CreateTypeFormatters()</c> returns the formatters.</summary>
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>MIME types .NET Interactive should prefer for the type.</summary>
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>The .NET Interactive formatters of <see cref="Figure"/>: text/html (the chart) and text/plain (a summary).</summary>
internal sealed class FigureFormatterSource
{
    /// <summary>Called by .NET Interactive through reflection.</summary>
    public IEnumerable<object> CreateTypeFormatters() => [new FigureHtmlFormatter(), new FigurePlainTextFormatter()];
}

/// <summary>
/// Writes a figure as an HTML fragment that carries plotly.js (evaluated only if the notebook page has none yet), so
/// each output renders on its own, offline, also when a notebook is reopened with some outputs cleared.
/// </summary>
internal sealed class FigureHtmlFormatter
{
    public string MimeType => "text/html";

    public Type Type => typeof(Figure);

    public bool Format(object instance, TextWriter writer)
    {
        if (instance is not Figure figure) return false;
        writer.Write(figure.ToHtml(fullPage: false, PlotlyJsInclusion.Inline));
        return true;
    }
}

/// <summary>Writes a one-line summary of a figure.</summary>
internal sealed class FigurePlainTextFormatter
{
    public string MimeType => "text/plain";

    public Type Type => typeof(Figure);

    public bool Format(object instance, TextWriter writer)
    {
        if (instance is not Figure figure) return false;
        writer.Write(figure.ToString());
        return true;
    }
}
