using System.Text.Json.Nodes;
using SaeWorkbench.Saes.Interchange;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// The architectures (SAELens-style registry), one <see cref="SaeArchitecture"/> descriptor each, in report order:
/// TopK, BatchTopK, Multi-TopK (a TopK variant), ReLU + L1, JumpReLU, Gated. Names: "relu" (alias "standard", SAELens's
/// name), "topk", "multitopk", "batchtopk", "jumprelu", "gated".
/// <para>Optimiser defaults (Adam throughout, the fused single-pass form, no weight decay); (?) marks values the papers'
/// own text does not state, kept as options with these defaults:</para>
/// <list type="table">
/// <item><term>topk, batchtopk, multitopk</term><description>lr = 2e-4 / sqrt(n / 2^14) (Gao et al. 2024, Appendix A,
///   the lr scaling rule (?): 1.41e-4 at n = 32k; the paper quotes 1e-4), betas (0.9, 0.999), eps 6.25e-10, no warm-up or
///   decay, no clipping (the paper's released code).</description></item>
/// <item><term>jumprelu</term><description>Gemma Scope (Lieberum et al. 2024):
///   lr 7e-5, betas (0, 0.999), eps 1e-8, cosine warm-up from 0.1 lr over 1,000 steps, lambda warmed up linearly over
///   10,000 steps.</description></item>
/// <item><term>gated</term><description>as jumprelu (the JumpReLU paper trains its Gated baselines alike) (?).</description></item>
/// <item><term>relu</term><description>Anthropic's recipe (Conerly et al. 2024, "April update") (?): lr 5e-5, betas (0.9, 0.999),
///   eps 1e-8, lambda warm-up over the first 5% of steps, linear lr decay over the last 20%, gradient clipping at norm 1.</description></item>
/// </list>
/// </summary>
public static class SaeRegistry
{
    private static OptimizerSettings TopKOptimizer(long n) => new()
    {
        LearningRate = ScaledLearningRate(n), Beta1 = 0.9, Beta2 = 0.999, Eps = 6.25e-10,
        WarmupSteps = 0, WarmupStartFactor = 0, WarmupShape = Engine.WarmupShape.Linear, Decay = Engine.LrDecay.None, DecayFraction = 0,
        DecayEndFactor = 0, SparsityWarmupSteps = 0, GradClipNorm = 0,
    };

    private static OptimizerSettings GemmaScopeOptimizer(long n) => new()
    {
        LearningRate = 7e-5, Beta1 = 0.0, Beta2 = 0.999, Eps = 1e-8,
        WarmupSteps = 1000, WarmupStartFactor = 0.1, WarmupShape = Engine.WarmupShape.Cosine, Decay = Engine.LrDecay.None, DecayFraction = 0,
        DecayEndFactor = 0, SparsityWarmupSteps = 10_000, GradClipNorm = 0,
    };

    /// <summary>The TopK paper's learning-rate scaling with the number of latents: 2e-4 / sqrt(n / 2^14) (?).</summary>
    public static double ScaledLearningRate(long numLatents) => 2e-4 / Math.Sqrt(numLatents / 16384.0);

    // The TopK family's knob (TopK, Multi-TopK, BatchTopK: BatchTopKSaeConfig derives from TopKSaeConfig).
    private static readonly SparsityKnob K = new("k", "k", IsK: true,
        c => ((TopKSaeConfig)c).K, (c, v) => (TopKSaeConfig)c with { K = checked((long)v) });

    private static readonly SaeLensMapping TopKLayout = new()
    {
        Architecture = "topk",
        WriteTensors = (sae, t) => t["b_enc"] = ((TopKSae)sae).b_enc_N,
        WriteConfig = (sae, cfg) =>
        {
            var k = ((TopKSae)sae).Config.K;
            cfg["activation_fn_str"] = "topk";
            cfg["activation_fn_kwargs"] = new JsonObject { ["k"] = k };
            cfg["k"] = k;
        },
        Read = r =>
        {
            var k = r.Config["k"]?.GetValue<long>() ?? r.Config["activation_fn_kwargs"]?["k"]?.GetValue<long>()
                ?? throw new InvalidDataException($"'{r.ConfigPath}': a topk SAE needs 'k' (or activation_fn_kwargs.k)");
            var sae = new TopKSae((TopKSaeConfig)r.Shared(new TopKSaeConfig { K = k }));
            using (no_grad()) sae.b_enc_N.copy_(r.Get("b_enc", r.DSae));
            return sae;
        },
    };

