using System.Security.Cryptography;
using System.Text;

namespace SaeWorkbench.IO;

/// <summary>Writes a text file so that readers see either the old file or the whole new one, never a part.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="text"/> (UTF-8, no byte-order mark) to <c>path + ".tmp-&lt;random&gt;"</c> in the same
    /// folder, flushes it to disk and renames it over <paramref name="path"/>. On failure the temporary file is removed
    /// and an existing file at <paramref name="path"/> is left as it was. A missing folder is an error naming it, unless
    /// <paramref name="createFolder"/> asks for it to be made.
    /// </summary>
    public static void WriteAllText(string path, string text, bool createFolder = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(fullPath)!;
        if (createFolder) Directory.CreateDirectory(dir);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"cannot write '{fullPath}': the folder '{dir}' does not exist.");

        var tmp = fullPath + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(tmp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort; the original exception says more.
            }
            throw;
        }
    }
}
