namespace SaeWorkbench.Cli;

/// <summary>An --out folder that cannot be used; the message names the path and the fix.</summary>
public sealed class OutputFolderException(string message) : Exception(message);

/// <summary>
/// Checks an output folder before any work starts, so that a long run never ends by failing to write its results: the
/// path must not be a file nor lie under one, and the folder (or, when it does not exist yet, the nearest existing folder
/// above it, where it will be created) must take a probe file. Nothing is left behind: the folder itself is created by
/// whoever writes into it, so a run refused for another reason leaves no empty folder.
/// </summary>
public static class OutputFolder
{
    /// <summary>Checks <paramref name="path"/> and returns its full form; <paramref name="option"/> names the option in messages.</summary>
    public static string Check(string path, string option = "--out")
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new OutputFolderException($"{option} '{full}' is a file; give a folder (it is created if missing)");
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new OutputFolderException($"{option} '{full}' lies under '{existing}', which is a file, not a folder; choose another path");
            existing = Path.GetDirectoryName(existing);
            if (string.IsNullOrEmpty(existing))
                throw new OutputFolderException($"{option} '{full}' has no existing folder above it; choose another path");
        }
        try
        {
            var probe = Path.Combine(existing, $".saewb-write-test-{Environment.ProcessId}");
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
