using System.CommandLine;
using SaeWorkbench.Torch;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae info</c>: what the workbench runs on (libtorch version, BLAS, threads, CUDA devices),
/// the first thing to check when training is slow.
/// </summary>
public static class InfoCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("info", "Show the libtorch version, the active BLAS, thread counts and CUDA devices.");
        command.SetAction(_ =>
        {
            var blas = torch.blas_info();
            stdout.WriteLine($"libtorch      {torch.version}");
            stdout.WriteLine($"BLAS          {blas.Name} ({blas.Path}){(blas.Config.Length > 0 ? " " + blas.Config : "")}");
            stdout.WriteLine($"threads       intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}, cores {Environment.ProcessorCount}");
            stdout.WriteLine($"CUDA          {(torch.cuda.is_available() ? $"{torch.cuda.device_count()} device(s)" : "not available")}");
            // OpenBLAS picks its kernels from this variable when set (e.g. Haswell = AVX2 kernels on an
            // AVX-512 CPU: measured 112 vs 151 GFLOP/s for the encoder GEMM on 2 cores).
            if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { Length: > 0 } coretype)
                stdout.WriteLine($"OpenBLAS      OPENBLAS_CORETYPE={coretype} forces its {coretype} kernels");
            if (blas.IsReference)
            {
                stdout.WriteLine("warning: the reference BLAS is ~45x slower than OpenBLAS; run environment/setup.sh (libopenblas0-pthread).");
                return 1;
            }
            return 0;
        });
        return command;
    }
}
