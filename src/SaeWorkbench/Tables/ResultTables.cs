using SaeWorkbench.Metrics.N2g;
using Microsoft.Data.Analysis;
using SaeWorkbench.Experiments;
using SaeWorkbench.Metrics;
using SaeWorkbench.Saes;

namespace SaeWorkbench.Tables;

/// <summary>
/// The results the metrics and the experiments return, as <see cref="DataFrame"/> tables (Microsoft.Data.Analysis), for
/// notebooks (.NET Interactive shows a DataFrame as an HTML table), CSV export and quick filtering. Columns follow
/// <see cref="Table"/>'s rules (one per property, nested records flattened as <c>Parent.Child</c>, arrays left out).
/// <para>A result that is one measurement gives a one-row table; a result that holds rows (runs, points, latents,
/// tasks, parameters) gives those rows, with the run's name and family in front where the rows belong to runs.</para>
/// </summary>
public static class ResultTables
{
    // ---------------------------------------------------------------- Metrics/

    /// <summary>One row: tokens, cross-entropies, delta loss, KL, ablation baselines, loss recovered.</summary>
    public static DataFrame ToDataFrame(this DownstreamLossResult r) => Table.FromRecord(r);

    /// <summary>One row per result (e.g. one per SAE).</summary>
    public static DataFrame ToDataFrame(this IEnumerable<DownstreamLossResult> rows) => Table.FromRecords(rows);

    /// <summary>One row: <c>Sae.*</c> and <c>Explanations.*</c> downstream-loss columns, and the simulated latents.</summary>
    public static DataFrame ToDataFrame(this ExplanationReconstructionResult r) => Table.FromRecord(r);

    /// <summary>One row: tokens, latents, MSE, normalized MSE, FVU, explained variance, L0, L1, dead and dense latents.</summary>
    public static DataFrame ToDataFrame(this ReconstructionResult r) => Table.FromRecord(r);

    /// <summary>One row per result.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<ReconstructionResult> rows) => Table.FromRecords(rows);

    /// <summary>One row: MSE before and after refinement, the gain, the magnitude ratio, convergence.</summary>
    public static DataFrame ToDataFrame(this RefinementResult r) => Table.FromRecord(r);

    /// <summary>One row: mean effective count, mean fraction of V*T, vocabulary and positions.</summary>
    public static DataFrame ToDataFrame(this AblationSparsityResult r) => Table.FromRecord(r);

    /// <summary>One row: seed and the summary statistics (mean, median, ...) of both max-cosine distributions.</summary>
    public static DataFrame ToDataFrame(this MaxCosineSimilarityResult r) => Table.FromRecord(r);

    /// <summary>One row per (token, latent, head): the head's share of the latent's pre-activation.</summary>
    public static DataFrame ToDataFrame(this HeadAttributionResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var rows = new List<HeadAttributionRow>();
        for (int b = 0; b < r.PerHead.GetLength(0); b++)
            for (int l = 0; l < r.Latents.Length; l++)
                for (int h = 0; h < r.NumHeads; h++)
                    rows.Add(new HeadAttributionRow(b, r.Latents[l], h, r.PerHead[b, l, h]));
        return Table.FromRecords(rows);
    }

    /// <summary>One row per swept activation (the native one first, marked <c>Native</c>).</summary>
    public static DataFrame ToDataFrame(this ProgressiveCodeResult r) =>
        Table.FromRecords(r.Points.Prepend(r.Native).Select((p, i) => new ProgressivePointRow(i == 0, p.Activation, p.Parameter, p.L0, p.Mse, p.NormalizedMse)));

    /// <summary>One row per task: winning latent, probe weight and bias, cross-entropies, positives, convergence.</summary>
    public static DataFrame ToDataFrame(this ProbeLossResult r) => Table.FromRecords(r.Tasks);

    /// <summary>One row per task result.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<ProbeTaskResult> rows) => Table.FromRecords(rows);

    /// <summary>One row: the task's winning latent and its probe.</summary>
    public static DataFrame ToDataFrame(this ProbeTaskResult r) => Table.FromRecord(r);

    /// <summary>One row per parameter of the fit: name, value, standard error, confidence bounds.</summary>
    public static DataFrame ToDataFrame(this ScalingLawFit r) => Table.FromRecords(r.Parameters);

    /// <summary>One row per scored latent: tokens, firings of the latent and of its explanation, both, threshold, precision, recall.</summary>
    public static DataFrame ToDataFrame(this N2gScoreReport r) => Table.FromRecords(r.Latents);

    /// <summary>One row per score.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<N2gScore> rows) => Table.FromRecords(rows);

    /// <summary>One row per explained latent: its id, pattern count and statistics (<c>Stats.*</c>).</summary>
    public static DataFrame ToDataFrame(this N2gExplainResult r) => Table.FromRecords(r.Explanations.Select(e => new N2gExplanationRow(e.LatentId, e.Patterns.Count, e.Stats)));

    // ---------------------------------------------------------------- Experiments/

    /// <summary>One row per step: name and seconds.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<StepTiming> rows) => Table.FromRecords(rows);

