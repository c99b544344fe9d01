using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Engine;

/// <summary>
/// Loads the tensor engine, TorchSharp over libtorch, and says plainly why when it cannot.
/// <para>
/// TorchSharp's native shim <c>libLibTorchSharp.so</c> 0.107 was linked against GCC 13's libstdc++ and asks for
/// GLIBCXX_3.4.32; Debian 12 has 3.4.30. The build adapts its own copy in the output folder
/// (environment/torchsharp/GlibcxxShimPatch.cs). This class preloads libtorch and that copy by full path before the
/// first TorchSharp call, so that hosts which do not read the application's deps.json (.NET Interactive after
/// <c>#r "SaeWorkbench.dll"</c>, a script) find the same files; TorchSharp's own load then finds the shim already in
/// the process.
/// </para>
/// <para>
/// Start-up settings (<see cref="EnsureLoaded"/>): glibc's malloc keeps freed large blocks instead of unmapping them
/// (see <see cref="KeepLargeBlocksMapped"/>), and libtorch's intra-op threads stay at its default (the core count).
/// </para>
/// </summary>
public static class TorchSharpRuntime
{
    private static readonly Lock Gate = new();
    private static bool _loaded;
    private static string? _nativeDirectory;

    /// <summary>The module initializer: best-effort preload, so that plain TorchSharp calls after <c>#r SaeWorkbench.dll</c> work.</summary>
#pragma warning disable CA2255 // a library initializer on purpose: the preload must precede any TorchSharp call
    [ModuleInitializer]
    internal static void Preload()
    {
        try { EnsureLoaded(); }
        catch (TorchSharpLoadException) { /* reported by the first explicit EnsureLoaded, e.g. from the CLI or a test */ }
    }
#pragma warning restore CA2255

    /// <summary>The folder the native libraries were loaded from (null until loaded, or when TorchSharp found them itself).</summary>
    public static string? NativeDirectory => _nativeDirectory;

