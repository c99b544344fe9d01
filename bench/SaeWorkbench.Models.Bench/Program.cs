// SaeWorkbench.Models.Bench (issue 4): tokens/s of the GPT-2 forward pass (no autograd) of src/SaeWorkbench/Models
// against the same GPT-2 in Debian's Python torch on the same libtorch, same weights from the same safetensors,
// repetitions interleaved (ABBA) in one run. Two workloads:
//   [1] a model shaped like the built-in one (4 layers, d_model 256, 4 heads, context 64, vocab 4096, random weights),
//       stopping after blocks.3.hook_resid_post (what harvesting activations for an SAE runs);
//   [2] a GPT-2-small-sized random model (12 layers, 768, 12 heads, context 64, vocab 50257), full forward to logits.
// Goal: tokens/s at least 0.95x Python's, i.e. time ratio C#/Python <= 1/0.95.
//
//   dotnet run -c Release --project bench/SaeWorkbench.Models.Bench             # a few minutes on 2 cores
//   dotnet run -c Release --project bench/SaeWorkbench.Models.Bench -- --quick  # seconds (smoke test)
//   options: --threads N, --python PATH, --reps N, --batch-builtin N, --batch-small N, --json PATH
using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Bench;
using SaeWorkbench.Models;
using SaeWorkbench.Models.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var quick = false;
var threads = Environment.ProcessorCount;
var python = Environment.GetEnvironmentVariable("SAEWB_PYTHON") ?? "/usr/bin/python3";
int? reps = null, batchBuiltIn = null, batchSmall = null;
string? json = null;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        int NextInt()
        {
            var name = args[i];
            var v = Next();
            return int.TryParse(v, out var n) && n >= 1 ? n : throw new ArgumentException($"{name} needs a positive integer, not '{v}'");
        }
        switch (args[i])
        {
            case "--quick": quick = true; break;
            case "--threads": threads = NextInt(); break;
            case "--python": python = Next(); break;
            case "--reps": reps = NextInt(); break;
            case "--batch-builtin": batchBuiltIn = NextInt(); break;
            case "--batch-small": batchSmall = NextInt(); break;
            case "--json": json = Next(); break;
            case "-h" or "--help":
                Console.WriteLine("options: --quick, --threads N, --python PATH, --reps N (per side, default 8; quick 2), " +
                    "--batch-builtin N (default 64; quick 8), --batch-small N (GPT-2 small, default 8; quick 1), --json PATH");
                return 0;
            default: throw new ArgumentException($"unknown option '{args[i]}' (see --help)");
        }
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    return 64;
}

var workDir = Directory.CreateTempSubdirectory("saewb-models-bench-").FullName;
try
{
    return Run();
}
catch (BenchException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    return e.ExitCode;
}
finally
{
    Directory.Delete(workDir, recursive: true);
}

int Run()
{
    var total = Stopwatch.StartNew();
    const double goal = 0.95;
    var repetitions = reps ?? (quick ? 2 : 8);
    Console.WriteLine($"SaeWorkbench.Models.Bench: GPT-2 forward (no autograd), C# vs Python torch on the same libtorch{(quick ? " (--quick)" : "")}");
    var env = BenchEnvironment.Describe(typeof(Gpt2ForwardBenchmark).Assembly);
    var cs = BenchEnvironment.CSharpSide(threads);
    using var worker = PythonWorker.Start(python, threads, "gpt2_bench.py");
    var py = BenchEnvironment.PythonSide(worker, python, cs);

    Console.WriteLine();
    Console.WriteLine("Measuring the float32 FMA peak...");
    var peak = PeakFlops.Measure(threads, quick ? 0.1 : 0.3, 3)
        ?? throw new BenchException("this CPU has neither AVX-512 nor AVX2+FMA; no peak to compare with");
    Console.WriteLine($"  {peak.Isa}: peak {peak.PeakGflops:F1} GFLOP/s ({peak.PeakSource})");

    var builtIn = new Gpt2Config { NLayer = 4, NHead = 4, NEmbd = 256, NPositions = 64, VocabSize = 4096 };
    var small = Gpt2Config.Gpt2Small with { NPositions = 64 };
    var specs = new (string Name, Gpt2Config Config, long Batch, int? Stop)[]
    {
        ("built-in shape 4L d256", builtIn, batchBuiltIn ?? (quick ? 8 : 64), 3),
        ("GPT-2 small 12L d768", small, batchSmall ?? (quick ? 1 : 8), null),
    };
    var rows = new List<Report.Row>();
    for (var i = 0; i < specs.Length; i++)
    {
        var s = specs[i];
        Console.WriteLine();
        Console.WriteLine($"[{i + 1}] writing {s.Name} ({s.Config}; {s.Config.ParameterCount / 1e6:F1}M parameters) and tokens [{s.Batch}, 64] to {workDir}...");
        using var w = new Gpt2ForwardBenchmark(s.Name, s.Config, s.Batch, 64, s.Stop, workDir, seed: (ulong)(17 + i));
        Console.WriteLine($"    {w.Title}: {w.TokensPerCall} tokens, {w.FlopsPerToken / 1e6:F1} MFLOP/token = {w.FlopsPerCall / 1e9:F2} GFLOP per call " +
            $"(floor at the FMA peak: {w.FlopsPerCall / (peak.PeakGflops * 1e9) * 1e3:F1} ms)");
        var r = Interleaver.Run(w, worker, 2, repetitions, Report.Ms);
        var row = Report.Row.Make(w.Key, w.Title, w.Parameters, r, 1 / goal, "ms/call", 1e3);
        row.Extra["batch"] = w.Batch;
        row.Extra["tokens_per_call"] = w.TokensPerCall;
        row.Extra["gflop_per_call"] = w.FlopsPerCall / 1e9;
        row.Extra["csharp_tokens_per_s"] = w.TokensPerCall / r.CSharp.Median;
        row.Extra["python_tokens_per_s"] = w.TokensPerCall / r.Python.Median;
        row.Extra["tokens_per_s_ratio_median"] = r.Python.Median / r.CSharp.Median;
        row.Extra["tokens_per_s_ratio_best"] = r.Python.Min / r.CSharp.Min;
        row.Extra["csharp_fraction_of_peak"] = w.FlopsPerCall / r.CSharp.Median / 1e9 / peak.PeakGflops;
        rows.Add(row);
    }

    total.Stop();
    var report = new Report(quick, threads, env, cs, py, peak, null, rows, total.Elapsed.TotalSeconds);
    Console.WriteLine();
    report.PrintTable(Console.Out);
    Console.WriteLine();
    Console.WriteLine($"tokens/s, C# / Python (goal >= {goal:F2}):");
    foreach (var row in rows)
        Console.WriteLine($"  {row.Title,-52} C# {(double)row.Extra["csharp_tokens_per_s"],9:F0} tok/s, Python {(double)row.Extra["python_tokens_per_s"],9:F0} tok/s: " +
            $"ratio {(double)row.Extra["tokens_per_s_ratio_median"]:F3} (median), {(double)row.Extra["tokens_per_s_ratio_best"]:F3} (best); " +
            $"C# at {100 * (double)row.Extra["csharp_fraction_of_peak"]:F0}% of the FMA peak");
    Console.WriteLine($"GPT-2-small batch size used: {specs[1].Batch} sequences x 64 tokens");
    if (json != null)
    {
        report.WriteJson(json);
        Console.WriteLine($"JSON written to {Path.GetFullPath(json)}");
    }
    return 0;
}
