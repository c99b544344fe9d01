using System.Globalization;
using System.Text.RegularExpressions;

namespace SaeWorkbench.Plotting;

/// <summary>
/// Names of cartesian axes as plotly.js writes them: traces refer to <c>"x"</c>, <c>"x2"</c>, ... and <c>"y"</c>,
/// <c>"y2"</c>, ...; the layout holds them as <c>xaxis</c>, <c>xaxis2</c>, ....
/// </summary>
public static partial class AxisRef
{
    /// <summary>The trace reference of x axis <paramref name="n"/> (1-based): <c>"x"</c>, <c>"x2"</c>, ....</summary>
    public static string X(int n) => Name("x", n);

    /// <summary>The trace reference of y axis <paramref name="n"/> (1-based): <c>"y"</c>, <c>"y2"</c>, ....</summary>
    public static string Y(int n) => Name("y", n);

    private static string Name(string letter, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return n == 1 ? letter : letter + n.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Splits <c>"x3"</c> into (true, 3), <c>"y"</c> into (false, 1).</summary>
    internal static (bool IsX, int Number) Parse(string reference)
    {
        var m = RefPattern().Match(reference ?? "");
        if (!m.Success)
            throw new ArgumentException($"'{reference}' is not an axis reference; use \"x\", \"x2\", ..., \"y\", \"y2\", ....", nameof(reference));
        var n = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 1;
        return (m.Groups[1].Value == "x", n);
    }

    internal static bool IsNumberedAxisName(string name) => NamePattern().IsMatch(name);

    [GeneratedRegex("^([xy])([2-9]|[1-9][0-9]+)?$")]
    private static partial Regex RefPattern();

    [GeneratedRegex("^[xy]axis[0-9]+$")]
    private static partial Regex NamePattern();
}
