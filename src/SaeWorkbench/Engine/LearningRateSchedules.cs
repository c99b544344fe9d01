namespace SaeWorkbench.Engine;

/// <summary>
/// Learning-rate schedules as pure functions of the step: factor(step) multiplies each
/// group's initial learning rate. Steps count from 0 (the first optimiser step uses factor(0)).
/// </summary>
public abstract record LrSchedule
{
    public abstract double Factor(long step);

    protected static void Require(bool ok, string field, object value, string range)
    {
        if (!ok) throw new ArgumentOutOfRangeException(field, value, $"{field} must be {range}");
    }
}

/// <summary>Shape of a warm-up ramp.</summary>
public enum WarmupShape { Linear, Cosine }

/// <summary>Constant factor 1.</summary>
public sealed record ConstantLR : LrSchedule
{
    public override double Factor(long step) => 1.0;
}

/// <summary>
/// Warm-up from <paramref name="StartFactor"/> to 1 over <paramref name="WarmupSteps"/> steps,
/// linear or along a half cosine (Gemma Scope: cosine from 0.1 over 1,000 steps), then 1.
/// </summary>
public sealed record WarmupLR(long WarmupSteps, double StartFactor = 0.0, WarmupShape Shape = WarmupShape.Linear) : LrSchedule
{
    public override double Factor(long step)
    {
        Require(WarmupSteps >= 0, nameof(WarmupSteps), WarmupSteps, ">= 0");
        Require(StartFactor >= 0 && StartFactor <= 1, nameof(StartFactor), StartFactor, "in [0, 1]");
        return Ramp(step, WarmupSteps, StartFactor, Shape);
    }

    internal static double Ramp(long step, long steps, double start, WarmupShape shape)
    {
        if (steps == 0 || step >= steps) return 1.0;
        var t = Math.Max(0, step) / (double)steps;
        var u = shape == WarmupShape.Linear ? t : 0.5 * (1 - Math.Cos(Math.PI * t));
        return start + (1 - start) * u;
    }
}

/// <summary>Optional warm-up, then cosine decay from 1 to <paramref name="MinFactor"/> at <paramref name="TotalSteps"/>.</summary>
public sealed record CosineLR(long TotalSteps, long WarmupSteps = 0, double MinFactor = 0.0, double WarmupStartFactor = 0.0) : LrSchedule
{
    public override double Factor(long step)
    {
        Require(TotalSteps > 0, nameof(TotalSteps), TotalSteps, "> 0");
        Require(WarmupSteps >= 0 && WarmupSteps <= TotalSteps, nameof(WarmupSteps), WarmupSteps, $"in [0, TotalSteps={TotalSteps}]");
        Require(MinFactor >= 0 && MinFactor <= 1, nameof(MinFactor), MinFactor, "in [0, 1]");
        if (step < WarmupSteps) return WarmupLR.Ramp(step, WarmupSteps, WarmupStartFactor, WarmupShape.Linear);
        if (step >= TotalSteps) return MinFactor;
        var t = (step - WarmupSteps) / (double)Math.Max(1, TotalSteps - WarmupSteps);
        return MinFactor + (1 - MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * t));
    }
}

/// <summary>Optional warm-up, constant, then linear decay to <paramref name="EndFactor"/> over the last
/// <paramref name="DecaySteps"/> of <paramref name="TotalSteps"/> (the JumpReLU paper decays over the final 20%).</summary>
public sealed record LinearDecayLR(long TotalSteps, long DecaySteps, double EndFactor = 0.0, long WarmupSteps = 0, double WarmupStartFactor = 0.0) : LrSchedule
{
    public override double Factor(long step)
    {
        Require(TotalSteps > 0, nameof(TotalSteps), TotalSteps, "> 0");
        Require(DecaySteps >= 0 && DecaySteps <= TotalSteps, nameof(DecaySteps), DecaySteps, $"in [0, TotalSteps={TotalSteps}]");
        Require(EndFactor >= 0 && EndFactor <= 1, nameof(EndFactor), EndFactor, "in [0, 1]");
        if (step < WarmupSteps) return WarmupLR.Ramp(step, WarmupSteps, WarmupStartFactor, WarmupShape.Linear);
        var decayStart = TotalSteps - DecaySteps;
        if (step < decayStart) return 1.0;
        if (step >= TotalSteps) return EndFactor;
        var t = (step - decayStart) / (double)Math.Max(1, DecaySteps);
        return 1.0 + (EndFactor - 1.0) * t;
    }
}
