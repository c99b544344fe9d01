namespace SaeWorkbench.Saes;

/// <summary>
/// The architectures by name (SAELens-style registry): "relu" (alias "standard", SAELens's name), "topk",
/// "batchtopk", "jumprelu", "gated". Maps a name to a default config and a config to its SAE.
/// </summary>
public static class SaeRegistry
{
    private static readonly string[] Names = ["relu", "topk", "batchtopk", "jumprelu", "gated"];

    /// <summary>The registered architecture names.</summary>
    public static IReadOnlyList<string> Architectures => Names;

    /// <summary>A default config of the named architecture with the given sizes; an unknown name fails naming the field "architecture".</summary>
    public static SaeConfig DefaultConfig(string architecture, long dIn, long numLatents) => Canonical(architecture) switch
    {
        "relu" => new ReluSaeConfig { DIn = dIn, NumLatents = numLatents },
        "topk" => new TopKSaeConfig { DIn = dIn, NumLatents = numLatents },
        "batchtopk" => new BatchTopKSaeConfig { DIn = dIn, NumLatents = numLatents },
        "jumprelu" => new JumpReluSaeConfig { DIn = dIn, NumLatents = numLatents },
        "gated" => new GatedSaeConfig { DIn = dIn, NumLatents = numLatents },
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Builds (and so validates) the SAE a config describes.</summary>
    public static SparseAutoencoder Create(SaeConfig config) => config switch
    {
        ReluSaeConfig c => new ReluSae(c),
        BatchTopKSaeConfig c => new BatchTopKSae(c),
        TopKSaeConfig c => new TopKSae(c),
        JumpReluSaeConfig c => new JumpReluSae(c),
        GatedSaeConfig c => new GatedSae(c),
        null => throw new ArgumentNullException(nameof(config)),
        _ => throw new ArgumentException($"no architecture is registered for config type {config.GetType().Name}", nameof(config)),
    };

    /// <summary>The canonical name ("standard" becomes "relu"); an unknown name throws naming the field "architecture".</summary>
    public static string Canonical(string architecture)
    {
        var a = (architecture ?? "").Trim().ToLowerInvariant();
        if (a == "standard") a = "relu";
        if (Array.IndexOf(Names, a) < 0)
            throw new ArgumentException($"architecture '{architecture}' is not one of: {string.Join(", ", Names)} (or 'standard' for relu)", "architecture");
        return a;
    }
}
