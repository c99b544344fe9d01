using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Turns a displayed value into a mime bundle, the way .NET Interactive's formatters do for the
/// cases notebooks use:
/// <list type="bullet">
/// <item><see cref="HtmlString"/> (from <c>HTML(...)</c>): text/html.</item>
/// <item>An HTML-displayable object — a figure: any object whose type implements an interface named
/// <c>IHtmlDisplayable</c> with a <c>string ToHtmlFragment()</c> method (the plotting library's
/// <c>SaeWorkbench.Plotting.IHtmlDisplayable</c>; matched by name so this assembly does not depend on
/// it): text/html is the fragment, text/plain its <c>ToString()</c>. The output's metadata is marked
/// <c>{"saewb": {"needs_page_head": true}}</c> because the fragment needs the page head (plotly.js)
/// that the HTML export includes once per page (<see cref="NotebookHtmlOptions.PageHeadHtml"/>).</item>
/// <item>A string: text/plain.</item>
/// <item>Anything else: text/plain (invariant culture; sequences as <c>[ a, b, c ]</c>, at most 20
/// items; objects without their own <c>ToString</c> as <c>Type { Name = value, ... }</c>) and text/html
/// (the same text in <c>&lt;div class="dni-plaintext"&gt;&lt;pre&gt;</c>, as .NET Interactive writes it).</item>
/// <item>null: text/plain <c>&lt;null&gt;</c>.</item>
/// </list>
/// </summary>
public static class DisplayFormatter
{
    /// <summary>Name of the interface figures implement (matched by name, any namespace).</summary>
    public const string HtmlDisplayableInterfaceName = "IHtmlDisplayable";
    /// <summary>Method of that interface that returns the HTML fragment.</summary>
    public const string HtmlFragmentMethodName = "ToHtmlFragment";
    /// <summary>Output metadata key under which the runner records what an output needs.</summary>
    public const string MetadataKey = "saewb";
    /// <summary>Flag (under <see cref="MetadataKey"/>) on outputs that need the page head (plotly.js).</summary>
    public const string NeedsPageHeadFlag = "needs_page_head";

    private const int ListExpansionLimit = 20;
    private const int MaxDepth = 3;

    /// <summary>Formats <paramref name="value"/>; when <paramref name="mimeTypes"/> is non-empty only those formats are kept.</summary>
    /// <exception cref="ArgumentException">A requested mime type is not text/plain or text/html.</exception>
    public static (MimeBundle Data, JsonObject Metadata) Format(object? value, IReadOnlyList<string>? mimeTypes = null)
    {
        foreach (var mime in mimeTypes ?? [])
            if (mime is not (MimeBundle.TextPlain or MimeBundle.TextHtml))
                throw new ArgumentException($"display: mime type '{mime}' is not supported by the notebook runner (use text/plain or text/html)", nameof(mimeTypes));

        var data = new MimeBundle();
        var metadata = new JsonObject();
        bool Wants(string mime) => mimeTypes is null || mimeTypes.Count == 0 || mimeTypes.Contains(mime);

        switch (value)
        {
            case null:
                data.WithText(MimeBundle.TextPlain, "<null>");
                break;
            case HtmlString html:
                if (Wants(MimeBundle.TextHtml)) data.WithText(MimeBundle.TextHtml, html.Html);
                if (mimeTypes is { Count: > 0 } && Wants(MimeBundle.TextPlain)) data.WithText(MimeBundle.TextPlain, html.Html);
                break;
            case string s:
                if (Wants(MimeBundle.TextPlain)) data.WithText(MimeBundle.TextPlain, s);
                if (mimeTypes is { Count: > 0 } && Wants(MimeBundle.TextHtml)) data.WithText(MimeBundle.TextHtml, PlainTextHtml(s));
                break;
            default:
                if (TryGetHtmlFragment(value, out var fragment))
                {
                    if (Wants(MimeBundle.TextHtml))
                    {
                        data.WithText(MimeBundle.TextHtml, fragment);
                        metadata[MetadataKey] = new JsonObject { [NeedsPageHeadFlag] = true };
                    }
                    if (Wants(MimeBundle.TextPlain)) data.WithText(MimeBundle.TextPlain, ToPlainText(value));
                }
                else
                {
                    var text = ToPlainText(value);
                    if (Wants(MimeBundle.TextPlain)) data.WithText(MimeBundle.TextPlain, text);
                    if (Wants(MimeBundle.TextHtml)) data.WithText(MimeBundle.TextHtml, PlainTextHtml(text));
                }
                break;
        }
        return (data, metadata);
    }

