namespace SaeWorkbench.Bench;

/// <summary>
/// Runs one workload on both sides, alternating single repetitions so both see the same machine
/// load: warm-up (Python, then C#), then repetition i runs Python first when i is even and C#
/// first when i is odd (ABBA order, so a slow drift in load does not favour either side).
/// </summary>
internal static class Interleaver
{
    public sealed record Outcome(Samples CSharp, Samples Python);

    public static Outcome Run(IWorkload workload, PythonWorker python, int warmup, int reps, Func<double, string> format)
    {
        python.Setup(workload.Key, workload.Parameters);
        try
        {
            for (var i = 0; i < warmup; i++)
            {
                var p = python.Run()[0];
                var c = workload.RunOnce();
                Console.WriteLine($"    warm-up {i + 1}/{warmup}: C# {format(c)}, Python {format(p)}");
            }
            var cs = new List<double>();
            var py = new List<double>();
            for (var i = 0; i < reps; i++)
            {
                double c, p;
                // Collect before each C# repetition so a gen-2 GC of an earlier workload's garbage
                // does not land inside this one (the small-op loop still pays for its own GCs).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (i % 2 == 0)
                {
                    p = python.Run()[0];
                    c = workload.RunOnce();
                }
                else
                {
                    c = workload.RunOnce();
                    p = python.Run()[0];
                }
                cs.Add(c);
                py.Add(p);
                Console.WriteLine($"    rep {i + 1}/{reps}: C# {format(c)}, Python {format(p)}  (C#/Py {c / p:F3})");
            }
            return new Outcome(new Samples(cs), new Samples(py));
        }
        finally
        {
            python.Teardown();
        }
    }
}
