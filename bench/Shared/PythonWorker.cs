using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SaeWorkbench.Bench;

/// <summary>
/// The Python side: a long-lived <c>python/bridge_bench.py --serve</c> process (Debian's PyTorch
/// on the same libtorch), driven with one JSON command per line. Keeping it alive lets the
/// driver interleave single repetitions of the two sides; each side times itself, so the pipe's
/// latency is not in any measurement.
/// </summary>
internal sealed class PythonWorker : IDisposable
{
    private readonly Process _process;

    private PythonWorker(Process process) => _process = process;

    /// <summary>Where the build copies a worker script (python/ next to the benchmark's assembly).</summary>
    public static string ScriptPath(string script) => Path.Combine(AppContext.BaseDirectory, "python", script);

    /// <summary>Starts <c>python/{script} --serve</c>: bridge_bench.py, or a script that adds workloads to it and calls
    /// its serve() (e.g. bench/SaeWorkbench.Models.Bench/python/gpt2_bench.py).</summary>
    public static PythonWorker Start(string python, int threads, string script = "bridge_bench.py")
    {
        var scriptPath = ScriptPath(script);
        if (!File.Exists(scriptPath))
            throw new BenchException($"{scriptPath} is missing: it is copied to the output by the build; rebuild the benchmark");
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(scriptPath);
        psi.ArgumentList.Add("--serve");
        psi.ArgumentList.Add("--threads");
        psi.ArgumentList.Add(threads.ToString());
        // Identical environment for both sides (OMP_*, OPENBLAS_* are inherited as they are).
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new BenchException($"could not start {python}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BenchException($"could not start {python}: {e.Message}. Debian's PyTorch runs on /usr/bin/python3 " +
                "(install python3-torch, see environment/setup.sh) or pass --python");
        }
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) Console.Error.WriteLine($"[python] {e.Data}"); };
        p.BeginErrorReadLine();
        return new PythonWorker(p);
    }

    private JsonNode Request(object command)
    {
        _process.StandardInput.WriteLine(JsonSerializer.Serialize(command));
        _process.StandardInput.Flush();
        var line = _process.StandardOutput.ReadLine();
        if (line == null)
        {
            _process.WaitForExit(5000);
            throw new BenchException($"the Python worker exited (code {(_process.HasExited ? _process.ExitCode : -1)}); see its messages above");
        }
        var reply = JsonNode.Parse(line) ?? throw new BenchException($"the Python worker sent '{line}'");
        if (reply["error"] is JsonNode err) throw new BenchException($"the Python worker failed: {err.GetValue<string>()}");
        return reply;
    }

    public JsonNode Info() => Request(new { cmd = "info" });

    public void Setup(string workload, IReadOnlyDictionary<string, object> parameters) =>
        Request(new { cmd = "setup", workload, @params = parameters });

    /// <summary>Wall-clock and CPU seconds (all threads) of one repetition, timed inside Python.</summary>
    public (double Wall, double Cpu) RunOnce()
    {
        var reply = Request(new { cmd = "run", reps = 1 });
        return (reply["times_s"]![0]!.GetValue<double>(), reply["cpu_s"]![0]!.GetValue<double>());
    }

    public void Teardown() => Request(new { cmd = "teardown" });

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Request(new { cmd = "quit" });
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
        }
        catch (BenchException) { }
        catch (IOException) { }
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }
}

/// <summary>A failure the benchmark reports as a message (no stack trace).</summary>
internal sealed class BenchException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
