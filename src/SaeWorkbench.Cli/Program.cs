using SaeWorkbench.Cli;

// `sae`: the workbench's command line. See SaeCli for the commands.
return await SaeCli.RunAsync(args, Console.Out, Console.Error);
