using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// The helpers a notebook cell calls, named and typed as .NET Interactive's <c>Kernel</c> class names
/// them, so that the same cells run in this runner and in VS Code Polyglot Notebooks / Jupyter with
/// .NET Interactive. The runner imports this class statically into every cell
/// (<c>using static SaeWorkbench.Notebooks.NotebookKernel;</c>), as .NET Interactive does with its
/// <c>Kernel</c> class.
/// <list type="bullet">
/// <item><c>display(value)</c> shows a value now, as a display_data output of the running cell, and
/// returns a handle whose <see cref="DisplayedValue.Update"/> replaces it in place.</item>
/// <item><c>HTML(string)</c> wraps markup; it is shown as text/html when it is displayed or when it is
/// the value of the cell's last expression. Like .NET Interactive's, it does not display by itself.</item>
/// </list>
/// Calls are routed to the cell that is running on the calling logical thread (an
/// <see cref="AsyncLocal{T}"/>), so several notebooks can run in one process at once.
/// </summary>
public static class NotebookKernel
{
    private static readonly AsyncLocal<CellOutputs?> CurrentCell = new();

    internal static CellOutputs? Current
    {
        get => CurrentCell.Value;
        set => CurrentCell.Value = value;
    }

    /// <summary>
    /// Displays <paramref name="value"/> as an output of the running cell. Without
    /// <paramref name="mimeTypes"/> the runner picks the formats (see <see cref="DisplayFormatter"/>);
    /// with them, only those formats are written ("text/plain", "text/html").
    /// </summary>
    /// <exception cref="InvalidOperationException">Called outside a running notebook cell.</exception>
    public static DisplayedValue display(object? value, params string[] mimeTypes)
    {
        var cell = CurrentCell.Value
                   ?? throw new InvalidOperationException("display() is only available while a notebook cell runs.");
        var (data, metadata) = DisplayFormatter.Format(value, mimeTypes);
        return cell.Display(data, metadata, mimeTypes);
    }

    /// <summary>Marks <paramref name="content"/> as HTML (shown as text/html when displayed).</summary>
    public static HtmlString HTML(string content) => new(content);
}

/// <summary>Markup returned by <c>HTML(string)</c>; displayed as text/html.</summary>
public sealed class HtmlString(string html)
{
    /// <summary>The markup.</summary>
    public string Html { get; } = html ?? "";

    /// <summary>The markup.</summary>
    public override string ToString() => Html;
}

/// <summary>The handle <c>display(...)</c> returns: <see cref="Update"/> replaces the shown output.</summary>
public sealed class DisplayedValue
{
    private readonly CellOutputs _cell;
    private readonly DisplayDataOutput _output;
    private readonly string[] _mimeTypes;

    internal DisplayedValue(CellOutputs cell, DisplayDataOutput output, string[] mimeTypes)
    {
        _cell = cell;
        _output = output;
        _mimeTypes = mimeTypes;
    }

    /// <summary>Replaces the displayed output with <paramref name="value"/>, in the same place and formats.</summary>
    public void Update(object? value)
    {
        var (data, metadata) = DisplayFormatter.Format(value, _mimeTypes);
        _cell.Replace(_output, data, metadata);
    }
}

/// <summary>
/// The outputs of one running cell, in the order they happened: stream text (consecutive writes to
/// the same stream are merged, as Jupyter does) and display data. Thread-safe; once sealed at the
/// end of the cell, later writes (from work the cell left running) are dropped.
/// </summary>
internal sealed class CellOutputs(TextWriter? echo = null)
{
    private readonly object _gate = new();
    private readonly List<NotebookOutput> _outputs = [];
    private StreamOutput? _openStream;                          // the last output, when it is stream text
    private readonly System.Text.StringBuilder _openText = new(); // its text, built without quadratic copying
    private bool _sealed;

    public void Write(string stream, string text)
    {
        if (text.Length == 0) return;
        lock (_gate)
        {
            if (_sealed) return;
            if (_openStream is null || _openStream.Name != stream || !ReferenceEquals(_outputs[^1], _openStream))
            {
                CloseStream();
                _openStream = new StreamOutput(stream, "");
                _outputs.Add(_openStream);
            }
            _openText.Append(text);
        }
        if (echo is not null)
        {
            using (ConsoleCapture.Suspend()) echo.Write(text); // the echo may be the console itself
        }
    }

    private void CloseStream()
    {
        if (_openStream is null) return;
        _openStream.Text = _openText.ToString();
        _openText.Clear();
        _openStream = null;
    }

    public DisplayedValue Display(MimeBundle data, JsonObject metadata, string[] mimeTypes)
    {
        var output = new DisplayDataOutput(data, metadata);
        lock (_gate)
        {
            if (!_sealed)
            {
                CloseStream();
                _outputs.Add(output);
            }
        }
        return new DisplayedValue(this, output, mimeTypes);
    }

    public void Add(NotebookOutput output)
    {
        lock (_gate)
        {
            if (_sealed) return;
            CloseStream();
            _outputs.Add(output);
        }
    }

    public void Replace(DisplayDataOutput output, MimeBundle data, JsonObject metadata)
    {
        lock (_gate)
        {
            if (_sealed) return;
            output.Data = data;
            output.Metadata = metadata;
        }
    }

    public List<NotebookOutput> Seal()
    {
        lock (_gate)
        {
            CloseStream();
            _sealed = true;
            return [.. _outputs];
        }
    }
}