    /// <summary>ReLU + L1 (Bricken et al. 2023; Conerly et al. 2024): z = ReLU(W_enc (x - b_dec) + b_enc), lambda sum_i z_i ||W_dec,i||.</summary>
    public static readonly SaeArchitecture Relu = new()
    {
        Name = "relu", Label = "ReLU + L1", Source = "Bricken et al. 2023; Conerly et al. 2024", ConfigType = typeof(ReluSaeConfig),
        NewConfig = (d, n) => new ReluSaeConfig { DIn = d, NumLatents = n },
        Construct = c => new ReluSae((ReluSaeConfig)c),
        LearningRateRule = _ => 5e-5,
        OptimizerDefaults = _ => new OptimizerSettings
        {
            LearningRate = 5e-5, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8,
            WarmupSteps = 0, WarmupStartFactor = 0, WarmupShape = Engine.WarmupShape.Linear, Decay = Engine.LrDecay.Linear, DecayFraction = 0.2,
            DecayEndFactor = 0, SparsityWarmupFraction = 0.05, GradClipNorm = 1.0,
        },
        Knob = new SparsityKnob("L1 coefficient", "l1_", IsK: false,
            c => ((ReluSaeConfig)c).L1Coefficient, (c, v) => (ReluSaeConfig)c with { L1Coefficient = v }),
        SaeLens = new SaeLensMapping
        {
            Architecture = "standard",
            WriteTensors = (sae, t) => t["b_enc"] = ((ReluSae)sae).b_enc_N,
            Read = r =>
            {
                var sae = new ReluSae((ReluSaeConfig)r.Shared(new ReluSaeConfig()));
                using (no_grad()) sae.b_enc_N.copy_(r.Get("b_enc", r.DSae));
                return sae;
            },
        },
    };

    /// <summary>TopK with AuxK (Gao et al. 2024, §2.3, §2.4.1).</summary>
    public static readonly SaeArchitecture TopK = new()
    {
        Name = "topk", Label = "TopK (AuxK)", Source = "Gao et al. 2024, §2.3", ConfigType = typeof(TopKSaeConfig),
        NewConfig = (d, n) => new TopKSaeConfig { DIn = d, NumLatents = n },
        Describes = c => !((TopKSaeConfig)c).MultiTopK,
        Construct = c => new TopKSae((TopKSaeConfig)c),
        LearningRateRule = ScaledLearningRate,
        OptimizerDefaults = TopKOptimizer,
        Knob = K,
        SaeLens = TopKLayout,
    };

    /// <summary>Multi-TopK, the TopK SAE trained on L(k) + L(4k) / 8 (Gao et al. 2024, §5.3): a TopK variant.</summary>
    public static readonly SaeArchitecture MultiTopK = TopK with
    {
        Name = "multitopk", Label = "Multi-TopK", Source = "Gao et al. 2024, §5.3", VariantOf = TopK,
        NewConfig = (d, n) => new TopKSaeConfig { DIn = d, NumLatents = n, MultiTopK = true },
        Describes = c => ((TopKSaeConfig)c).MultiTopK,
    };

    /// <summary>BatchTopK (Bussmann et al. 2024): the top B k pre-activations of the batch; a global threshold at inference.</summary>
    public static readonly SaeArchitecture BatchTopK = new()
    {
        Name = "batchtopk", Label = "BatchTopK", Source = "Bussmann et al. 2024", ConfigType = typeof(BatchTopKSaeConfig),
        NewConfig = (d, n) => new BatchTopKSaeConfig { DIn = d, NumLatents = n },
        Construct = c => new BatchTopKSae((BatchTopKSaeConfig)c),
        LearningRateRule = ScaledLearningRate,
        OptimizerDefaults = TopKOptimizer,
        Knob = K,   // `with` on a TopKSaeConfig reference keeps the BatchTopK record type
        // Written as SAELens does for inference: a JumpReLU with the global threshold for every latent.
        SaeLens = new SaeLensMapping
        {
            Architecture = "jumprelu",
            WriteTensors = (sae, t) =>
            {
                var batch = (BatchTopKSae)sae;
                t["b_enc"] = batch.b_enc_N;
                t["threshold"] = full(new[] { sae.Config.NumLatents }, batch.threshold.ToDouble(), sae.Config.DType, sae.Config.Device);
            },
        },
    };