    /// <summary>One row: the subject model's shape, its test score (<c>Test.*</c>) and card (<c>Card.*</c>).</summary>
    public static DataFrame ToDataFrame(this SubjectResult r) => Table.FromRecord(r);

    /// <summary>One row: token and window counts, throughput, normalization statistics.</summary>
    public static DataFrame ToDataFrame(this HarvestResult r) => Table.FromRecord(r);

    /// <summary>One row per logged step: step, loss, L0.</summary>
    public static DataFrame ToDataFrame(this TrainingCurve r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return Table.FromRecords(r.Steps.Select((s, i) => new TrainingCurveRow(s, r.Loss[i], r.L0[i])));
    }

    /// <summary>One row per trained SAE: its settings, final losses (<c>FinalLosses.*</c>), dead fraction.</summary>
    public static DataFrame ToDataFrame(this TrainingResult r) => Table.FromRecords(r.Runs);

    /// <summary>One row per trained SAE.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<SaeRunTraining> rows) => Table.FromRecords(rows);

    /// <summary>One row per evaluated SAE: L0, normalized MSE, explained variance, dead/dense, downstream (<c>Downstream.*</c>).</summary>
    public static DataFrame ToDataFrame(this IEnumerable<SaeRunEvaluation> rows) => Table.FromRecords(rows);

    /// <summary>One row per SAE at the main width (<see cref="ArchitecturesResult.AllAtWidth"/>), with <c>Matched</c> marking the k-matched ones.</summary>
    public static DataFrame ToDataFrame(this ArchitecturesResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var matched = r.Matched.Select(m => m.Run.Name).ToHashSet(StringComparer.Ordinal);
        var table = Table.FromRecords(r.AllAtWidth);
        table.Columns.Insert(2, new BooleanDataFrameColumn("Matched", r.AllAtWidth.Select(e => matched.Contains(e.Run.Name))));
        return table;
    }

    /// <summary>One row per architecture: the frontier interpolated at the main k's L0.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<FrontierAtL0> rows) => Table.FromRecords(rows);

    /// <summary>One row per parameter of the fit.</summary>
    public static DataFrame ToDataFrame(this FitSummary r) => Table.FromRecords(r.Parameters);

    /// <summary>One row per (n, k) point: normalized MSE, L0, delta loss.</summary>
    public static DataFrame ToDataFrame(this ScalingResult r) => Table.FromRecords(r.Points);

    /// <summary>One row per point.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<ScalingPoint> rows) => Table.FromRecords(rows);

    /// <summary>One row per (run, swept activation), the native activation marked <c>Native</c>.</summary>
    public static DataFrame ToDataFrame(this ProgressiveResult r) =>
        Table.FromRecords(r.Series.SelectMany(s => s.Sweep.Points.Prepend(s.Sweep.Native).Select((p, i) =>
            new ProgressiveRow(s.Run, i == 0, p))));

    /// <summary>One row per (run, task): the run and architecture, then the task's probe result.</summary>
    public static DataFrame ToDataFrame(this ProbeResult r) =>
        Table.FromRecords(r.Runs.SelectMany(run => run.Result.Tasks.Select(t => new ProbeRow(run.Name, run.Run?.Architecture, t))));

    /// <summary>One row per task: name, category, positives, base rate.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<ProbeTask> rows) => Table.FromRecords(rows);

    /// <summary>One row per explained latent: precision, recall, F1, firings, pattern statistics.</summary>
    public static DataFrame ToDataFrame(this N2gResult r) => Table.FromRecords(r.Latents);

    /// <summary>One row per latent result.</summary>
    public static DataFrame ToDataFrame(this IEnumerable<N2gLatentResult> rows) => Table.FromRecords(rows);

    /// <summary>One row: one explained latent's precision, recall and pattern statistics.</summary>
    public static DataFrame ToDataFrame(this N2gLatentResult r) => Table.FromRecord(r);

    /// <summary>One row per run: the run and family, then the ablation-sparsity summary (<c>Result.*</c>).</summary>
    public static DataFrame ToDataFrame(this AblationResult r) => Table.FromRecords(r.Runs);

    /// <summary>One row per run: the run and family, then the refinement result (<c>Result.*</c>).</summary>
    public static DataFrame ToDataFrame(this RefinementSummary r) => Table.FromRecords(r.Runs);

    /// <summary>One row per run: max-cosine statistics of the decoder and of random directions.</summary>
    public static DataFrame ToDataFrame(this GeometryResult r) => Table.FromRecords(r.Runs);

    /// <summary>One row per step of the reproduction (its timings); each part has a table of its own.</summary>
    public static DataFrame ToDataFrame(this ReproductionResults r) => Table.FromRecords(r.Timings);

    private sealed record HeadAttributionRow(int Token, long Latent, int Head, double Share);

    private sealed record TrainingCurveRow(long Step, double Loss, double L0);

    private sealed record ProgressivePointRow(bool Native, string Activation, double Parameter, double L0, double Mse, double NormalizedMse);

    private sealed record ProgressiveRow(SaeRunId Run, bool Native, ProgressivePoint Point);

    private sealed record ProbeRow(string Run, SaeArchitecture? Architecture, ProbeTaskResult Task);

    private sealed record N2gExplanationRow(long LatentId, int Patterns, N2gExplanationStats Stats);
}
