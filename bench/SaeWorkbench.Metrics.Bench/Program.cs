// Metrics benchmarks (not tests: they print measurements and ratios taken in one run, and assert nothing about time).
//
//   dotnet run -c Release --project bench/SaeWorkbench.Metrics.Bench -- n2g            # 4096 latents, about a minute on 2 cores
//   dotnet run -c Release --project bench/SaeWorkbench.Metrics.Bench -- n2g --quick    # 256 latents, seconds
//   options: --latents N, --train N (training sequences), --heldout N, --ctx T, --vocab V, --threads N
using System.Globalization;
using SaeWorkbench.Metrics.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "n2g";
switch (mode)
{
    case "n2g":
        N2gBenchmark.Run(args);
        return 0;
    default:
        Console.Error.WriteLine($"unknown mode '{mode}'; modes: n2g");
        return 2;
}
