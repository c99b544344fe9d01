namespace SaeWorkbench.Torch.Tests;

/// <summary>
/// The caching CPU allocator (torch.cpu_cache): a freed large block serves the next request of about its size, the limit
/// holds, turning it off frees the cache, and tensors outlive any change of setting with their values intact.
/// </summary>
[Collection(MemoryCollection.Name)]
public class CpuCacheTests
{
    private const long Large = 3L << 20;   // 3 MiB: cached (>= 1 MiB), rounded to 4 MiB

    [Fact]
    public void AFreedLargeBlockServesTheNextRequestOfItsSize()
    {
        try
        {
            cpu_cache.set_caching(true, 1L << 30);
            cpu_cache.empty_cache();
            var before = cpu_cache.memory_stats();
            using (var t = empty(new[] { Large / 4 })) t.fill_(1);
            var cached = cpu_cache.memory_stats();
            Assert.Equal(before.CachedBytes + (4L << 20), cached.CachedBytes);   // rounded up to 2 MiB granules
            using (var t = empty(new[] { Large / 4 - 1000 }))                     // about the same size: a hit
            {
                var during = cpu_cache.memory_stats();
                Assert.Equal(cached.Hits + 1, during.Hits);
                Assert.Equal(before.CachedBytes, during.CachedBytes);
                t.fill_(2);
                Assert.Equal(2.0, t.mean().item<double>());
            }
            // A request far larger than any cached block misses (no block is handed out more than 1/8 too large).
            using (var big = empty(new[] { 4 * Large / 4 })) Assert.Equal(cached.Misses + 1, cpu_cache.memory_stats().Misses);
            // Small tensors never touch the cache.
            var small = cpu_cache.memory_stats();
            using (var t = ones(1000)) Assert.Equal(small.Hits + small.Misses, cpu_cache.memory_stats().Hits + cpu_cache.memory_stats().Misses);
        }
        finally
        {
            cpu_cache.set_caching(true, 4L << 30);
        }
    }

    [Fact]
    public void TheLimitHoldsAndTurningItOffFreesTheCacheButNotTheTensors()
    {
        try
        {
            cpu_cache.set_caching(true, 10L << 20);                               // 10 MiB
            cpu_cache.empty_cache();
            var blocks = Enumerable.Range(0, 5).Select(i => full(new[] { Large / 4 }, (double)i)).ToList();
            foreach (var b in blocks) b.Dispose();                                // 5 x 4 MiB freed, at most 10 MiB kept
            Assert.True(cpu_cache.memory_stats().CachedBytes <= 10L << 20);
            Assert.True(cpu_cache.memory_stats().CachedBytes >= 8L << 20);
            using var kept = full(new[] { Large / 4 }, 7.0);                      // made with the cache on
            cpu_cache.set_caching(false);
            var off = cpu_cache.memory_stats();
            Assert.False(off.Enabled);
            Assert.Equal(0, off.CachedBytes);
            Assert.Equal(7.0, kept.mean().item<double>());                        // its block is still valid
            using (var t = empty(new[] { Large / 4 })) Assert.Equal(off.Hits + off.Misses, cpu_cache.memory_stats().Hits + cpu_cache.memory_stats().Misses);
            kept.Dispose();                                                       // freed through its own deleter, not cached
            Assert.Equal(0, cpu_cache.memory_stats().CachedBytes);
            Assert.Throws<ArgumentOutOfRangeException>(() => cpu_cache.set_caching(true, -1));
        }
        finally
        {
            cpu_cache.set_caching(true, 4L << 30);
        }
    }
}
