using System.CommandLine;
using SaeWorkbench.Cli.Commands;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Cli;

/// <summary>
/// The <c>sae</c> command line. Each subcommand lives in Commands/ and is added here once the
/// work behind it exists (the training, harvesting and reproduce commands join with the
/// trainer, the language-model host and the metrics). Ctrl-C (SIGINT) and SIGTERM cancel the
/// token passed to every command, which stops long work cleanly.
/// </summary>
public static class SaeCli
{
    /// <summary>Builds the command tree writing to the given streams.</summary>
    public static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("SaeWorkbench: sparse autoencoders on language-model activations (TopK, JumpReLU, Gated, ...).");
        root.Add(InfoCommand.Create(stdout));
        root.Add(NotebooksCommand.Create(stdout, stderr));
        root.Add(TrainToyCommand.Create(stdout, stderr));
        root.Add(TrainLmCommand.Create(stdout, stderr));
        root.Add(ReproduceCommand.Create(stdout, stderr));
        return root;
    }

    /// <summary>Parses and runs; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        // The tensor engine first: if TorchSharp cannot load, say why and how to fix it, without a stack trace.
        try { TorchSharpRuntime.EnsureLoaded(); }
        catch (TorchSharpLoadException e)
        {
            stderr.WriteLine($"error: {CliErrors.OneLine(e.Message)}");
            return 1;
        }
        var parse = Build(stdout, stderr).Parse(args);
        var config = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Ctrl-C/SIGTERM cancel the command's token; give it time to write a checkpoint.
            ProcessTerminationTimeout = TimeSpan.FromMinutes(2),
            // Exceptions come here instead (CliErrors): one line, no stack trace.
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parse.InvokeAsync(config, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, stderr);
        }
    }
}