    /// <summary>
    /// Whether <paramref name="value"/> is HTML-displayable (implements an interface named
    /// <see cref="HtmlDisplayableInterfaceName"/> with a parameterless <see cref="HtmlFragmentMethodName"/>
    /// returning string), and its fragment.
    /// </summary>
    public static bool TryGetHtmlFragment(object value, out string fragment)
    {
        fragment = "";
        var method = FindFragmentMethod(value.GetType());
        if (method is null) return false;
        try
        {
            fragment = method.Invoke(value, null) as string ?? "";
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
        return true;
    }

    private static MethodInfo? FindFragmentMethod(Type type)
    {
        foreach (var iface in type.GetInterfaces())
        {
            if (iface.Name != HtmlDisplayableInterfaceName) continue;
            var m = iface.GetMethod(HtmlFragmentMethodName, BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
            if (m is not null && m.ReturnType == typeof(string)) return m;
        }
        return null;
    }

    private static string PlainTextHtml(string text) =>
        "<div class=\"dni-plaintext\"><pre>" + HtmlText.Escape(text) + "</pre></div>";

    /// <summary>The text/plain form of a value (see the class summary).</summary>
    public static string ToPlainText(object? value)
    {
        var sb = new StringBuilder();
        AppendPlain(sb, value, 0);
        return sb.ToString();
    }

    private static void AppendPlain(StringBuilder sb, object? value, int depth)
    {
        switch (value)
        {
            case null:
                sb.Append("<null>");
                return;
            case string s:
                sb.Append(depth == 0 ? s : "\"" + s + "\"");
                return;
            case bool b:
                sb.Append(b ? "True" : "False");
                return;
            case IFormattable f when value.GetType().IsPrimitive || value is decimal or DateTime or DateTimeOffset or TimeSpan or Guid or Enum:
                sb.Append(f.ToString(null, CultureInfo.InvariantCulture));
                return;
        }
        var type = value.GetType();
        if (depth >= MaxDepth)
        {
            sb.Append(OverridesToString(type) ? Safe(value.ToString) : TypeName(type));
            return;
        }
        if (value is IDictionary dict)
        {
            sb.Append("{ ");
            int k = 0;
            foreach (DictionaryEntry e in dict)
            {
                if (k > 0) sb.Append(", ");
                if (k++ == ListExpansionLimit) { sb.Append("... (more)"); break; }
                AppendPlain(sb, e.Key, depth + 1);
                sb.Append(": ");
                AppendPlain(sb, e.Value, depth + 1);
            }
            sb.Append(k == 0 ? "}" : " }");
            return;
        }
        if (value is IEnumerable seq && !OverridesToString(type))
        {
            sb.Append("[ ");
            int k = 0;
            foreach (var item in seq)
            {
                if (k > 0) sb.Append(", ");
                if (k++ == ListExpansionLimit) { sb.Append("... (more)"); break; }
                AppendPlain(sb, item, depth + 1);
            }
            sb.Append(k == 0 ? "]" : " ]");
            return;
        }
        if (OverridesToString(type))
        {
            sb.Append(Safe(value.ToString));
            return;
        }
        var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.CanRead).ToArray();
        sb.Append(TypeName(type));
        if (props.Length == 0) return;
        sb.Append(" { ");
        for (int k = 0; k < props.Length; k++)
        {
            if (k > 0) sb.Append(", ");
            sb.Append(props[k].Name).Append(" = ");
            object? v;
            try { v = props[k].GetValue(value); }
            catch (TargetInvocationException e) { sb.Append("<error: ").Append(e.InnerException?.Message).Append('>'); continue; }
            AppendPlain(sb, v, depth + 1);
        }
        sb.Append(" }");
    }

    private static string Safe(Func<string?> f)
    {
        try { return f() ?? ""; }
        catch (Exception e) { return $"<error in ToString: {e.Message}>"; }
    }

    private static bool OverridesToString(Type type) =>
        type.GetMethod("ToString", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)?.DeclaringType is { } d
        && d != typeof(object) && d != typeof(ValueType);

    private static string TypeName(Type type)
    {
        if (!type.IsGenericType) return type.Name;
        var name = type.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick];
        return name + "<" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ">";
    }
}
