using System.CommandLine;
using SaeWorkbench.Notebooks;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae notebooks run|html ...</c>: runs the workbench's notebooks headless and exports them as
/// HTML pages. The arguments are those of <see cref="NotebookCommand"/> (see its usage text).
/// </summary>
public static class NotebooksCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("notebooks", "Run notebooks headless (run) or export them as HTML (html). `sae notebooks --help` for details.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        // Help is NotebookCommand's own usage, so that both front ends describe the same options.
        command.SetAction((parse, ct) =>
            NotebookCommand.RunAsync(parse.UnmatchedTokens.ToArray(), stdout, stderr, () => PlotlyJs.ScriptElement(), ct));
        return command;
    }
}
