using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Bench;

/// <summary>The final table and the JSON file.</summary>
internal sealed class Report(
    bool quick, int threads, Report.EnvironmentInfo environment, Report.SideInfo csharp, Report.SideInfo python,
    PeakFlops.Result peak, PeakFlops.Result? avx2Peak, IReadOnlyList<Report.Row> rows, double elapsedSeconds)
{
    public sealed class EnvironmentInfo
    {
        public string Cpu { get; init; } = "";
        public int Cores { get; init; }
        public string Dotnet { get; init; } = "";
        public string BenchBuild { get; init; } = "";
        public string BindingsBuild { get; init; } = "";
        public Dictionary<string, string> EnvVars { get; init; } = new();
    }

    public sealed class SideInfo
    {
        public string Name { get; init; } = "";
        public string Torch { get; init; } = "";
        public string? Interpreter { get; init; }
        public int NumThreads { get; init; }
        public int InteropThreads { get; init; }
        public string Blas { get; init; } = "";
        public string BlasPath { get; init; } = "";
        public string BlasConfig { get; init; } = "";
        public int? BlasThreads { get; init; }
    }

    /// <summary>One workload: both sides' samples, the ratios and the target.</summary>
    public sealed class Row
    {
        public string Key { get; init; } = "";
        public string Title { get; init; } = "";
        public IReadOnlyDictionary<string, object> Parameters { get; init; } = new Dictionary<string, object>();
        /// <summary>Unit of the displayed values, e.g. "ms/call"; <see cref="Scale"/> converts seconds per repetition to it.</summary>
        public string Unit { get; init; } = "";
        public double Scale { get; init; }
        public Samples CSharp { get; init; } = null!;
        public Samples Python { get; init; } = null!;
        public double Target { get; init; }
        public double RatioMedian => CSharp.Median / Python.Median;
        public double RatioMin => CSharp.Min / Python.Min;
        /// <summary>Median CPU time (all threads) of C# over Python's.</summary>
        public double RatioCpu => CSharp.CpuMedian / Python.CpuMedian;
        /// <summary>Median over repetitions of (C# rep i / Python rep i), each pair run back to back.</summary>
        public double RatioPairedMedian => Stats.Median(CSharp.Seconds.Zip(Python.Seconds, (c, p) => c / p));
        /// <summary>
        /// "ok" when the median ratio meets the target; "noise?" when only the min, the paired or the
        /// CPU-time ratio does (the two sides did the same work but other load hit one side harder);
        /// "SLOWER" when every measure says so.
        /// </summary>
        public string Verdict => RatioMedian <= Target ? "ok"
            : RatioMin <= Target || RatioPairedMedian <= Target || RatioCpu <= Target ? "noise?" : "SLOWER";
        public Dictionary<string, object> Extra { get; } = new();

        public static Row Make(string key, string title, IReadOnlyDictionary<string, object> parameters, Interleaver.Outcome r,
            double target, string unit, double scale) => new()
        {
            Key = key, Title = title, Parameters = parameters, CSharp = r.CSharp, Python = r.Python,
            Target = target, Unit = unit, Scale = scale,
        };
    }

    public static string Ms(double seconds) => $"{seconds * 1e3:F1} ms";
    public static string Us(double seconds) => $"{seconds * 1e6:F3} us";

    public void PrintTable(TextWriter w)
    {
        w.WriteLine($"=== Results: C# (TorchSharp, libtorch {csharp.Torch}) vs Python torch {python.Torch}, {threads} threads each, " +
                    $"repetitions interleaved{(quick ? ", --quick sizes" : "")} ===");
        var header = $"{"workload",-44} {"unit",-8} {"reps",4} {"C# median",11} {"Py median",11} {"C# min",11} {"Py min",11} {"C#/Py med",9} {"C#/Py min",9} {"paired",7} {"cpu",6} {"target",7}  verdict";
        w.WriteLine(header);
        w.WriteLine(new string('-', header.Length));
        foreach (var r in rows)
        {
            w.WriteLine($"{r.Title,-44} {r.Unit,-8} {r.CSharp.Seconds.Count,4} {Fmt(r.CSharp.Median * r.Scale),11} {Fmt(r.Python.Median * r.Scale),11} " +
                        $"{Fmt(r.CSharp.Min * r.Scale),11} {Fmt(r.Python.Min * r.Scale),11} {r.RatioMedian,9:F3} {r.RatioMin,9:F3} {r.RatioPairedMedian,7:F3} {r.RatioCpu,6:F3} {"<= " + r.Target.ToString("F2"),7}  {r.Verdict}");
        }
        w.WriteLine();
        var gemm = rows.FirstOrDefault(r => r.Key == Workloads.Gemm);
        if (gemm != null)
        {
            w.WriteLine($"GEMM throughput (median): C# {gemm.Extra["csharp_gflops_median"]:F1} GFLOP/s, Python {gemm.Extra["python_gflops_median"]:F1} GFLOP/s " +
                        $"(best: C# {gemm.Extra["csharp_gflops_best"]:F1}, Python {gemm.Extra["python_gflops_best"]:F1})");
            w.WriteLine($"  vs measured {peak.Isa} peak {peak.PeakGflops:F1} GFLOP/s ({peak.Threads} cores; {peak.PeakSource}): " +
                        $"C# {100 * (double)gemm.Extra["csharp_fraction_of_peak"]:F1} %, Python {100 * (double)gemm.Extra["python_fraction_of_peak"]:F1} % " +
                        $"(best: C# {100 * (double)gemm.Extra["csharp_gflops_best"] / peak.PeakGflops:F1} %, Python {100 * (double)gemm.Extra["python_gflops_best"] / peak.PeakGflops:F1} %)");
            if (avx2Peak != null && avx2Peak.Isa != peak.Isa)
                w.WriteLine($"  vs measured {avx2Peak.Isa} peak {avx2Peak.PeakGflops:F1} GFLOP/s: C# {100 * (double)gemm.Extra["csharp_fraction_of_avx2_peak"]:F1} %, " +
                            $"Python {100 * (double)gemm.Extra["python_fraction_of_avx2_peak"]:F1} % " +
                            $"(best: C# {100 * (double)gemm.Extra["csharp_gflops_best"] / avx2Peak.PeakGflops:F1} %, Python {100 * (double)gemm.Extra["python_gflops_best"] / avx2Peak.PeakGflops:F1} %)" +
                            (environment.EnvVars.TryGetValue("OPENBLAS_CORETYPE", out var ct) ? $"  (OPENBLAS_CORETYPE={ct}: OpenBLAS runs its {ct} kernels)" : ""));
        }
        var mlp = rows.FirstOrDefault(r => r.Key == Workloads.Mlp);
        if (mlp != null)
        {
            w.WriteLine($"MLP step: {mlp.Extra["gflop_per_step"]:F1} GFLOP = forward {mlp.Extra["gemms_forward"]} GEMMs ({mlp.Extra["gflop_forward"]:F1}) + " +
                        $"backward {mlp.Extra["gemms_backward"]} GEMMs ({mlp.Extra["gflop_backward"]:F1}; no dL/dx: x needs no grad)");
            if (mlp.Extra.ContainsKey("csharp_gemm_floor_s"))
            {
                w.WriteLine($"  GEMM floor ({mlp.Extra["gemms_forward"]}+{mlp.Extra["gemms_backward"]} GEMMs at the best measured GEMM rate): " +
                            $"C# {Ms((double)mlp.Extra["csharp_gemm_floor_s"])} vs step best {Ms(mlp.CSharp.Min)} / median {Ms(mlp.CSharp.Median)} " +
                            $"(x{mlp.Extra["csharp_best_step_over_floor"]:F2} / x{mlp.Extra["csharp_step_over_floor"]:F2}); " +
                            $"Python {Ms((double)mlp.Extra["python_gemm_floor_s"])} vs step best {Ms(mlp.Python.Min)} / median {Ms(mlp.Python.Median)} " +
                            $"(x{mlp.Extra["python_best_step_over_floor"]:F2} / x{mlp.Extra["python_step_over_floor"]:F2})");
                if ((double)mlp.Extra["csharp_best_step_over_floor"] < 1 || (double)mlp.Extra["python_best_step_over_floor"] < 1)
                    w.WriteLine("  note: a step faster than its GEMM floor means the GEMM workload ran under more load than the MLP one; the floor is not meaningful in this run");
            }
        }
        w.WriteLine("Ratios C# / Python of wall-clock times: med = median / median; min = min / min (interference only slows a run down); " +
                    "paired = median over repetitions of C# rep i / Python rep i (run back to back); cpu = median process CPU time (all threads) / same. " +
                    "Verdict: 'ok' when the median ratio meets the target, 'noise?' when only min, paired or cpu does, 'SLOWER' when none does.");
        w.WriteLine($"Total {elapsedSeconds:F0} s.");
    }

    private static string Fmt(double v) => v >= 100 ? v.ToString("F1") : v >= 1 ? v.ToString("F3") : v.ToString("F4");

    private static object PeakJson(PeakFlops.Result p) => new
    {
        isa = p.Isa, threads = p.Threads, all_core_gflops = p.GflopsPerSecond, single_thread_gflops = p.SingleThreadGflopsPerSecond,
        peak_gflops = p.PeakGflops, peak_source = p.PeakSource,
    };

    private static object Side(Samples s, double scale) => new
    {
        times_s = s.Seconds, median_s = s.Median, min_s = s.Min, median = s.Median * scale, min = s.Min * scale,
        cpu_s = s.CpuSeconds, cpu_median_s = s.CpuMedian,
    };

    public void WriteJson(string path)
    {
        var doc = new
        {
            quick,
            threads,
            environment,
            csharp,
            python,
            peak = PeakJson(peak),
            avx2_peak = avx2Peak is null ? null : PeakJson(avx2Peak),
            workloads = rows.Select(r => new
            {
                key = r.Key,
                title = r.Title,
                parameters = r.Parameters,
                unit = r.Unit,
                csharp = Side(r.CSharp, r.Scale),
                python = Side(r.Python, r.Scale),
                ratio_median = r.RatioMedian,
                ratio_min = r.RatioMin,
                ratio_paired_median = r.RatioPairedMedian,
                ratio_cpu_median = r.RatioCpu,
                target = r.Target,
                verdict = r.Verdict,
                extra = r.Extra,
            }),
            elapsed_s = elapsedSeconds,
        };
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        }));
    }
}
