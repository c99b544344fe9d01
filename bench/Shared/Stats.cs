namespace SaeWorkbench.Bench;

/// <summary>
/// Timings of one side of one workload, in seconds per repetition: wall clock, and the process's
/// CPU time over all its threads (less sensitive to other machines' load than the wall clock, as
/// a descheduled thread does not accumulate it, but it counts spinning threads).
/// </summary>
internal sealed record Samples(IReadOnlyList<double> Seconds, IReadOnlyList<double> CpuSeconds)
{
    public double Median => Stats.Median(Seconds);
    public double Min => Seconds.Min();
    public double CpuMedian => Stats.Median(CpuSeconds);
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
