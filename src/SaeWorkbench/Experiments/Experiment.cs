namespace SaeWorkbench.Experiments;

/// <summary>
/// One experiment of the reproduction: a step that computes over the shared <see cref="ReproductionContext"/> and records
/// its result in <see cref="ReproductionContext.Results"/>, and the report section that shows that result. The steps run
/// in the order of <see cref="Reproduction.Steps"/>; each needs the ones before it.
/// </summary>
/// <param name="id">The section's anchor on the report page, e.g. "harvest".</param>
/// <param name="title">The section's heading, e.g. "Harvested activations and normalisation".</param>
/// <param name="stepName">The step's name in logs and timings, e.g. "harvest".</param>
public abstract class Experiment(string id, string title, string stepName)
{
    /// <summary>The section's anchor on the report page.</summary>
    public string Id { get; } = id;

    /// <summary>The section's heading.</summary>
    public string Title { get; } = title;

    /// <summary>The step's name in logs and timings.</summary>
    public string StepName { get; } = stepName;

    /// <summary>This step's part of the results (its record), or null when it has not run.</summary>
    public abstract object? ResultIn(ReproductionResults r);

    /// <summary><paramref name="into"/> with this step's part taken from <paramref name="from"/> (a saved result read back).</summary>
    public abstract ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from);

    /// <summary>Runs the step: computes, logs progress through <see cref="ReproductionContext.Log"/>, records the result.</summary>
    public abstract void Run(ReproductionContext c);

    /// <summary>The report section's HTML body from the results alone; null when the step has not run (or has no section).</summary>
    public virtual string? Section(ReproductionResults r) => null;

    public override string ToString() => StepName;
}
