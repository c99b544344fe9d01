namespace SaeWorkbench.Cli;

/// <summary>An --out folder that cannot be used; the message names the path and the fix.</summary>
public sealed class OutputFolderException(string message) : Exception(message);

/// <summary>
/// Checks an output folder before any work starts, so that a long run never ends by failing to write its results: the
/// path must not be a file nor lie under one, the folder is created, and a probe file is written and deleted in it.
/// </summary>
public static class OutputFolder
{
    /// <summary>Creates <paramref name="path"/> if needed and proves it writable; <paramref name="option"/> names the option in messages.</summary>
    public static string Prepare(string path, string option = "--out")
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new OutputFolderException($"{option} '{full}' is a file; give a folder (it is created if missing)");
        for (var dir = Path.GetDirectoryName(full); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            if (File.Exists(dir))
                throw new OutputFolderException($"{option} '{full}' lies under '{dir}', which is a file, not a folder; choose another path");
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".saewb-write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputFolderException($"{option} '{full}' is not writable ({e.Message}); choose a folder you can write to, or fix its permissions");
        }
        return full;
    }
}