    /// <summary>JumpReLU (Rajamanoharan et al. 2024b, §3): z = pi * H(pi - theta), an L0 penalty trained through
    /// straight-through pseudo-derivatives of the step.</summary>
    public static readonly SaeArchitecture JumpRelu = new()
    {
        Name = "jumprelu", Label = "JumpReLU", Source = "Rajamanoharan et al. 2024b, §3", ConfigType = typeof(JumpReluSaeConfig),
        NewConfig = (d, n) => new JumpReluSaeConfig { DIn = d, NumLatents = n },
        Construct = c => new JumpReluSae((JumpReluSaeConfig)c),
        LearningRateRule = _ => 7e-5,
        OptimizerDefaults = GemmaScopeOptimizer,
        Knob = new SparsityKnob("L0 coefficient", "l0_", IsK: false,
            c => ((JumpReluSaeConfig)c).L0Coefficient, (c, v) => (JumpReluSaeConfig)c with { L0Coefficient = v }),
        SaeLens = new SaeLensMapping
        {
            Architecture = "jumprelu",
            WriteTensors = (sae, t) =>
            {
                var jump = (JumpReluSae)sae;
                t["b_enc"] = jump.b_enc_N;
                t["threshold"] = jump.Threshold_N().to(sae.Config.DType);
            },
            Read = r =>
            {
                var sae = new JumpReluSae((JumpReluSaeConfig)r.Shared(new JumpReluSaeConfig()));
                using (no_grad())
                {
                    sae.b_enc_N.copy_(r.Get("b_enc", r.DSae));
                    // theta = 0 would be log 0; a threshold of 1e-30 is the same function on any float32 input.
                    sae.log_threshold_N.copy_(r.Get("threshold", r.DSae).clamp_min(1e-30).log());
                }
                return sae;
            },
        },
    };

    /// <summary>Gated (Rajamanoharan et al. 2024a, §3): a gate path picks the support, a magnitude path sets the values.</summary>
    public static readonly SaeArchitecture Gated = new()
    {
        Name = "gated", Label = "Gated", Source = "Rajamanoharan et al. 2024a, §3", ConfigType = typeof(GatedSaeConfig),
        NewConfig = (d, n) => new GatedSaeConfig { DIn = d, NumLatents = n },
        Construct = c => new GatedSae((GatedSaeConfig)c),
        LearningRateRule = _ => 7e-5,
        OptimizerDefaults = GemmaScopeOptimizer,
        Knob = new SparsityKnob("L1 coefficient", "l1_", IsK: false,
            c => ((GatedSaeConfig)c).L1Coefficient, (c, v) => (GatedSaeConfig)c with { L1Coefficient = v }),
        SaeLens = new SaeLensMapping
        {
            Architecture = "gated",
            WriteTensors = (sae, t) =>
            {
                var g = (GatedSae)sae;
                t["b_gate"] = g.b_gate_N;
                t["r_mag"] = g.r_mag_N;
                t["b_mag"] = g.b_mag_N;
            },
            Read = r =>
            {
                var sae = new GatedSae((GatedSaeConfig)r.Shared(new GatedSaeConfig()));
                using (no_grad())
                {
                    sae.b_gate_N.copy_(r.Get("b_gate", r.DSae));
                    sae.r_mag_N.copy_(r.Get("r_mag", r.DSae));
                    sae.b_mag_N.copy_(r.Get("b_mag", r.DSae));
                }
                return sae;
            },
        },
    };

    /// <summary>Every architecture, in report order.</summary>
    public static IReadOnlyList<SaeArchitecture> All { get; } = [TopK, BatchTopK, MultiTopK, Relu, JumpRelu, Gated];

    /// <summary>The registered architecture names.</summary>
    public static IReadOnlyList<string> Architectures { get; } = All.Select(a => a.Name).ToArray();

    /// <summary>The descriptor of a name ("standard" is relu, case and surrounding spaces ignored); an unknown name
    /// throws naming the field "architecture" and the allowed names.</summary>
    public static SaeArchitecture Get(string architecture)
    {
        var a = (architecture ?? "").Trim().ToLowerInvariant();
        if (a == "standard") a = "relu";
        return All.FirstOrDefault(x => x.Name == a)
            ?? throw new ArgumentException($"architecture '{architecture}' is not one of: {string.Join(", ", Architectures)} (or 'standard' for relu)", "architecture");
    }

    /// <summary>The descriptor of a config (its exact config type, then <see cref="SaeArchitecture.Describes"/>).</summary>
    public static SaeArchitecture Of(SaeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return All.FirstOrDefault(a => a.ConfigType == config.GetType() && a.Describes(config))
            ?? throw new ArgumentException($"no architecture is registered for config type {config.GetType().Name}", nameof(config));
    }

    /// <summary>A default config of the named architecture with the given sizes; an unknown name fails naming the field "architecture".</summary>
    public static SaeConfig DefaultConfig(string architecture, long dIn, long numLatents) => Get(architecture).NewConfig(dIn, numLatents);

    /// <summary>Builds (and so validates) the SAE a config describes.</summary>
    public static SparseAutoencoder Create(SaeConfig config) => Of(config).Construct(config);

    /// <summary>The canonical name ("standard" becomes "relu"); an unknown name throws naming the field "architecture".</summary>
    public static string Canonical(string architecture) => Get(architecture).Name;
}
