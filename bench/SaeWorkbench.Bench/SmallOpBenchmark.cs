using System.Diagnostics;
using SaeWorkbench.Torch;

namespace SaeWorkbench.Bench;

/// <summary>
/// Workload 3: the fixed cost of one op call. <c>c = a + b</c> on tiny float32 tensors, repeated
/// <see cref="Calls"/> times; one repetition is the whole loop. The C# side opens a
/// <see cref="DisposeScope"/> per batch of <see cref="BatchSize"/> calls, as user code would, so
/// memory stays bounded and the scope's bookkeeping is part of the measured cost (as the
/// reference counting that frees the previous result is on the Python side).
/// </summary>
internal sealed class SmallOpBenchmark : IWorkload
{
    public const int BatchSize = 1000;

    private readonly Tensor _a, _b;

    public SmallOpBenchmark(long numel, int calls)
    {
        Numel = numel;
        Calls = calls;
        _a = torch.rand(numel);
        _b = torch.rand(numel);
    }

    public long Numel { get; }
    public int Calls { get; }

    public string Key => Workloads.SmallOp;
    public string Title => $"a + b, {Numel}-element float32";
    public IReadOnlyDictionary<string, object> Parameters => new Dictionary<string, object> { ["numel"] = Numel, ["calls"] = Calls };

    public double RunOnce()
    {
        Tensor a = _a, b = _b;
        var sw = Stopwatch.StartNew();
        for (var done = 0; done < Calls; done += BatchSize)
        {
            var n = Math.Min(BatchSize, Calls - done);
            using (torch.NewDisposeScope())
            {
                for (var i = 0; i < n; i++)
                {
                    var c = a + b;
                }
            }
        }
        return sw.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
