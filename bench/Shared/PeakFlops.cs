using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SaeWorkbench.Bench;

/// <summary>
/// The machine's float32 FMA peak, measured: every thread (one per core) runs a loop of
/// independent fused multiply-adds on 12 vector accumulators (enough to cover the FMA latency
/// of two FMA ports: 4 cycles x 2 ports = 8 in flight), so the loop is bound by FMA throughput
/// only. A 512-bit FMA is 16 lanes x 2 FLOPs. Several trials, the best one counts (the machine
/// is shared: interference only ever slows a trial down); see <see cref="Result.PeakGflops"/>.
/// </summary>
internal static class PeakFlops
{
    public sealed record Result(string Isa, int Threads, double GflopsPerSecond, double SingleThreadGflopsPerSecond)
    {
        /// <summary>
        /// The peak the GEMM is compared with: the all-core measurement, or the one-thread rate
        /// times the thread count when that is higher. On a shared machine another process often
        /// holds a core during the all-core trials (the all-core figure then drops to about one
        /// core's), while the one-thread trials find a free core; on a quiet machine the two agree
        /// within a few per cent (all-core turbo is slightly lower).
        /// </summary>
        public double PeakGflops => Math.Max(GflopsPerSecond, SingleThreadGflopsPerSecond * Threads);

        public string PeakSource => GflopsPerSecond >= SingleThreadGflopsPerSecond * Threads ? "all cores at once" : $"one thread x {Threads}";

        /// <summary>The better of two measurements of the same ISA (e.g. before and after the workloads).</summary>
        public Result Max(Result? other) => other is null || other.Isa != Isa ? this : this with
        {
            GflopsPerSecond = Math.Max(GflopsPerSecond, other.GflopsPerSecond),
            SingleThreadGflopsPerSecond = Math.Max(SingleThreadGflopsPerSecond, other.SingleThreadGflopsPerSecond),
        };
    }

    private static volatile float _sink;

    /// <summary>AVX-512 when the CPU has it (else AVX2+FMA); null when neither is available.</summary>
    public static Result? Measure(int threads, double secondsPerTrial, int trials, bool avx512 = true)
    {
        if (avx512 && Avx512F.IsSupported) return Run("AVX-512 (Vector512 FMA)", Loop512, 16, threads, secondsPerTrial, trials);
        if (Fma.IsSupported && Avx.IsSupported) return Run("AVX2 (Vector256 FMA)", Loop256, 8, threads, secondsPerTrial, trials);
        return null;
    }

    private const int Accumulators = 12;

    private static Result Run(string isa, Func<long, float> loop, int lanes, int threads, double secondsPerTrial, int trials)
    {
        // Calibrate: iterations per second of one thread, after JIT and a first warm run.
        loop(10_000);
        var probe = 2_000_000L;
        var sw = Stopwatch.StartNew();
        _sink += loop(probe);
        var perSecond = probe / Math.Max(sw.Elapsed.TotalSeconds, 1e-6);
        var iterations = Math.Max(100_000L, (long)(perSecond * secondsPerTrial));
        var flopsPerThread = (double)iterations * Accumulators * lanes * 2;

        var single = 0.0;
        var multi = 0.0;
        for (var t = 0; t < trials; t++)
        {
            sw.Restart();
            _sink += loop(iterations);
            single = Math.Max(single, flopsPerThread / sw.Elapsed.TotalSeconds / 1e9);
            multi = Math.Max(multi, RunThreads(loop, iterations, threads) * flopsPerThread / 1e9);
        }
        return new Result(isa, threads, multi, single);
    }

    /// <summary>Runs the loop on <paramref name="threads"/> threads at once; returns (threads / wall seconds).</summary>
    private static double RunThreads(Func<long, float> loop, long iterations, int threads)
    {
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim(false);
        var workers = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            workers[i] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                _sink += loop(iterations);
            }) { IsBackground = true, Priority = ThreadPriority.Highest };
            workers[i].Start();
        }
        ready.Wait();
        var sw = Stopwatch.StartNew();
        go.Set();
        foreach (var w in workers) w.Join();
        return threads / sw.Elapsed.TotalSeconds;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop512(long iterations)
    {
        // acc = acc * x + y converges to y / (1 - x): no overflow, no denormals.
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-6f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = Vector512.Create(1.1f), a2 = Vector512.Create(1.2f), a3 = Vector512.Create(1.3f);
        Vector512<float> a4 = Vector512.Create(1.4f), a5 = Vector512.Create(1.5f), a6 = Vector512.Create(1.6f), a7 = Vector512.Create(1.7f);
        Vector512<float> a8 = Vector512.Create(1.8f), a9 = Vector512.Create(1.9f), a10 = Vector512.Create(2.0f), a11 = Vector512.Create(2.1f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y);
            a1 = Avx512F.FusedMultiplyAdd(a1, x, y);
            a2 = Avx512F.FusedMultiplyAdd(a2, x, y);
            a3 = Avx512F.FusedMultiplyAdd(a3, x, y);
            a4 = Avx512F.FusedMultiplyAdd(a4, x, y);
            a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y);
            a7 = Avx512F.FusedMultiplyAdd(a7, x, y);
            a8 = Avx512F.FusedMultiplyAdd(a8, x, y);
            a9 = Avx512F.FusedMultiplyAdd(a9, x, y);
            a10 = Avx512F.FusedMultiplyAdd(a10, x, y);
            a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
        }
        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector512.Sum(s);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop256(long iterations)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-6f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = Vector256.Create(1.1f), a2 = Vector256.Create(1.2f), a3 = Vector256.Create(1.3f);
        Vector256<float> a4 = Vector256.Create(1.4f), a5 = Vector256.Create(1.5f), a6 = Vector256.Create(1.6f), a7 = Vector256.Create(1.7f);
        Vector256<float> a8 = Vector256.Create(1.8f), a9 = Vector256.Create(1.9f), a10 = Vector256.Create(2.0f), a11 = Vector256.Create(2.1f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, x, y);
            a1 = Fma.MultiplyAdd(a1, x, y);
            a2 = Fma.MultiplyAdd(a2, x, y);
            a3 = Fma.MultiplyAdd(a3, x, y);
            a4 = Fma.MultiplyAdd(a4, x, y);
            a5 = Fma.MultiplyAdd(a5, x, y);
            a6 = Fma.MultiplyAdd(a6, x, y);
            a7 = Fma.MultiplyAdd(a7, x, y);
            a8 = Fma.MultiplyAdd(a8, x, y);
            a9 = Fma.MultiplyAdd(a9, x, y);
            a10 = Fma.MultiplyAdd(a10, x, y);
            a11 = Fma.MultiplyAdd(a11, x, y);
        }
        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector256.Sum(s);
    }
}
