using static TorchSharp.torch;

namespace SaeWorkbench.Engine;

/// <summary>How the learning rate decays after warm-up.</summary>
public enum LrDecay
{
    /// <summary>Constant after warm-up (the TopK paper's released code).</summary>
    None,

    /// <summary>Half-cosine from 1 down to the end factor over the decay steps.</summary>
    Cosine,

    /// <summary>Linear from 1 down to the end factor over the decay steps (Anthropic's recipe: the last 20% of training).</summary>
    Linear,
}

/// <summary>
/// The learning-rate schedule of a run as a pure function of the step (so a checkpoint only stores the step):
/// a warm-up from <paramref name="WarmupStartFactor"/> to 1 over <paramref name="WarmupSteps"/> (linear or, as Gemma
/// Scope, cosine), then constant, then a decay to <paramref name="EndFactor"/> over the last <paramref name="DecaySteps"/>
/// of <paramref name="TotalSteps"/>. Multiplies the run's base learning rate.
/// </summary>
public sealed record WarmupDecaySchedule(long TotalSteps, long WarmupSteps = 0, double WarmupStartFactor = 0,
    WarmupShape WarmupShape = WarmupShape.Linear, LrDecay Decay = LrDecay.None, long DecaySteps = 0, double EndFactor = 0)
    : LrSchedule
{
    public void Validate()
    {
        const string owner = nameof(WarmupDecaySchedule);
        ConfigCheck.Positive(TotalSteps, owner, nameof(TotalSteps));
        ConfigCheck.Require(WarmupSteps >= 0, owner, nameof(WarmupSteps), WarmupSteps, ">= 0");
        ConfigCheck.InRange(WarmupStartFactor, 0, 1, owner, nameof(WarmupStartFactor));
        ConfigCheck.Require(DecaySteps >= 0 && DecaySteps <= TotalSteps, owner, nameof(DecaySteps), DecaySteps, $"in [0, TotalSteps = {TotalSteps}]");
        ConfigCheck.InRange(EndFactor, 0, 1, owner, nameof(EndFactor));
    }

    public override double Factor(long step)
    {
        if (step < WarmupSteps)
        {
            var t = Math.Max(0, step) / (double)WarmupSteps;
            var u = WarmupShape == WarmupShape.Linear ? t : 0.5 * (1 - Math.Cos(Math.PI * t));
            return WarmupStartFactor + (1 - WarmupStartFactor) * u;
        }
        if (Decay == LrDecay.None || DecaySteps == 0) return 1.0;
        var start = Math.Max(WarmupSteps, TotalSteps - DecaySteps);
        if (step < start) return 1.0;
        if (step >= TotalSteps) return EndFactor;
        var s = (step - start) / (double)Math.Max(1, TotalSteps - start);
        var shape = Decay == LrDecay.Linear ? 1 - s : 0.5 * (1 + Math.Cos(Math.PI * s));
        return EndFactor + (1 - EndFactor) * shape;
    }
}

/// <summary>
/// Linear warm-up of the sparsity coefficient (lambda) from 0 to its configured value over
/// <paramref name="WarmupSteps"/> steps (Lieberum et al. 2024, Gemma Scope: 10,000 steps): factor(step) = min(1, step / W).
/// </summary>
public sealed record SparsityWarmup(long WarmupSteps)
{
    public double Factor(long step) => WarmupSteps <= 0 ? 1.0 : Math.Clamp(step / (double)WarmupSteps, 0, 1);
}
