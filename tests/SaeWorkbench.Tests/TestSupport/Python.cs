using System.Diagnostics;

namespace SaeWorkbench.Tests;

/// <summary>
/// Runs the reference scripts under python/ with Debian's interpreter (/usr/bin/python3 and its python3-torch; the
/// pyenv python3 on PATH has no torch). A missing interpreter or a failing script is a test failure, never a skip.
/// </summary>
internal static class Python
{
    public const string Interpreter = "/usr/bin/python3";

    public static void Run(string script, params string[] args)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "python", script);
        if (!File.Exists(path)) throw new InvalidOperationException($"{path} is missing: the test project copies python/*.py to its output");
        if (!File.Exists(Interpreter)) throw new InvalidOperationException($"{Interpreter} does not exist: run environment/setup.sh (it installs python3-torch)");
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONNOUSERSITE"] = "1";
        psi.Environment.Remove("PYTHONPATH");
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} {string.Join(' ', args)} did not finish in 2 minutes");
        }
        p.WaitForExit();
        if (p.ExitCode != 0 || !stdout.Result.Contains("OK"))
            throw new InvalidOperationException($"{Interpreter} {script} {string.Join(' ', args)} failed (exit {p.ExitCode}):\n{stderr.Result}\n{stdout.Result}");
    }
}
