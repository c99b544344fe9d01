namespace SaeWorkbench.Bench;

/// <summary>
/// The C# side of one workload. The constructor sets it up (tensors, model), <see cref="RunOnce"/>
/// times one repetition with a <see cref="System.Diagnostics.Stopwatch"/> exactly as
/// python/bridge_bench.py times its own (the same ops, the result freed inside the timed region),
/// and <see cref="IDisposable.Dispose"/> releases the native memory.
/// </summary>
internal interface IWorkload : IDisposable
{
    /// <summary>The workload's name in python/bridge_bench.py.</summary>
    string Key { get; }

    /// <summary>One line for the table, e.g. "GEMM [4096,768]@[768,32768]".</summary>
    string Title { get; }

    /// <summary>Sizes, sent to the Python side so that both run exactly the same thing.</summary>
    IReadOnlyDictionary<string, object> Parameters { get; }

    /// <summary>Seconds taken by one repetition.</summary>
    double RunOnce();
}
