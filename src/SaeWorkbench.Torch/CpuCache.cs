using System.Globalization;
using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

/// <summary>The CPU block cache's counters (<see cref="torch.cpu_cache.memory_stats"/>).</summary>
/// <param name="Enabled">Whether freed large blocks are kept for reuse.</param>
/// <param name="LimitBytes">The most the cache keeps (freed blocks beyond it go back to the system).</param>
/// <param name="CachedBytes">Bytes held in the cache now, free for the next request.</param>
/// <param name="LiveBytes">Bytes of large blocks (>= 1 MiB) held by tensors now.</param>
/// <param name="Hits">Large requests served from the cache.</param>
/// <param name="Misses">Large requests that needed fresh memory.</param>
public sealed record CpuCacheStats(bool Enabled, long LimitBytes, long CachedBytes, long LiveBytes, long Hits, long Misses);

public static partial class torch
{
    /// <summary>
    /// The caching CPU allocator (native cpu_cache.cpp). CPU blocks of 1 MiB or more are rounded up to 2 MiB and kept on
    /// free, up to a limit, for the next request of about the same size, so a training loop that allocates the same
    /// shapes each step does not pay the kernel's page faults each step (0.15 s for a 512 MiB matrix on the 2-core test
    /// machine). On by default with a limit of min(4 GiB, a quarter of the memory); the environment variable
    /// <c>SAEWB_CPU_CACHE</c> set to <c>0</c> turns it off, or to a number sets the limit in MiB.
    /// </summary>
    public static class cpu_cache
    {
        /// <summary>Turns the cache on or off (off frees every cached block) and optionally sets its limit in bytes.</summary>
        public static void set_caching(bool enabled, long? limitBytes = null)
        {
            if (limitBytes is < 0) throw new ArgumentOutOfRangeException(nameof(limitBytes), limitBytes, "the cache limit must be >= 0 bytes");
            N.Check(N.saewb_cpu_cache_configure(enabled ? 1 : 0, limitBytes ?? -1));
        }

        /// <summary>Frees every cached block back to the system (tensors are untouched).</summary>
        public static void empty_cache() => N.Check(N.saewb_cpu_cache_empty());

        /// <summary>The cache's counters now.</summary>
        public static unsafe CpuCacheStats memory_stats()
        {
            var s = stackalloc long[6];
            N.Check(N.saewb_cpu_cache_stats(s));
            return new CpuCacheStats(s[0] != 0, s[1], s[2], s[3], s[4], s[5]);
        }

        /// <summary>The default: on, limit min(4 GiB, memory / 4), unless SAEWB_CPU_CACHE says otherwise (0: off; N: N MiB).</summary>
        internal static void ConfigureFromEnvironment()
        {
            var setting = Environment.GetEnvironmentVariable("SAEWB_CPU_CACHE")?.Trim();
            var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            var limit = Math.Min(4L << 30, memory > 0 ? memory / 4 : 1L << 30);
            var enabled = true;
            if (!string.IsNullOrEmpty(setting))
            {
                if (setting is "0" or "off" or "false") enabled = false;
                else if (long.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out var mib)) limit = mib << 20;
                else throw new InvalidOperationException($"SAEWB_CPU_CACHE='{setting}' is not understood: use 0 (off) or the cache limit in MiB, e.g. 2048");
            }
            N.Check(N.saewb_cpu_cache_configure(enabled ? 1 : 0, limit));
        }
    }
}
