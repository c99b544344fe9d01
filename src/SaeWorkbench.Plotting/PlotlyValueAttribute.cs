namespace SaeWorkbench.Plotting;

/// <summary>
/// The value plotly.js expects for an enum member: a string such as <c>"lines+markers"</c>, or a boolean for the
/// attributes whose allowed values mix strings and booleans (<c>boxpoints: false</c>, <c>visible: "legendonly"</c>).
/// Every enum of the figure model marks each member with it; <see cref="PlotlyJson"/> writes the value.
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class PlotlyValueAttribute : Attribute
{
    /// <summary>Maps the member to a string value.</summary>
    public PlotlyValueAttribute(string value) => Value = value;

    /// <summary>Maps the member to a boolean value.</summary>
    public PlotlyValueAttribute(bool value) => Value = value;

    /// <summary>The plotly.js value: a <see cref="string"/> or a <see cref="bool"/>.</summary>
    public object Value { get; }
}
