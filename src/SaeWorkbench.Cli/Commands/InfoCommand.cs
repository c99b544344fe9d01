using System.CommandLine;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae info</c>: what the workbench runs on (libtorch version, BLAS, threads, CUDA), the first thing to check when
/// training is slow or TorchSharp does not load.
/// </summary>
public static class InfoCommand
{
    public static Command Create(TextWriter stdout)
    {
        var command = new Command("info", "Show the libtorch version, the BLAS, thread counts and CUDA devices.");
        command.SetAction(_ =>
        {
            var info = EngineInfo.Read();
            stdout.WriteLine($"libtorch      {info.LibTorch} (TorchSharp)");
            stdout.WriteLine($"BLAS          {info.Blas}");
            stdout.WriteLine($"threads       intra-op {info.IntraOpThreads}, inter-op {info.InterOpThreads}, OpenMP {info.OpenMpThreads?.ToString() ?? "unknown"}, cores {Environment.ProcessorCount}");
            stdout.WriteLine($"CUDA          {(info.CudaAvailable ? $"{info.CudaDevices} device(s)" : "not available (CPU libtorch; see README, GPU)")}");
            if (info.NativeDirectory is not null)
                stdout.WriteLine($"natives       {info.NativeDirectory}{(info.ShimAdapted ? " (TorchSharp's shim adapted to this system's libstdc++)" : "")}");
            return 0;
        });
        return command;
    }
}
