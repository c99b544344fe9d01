using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using SaeWorkbench.Bench;
using SaeWorkbench.Torch;

// SaeWorkbench.Bench: the C# bridge (src/SaeWorkbench.Torch over src/SaeWorkbench.Native) against
// Debian's PyTorch on the very same libtorch, workload by workload, repetitions interleaved.
// See BenchOptions.Usage; the workloads are GemmBenchmark, MlpTrainStepBenchmark and
// SmallOpBenchmark, their Python twins are in python/bridge_bench.py.

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 64;
}
if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

try
{
    return BenchRun.Execute(options);
}
catch (BenchException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    return e.ExitCode;
}

namespace SaeWorkbench.Bench
{
    internal static class BenchRun
    {
        private sealed record Sizes(
            (long m, long k, long n) Gemm, int GemmReps,
            (long batch, long d, long hidden) Mlp, int MlpReps,
            (long numel, int calls) Small, int SmallReps,
            double PeakSecondsPerTrial, int PeakTrials);

        // Even repetition counts: half of the pairs run Python first, half C# first.
        private static readonly Sizes Full = new((4096, 768, 32768), 6, (4096, 768, 32768), 6, (1, 200_000), 16, 0.5, 5);
        private static readonly Sizes Quick = new((1024, 768, 4096), 4, (1024, 768, 4096), 4, (1, 20_000), 4, 0.1, 3);

