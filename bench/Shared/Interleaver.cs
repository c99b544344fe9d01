namespace SaeWorkbench.Bench;

/// <summary>
/// Runs one workload on both sides, alternating single repetitions so both see the same machine
/// load: warm-up (Python, then C#), then repetition i runs Python first when i is even and C#
/// first when i is odd (ABBA order, so a slow drift in load does not favour either side).
/// Warm-up lasts at least <c>warmup</c> repetitions and, for short workloads, at least
/// <c>minWarmupSeconds</c> of C# time: .NET's tiered JIT recompiles hot methods (with PGO) in a
/// background thread during the first few hundred milliseconds of a new code path, and that
/// thread's CPU time should not be counted against the steady state.
/// </summary>
internal static class Interleaver
{
    public sealed record Outcome(Samples CSharp, Samples Python);

    /// <summary>Wall-clock seconds (timed by the workload) and process CPU seconds of one repetition.</summary>
    private static (double Wall, double Cpu) RunCSharp(IWorkload workload)
    {
        var cpu0 = Environment.CpuUsage.TotalTime;
        var wall = workload.RunOnce();
        return (wall, (Environment.CpuUsage.TotalTime - cpu0).TotalSeconds);
    }

    public static Outcome Run(IWorkload workload, PythonWorker python, int warmup, int reps, Func<double, string> format,
        double minWarmupSeconds = 0)
    {
        python.Setup(workload.Key, workload.Parameters);
        try
        {
            var warmed = 0.0;
            for (var i = 0; i < warmup || (warmed < minWarmupSeconds && i < 100); i++)
            {
                var (p, _) = python.RunOnce();
                var (c, _) = RunCSharp(workload);
                warmed += c;
                if (i < warmup) Console.WriteLine($"    warm-up {i + 1}: C# {format(c)}, Python {format(p)}");
                else if (warmed >= minWarmupSeconds) Console.WriteLine($"    warm-up 1-{i + 1} (until {minWarmupSeconds:F1} s of C# time): last C# {format(c)}, Python {format(p)}");
            }
            List<double> cs = new(), py = new(), csCpu = new(), pyCpu = new();
            for (var i = 0; i < reps; i++)
            {
                double c, p, cc, pc;
                // Collect before each C# repetition so a gen-2 GC of an earlier workload's garbage
                // does not land inside this one (the small-op loop still pays for its own GCs).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (i % 2 == 0)
                {
                    (p, pc) = python.RunOnce();
                    (c, cc) = RunCSharp(workload);
                }
                else
                {
                    (c, cc) = RunCSharp(workload);
                    (p, pc) = python.RunOnce();
                }
                cs.Add(c);
                py.Add(p);
                csCpu.Add(cc);
                pyCpu.Add(pc);
                Console.WriteLine($"    rep {i + 1}/{reps}: C# {format(c)}, Python {format(p)}  (C#/Py {c / p:F3}; cpu C# {format(cc)}, Python {format(pc)})");
            }
            return new Outcome(new Samples(cs, csCpu), new Samples(py, pyCpu));
        }
        finally
        {
            python.Teardown();
        }
    }
}
