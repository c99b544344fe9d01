using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using SaeWorkbench.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Bench;

/// <summary>
/// What both sides of a side-by-side run are, printed and checked before anything is timed: the machine, the builds,
/// the BLAS-related environment variables, libtorch's thread counts and the BLAS each side's GEMMs actually call. A run
/// refuses to report when either side's BLAS is the reference (Netlib) one or the thread counts differ. Shared by every
/// benchmark project that compares with Python torch (this one, and bench/SaeWorkbench.Models.Bench, which links it).
/// </summary>
internal static class BenchEnvironment
{
    /// <summary>Machine, .NET, the builds of <paramref name="bench"/> and of the bindings, and OMP_/OPENBLAS_/GOMP_/MKL_ variables.</summary>
    public static Report.EnvironmentInfo Describe(Assembly bench)
    {
        var env = new Report.EnvironmentInfo
        {
            Cpu = CpuModel(),
            Cores = Environment.ProcessorCount,
            Dotnet = RuntimeInformation.FrameworkDescription,
            BenchBuild = BuildKind(bench),
            BindingsBuild = BuildKind(typeof(Tensor).Assembly),
            EnvVars = Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Where(k => k.StartsWith("OMP_") || k.StartsWith("OPENBLAS_") || k.StartsWith("GOMP_") || k.StartsWith("MKL_"))
                .OrderBy(k => k).ToDictionary(k => k, k => Environment.GetEnvironmentVariable(k) ?? ""),
        };
        Console.WriteLine($"  machine   {env.Cpu}, {env.Cores} cores; {env.Dotnet}");
        Console.WriteLine($"  build     bench {env.BenchBuild}, bindings {env.BindingsBuild}");
        if (env.BenchBuild != "Release" || env.BindingsBuild != "Release")
            Console.WriteLine("  WARNING   a Debug (JIT-unoptimised) build: per-call overheads are not representative; use -c Release");
        foreach (var (k, v) in env.EnvVars) Console.WriteLine($"  env       {k}={v}");
        if (env.EnvVars.TryGetValue("OPENBLAS_CORETYPE", out var core))
            Console.WriteLine($"  note      OPENBLAS_CORETYPE={core} forces OpenBLAS's {core} kernels on both sides (inherited by the Python worker)");
        return env;
    }

    /// <summary>Sets libtorch's intra-op threads and describes the C# side (TorchSharp's libtorch and its BLAS).</summary>
    public static Report.SideInfo CSharpSide(int threads)
    {
        torch.set_num_threads(threads);
        var info = EngineInfo.Read();
        var cs = new Report.SideInfo
        {
            Name = "C#",
            Torch = info.LibTorch,
            NumThreads = torch.get_num_threads(),
            InteropThreads = torch.get_num_interop_threads(),
            Blas = info.Blas,
            BlasPath = info.NativeDirectory ?? "",
            BlasConfig = info.OpenMpThreads is { } omp ? $"OpenMP {omp} threads" : "",
        };
        Console.WriteLine($"  C#        TorchSharp libtorch {cs.Torch}, torch.get_num_threads() = {cs.NumThreads} (interop {cs.InteropThreads})");
        Console.WriteLine($"  C#        BLAS: {info.Blas}  [{cs.BlasConfig}]");
        return cs;
    }

    /// <summary>Describes the Python worker's side; refuses the reference BLAS and a thread count other than the C# side's.</summary>
    public static Report.SideInfo PythonSide(PythonWorker python, string interpreter, Report.SideInfo cs)
    {
        var pinfo = python.Info();
        var pblas = pinfo["blas"]!;
        var py = new Report.SideInfo
        {
            Name = "Python",
            Torch = pinfo["torch"]!.GetValue<string>(),
            Interpreter = $"{interpreter} (Python {pinfo["python"]!.GetValue<string>()})",
            NumThreads = pinfo["num_threads"]!.GetValue<int>(),
            InteropThreads = pinfo["num_interop_threads"]!.GetValue<int>(),
            Blas = pblas["name"]!.GetValue<string>(),
            BlasPath = pblas["path"]!.GetValue<string>(),
            BlasConfig = pblas["config"]!.GetValue<string>(),
            BlasThreads = pblas["threads"]?.GetValue<int>(),
        };
        Console.WriteLine($"  Python    {py.Interpreter}, torch {py.Torch}, torch.get_num_threads() = {py.NumThreads} (interop {py.InteropThreads})");
        Console.WriteLine($"  Python    BLAS: {py.Blas}  {py.BlasPath}  [{py.BlasConfig}]{(py.BlasThreads is int bt ? $", {bt} OpenBLAS threads" : "")}");
        if (py.Blas == "reference")
            throw new BenchException($"refusing to report: the Python side's GEMMs go to the reference BLAS ({py.BlasPath}); run environment/setup.sh", 2);
        if (py.NumThreads != cs.NumThreads)
            throw new BenchException($"thread counts differ (C# {cs.NumThreads}, Python {py.NumThreads}); the comparison would be meaningless");
        if (cs.BlasThreads is int cbt && py.BlasThreads is int pbt && cbt != pbt)
            Console.WriteLine($"  WARNING   OpenBLAS thread pools differ (C# {cbt}, Python {pbt}): GEMM numbers are not comparable");
        if (cs.BlasPath != "" && py.BlasPath != "" && cs.BlasPath != py.BlasPath)
            Console.WriteLine($"  WARNING   the two sides use different BLAS files ({cs.BlasPath} vs {py.BlasPath})");
        Console.WriteLine($"  threads   {cs.NumThreads} intra-op threads on both sides");
        return py;
    }

    private static string BuildKind(Assembly a) =>
        a.GetCustomAttribute<DebuggableAttribute>() is { IsJITOptimizerDisabled: true } ? "Debug" : "Release";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
            if (line != null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
