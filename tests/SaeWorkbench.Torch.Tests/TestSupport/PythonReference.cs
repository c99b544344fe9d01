using System.Diagnostics;
using SaeWorkbench.Torch.Serialization;

namespace SaeWorkbench.Torch.Tests.TestSupport;

/// <summary>
/// Reference outputs computed by Debian's PyTorch (/usr/bin/python3, on the same libtorch 1.13 the
/// bindings call). <c>python/op_reference.py</c> (copied next to the test assembly) runs ONCE per test
/// process; its safetensors file stays open for the whole run and is deleted at process exit.
/// A missing torch, a failing script or a timeout is a test failure (never a skip): it throws with
/// python's stderr, and xunit reports the exception for every test that uses this fixture.
/// </summary>
public sealed class PythonReference
{
    /// <summary>Debian's interpreter: the pyenv python3 on PATH has no torch.</summary>
    public const string Python = "/usr/bin/python3";

    public const string Script = "op_reference.py";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    // Lazy caches a thrown exception too: every fixture instance fails with the same message.
    private static readonly Lazy<SafeTensorsFile> Shared = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly SafeTensorsFile _file;

    public PythonReference() => _file = Shared.Value;

    /// <summary>The stored tensor <paramref name="name"/> as a new CPU tensor (dtype and shape as python wrote them).</summary>
    public Tensor this[string name]
    {
        get
        {
            if (!_file.TryGetEntry(name, out var entry))
                throw new KeyNotFoundException($"{Script} wrote no tensor named '{name}' (is the script in sync with the test?)");
            return from_bytes(_file.ReadBytes(name), FromSafeTensorDType(entry.DType, $"{Script}, tensor '{name}'"), entry.Shape);
        }
    }


    private static SafeTensorsFile Generate()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "python", Script);
        if (!File.Exists(script))
            throw new InvalidOperationException($"{script} is missing: the test project copies python/*.py to its output; rebuild the tests");

        var (code, _, err) = RunPython(["-c", "import torch"]);
        if (code != 0)
            throw new InvalidOperationException(
                $"{Python} cannot import torch, which the reference tests need (Debian's python3-torch on the same libtorch). " +
                $"Run environment/setup.sh (as root) to install it.\n{Python} said (exit {code}):\n{err}");

        var dir = Path.Combine(Path.GetTempPath(), $"saewb-opref-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        var output = Path.Combine(dir, "op_reference.safetensors");
        var (exit, stdout, stderr) = RunPython([script, output]);
        if (exit != 0 || !stdout.Contains("OK") || !File.Exists(output))
            throw new InvalidOperationException($"{Python} {Script} failed (exit {exit}).\nstderr:\n{stderr}\nstdout:\n{stdout}");
        return SafeTensorsFile.Open(output);
    }

    private static (int exitCode, string stdout, string stderr) RunPython(IEnumerable<string> args)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} does not exist: run environment/setup.sh (it installs Debian's python3-torch)");
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Keep the interpreter clean: no user site-packages or PYTHONPATH shadowing Debian's torch.
        psi.Environment["PYTHONNOUSERSITE"] = "1";
        psi.Environment.Remove("PYTHONPATH");
        psi.Environment.Remove("PYTHONHOME");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"{Python} {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds:0} s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>
/// The tests that compare against <see cref="PythonReference"/>. Not parallelised with other
/// collections: the random-number tests reseed and draw from the process-wide default generator.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PythonReferenceCollection : ICollectionFixture<PythonReference>
{
    public const string Name = "PythonReference";
}
