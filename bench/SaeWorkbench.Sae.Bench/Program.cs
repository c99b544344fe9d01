// TopK training-step benchmark (issue 3): this workbench's sparse TopK step against a straightforward dense-autograd
// TopK SAE in Debian's Python torch on the same machine and the same libtorch, and against the floor set by the one
// dense encoder GEMM that every TopK step needs. Prints the ratios and the peak memory of both, measured in one run.
//
//   dotnet run -c Release --project bench/SaeWorkbench.Sae.Bench            # d=768 n=32768 k=32 batch=4096, a few minutes
//   dotnet run -c Release --project bench/SaeWorkbench.Sae.Bench -- --quick # small sizes, seconds
//   options: --threads N (libtorch intra-op threads on both sides; default: the core count), --auxk (add AuxK, k_aux 512,
//   a tenth of the latents dead, to the C# step), --steps N (measured pairs per half, default 4)
// The ratio is the median over (C# step, GEMM) pairs timed back to back. The C# process runs with the CPU block cache
// (torch.cpu_cache, on by default; SAEWB_CPU_CACHE=0 turns it off), which also serves the GEMM's output.
//
// FLOPs and bytes first (design brief): the encoder GEMM is 2 B d n FLOPs (206 GFLOP at the full size); a dense step adds
// four more GEMMs of that size (the decode, and the two backward products of each matmul); the sparse step adds only
// O(B k d) gathers and scatters, the top-k selection over B n pre-activations, and Adam over 2 n d weights.
using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;
using TorchSharp;
using SaeWorkbench.Engine;
using static TorchSharp.torch;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var quick = args.Contains("--quick");
var withAuxK = args.Contains("--auxk");
long d = 768, n = 32768, k = 32, batch = 4096;
var steps = 4;
if (quick) (d, n, k, batch, steps) = (256, 4096, 16, 1024, 3);
var stepsArg = Array.IndexOf(args, "--steps");
if (stepsArg >= 0) steps = int.Parse(args[stepsArg + 1], CultureInfo.InvariantCulture);
var threadsArg = Array.IndexOf(args, "--threads");
if (threadsArg >= 0) set_num_threads(int.Parse(args[threadsArg + 1], CultureInfo.InvariantCulture));
var threads = get_num_threads();

Console.WriteLine($"TopK training step, d={d} n={n} k={k} batch={batch}, float32 on CPU, {threads} intra-op threads, BLAS {EngineInfo.Read().Blas}");
Console.WriteLine($"encoder GEMM: 2*B*d*n = {2.0 * batch * d * n / 1e9:F1} GFLOP; dense step: about 5 such GEMMs; sparse step: 1 GEMM + O(B k d) gathers");
Console.WriteLine();

// ---- C#: the sparse TopK step (the trainer's step: forward, backward, decoder-gradient projection, Adam, renormalise) ----
var sae = new TopKSae(new TopKSaeConfig { DIn = d, NumLatents = n, K = k, AuxK = withAuxK ? 512 : 0, Init = new SaeInit { Seed = 0, GeometricMedianPreBias = false } });
var opt = new SaeAdam(sae.parameters(), new AdamOptions { lr = 1e-4, eps = 6.25e-10 });   // as the trainer runs it,
opt.SetUnitNormRows(sae.W_dec_ND);                                                                                 // decoder constraint included
var x = randn(batch, d).DetachFromDisposeScope();
using (no_grad()) sae.mse_baseline.copy_(Losses.MseBaseline(x));
Tensor? dead = null;
if (withAuxK)
{
    // A realistic AuxK load: a tenth of the latents dead.
    dead = zeros(new[] { n }, @bool).DetachFromDisposeScope();
    dead.narrow(0, 0, n / 10).fill_(true);
}
var phase = new Dictionary<string, double>();
double CSharpStep(bool record)
{
    using var scope = NewDisposeScope();
    var t0 = Stopwatch.GetTimestamp();
    var o = sae.Forward(x, new ForwardOptions { DeadMask_N = dead });
    var t1 = Stopwatch.GetTimestamp();
    opt.zero_grad();
    o.Loss.backward();
    var t2 = Stopwatch.GetTimestamp();
    opt.step();                                              // with the decoder's parallel-gradient removal and renormalisation
    var t3 = Stopwatch.GetTimestamp();
    if (record)
    {
        phase["forward"] = phase.GetValueOrDefault("forward") + Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
        phase["backward"] = phase.GetValueOrDefault("backward") + Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
        phase["adam + decoder constraint"] = phase.GetValueOrDefault("adam + decoder constraint") + Stopwatch.GetElapsedTime(t2, t3).TotalSeconds;
    }
    return Stopwatch.GetElapsedTime(t0, t3).TotalSeconds;
}
double Gemm()
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var t = Stopwatch.StartNew();
    x.mm(sae.W_enc_ND.t());                                 // the encoder GEMM alone (the bias is folded into the top-k scan)
    return t.Elapsed.TotalSeconds;
}

