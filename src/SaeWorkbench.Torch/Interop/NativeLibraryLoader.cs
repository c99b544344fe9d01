using System.Reflection;
using System.Runtime.InteropServices;

namespace SaeWorkbench.Torch.Interop;

/// <summary>
/// Finds and loads <c>libsaewb_native.so</c>, the C ABI over libtorch built by
/// <c>src/SaeWorkbench.Native</c>. Looked for, in order: the path in the environment variable
/// <c>SAEWB_NATIVE_LIB</c>; next to this assembly; in the application's base directory (which is
/// where a single-file publish unpacks it). The loaded handle is the only static state the
/// workbench keeps.
/// </summary>
internal static class NativeLibraryLoader
{
    internal const string LibraryName = "saewb_native";
    internal const string FileName = "libsaewb_native.so";

    private static IntPtr _handle;

    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != LibraryName) return IntPtr.Zero;
        if (_handle != IntPtr.Zero) return _handle;
        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            tried.Add(candidate);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var h))
            {
                _handle = h;
                return h;
            }
        }
        // Let the runtime report the dynamic linker's own message (e.g. a missing libtorch).
        var first = tried.FirstOrDefault(File.Exists);
        if (first != null) return NativeLibrary.Load(first);
        throw new DllNotFoundException(
            $"{FileName} was not found (looked in: {string.Join(", ", tried)}). It is built by `dotnet build` " +
            "from src/SaeWorkbench.Native; run environment/setup.sh first so that libtorch and cmake are installed, " +
            "or set SAEWB_NATIVE_LIB to the library's path.");
    }

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("SAEWB_NATIVE_LIB");
        if (!string.IsNullOrEmpty(env)) yield return env;
        var location = typeof(NativeLibraryLoader).Assembly.Location;
        if (!string.IsNullOrEmpty(location)) yield return Path.Combine(Path.GetDirectoryName(location)!, FileName);
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
    }
}
