using SaeWorkbench.Activations;
using SaeWorkbench.IO;

namespace SaeWorkbench.Cli;

/// <summary>
/// What the command line prints for an exception that reaches it: bad input (a missing, corrupt or mismatched file, a bad
/// config value, an unusable output folder) is one line, "error: ..." with the path or field and the fix the exception
/// already names, exit code 2; anything else is a bug, reported on one line with how to get the stack trace, exit code 70.
/// No stack trace unless SAEWB_DEBUG=1.
/// </summary>
public static class CliErrors
{
    /// <summary>Exit code of bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code of an internal error (sysexits' EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary>True for exceptions that describe bad input rather than a bug.</summary>
    public static bool IsBadInput(Exception e) => e is ConfigException or OutputFolderException or IOException or UnauthorizedAccessException
        or InvalidDataException or SafeTensorsException or ActivationStoreException or ArgumentException or NotSupportedException
        or OutOfMemoryException || TensorAllocationFailed(e, out _);

    /// <summary>libtorch's allocator refusing a tensor (TorchSharp raises it as an ExternalException): the sizes asked
    /// for exceed the machine, which is bad input, not a bug. <paramref name="bytes"/> is the request, when the message gives it.</summary>
    private static bool TensorAllocationFailed(Exception e, out string? bytes)
    {
        bytes = null;
        if (e is not System.Runtime.InteropServices.ExternalException || !e.Message.Contains("DefaultCPUAllocator", StringComparison.Ordinal)
            && !e.Message.Contains("CUDA out of memory", StringComparison.Ordinal)) return false;
        var m = System.Text.RegularExpressions.Regex.Match(e.Message, @"allocate (\d+) bytes");
        if (m.Success && long.TryParse(m.Groups[1].Value, out var n)) bytes = n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Writes the one-line report of <paramref name="e"/> and returns the exit code.</summary>
    public static int Report(Exception e, TextWriter stderr)
    {
        var debug = Environment.GetEnvironmentVariable("SAEWB_DEBUG") == "1";
        if (IsBadInput(e))
        {
            var message = e is OutOfMemoryException
                ? $"out of memory ({e.Message}): the model, config or data asks for more memory than this machine has; check the sizes in the files given"
                : TensorAllocationFailed(e, out var bytes)
                ? $"out of memory: libtorch could not allocate {(bytes is null ? "a tensor" : $"a tensor of {bytes} bytes")}: the model, config or data asks for " +
                  "more memory than this machine has; check the sizes in the files given (e.g. NumLatents, BatchSize)"
                : e.Message;
            stderr.WriteLine("error: " + OneLine(message));
            if (debug) stderr.WriteLine(e);
            return BadInput;
        }
        stderr.WriteLine($"internal error: {e.GetType().Name}: {OneLine(e.Message)} (a bug; run again with SAEWB_DEBUG=1 for the stack trace and report it)");
        if (debug) stderr.WriteLine(e);
        return InternalError;
    }

    /// <summary>The message on one line: line breaks (e.g. "saved: ... now: ...") become "; ".</summary>
    public static string OneLine(string message) =>
        string.Join("; ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
