namespace SaeWorkbench.Training;

/// <summary>
/// One progress report of a long training run, produced by the trainer through an
/// <see cref="IProgress{T}"/> callback and shown by the command line (progress bars) and by
/// notebooks (a live line per report).
/// </summary>
/// <param name="RunName">Which run (several SAEs can train from one pass of activations).</param>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="TotalSteps">Planned optimiser steps (0 when open-ended).</param>
/// <param name="Tokens">Training tokens (activation vectors) consumed so far.</param>
/// <param name="TotalTokens">Planned tokens (0 when open-ended).</param>
/// <param name="TokensPerSecond">Throughput over the last reporting interval.</param>
/// <param name="Losses">Each loss term by name (e.g. "mse", "aux_k", "l0", "total"), last batch.</param>
/// <param name="L0">Mean number of active latents per token, last batch.</param>
/// <param name="DeadFraction">Fraction of latents that have not fired within the dead window, in [0, 1].</param>
/// <param name="LearningRate">Learning rate in force.</param>
/// <param name="Elapsed">Wall time since the run started.</param>
public sealed record TrainingProgress(
    string RunName,
    long Step,
    long TotalSteps,
    long Tokens,
    long TotalTokens,
    double TokensPerSecond,
    IReadOnlyDictionary<string, double> Losses,
    double L0,
    double DeadFraction,
    double LearningRate,
    TimeSpan Elapsed)
{
    /// <summary>Fraction of the planned tokens (or steps) done, in [0, 1], or null when open-ended.</summary>
    public double? FractionDone =>
        TotalTokens > 0 ? Math.Clamp(Tokens / (double)TotalTokens, 0, 1) :
        TotalSteps > 0 ? Math.Clamp(Step / (double)TotalSteps, 0, 1) : null;
}
