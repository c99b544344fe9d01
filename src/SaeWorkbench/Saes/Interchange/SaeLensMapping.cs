using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes.Interchange;

/// <summary>
/// How one architecture is written in SAELens's layout and read back (<see cref="SaeLensFormat"/>): the "architecture"
/// string of cfg.json, the tensors beyond W_enc, W_dec and b_dec, and any extra config fields.
/// </summary>
public sealed record SaeLensMapping
{
    /// <summary>SAELens's "architecture" value: "standard", "topk", "jumprelu" or "gated".</summary>
    public required string Architecture { get; init; }

    /// <summary>Adds the architecture's own tensors (b_enc, threshold, the gate and magnitude parameters) to those being
    /// saved, in SAELens's names and shapes.</summary>
    public required Action<SparseAutoencoder, IDictionary<string, Tensor>> WriteTensors { get; init; }

    /// <summary>Adds the architecture's own cfg.json fields (TopK: k).</summary>
    public Action<SparseAutoencoder, JsonObject>? WriteConfig { get; init; }

    /// <summary>Builds the SAE that a folder of this <see cref="Architecture"/> describes and copies its own tensors in;
    /// null when another architecture reads files of that name back (BatchTopK is written as "jumprelu").</summary>
    public Func<SaeLensReader, SparseAutoencoder>? Read { get; init; }
}

/// <summary>What a <see cref="SaeLensMapping.Read"/> gets: the sizes and shared settings of the folder's SAE, its
/// cfg.json, and its tensors, each checked against the expected shape.</summary>
public sealed class SaeLensReader
{
    private readonly Func<string, long[], Tensor> _get;
    private readonly Func<SaeConfig, SaeConfig> _shared;

    internal SaeLensReader(string configPath, JsonObject config, long dIn, long dSae, Func<SaeConfig, SaeConfig> shared, Func<string, long[], Tensor> get)
    {
        ConfigPath = configPath;
        Config = config;
        DIn = dIn;
        DSae = dSae;
        _shared = shared;
        _get = get;
    }

    /// <summary>The cfg.json path, for error messages.</summary>
    public string ConfigPath { get; }

    /// <summary>The parsed cfg.json.</summary>
    public JsonObject Config { get; }

    public long DIn { get; }
    public long DSae { get; }

    /// <summary>A copy of <paramref name="config"/> with the folder's sizes, normalisation, b_dec use, decoder constraint,
    /// initialisation and device.</summary>
    public SaeConfig Shared(SaeConfig config) => _shared(config);

    /// <summary>The named tensor as float32, failing with the file and tensor named when it is missing or mis-shaped.</summary>
    public Tensor Get(string name, params long[] shape) => _get(name, shape);
}
