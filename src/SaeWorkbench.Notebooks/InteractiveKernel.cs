using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using System.Text;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Builds the .NET Interactive kernel a notebook runs in: a <see cref="CompositeKernel"/> holding one
/// <see cref="CSharpKernel"/> with the kernel helpers (<c>display</c>, <c>HTML</c>, ...), value sharing and
/// <c>#r "nuget:..."</c> (whose packages' <c>interactive-extensions/dotnet</c> assemblies are loaded as kernel
/// extensions, so that their formatters apply, as in the dotnet-interactive tool). Everything a cell can do
/// is .NET Interactive's own; this class only wires it up the way the stock kernel does.
/// </summary>
internal static class InteractiveKernel
{
    /// <summary>The kernel name cells run in.</summary>
    public const string CSharpName = "csharp";

    public static (CompositeKernel Root, CSharpKernel CSharp) Create()
    {
        var csharp = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        csharp = csharp.UseNugetDirective(async (kernel, packages) =>
        {
            kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
            foreach (var package in packages) await LoadExtensionsAsync(kernel, package).ConfigureAwait(false);
        }, false);
        var root = new CompositeKernel { csharp };
        root.DefaultKernelName = CSharpName;
        return (root, csharp);
    }

    /// <summary>
    /// Loads the kernel extensions a NuGet package ships in <c>interactive-extensions/dotnet</c> (how
    /// Microsoft.Data.Analysis brings its DataFrame formatter), as the dotnet-interactive tool does.
    /// </summary>
    private static async Task LoadExtensionsAsync(Kernel kernel, ResolvedPackageReference package)
    {
        var dir = Path.Combine(package.PackageRoot, "interactive-extensions", "dotnet");
        if (!Directory.Exists(dir)) return;
        foreach (var dll in Directory.EnumerateFiles(dir, "*.dll").Order(StringComparer.Ordinal))
        {
            var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll);
            foreach (var type in assembly.GetExportedTypes().Where(t => typeof(IKernelExtension).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }))
            {
                if (Activator.CreateInstance(type) is IKernelExtension extension) await extension.OnLoadAsync(kernel).ConfigureAwait(false);
            }
        }
    }

    private static readonly FieldInfo? ScriptOptionsField =
        typeof(CSharpKernel).GetField("_scriptOptions", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>
    /// Makes the C# kernel compile the next submissions with debug information under the given file path,
    /// so that an exception's stack trace carries the line within the cell. .NET Interactive keeps its
    /// script options private, so this goes through reflection; where a later version renames the field,
    /// this returns false and runtime errors are reported without a line (a test catches that).
    /// </summary>
    public static bool TrySetSourcePath(CSharpKernel kernel, string filePath)
    {
        if (ScriptOptionsField?.GetValue(kernel) is not ScriptOptions options) return false;
        ScriptOptionsField.SetValue(kernel, options.WithEmitDebugInformation(true).WithFileEncoding(Encoding.UTF8).WithFilePath(filePath));
        return true;
    }

    /// <summary>
    /// <paramref name="root"/> and every managed assembly it references, directly or not, that lies in the same
    /// folder: what a cell needs to compile against the workbench, whichever tensor engine it is built on.
    /// </summary>
    public static IReadOnlyList<string> WithDependenciesInFolder(string root)
    {
        var dir = Path.GetDirectoryName(root)!;
        var found = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queue = new Queue<string>([root]);
        while (queue.Count > 0)
        {
            var path = queue.Dequeue();
            if (!seen.Add(Path.GetFileName(path)) || !File.Exists(path)) continue;
            var references = AssemblyReferences(path);
            if (references is null) continue;
            found.Add(path);
            foreach (var name in references) queue.Enqueue(Path.Combine(dir, name + ".dll"));
        }
        return found;
    }

    private static List<string>? AssemblyReferences(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata) return null;
            var md = pe.GetMetadataReader();
            if (!md.IsAssembly) return null;
            return [.. md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name))];
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }
}