        public static int Execute(BenchOptions o)
        {
            var total = Stopwatch.StartNew();
            var sizes = o.Quick ? Quick : Full;
            Console.WriteLine($"SaeWorkbench.Bench: C# bridge vs Python torch on the same libtorch{(o.Quick ? " (--quick: small sizes)" : "")}");

            // ---- environment -------------------------------------------------------------------
            var env = BenchEnvironment.Describe(typeof(BenchRun).Assembly);
            var cs = BenchEnvironment.CSharpSide(o.Threads);
            using var python = PythonWorker.Start(o.Python, o.Threads);
            var py = BenchEnvironment.PythonSide(python, o.Python, cs);

            // ---- machine peak ------------------------------------------------------------------
            Console.WriteLine();
            Console.WriteLine($"Measuring the float32 FMA peak ({o.Threads} threads, one per core, 12 accumulators each; again after the workloads, the best counts)...");
            var peak512 = PeakFlops.Measure(o.Threads, sizes.PeakSecondsPerTrial, sizes.PeakTrials, avx512: true)
                ?? throw new BenchException("this CPU has neither AVX-512 nor AVX2+FMA; no peak to compare with");
            var peak256 = PeakFlops.Measure(o.Threads, sizes.PeakSecondsPerTrial, sizes.PeakTrials, avx512: false);
            PrintPeak(peak512, peak256);

            // ---- workloads ---------------------------------------------------------------------
            var rows = new List<Report.Row>();
            Report.Row? gemmRow = null;

            // The GEMM's fraction of peak is computed after the workloads, with the final peak.
            var peak = peak512;

            if (o.Only.Contains(Workloads.Gemm))
            {
                var (m, k, n) = sizes.Gemm;
                using var w = new GemmBenchmark(m, k, n);
                Console.WriteLine();
                Console.WriteLine($"[1] {w.Title} float32: {w.Flops / 1e9:F1} GFLOP per call");
                var r = Interleaver.Run(w, python, 1, o.GemmReps ?? sizes.GemmReps, Report.Ms);
                gemmRow = Report.Row.Make(w.Key, w.Title, w.Parameters, r, 1.05, "ms/call", 1e3);
                gemmRow.Extra["gflop_per_call"] = w.Flops / 1e9;
                gemmRow.Extra["csharp_gflops_median"] = w.Flops / r.CSharp.Median / 1e9;
                gemmRow.Extra["python_gflops_median"] = w.Flops / r.Python.Median / 1e9;
                gemmRow.Extra["csharp_gflops_best"] = w.Flops / r.CSharp.Min / 1e9;
                gemmRow.Extra["python_gflops_best"] = w.Flops / r.Python.Min / 1e9;
                gemmRow.Extra["peak_isa"] = peak.Isa;
                Console.WriteLine($"  C#     median {Report.Ms(r.CSharp.Median)} = {gemmRow.Extra["csharp_gflops_median"]:F1} GFLOP/s (best {gemmRow.Extra["csharp_gflops_best"]:F1})");
                Console.WriteLine($"  Python median {Report.Ms(r.Python.Median)} = {gemmRow.Extra["python_gflops_median"]:F1} GFLOP/s (best {gemmRow.Extra["python_gflops_best"]:F1})");
                rows.Add(gemmRow);
            }

            if (o.Only.Contains(Workloads.Mlp))
            {
                var (batch, d, hidden) = sizes.Mlp;
                batch = o.MlpBatch ?? batch;
                hidden = o.MlpHidden ?? hidden;
                using var w = new MlpTrainStepBenchmark(batch, d, hidden, 1e-4);
                Console.WriteLine();
                Console.WriteLine($"[2] {w.Title}: {w.StepFlops / 1e9:F1} GFLOP per step = forward {MlpTrainStepBenchmark.ForwardGemms} GEMMs " +
                    $"({w.ForwardFlops / 1e9:F1}) + backward {MlpTrainStepBenchmark.BackwardGemms} GEMMs ({w.BackwardFlops / 1e9:F1}); " +
                    "dL/dx is not computed (x needs no grad)");
                var r = Interleaver.Run(w, python, 1, o.MlpReps ?? sizes.MlpReps, Report.Ms);
                var row = Report.Row.Make(w.Key, w.Title, w.Parameters, r, 1.05, "ms/step", 1e3);
                row.Extra["gflop_per_step"] = w.StepFlops / 1e9;
                row.Extra["gflop_forward"] = w.ForwardFlops / 1e9;
                row.Extra["gflop_backward"] = w.BackwardFlops / 1e9;
                row.Extra["gemms_forward"] = MlpTrainStepBenchmark.ForwardGemms;
                row.Extra["gemms_backward"] = MlpTrainStepBenchmark.BackwardGemms;
                row.Extra["csharp_gflops"] = w.StepFlops / r.CSharp.Median / 1e9;
                row.Extra["python_gflops"] = w.StepFlops / r.Python.Median / 1e9;
                if (gemmRow != null && (long)gemmRow.Parameters["m"] * (long)gemmRow.Parameters["k"] * (long)gemmRow.Parameters["n"] == batch * d * hidden)
                {
                    // The GEMM-only time of a step at the best rate measured in workload 1 (same m*k*n):
                    // a lower bound, so the best GEMM is the right reference (a median GEMM taken under
                    // more load than the step would put the "floor" above the step).
                    var csFloor = w.StepFlops / (double)gemmRow.Extra["csharp_gflops_best"] / 1e9;
                    var pyFloor = w.StepFlops / (double)gemmRow.Extra["python_gflops_best"] / 1e9;
                    row.Extra["csharp_gemm_floor_s"] = csFloor;
                    row.Extra["python_gemm_floor_s"] = pyFloor;
                    row.Extra["csharp_step_over_floor"] = r.CSharp.Median / csFloor;
                    row.Extra["python_step_over_floor"] = r.Python.Median / pyFloor;
                    row.Extra["csharp_best_step_over_floor"] = r.CSharp.Min / csFloor;
                    row.Extra["python_best_step_over_floor"] = r.Python.Min / pyFloor;
                    Console.WriteLine($"  C#     median {Report.Ms(r.CSharp.Median)}, best {Report.Ms(r.CSharp.Min)}; GEMM floor at the best GEMM rate {Report.Ms(csFloor)} (best step / floor {r.CSharp.Min / csFloor:F2})");
                    Console.WriteLine($"  Python median {Report.Ms(r.Python.Median)}, best {Report.Ms(r.Python.Min)}; GEMM floor at the best GEMM rate {Report.Ms(pyFloor)} (best step / floor {r.Python.Min / pyFloor:F2})");
                }
                else
                {
                    Console.WriteLine($"  C#     median {Report.Ms(r.CSharp.Median)}; Python median {Report.Ms(r.Python.Median)} (no GEMM floor: run the gemm workload too)");
                }
                rows.Add(row);
            }

            if (o.Only.Contains(Workloads.SmallOp))
            {
                var (numel, calls) = sizes.Small;
                using var w = new SmallOpBenchmark(numel, calls);
                Console.WriteLine();
                Console.WriteLine($"[3] {w.Title}: {calls:N0} calls per repetition (C#: a DisposeScope per {SmallOpBenchmark.BatchSize} calls)");
                var r = Interleaver.Run(w, python, 1, o.SmallReps ?? sizes.SmallReps, s => Report.Us(s / calls) + "/call", minWarmupSeconds: 1.0);
                var row = Report.Row.Make(w.Key, w.Title + " (per call)", w.Parameters, r, 1.0, "us/call", 1e6 / calls);
                rows.Add(row);
            }

            // ---- machine peak, second measurement --------------------------------------------------
            Console.WriteLine();
            Console.WriteLine("Measuring the FMA peak again...");
            peak512 = peak512.Max(PeakFlops.Measure(o.Threads, sizes.PeakSecondsPerTrial, sizes.PeakTrials, avx512: true));
            peak256 = peak256?.Max(PeakFlops.Measure(o.Threads, sizes.PeakSecondsPerTrial, sizes.PeakTrials, avx512: false));
            PrintPeak(peak512, peak256);
            peak = peak512;
            if (gemmRow != null)
            {
                gemmRow.Extra["peak_gflops"] = peak.PeakGflops;
                gemmRow.Extra["peak_source"] = peak.PeakSource;
                gemmRow.Extra["csharp_fraction_of_peak"] = (double)gemmRow.Extra["csharp_gflops_median"] / peak.PeakGflops;
                gemmRow.Extra["python_fraction_of_peak"] = (double)gemmRow.Extra["python_gflops_median"] / peak.PeakGflops;
                if (peak256 != null)
                {
                    gemmRow.Extra["avx2_peak_gflops"] = peak256.PeakGflops;
                    gemmRow.Extra["csharp_fraction_of_avx2_peak"] = (double)gemmRow.Extra["csharp_gflops_median"] / peak256.PeakGflops;
                    gemmRow.Extra["python_fraction_of_avx2_peak"] = (double)gemmRow.Extra["python_gflops_median"] / peak256.PeakGflops;
                }
            }

            total.Stop();
            var report = new Report(o.Quick, o.Threads, env, cs, py, peak, peak256, rows, total.Elapsed.TotalSeconds);
            Console.WriteLine();
            report.PrintTable(Console.Out);
            if (o.JsonPath != null)
            {
                report.WriteJson(o.JsonPath);
                Console.WriteLine($"JSON written to {Path.GetFullPath(o.JsonPath)}");
            }
            return 0;
        }

        private static void PrintPeak(PeakFlops.Result peak, PeakFlops.Result? avx2)
        {
            foreach (var p in new[] { peak, avx2 }.Where(p => p != null).Select(p => p!).DistinctBy(p => p.Isa))
                Console.WriteLine($"  {p.Isa}: {p.GflopsPerSecond:F1} GFLOP/s on {p.Threads} threads at once; one thread {p.SingleThreadGflopsPerSecond:F1} " +
                    $"(x{p.Threads} = {p.SingleThreadGflopsPerSecond * p.Threads:F1}) -> peak {p.PeakGflops:F1} GFLOP/s ({p.PeakSource})");
        }
    }
}
