using System.Diagnostics;
using SaeWorkbench.Torch;

namespace SaeWorkbench.Bench;

/// <summary>
/// Workload 1: C = A @ B in float32, A [m, k], B [k, n]; 2mkn FLOPs per call (206.2 GFLOP at
/// [4096, 768] @ [768, 32768]). The product goes to OpenBLAS's sgemm through at::matmul on both
/// sides; the result is allocated and freed inside the timed region on both sides.
/// </summary>
internal sealed class GemmBenchmark : IWorkload
{
    private readonly Tensor _a, _b;

    public GemmBenchmark(long m, long k, long n)
    {
        M = m; K = k; N = n;
        using var g = new Generator(0);
        _a = torch.randn(new[] { m, k }, generator: g);
        _b = torch.randn(new[] { k, n }, generator: g);
    }

    public long M { get; }
    public long K { get; }
    public long N { get; }

    /// <summary>Floating-point operations of one product (a multiply and an add per term).</summary>
    public double Flops => 2.0 * M * K * N;

    public string Key => Workloads.Gemm;
    public string Title => $"GEMM [{M},{K}]@[{K},{N}]";
    public IReadOnlyDictionary<string, object> Parameters => new Dictionary<string, object> { ["m"] = M, ["k"] = K, ["n"] = N };

    public double RunOnce()
    {
        var sw = Stopwatch.StartNew();
        using (var c = _a.matmul(_b)) { }
        return sw.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
