namespace SaeWorkbench.Bench;

/// <summary>Workload names, shared with python/bridge_bench.py.</summary>
internal static class Workloads
{
    public const string Gemm = "gemm", Mlp = "mlp", SmallOp = "small_op";
    public static readonly string[] All = { Gemm, Mlp, SmallOp };
}
