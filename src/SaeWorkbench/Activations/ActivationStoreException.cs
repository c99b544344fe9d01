namespace SaeWorkbench.Activations;

/// <summary>
/// An activation store on disk is missing, corrupt or does not match what was asked of it. The message names the file
/// and says how to fix it; <see cref="FilePath"/> is that file.
/// </summary>
public sealed class ActivationStoreException : IOException
{
    public ActivationStoreException(string message, string filePath, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file (manifest or shard) at fault, full path.</summary>
    public string FilePath { get; }
}