    /// <summary>
    /// Loads libtorch and TorchSharp's shim, or throws <see cref="TorchSharpLoadException"/> naming the cause and the fix.
    /// Idempotent and thread-safe.
    /// </summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded) return;
            KeepLargeBlocksMapped();
            if (OperatingSystem.IsLinux()) PreloadLinux();
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or BadImageFormatException)
            {
                throw new TorchSharpLoadException(
                    $"TorchSharp could not load libtorch: {FirstLine(e)} Build the project with `dotnet build` (it brings " +
                    "the libtorch package of this platform, environment/torchsharp/TorchSharp.targets) and run from its output folder.", e);
            }
            _loaded = true;
        }
    }

    private static void PreloadLinux()
    {
        var dir = FindNativeDirectory();
        if (dir is null) return;   // let TorchSharp look itself (e.g. a NuGet-only host); its failure is wrapped above
        CheckShim(Path.Combine(dir, "libLibTorchSharp.so"));
        foreach (var lib in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so", "libLibTorchSharp.so" })
        {
            var path = Path.Combine(dir, lib);
            if (!File.Exists(path)) continue;
            try { NativeLibrary.Load(path); }
            catch (DllNotFoundException e)
            {
                throw new TorchSharpLoadException($"the native library {path} did not load: {FirstLine(e)} " +
                                                  "Rebuild with `dotnet build`; if the file is damaged, delete the output folder (bin/) first.", e);
            }
        }
        _nativeDirectory = dir;
    }

    /// <summary>
    /// Refuses a CUDA device when the loaded libtorch has no CUDA (this project builds TorchSharp's CPU libtorch unless
    /// built with <c>-p:TorchBackend=cuda</c>), naming <paramref name="what"/> and the fix.
    /// </summary>
    public static void CheckDevice(Device device, string what)
    {
        if (device.type != DeviceType.CUDA) return;
        EnsureLoaded();
        if (!torch.cuda.is_available())
            throw new ArgumentException($"{what} is {device}, but the loaded libtorch has no CUDA device (this build uses TorchSharp's " +
                                        "CPU libtorch): use cpu, or build with `dotnet build -p:TorchBackend=cuda` on a machine with a GPU (README, GPU).", what);
        if (device.index >= torch.cuda.device_count())
            throw new ArgumentException($"{what} is {device}, but only {torch.cuda.device_count()} CUDA device(s) are present.", what);
    }

    /// <summary>
    /// Throws <see cref="TorchSharpLoadException"/> when <paramref name="shim"/> (TorchSharp's native shim) needs a
    /// libstdc++ version that this system's libstdc++ lacks, naming the file, the cause and the fix.
    /// </summary>
    public static void CheckShim(string shim)
    {
        var missing = MissingLibstdcxxVersions(shim);
        if (missing.Count > 0)
            throw new TorchSharpLoadException(
                $"TorchSharp's native shim {shim} needs {string.Join(", ", missing)} from libstdc++, and this system's " +
                $"libstdc++ ({GlibcxxShimPatch.FindSystemLibstdcxx() ?? "not found"}) lacks it (Debian 12 has GCC 12's, up to GLIBCXX_3.4.30). " +
                "The build adapts its own copy of the shim when the system needs it: rebuild with `dotnet build` " +
                "(target SaePatchTorchSharpShim, environment/torchsharp/), or install a libstdc++ from GCC 13 or newer.");
    }

    /// <summary>
    /// Where TorchSharp's natives sit next to this assembly or the application: runtimes/linux-x64/native/ (an ordinary
    /// build) or the folder itself (a RID-specific build or publish).
    /// </summary>
    private static string? FindNativeDirectory()
    {
        var roots = new List<string>();
        var here = typeof(TorchSharpRuntime).Assembly.Location;
        if (!string.IsNullOrEmpty(here)) roots.Add(Path.GetDirectoryName(here)!);
        roots.Add(AppContext.BaseDirectory);
        var rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        foreach (var root in roots.Distinct())
            foreach (var dir in new[] { Path.Combine(root, "runtimes", rid, "native"), root })
                if (File.Exists(Path.Combine(dir, "libLibTorchSharp.so")) && File.Exists(Path.Combine(dir, "libtorch_cpu.so")))
                    return dir;
        return null;
    }

    /// <summary>The libstdc++ versions that <paramref name="shim"/> needs and the system's libstdc++ does not define.</summary>
    public static IReadOnlyList<string> MissingLibstdcxxVersions(string shim)
    {
        var libstdcxx = GlibcxxShimPatch.FindSystemLibstdcxx();
        if (libstdcxx is null || !File.Exists(shim)) return [];
        return GlibcxxShimPatch.MissingVersions(File.ReadAllBytes(shim), GlibcxxShimPatch.VersionsDefinedBy(File.ReadAllBytes(libstdcxx)));
    }

    // ---- glibc allocator ---------------------------------------------------------------------------------------------

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    private const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;

    /// <summary>
    /// glibc serves every block above its mmap threshold (32 MiB at most, adaptive) with a fresh mapping and unmaps it on
    /// free, so a training step that reallocates a 512 MiB [B, N] matrix pays a page fault per 4 KiB each time (about
    /// 0.15 s per 512 MiB here). With mmap for blocks turned off (M_MMAP_MAX = 0) every block comes from the heap, and
    /// with the trim threshold at its maximum freed blocks stay there for the next step. Set before libtorch allocates;
    /// off with SAEWB_MALLOC_TUNING=0; glibc only (a no-op elsewhere).
    /// </summary>
    public static void KeepLargeBlocksMapped()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("SAEWB_MALLOC_TUNING") == "0") return;
        try
        {
            Mallopt(M_MMAP_MAX, 0);
            Mallopt(M_TRIM_THRESHOLD, int.MaxValue);
        }
        catch (EntryPointNotFoundException) { }   // not glibc (musl)
        catch (DllNotFoundException) { }
    }

    private static string FirstLine(Exception e)
    {
        var m = (e.InnerException ?? e).Message;
        var nl = m.IndexOf('\n');
        return (nl < 0 ? m : m[..nl]).Trim();
    }
}

/// <summary>TorchSharp or libtorch did not load; the message names the cause and the fix.</summary>
public sealed class TorchSharpLoadException(string message, Exception? inner = null) : Exception(message, inner);
