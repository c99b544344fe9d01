using System.Reflection;
using System.Runtime.InteropServices;

/// <summary>
/// A .NET startup hook that <see cref="SaeWorkbench.Cli.Tests.KillPointTests"/> loads into a child <c>sae</c>
/// (<c>DOTNET_STARTUP_HOOKS</c> = this test assembly): with <c>SAEWB_TEST_KILL_AFTER_OPERATION=N</c> set, the child sends
/// itself SIGKILL right after the Nth file operation of its checkpoint-set saves (CheckpointSet's test seam, counted from
/// 1 over the process's life, recovery renames included), so a real kill lands exactly between two operations. It first
/// writes "killed after LABEL" to stderr. Nothing of this is in the shipped program. The runtime finds the hook by its
/// name: a class StartupHook outside any namespace with a static Initialize().
/// </summary>
internal static class StartupHook
{
    public const string Variable = "SAEWB_TEST_KILL_AFTER_OPERATION";

    public static void Initialize()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(Variable), out var killAt) || killAt < 1) return;
        var type = Type.GetType("SaeWorkbench.Training.CheckpointSet, SaeWorkbench", throwOnError: true)!;
        var seam = type.GetProperty("AfterOperation", BindingFlags.NonPublic | BindingFlags.Static)
                   ?? throw new MissingMemberException(type.FullName, "AfterOperation");
        var count = 0;
        seam.SetValue(null, new Action<string>(label =>
        {
            if (++count != killAt) return;
            Console.Error.WriteLine($"killed after {label}");
            Console.Error.Flush();
            _ = Kill(Environment.ProcessId, 9);
            Thread.Sleep(Timeout.Infinite);
        }));
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
