using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// Optimiser and schedule settings of one SAE's run. Every null field takes the architecture's default
/// (<see cref="For"/>: the descriptor's <see cref="SaeArchitecture.OptimizerDefaults"/>, listed in <see cref="SaeRegistry"/>).
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

    /// <summary>The architecture's defaults (<see cref="SaeArchitecture.OptimizerDefaults"/>), with every field set.</summary>
    public static OptimizerSettings For(SaeConfig config) => SaeRegistry.Of(config).OptimizerDefaults(config.NumLatents);

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
        var s = new WarmupDecaySchedule(totalSteps, WarmupSteps ?? 0, WarmupStartFactor ?? 0, WarmupShape ?? Engine.WarmupShape.Linear,
            Decay ?? LrDecay.None, (long)Math.Round((DecayFraction ?? 0) * totalSteps), DecayEndFactor ?? 0);
        s.Validate();
        return s;
    }

    /// <summary>The sparsity warm-up of resolved settings for a run of <paramref name="totalSteps"/> steps.</summary>
    public SparsityWarmup SparsityWarmup(long totalSteps) =>
        new(SparsityWarmupSteps ?? (long)Math.Round((SparsityWarmupFraction ?? 0) * totalSteps));
}
