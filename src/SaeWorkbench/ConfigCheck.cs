using System.Globalization;

namespace SaeWorkbench;

/// <summary>
/// Validation helpers for config records: every failure is an <see cref="ArgumentOutOfRangeException"/>
/// (or <see cref="ArgumentException"/>) whose ParamName is the field and whose message names the field,
/// the value and the allowed range, e.g. "TopKSaeConfig.K = 100 is out of range: must be in [1, NumLatents = 64]".
/// </summary>
public static class ConfigCheck
{
    /// <summary>Throws unless <paramref name="ok"/>: "{owner}.{field} = {value} is out of range: must be {range}".</summary>
    public static void Require(bool ok, string owner, string field, object value, string range)
    {
        if (ok) return;
        var v = value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? "null";
        throw new ArgumentOutOfRangeException(field, value, $"{owner}.{field} = {v} is out of range: must be {range}");
    }

    public static void Positive(long value, string owner, string field) => Require(value > 0, owner, field, value, "> 0");

    public static void Positive(double value, string owner, string field) => Require(value > 0 && double.IsFinite(value), owner, field, value, "> 0 and finite");

    public static void NonNegative(double value, string owner, string field) => Require(value >= 0 && double.IsFinite(value), owner, field, value, ">= 0 and finite");

    public static void NonNegative(long value, string owner, string field) => Require(value >= 0, owner, field, value, ">= 0");

    public static void InRange(double value, double lo, double hi, string owner, string field) =>
        Require(value >= lo && value <= hi, owner, field, value, $"in [{lo.ToString(CultureInfo.InvariantCulture)}, {hi.ToString(CultureInfo.InvariantCulture)}]");
}
