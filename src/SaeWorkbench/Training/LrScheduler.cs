using SaeWorkbench.Engine;

namespace SaeWorkbench.Training;

/// <summary>
/// Applies a schedule to an optimiser: call <see cref="step"/> after each optimiser step.
/// Its only state is the step count (<see cref="LastStep"/>), which a checkpoint saves.
/// </summary>
public sealed class LrScheduler
{
    private readonly SaeAdam _optimizer;

    public LrScheduler(SaeAdam optimizer, LrSchedule schedule, long startStep = 0)
    {
        _optimizer = optimizer;
        Schedule = schedule;
        LastStep = startStep;
        Apply();
    }

    public LrSchedule Schedule { get; }

    /// <summary>The step whose factor is in force now.</summary>
    public long LastStep { get; private set; }

    public double CurrentFactor => Schedule.Factor(LastStep);

    public void step()
    {
        LastStep++;
        Apply();
    }

    private void Apply()
    {
        var f = Schedule.Factor(LastStep);
        _optimizer.LearningRate = _optimizer.InitialLearningRate * f;
    }
}
