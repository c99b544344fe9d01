using System.Text.Json.Serialization;

namespace SaeWorkbench.Saes;

/// <summary>
/// Which SAE a result belongs to: its architecture, its width n and the value of its sparsity knob (k or lambda).
/// <see cref="Name"/> is the run's name everywhere (logs, checkpoints, the report): e.g. "topk-n1024-k16",
/// "jumprelu-n1024-l0_0.01".
/// </summary>
public sealed record SaeRunId(SaeArchitecture Architecture, long NumLatents, double Sparsity)
{
    /// <summary>The run name, "{architecture}-n{n}-{knob}{value}".</summary>
    public string Name => Architecture.RunName(NumLatents, Sparsity);

    /// <summary>k of a TopK-family run; null for a penalty architecture.</summary>
    public long? K => Architecture.Knob.IsK ? (long)Sparsity : null;

    /// <summary>lambda of a penalty architecture; null for the TopK family.</summary>
    public double? Lambda => Architecture.Knob.IsK ? null : Sparsity;

    /// <summary>The architecture as the report writes it, e.g. "TopK (AuxK)".</summary>
    [JsonIgnore]
    public string Label => Architecture.Label;

    /// <summary>The run's config: the architecture's default at this width with the knob set.</summary>
    public SaeConfig Config(long dIn) => Architecture.Knob.Set(Architecture.NewConfig(dIn, NumLatents), Sparsity);

    public override string ToString() => Name;
}
