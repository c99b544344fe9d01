namespace SaeWorkbench.Bench;

/// <summary>Timings of one side of one workload, in seconds per repetition.</summary>
internal sealed record Samples(IReadOnlyList<double> Seconds)
{
    public double Median => Stats.Median(Seconds);
    public double Min => Seconds.Min();
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
