using System.Diagnostics;

namespace SaeWorkbench.Tests.Engine;

/// <summary>
/// The tensor engine loads from this build's output (on Debian 12 through the build's adapted copy of TorchSharp's
/// shim), and when it cannot, the error names the cause and the fix.
/// </summary>
public class TorchSharpRuntimeTests
{
    private static string NativeDir =>
        TorchSharpRuntime.NativeDirectory ?? throw new Xunit.Sdk.XunitException("TorchSharp's natives were not found next to the test assembly");

    [Fact]
    public void TorchSharp_loads_from_the_build_output_and_computes()
    {
        TorchSharpRuntime.EnsureLoaded();
        Assert.StartsWith(AppContext.BaseDirectory.TrimEnd('/'), NativeDir);
        using var scope = NewDisposeScope();
        var a = arange(6, dtype: float32).view(2, 3);
        Assert.Equal(new[] { 5.0f, 14.0f, 14.0f, 50.0f }, a.matmul(a.t()).ToArray<float>());
        var info = EngineInfo.Read();
        Assert.StartsWith("2.10", info.LibTorch);
        Assert.False(info.CudaAvailable);
    }

    [Fact]
    public void The_loaded_shim_needs_nothing_this_systems_libstdcxx_lacks()
    {
        TorchSharpRuntime.EnsureLoaded();
        Assert.Empty(TorchSharpRuntime.MissingLibstdcxxVersions(Path.Combine(NativeDir, "libLibTorchSharp.so")));
    }

    /// <summary>The package's own shim: where the system lacks GLIBCXX_3.4.32 (Debian 12) the patch adapts it and
    /// nothing else; where the system has it the patch leaves it alone.</summary>
    [Fact]
    public void The_patch_renames_only_the_GLIBCXX_3_4_32_need_and_is_idempotent()
    {
        var original = File.ReadAllBytes(PackageShim());
        var debian12 = new HashSet<string>(Enumerable.Range(0, 31).Select(i => $"GLIBCXX_3.4.{i}").Append("GLIBCXX_3.4")
            .Concat(Enumerable.Range(0, 14).Select(i => $"CXXABI_1.3.{i}")).Append("CXXABI_1.3"));
        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, GlibcxxShimPatch.MissingVersions(original, debian12));

        var patched = (byte[])original.Clone();
        Assert.StartsWith("patched", GlibcxxShimPatch.Patch(patched, debian12));
        Assert.Empty(GlibcxxShimPatch.MissingVersions(patched, debian12));
        Assert.Equal(original.Length, patched.Length);
        var changed = Enumerable.Range(0, original.Length).Count(i => original[i] != patched[i]);
        Assert.InRange(changed, 1, 64);   // a few bytes: a version-need entry, one symbol, one string
        Assert.StartsWith("nothing to do", GlibcxxShimPatch.Patch(patched, debian12));

        var ubuntu2404 = new HashSet<string>(debian12) { "GLIBCXX_3.4.31", "GLIBCXX_3.4.32" };
        var untouched = (byte[])original.Clone();
        Assert.StartsWith("nothing to do", GlibcxxShimPatch.Patch(untouched, ubuntu2404));
        Assert.Equal(original, untouched);
    }

    /// <summary>
    /// A fresh process whose natives folder holds the unpatched shim (as a NuGet-only host would have it): on a system
    /// without GLIBCXX_3.4.32 the load fails with a message that names the file, the cause and the fix.
    /// </summary>
    [Fact]
    public void An_unadapted_shim_fails_loudly_naming_the_cause_and_the_fix()
    {
        var have = GlibcxxShimPatch.VersionsDefinedBy(File.ReadAllBytes(GlibcxxShimPatch.FindSystemLibstdcxx()!));
        var dir = Directory.CreateTempSubdirectory("saewb-unpatched-").FullName;
        try
        {
            var unpatched = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(PackageShim(), unpatched);
            var missing = TorchSharpRuntime.MissingLibstdcxxVersions(unpatched);
            if (have.Contains("GLIBCXX_3.4.32"))
            {
                Assert.Empty(missing);   // Ubuntu 24.04, Debian 13: TorchSharp runs unmodified
                return;
            }
            Assert.Equal(new[] { "GLIBCXX_3.4.32" }, missing);
            var e = Assert.Throws<TorchSharpLoadException>(() => TorchSharpRuntime.CheckShim(unpatched));
            Assert.Contains(unpatched, e.Message);
            Assert.Contains("GLIBCXX_3.4.32", e.Message);
            Assert.Contains("dotnet build", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string PackageShim()
    {
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ??
                   Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var shim = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(shim), $"TorchSharp's package shim is not at {shim} (restore the solution first)");
        return shim;
    }
}

/// <summary>A CUDA device asked of the CPU libtorch is refused with a message naming the field and the fix.</summary>
public class CudaDeviceTests
{
    [Fact]
    public void A_cuda_sae_on_the_cpu_build_names_the_field_and_the_fix()
    {
        if (cuda.is_available()) return;   // a CUDA build: the device is legitimate there
        var e = Assert.Throws<ArgumentException>(() => new SaeWorkbench.Saes.TopKSaeConfig { DIn = 4, NumLatents = 8, K = 2, Device = new Device(DeviceType.CUDA, 0) }.Validate());
        Assert.Contains("TopKSaeConfig.Device", e.Message);
        Assert.Contains("TorchBackend=cuda", e.Message);
    }
}