// ---- the measurement: (C# step, GEMM) pairs side by side, so that each ratio compares two timings taken moments apart
// (this machine's speed drifts by 20-30 % over a minute); Python's dense steps between the two halves. ----------------
CSharpStep(record: false);                                   // warm-up (allocator cache, Adam state)
Gemm();
var pairs = new List<(double step, double gemm)>();
ResetPeakRss();
for (var i = 0; i < steps; i++) pairs.Add((CSharpStep(record: true), Gemm()));
var csPeak = PeakRss();

var py = RunPython(d, n, k, batch, steps, threads);

for (var i = 0; i < steps; i++) pairs.Add((CSharpStep(record: true), Gemm()));

var csTimes = pairs.Select(p => p.step).ToList();
var gemmTimes = pairs.Select(p => p.gemm).ToList();
var floor = Median(gemmTimes);
var cs = Median(csTimes);
var ratio = Median(pairs.Select(p => p.step / p.gemm).ToList());
var overhead = Median(pairs.Select(p => p.step - p.gemm).ToList());
var dense = Median(py.steps);
Console.WriteLine($"{"",-36}{"median",10}{"vs floor",12}");
Console.WriteLine($"{"encoder GEMM (floor), C#",-36}{Fmt(floor),10}{"1.00x",12}   {2.0 * batch * d * n / floor / 1e9,6:F0} GFLOP/s");
Console.WriteLine($"{"encoder GEMM, Python",-36}{Fmt(Median(py.gemm)),10}{Median(py.gemm) / floor,11:F2}x");
Console.WriteLine($"{"sparse TopK step, C#" + (withAuxK ? " (+AuxK)" : ""),-36}{Fmt(cs),10}{ratio,11:F2}x   (median of the {pairs.Count} step/GEMM pairs)");
Console.WriteLine($"{"dense-autograd TopK step, Python",-36}{Fmt(dense),10}{dense / Median(py.gemm),11:F2}x   (against Python's own GEMM)");
Console.WriteLine();
Console.WriteLine($"C# sparse step / encoder-GEMM floor:   {ratio:F2}x   (goal: within 1.3x; the step costs the GEMM + {Fmt(overhead)})");
Console.WriteLine($"Python dense step / C# sparse step:    {dense / cs:F2}x faster");
Console.WriteLine($"peak RSS over the measured steps:      C# {Gib(csPeak)}   Python {Gib(py.peakRss)}");
Console.WriteLine($"glibc malloc tuning (large blocks kept, not unmapped): {(Environment.GetEnvironmentVariable("SAEWB_MALLOC_TUNING") == "0" ? "off (SAEWB_MALLOC_TUNING=0)" : "on")}");
Console.WriteLine($"C# step breakdown (mean of {csTimes.Count}): " + string.Join(", ", phase.Select(kv => $"{kv.Key} {Fmt(kv.Value / csTimes.Count)}")));
Console.WriteLine($"pairs (C# step / GEMM): {string.Join("  ", pairs.Select(p => $"{Fmt(p.step)}/{Fmt(p.gemm)}"))}");
Console.WriteLine($"Python steps: {string.Join(" ", py.steps.Select(Fmt))}; Python GEMMs: {string.Join(" ", py.gemm.Select(Fmt))}");
return 0;

static string Fmt(double seconds) => seconds >= 1 ? $"{seconds:F2} s" : $"{seconds * 1000:F0} ms";
static string Gib(long bytes) => bytes < 0 ? "n/a" : $"{bytes / (double)(1L << 30):F2} GiB";
static double Median(List<double> v)
{
    var s = v.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
}

static void ResetPeakRss()
{
    try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

static long PeakRss()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    return -1;
}

static (List<double> steps, List<double> gemm, long peakRss) RunPython(long d, long n, long k, long b, int steps, int threads)
{
    const string python = "/usr/bin/python3";   // Debian's interpreter with python3-torch (not the pyenv one on PATH)
    var script = Path.Combine(AppContext.BaseDirectory, "python", "dense_topk_step.py");
    var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in new object[] { script, d, n, k, b, steps, threads }) psi.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture)!);
    psi.Environment["PYTHONNOUSERSITE"] = "1";
    using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {python}");
    var stderr = p.StandardError.ReadToEndAsync();
    var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    p.WaitForExit();
    if (p.ExitCode != 0 || !lines.Contains("OK"))
        throw new InvalidOperationException($"{python} dense_topk_step.py failed (exit {p.ExitCode}): {stderr.Result}");
    double Val(string l) => double.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture);
    return (lines.Where(l => l.StartsWith("step ")).Select(Val).ToList(),
            lines.Where(l => l.StartsWith("gemm ")).Select(Val).ToList(),
            (long)Val(lines.Single(l => l.StartsWith("peak_rss_bytes "))));
}
