using System.Text;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Captures <see cref="Console.Out"/> and <see cref="Console.Error"/> per running cell.
/// <para>The console writers are process-wide, so the runner installs, once, a routing writer that
/// sends each write to the writer registered for the current logical thread (an
/// <see cref="AsyncLocal{T}"/>, which flows into tasks and threads the cell starts) and otherwise to the
/// writer it replaced. Several notebooks can therefore run in one process at once without mixing
/// their outputs. If someone replaces the console writers later, the next cell re-installs the
/// router on top of the new writers. This router is the runner's only process-wide state.</para>
/// </summary>
internal static class ConsoleCapture
{
    private static readonly AsyncLocal<TextWriter?> OutTarget = new();
    private static readonly AsyncLocal<TextWriter?> ErrorTarget = new();
    private static readonly object Gate = new();
    private static TextWriter? _installedOut, _installedError;

    /// <summary>Routes this logical thread's console writes to <paramref name="stdout"/> / <paramref name="stderr"/> until disposed.</summary>
    public static IDisposable Begin(TextWriter? stdout, TextWriter? stderr)
    {
        lock (Gate)
        {
            if (!ReferenceEquals(Console.Out, _installedOut))
            {
                Console.SetOut(new RoutingWriter(Console.Out, OutTarget));
                _installedOut = Console.Out; // SetOut wraps the writer in a synchronized one
            }
            if (!ReferenceEquals(Console.Error, _installedError))
            {
                Console.SetError(new RoutingWriter(Console.Error, ErrorTarget));
                _installedError = Console.Error;
            }
        }
        var previousOut = OutTarget.Value;
        var previousError = ErrorTarget.Value;
        OutTarget.Value = stdout;
        ErrorTarget.Value = stderr;
        return new Restore(previousOut, previousError);
    }

    /// <summary>Sends this logical thread's console writes to the original writers until disposed.</summary>
    public static IDisposable Suspend() => Begin(null, null);

    private sealed class Restore(TextWriter? previousOut, TextWriter? previousError) : IDisposable
    {
        public void Dispose()
        {
            OutTarget.Value = previousOut;
            ErrorTarget.Value = previousError;
        }
    }

    private sealed class RoutingWriter(TextWriter fallback, AsyncLocal<TextWriter?> target) : TextWriter
    {
        private TextWriter Target => target.Value ?? fallback;
        public override Encoding Encoding => fallback.Encoding;
        public override IFormatProvider FormatProvider => fallback.FormatProvider;
        public override string NewLine
        {
            get => fallback.NewLine;
#pragma warning disable CS8765 // nullability of the base setter
            set => fallback.NewLine = value;
#pragma warning restore CS8765
        }
        public override void Write(char value) => Target.Write(value);
        public override void Write(string? value) => Target.Write(value);
        public override void Write(char[] buffer, int index, int count) => Target.Write(buffer, index, count);
        public override void Write(ReadOnlySpan<char> buffer) => Target.Write(buffer);
        public override void WriteLine() => Target.WriteLine();
        public override void WriteLine(string? value) => Target.WriteLine(value);
        public override void WriteLine(ReadOnlySpan<char> buffer) => Target.WriteLine(buffer);
        public override void Flush() => Target.Flush();
    }
}

/// <summary>A writer that appends what it is given to a cell's stream output.</summary>
internal sealed class CellStreamWriter : TextWriter
{
    private readonly CellOutputs outputs;
    private readonly string stream;

    public CellStreamWriter(CellOutputs outputs, string stream)
    {
        this.outputs = outputs;
        this.stream = stream;
        NewLine = "\n";
    }

    public override Encoding Encoding => Encoding.UTF8;
    public override void Write(char value) => outputs.Write(stream, value.ToString());
    public override void Write(string? value) => outputs.Write(stream, value ?? "");
    public override void Write(char[] buffer, int index, int count) => outputs.Write(stream, new string(buffer, index, count));
    public override void Write(ReadOnlySpan<char> buffer) => outputs.Write(stream, new string(buffer));
    public override void WriteLine() => outputs.Write(stream, "\n");
    public override void WriteLine(string? value) => outputs.Write(stream, (value ?? "") + "\n");
}
