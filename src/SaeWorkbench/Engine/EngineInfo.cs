using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace SaeWorkbench.Engine;

/// <summary>What the tensor engine runs on, as <c>sae info</c> prints it.</summary>
/// <param name="LibTorch">The libtorch version TorchSharp was built for (e.g. "2.10.0").</param>
/// <param name="Blas">The BLAS that serves the GEMMs: "MKL ..." with its version when libtorch carries MKL, else "unknown".</param>
/// <param name="IntraOpThreads">libtorch's intra-op threads.</param>
/// <param name="InterOpThreads">libtorch's inter-op threads.</param>
/// <param name="OpenMpThreads">OpenMP's maximum threads (the libgomp that libtorch carries), or null when not found.</param>
/// <param name="CudaAvailable">True when the loaded libtorch has CUDA and a device.</param>
/// <param name="CudaDevices">CUDA device count (0 without CUDA).</param>
/// <param name="NativeDirectory">Where the natives were loaded from (null when TorchSharp found them itself).</param>
/// <param name="ShimAdapted">True when TorchSharp's shim there is the build's copy adapted to an older libstdc++.</param>
public sealed record EngineInfo(string LibTorch, string Blas, int IntraOpThreads, int InterOpThreads, int? OpenMpThreads,
    bool CudaAvailable, int CudaDevices, string? NativeDirectory, bool ShimAdapted)
{
    /// <summary>Reads the facts from the loaded engine (loads it first).</summary>
    public static EngineInfo Read()
    {
        TorchSharpRuntime.EnsureLoaded();
        var dir = TorchSharpRuntime.NativeDirectory;
        string blas = "unknown";
        int? omp = null;
        if (dir is not null)
        {
            if (TryExport(Path.Combine(dir, "libtorch_cpu.so"), "MKL_Get_Version_String", out var mkl))
                blas = "MKL " + MklVersion(mkl);
            var gomp = Directory.EnumerateFiles(dir, "libgomp*.so*").FirstOrDefault();
            if (gomp is not null && TryExport(gomp, "omp_get_max_threads", out var f)) omp = OmpMaxThreads(f);
        }
        var cuda = torch.cuda.is_available();
        var shimAdapted = dir is not null && IsAdapted(Path.Combine(dir, "libLibTorchSharp.so"));
        return new EngineInfo(torch.__version__, blas, torch.get_num_threads(), torch.get_num_interop_threads(), omp,
            cuda, cuda ? torch.cuda.device_count() : 0, dir, shimAdapted);
    }

    private static bool TryExport(string library, string symbol, out IntPtr address)
    {
        address = IntPtr.Zero;
        return File.Exists(library) && NativeLibrary.TryLoad(library, out var h) && NativeLibrary.TryGetExport(h, symbol, out address);
    }

    private static unsafe string MklVersion(IntPtr f)
    {
        var buffer = new byte[256];
        fixed (byte* p = buffer) ((delegate* unmanaged<byte*, int, void>)f)(p, buffer.Length);
        var n = Array.IndexOf(buffer, (byte)0);
        return Encoding.ASCII.GetString(buffer, 0, n < 0 ? buffer.Length : n).Trim();
    }

    private static unsafe int OmpMaxThreads(IntPtr f) => ((delegate* unmanaged<int>)f)();

    /// <summary>The adapted shim needs one GLIBCXX version twice (the renamed GLIBCXX_3.4.32 entry and the one it copied).</summary>
    private static bool IsAdapted(string shim) =>
        File.Exists(shim) && GlibcxxShimPatch.MissingVersions(File.ReadAllBytes(shim), new HashSet<string>())
            .GroupBy(v => v).Any(g => g.Key.StartsWith("GLIBCXX_", StringComparison.Ordinal) && g.Count() > 1);
}
