using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>Which BLAS library serves libtorch's matrix products.</summary>
/// <param name="Name">"openblas", "mkl", "blis", "reference" (Netlib: about 45x slower) or "unknown".</param>
/// <param name="Path">The file that provides sgemm_.</param>
/// <param name="Config">OpenBLAS's configuration string (core type, threads), when OpenBLAS.</param>
public sealed record BlasInfo(string Name, string Path, string Config)
{
    public bool IsReference => Name == "reference";
}

public static partial class torch
{
    /// <summary>The libtorch version the bridge was built against, e.g. "1.13.1".</summary>
    public static string version => N.TakeString(N.saewb_torch_version());

    /// <summary>Intra-op threads (set to the core count at start-up).</summary>
    public static int get_num_threads() => N.saewb_get_num_threads();
    public static void set_num_threads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "thread count must be at least 1");
        N.Check(N.saewb_set_num_threads(n));
    }
    public static int get_num_interop_threads() => N.saewb_get_num_interop_threads();

    /// <summary>libtorch's own description of its parallel backends (ATen/OpenMP/MKL threads).</summary>
    public static string parallel_info() => N.TakeString(N.saewb_parallel_info());

    /// <summary>The BLAS that libtorch's GEMMs actually call in this process.</summary>
    public static BlasInfo blas_info()
    {
        var parts = N.TakeString(N.saewb_blas_info()).Split('|', 3);
        return new BlasInfo(parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2].Trim() : "");
    }
}
