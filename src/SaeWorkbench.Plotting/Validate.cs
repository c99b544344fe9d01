using System.Globalization;

namespace SaeWorkbench.Plotting;

/// <summary>
/// Checks on figure attributes, run when a value is set, with messages that name the plotly attribute,
/// the value and the allowed range.
/// </summary>
internal static class Validate
{
    public static double? InRange(double? value, double min, double max, string attribute)
    {
        if (value is { } v && (double.IsNaN(v) || v < min || v > max))
            throw new ArgumentOutOfRangeException(attribute, v,
                $"{attribute} = {Format(v)} is outside the allowed range [{Format(min)}, {Format(max)}].");
        return value;
    }

    public static double? AtLeast(double? value, double min, string attribute)
    {
        if (value is { } v && (double.IsNaN(v) || v < min || double.IsPositiveInfinity(v)))
            throw new ArgumentOutOfRangeException(attribute, v,
                $"{attribute} = {Format(v)} is not allowed; it must be a finite number >= {Format(min)}.");
        return value;
    }

    public static int? AtLeast(int? value, int min, string attribute)
    {
        if (value is { } v && v < min)
            throw new ArgumentOutOfRangeException(attribute, v, $"{attribute} = {v} is not allowed; it must be >= {min}.");
        return value;
    }

    public static double? Finite(double? value, string attribute)
    {
        if (value is { } v && !double.IsFinite(v))
            throw new ArgumentOutOfRangeException(attribute, v, $"{attribute} = {Format(v)} is not allowed; it must be a finite number.");
        return value;
    }

    public static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static OneOrMany<double>? NonNegative(OneOrMany<double>? value, string attribute)
    {
        if (value is null) return null;
        var values = value.Values;
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] < 0 || double.IsPositiveInfinity(values[i]))
                throw new ArgumentOutOfRangeException(attribute, values[i],
                    value.IsArray
                        ? $"{attribute}[{i}] = {Format(values[i])} is not allowed; sizes must be finite and >= 0 (NaN means the default)."
                        : $"{attribute} = {Format(values[i])} is not allowed; it must be finite and >= 0.");
        }
        return value;
    }
}
