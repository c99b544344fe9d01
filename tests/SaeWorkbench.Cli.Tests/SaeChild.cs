using System.Diagnostics;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>`sae` in a child process, for the tests that kill it: its start info and its summary table.</summary>
internal static class SaeChild
{
    /// <summary><c>dotnet sae.dll ARGS</c> with output captured and one intra-op thread (a CI machine shared with others).</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sae.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["OMP_NUM_THREADS"] = "1";
        return info;
    }

    /// <summary>The last table of `sae train-toy`'s output: the "run ..." header and one row per run.</summary>
    public static string Summary(string stdout, int runs)
    {
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r', ' ')).ToList();
        var header = lines.FindLastIndex(l => l.StartsWith("run ", StringComparison.Ordinal));
        Assert.True(header >= 0, "no summary table in:\n" + stdout);
        return string.Join('\n', lines.Skip(header).Take(runs + 1));
    }
}
