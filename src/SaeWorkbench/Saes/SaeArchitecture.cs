using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.Saes.Interchange;

namespace SaeWorkbench.Saes;

/// <summary>
/// Everything the workbench knows about one SAE architecture, in one place (the instances are in <see cref="SaeRegistry"/>):
/// its name and label, its config type and constructor, its optimiser defaults and learning-rate rule, its sparsity knob
/// and its SAELens mapping. Code that used to switch on an architecture string reads the descriptor instead. A variant
/// (Multi-TopK) shares its base's config type and SAE class and differs in a config flag that <see cref="Describes"/> reads.
/// Serialised (results.json, configs) as its <see cref="Name"/>.
/// </summary>
[JsonConverter(typeof(SaeArchitectureJsonConverter))]
public sealed record SaeArchitecture
{
    /// <summary>The registry name, also the prefix of run names: "relu", "topk", "multitopk", "batchtopk", "jumprelu", "gated".</summary>
    public required string Name { get; init; }

    /// <summary>The name as the report writes it, e.g. "TopK (AuxK)".</summary>
    public required string Label { get; init; }

    /// <summary>The paper and section that define it, e.g. "Gao et al. 2024, §2.3".</summary>
    public required string Source { get; init; }

    /// <summary>The config record the SAE is built from.</summary>
    public required Type ConfigType { get; init; }

    /// <summary>The architecture this one is a variant of (Multi-TopK: TopK), or null.</summary>
    public SaeArchitecture? VariantOf { get; init; }

    /// <summary>A default config of this architecture with d_in and n set: (dIn, numLatents) => config.</summary>
    public required Func<long, long, SaeConfig> NewConfig { get; init; }

    /// <summary>True when a config of <see cref="ConfigType"/> is of this architecture (tells a variant from its base).</summary>
    public Func<SaeConfig, bool> Describes { get; init; } = _ => true;

    /// <summary>Builds (and so validates) the SAE of a config of this architecture.</summary>
    public required Func<SaeConfig, SparseAutoencoder> Construct { get; init; }

    /// <summary>The paper's learning rate at a width n.</summary>
    public required Func<long, double> LearningRateRule { get; init; }

    /// <summary>The optimiser and schedule defaults at a width n, every field set (see <see cref="OptimizerSettings"/>).</summary>
    public required Func<long, OptimizerSettings> OptimizerDefaults { get; init; }

    /// <summary>The sparsity knob: k or lambda.</summary>
    public required SparsityKnob Knob { get; init; }

    /// <summary>How it is written in and read from SAELens's layout.</summary>
    public required SaeLensMapping SaeLens { get; init; }

    /// <summary>The run name of this architecture at width n and knob value v, e.g. "topk-n1024-k16", "relu-n1024-l1_0.1".</summary>
    public string RunName(long numLatents, double sparsity) => $"{Name}-n{numLatents}-{Knob.RunNamePart}{Knob.Format(sparsity)}";

    /// <summary>The id of a run of this architecture.</summary>
    public SaeRunId Run(long numLatents, double sparsity) => new(this, numLatents, sparsity);

    // Descriptors compare by name: two descriptors with the same name are the same architecture.
    public bool Equals(SaeArchitecture? other) => other is not null && other.Name == Name;
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Name;
}

/// <summary>Writes an <see cref="SaeArchitecture"/> as its name and reads it back through <see cref="SaeRegistry.Get"/>.</summary>
public sealed class SaeArchitectureJsonConverter : JsonConverter<SaeArchitecture>
{
    public override SaeArchitecture Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"an architecture is a name, one of: {string.Join(", ", SaeRegistry.All.Select(a => a.Name))}");
        try
        {
            return SaeRegistry.Get(reader.GetString()!);
        }
        catch (ArgumentException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, SaeArchitecture value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name);
}
