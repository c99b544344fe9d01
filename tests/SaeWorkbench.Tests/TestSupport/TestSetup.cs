using System.Runtime.CompilerServices;

namespace SaeWorkbench.Tests;

/// <summary>
/// Runs once when the test assembly loads. Every tensor in these tests is small (toy SAEs, d &lt;= 128), where
/// libtorch's OpenMP threads only add synchronisation: measured on the 2-core CI machine kind under load, a toy
/// TopK step takes 7.5 ms on one thread and 96 ms on two (spinning threads wait for cores other processes hold).
/// One intra-op thread also makes every float reduction order fixed, so results are reproducible run to run.
/// </summary>
internal static class TestSetup
{
    [ModuleInitializer]
    internal static void Init() => set_num_threads(1);
}
