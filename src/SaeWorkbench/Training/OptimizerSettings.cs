using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Training;

/// <summary>
/// Optimiser and schedule settings of one SAE's run. Every null field takes the architecture's default
/// (<see cref="For"/>; Gao et al. 2024, Appendix A; Lieberum et al. 2024): Adam throughout (the fused single-pass form), no weight decay.
/// <list type="table">
/// <item><term>topk, batchtopk</term><description>lr = 2e-4 / sqrt(n / 2^14) (the lr scaling rule (?): 1.41e-4 at n = 32k; the
///   paper quotes 1e-4), betas (0.9, 0.999), eps 6.25e-10, no warm-up or decay, no clipping (released code).</description></item>
/// <item><term>jumprelu</term><description>Gemma Scope: lr 7e-5, betas (0, 0.999), eps 1e-8, cosine warm-up from 0.1 lr over
///   1,000 steps, lambda warmed up linearly over 10,000 steps.</description></item>
/// <item><term>gated</term><description>as jumprelu (the JumpReLU paper trains its Gated baselines alike) (?).</description></item>
/// <item><term>relu</term><description>Anthropic's recipe (?): lr 5e-5, betas (0.9, 0.999), eps 1e-8, lambda warm-up over the
///   first 5% of steps, linear lr decay over the last 20%, gradient clipping at norm 1.</description></item>
/// </list>
/// (?) marks values that the papers' own text does not state (peer implementations use them): options with these defaults.
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary>Base learning rate, > 0.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Adam beta1 in [0, 1).</summary>
    public double? Beta1 { get; init; }

    /// <summary>Adam beta2 in [0, 1).</summary>
    public double? Beta2 { get; init; }

    /// <summary>Adam epsilon, > 0.</summary>
    public double? Eps { get; init; }

    /// <summary>Learning-rate warm-up length in steps, >= 0.</summary>
    public long? WarmupSteps { get; init; }

    /// <summary>Learning-rate factor at the first warm-up step, in [0, 1].</summary>
    public double? WarmupStartFactor { get; init; }

    /// <summary>Warm-up shape (linear or cosine).</summary>
    public WarmupShape? WarmupShape { get; init; }

    /// <summary>Decay after warm-up.</summary>
    public LrDecay? Decay { get; init; }

    /// <summary>Fraction of the total steps, at the end, over which the learning rate decays, in [0, 1].</summary>
    public double? DecayFraction { get; init; }

    /// <summary>Learning-rate factor at the end of the decay, in [0, 1].</summary>
    public double? DecayEndFactor { get; init; }

    /// <summary>Sparsity-coefficient (lambda) warm-up in steps, >= 0 (ignored by TopK-style SAEs, which have no lambda).</summary>
    public long? SparsityWarmupSteps { get; init; }

    /// <summary>Sparsity warm-up as a fraction of the total steps (used when <see cref="SparsityWarmupSteps"/> is null), in [0, 1].</summary>
    public double? SparsityWarmupFraction { get; init; }

    /// <summary>Clip the global gradient L2 norm to this value; 0 = no clipping; >= 0.</summary>
    public double? GradClipNorm { get; init; }

    /// <summary>The TopK paper's learning-rate scaling with the number of latents: 2e-4 / sqrt(n / 2^14) (?).</summary>
    public static double ScaledLearningRate(long numLatents) => 2e-4 / Math.Sqrt(numLatents / 16384.0);

    /// <summary>The architecture's defaults (see the type's summary), with every field set.</summary>
    public static OptimizerSettings For(SaeConfig config) => config.Architecture switch
    {
        "topk" or "batchtopk" => new OptimizerSettings
        {
            LearningRate = ScaledLearningRate(config.NumLatents), Beta1 = 0.9, Beta2 = 0.999, Eps = 6.25e-10,
            WarmupSteps = 0, WarmupStartFactor = 0, WarmupShape = Training.WarmupShape.Linear, Decay = LrDecay.None, DecayFraction = 0,
            DecayEndFactor = 0, SparsityWarmupSteps = 0, GradClipNorm = 0,
        },
        "jumprelu" or "gated" => new OptimizerSettings
        {
            LearningRate = 7e-5, Beta1 = 0.0, Beta2 = 0.999, Eps = 1e-8,
            WarmupSteps = 1000, WarmupStartFactor = 0.1, WarmupShape = Training.WarmupShape.Cosine, Decay = LrDecay.None, DecayFraction = 0,
            DecayEndFactor = 0, SparsityWarmupSteps = 10_000, GradClipNorm = 0,
        },
        "relu" => new OptimizerSettings
        {
            LearningRate = 5e-5, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8,
            WarmupSteps = 0, WarmupStartFactor = 0, WarmupShape = Training.WarmupShape.Linear, Decay = LrDecay.Linear, DecayFraction = 0.2,
            DecayEndFactor = 0, SparsityWarmupFraction = 0.05, GradClipNorm = 1.0,
        },
        _ => throw new ArgumentException($"no optimiser defaults for architecture '{config.Architecture}'", nameof(config)),
    };

    /// <summary>These settings with every null field filled from the architecture's defaults, validated.</summary>
    public OptimizerSettings Resolve(SaeConfig config)
    {
        var d = For(config);
        var r = new OptimizerSettings
        {
            LearningRate = LearningRate ?? d.LearningRate,
            Beta1 = Beta1 ?? d.Beta1,
            Beta2 = Beta2 ?? d.Beta2,
            Eps = Eps ?? d.Eps,
            WarmupSteps = WarmupSteps ?? d.WarmupSteps,
            WarmupStartFactor = WarmupStartFactor ?? d.WarmupStartFactor,
            WarmupShape = WarmupShape ?? d.WarmupShape,
            Decay = Decay ?? d.Decay,
            DecayFraction = DecayFraction ?? d.DecayFraction,
            DecayEndFactor = DecayEndFactor ?? d.DecayEndFactor,
            SparsityWarmupSteps = SparsityWarmupSteps ?? (SparsityWarmupFraction is null ? d.SparsityWarmupSteps : null),
            SparsityWarmupFraction = SparsityWarmupFraction ?? d.SparsityWarmupFraction ?? 0,
            GradClipNorm = GradClipNorm ?? d.GradClipNorm,
        };
        const string owner = nameof(OptimizerSettings);
        ConfigCheck.Positive(r.LearningRate!.Value, owner, nameof(LearningRate));
        ConfigCheck.Require(r.Beta1 >= 0 && r.Beta1 < 1, owner, nameof(Beta1), r.Beta1!, "in [0, 1)");
        ConfigCheck.Require(r.Beta2 >= 0 && r.Beta2 < 1, owner, nameof(Beta2), r.Beta2!, "in [0, 1)");
        ConfigCheck.Positive(r.Eps!.Value, owner, nameof(Eps));
        ConfigCheck.Require(r.WarmupSteps >= 0, owner, nameof(WarmupSteps), r.WarmupSteps!, ">= 0");
        ConfigCheck.InRange(r.WarmupStartFactor!.Value, 0, 1, owner, nameof(WarmupStartFactor));
        ConfigCheck.InRange(r.DecayFraction!.Value, 0, 1, owner, nameof(DecayFraction));
        ConfigCheck.InRange(r.DecayEndFactor!.Value, 0, 1, owner, nameof(DecayEndFactor));
        if (r.SparsityWarmupSteps is { } s) ConfigCheck.Require(s >= 0, owner, nameof(SparsityWarmupSteps), s, ">= 0");
        ConfigCheck.InRange(r.SparsityWarmupFraction!.Value, 0, 1, owner, nameof(SparsityWarmupFraction));
        ConfigCheck.NonNegative(r.GradClipNorm!.Value, owner, nameof(GradClipNorm));
        return r;
    }

    /// <summary>The learning-rate schedule of resolved settings for a run of <paramref name="totalSteps"/> steps.</summary>
    public WarmupDecaySchedule Schedule(long totalSteps)
    {
        var s = new WarmupDecaySchedule(totalSteps, WarmupSteps ?? 0, WarmupStartFactor ?? 0, WarmupShape ?? Training.WarmupShape.Linear,
            Decay ?? LrDecay.None, (long)Math.Round((DecayFraction ?? 0) * totalSteps), DecayEndFactor ?? 0);
        s.Validate();
        return s;
    }

    /// <summary>The sparsity warm-up of resolved settings for a run of <paramref name="totalSteps"/> steps.</summary>
    public SparsityWarmup SparsityWarmup(long totalSteps) =>
        new(SparsityWarmupSteps ?? (long)Math.Round((SparsityWarmupFraction ?? 0) * totalSteps));
}
