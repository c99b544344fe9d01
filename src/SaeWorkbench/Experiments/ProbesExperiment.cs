using System.Diagnostics;
using System.Globalization;
using System.Text;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics;
using SaeWorkbench.Plotting;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>Probe loss on the corpus's ground-truth labels (Gao et al. 2024, §4.2).</summary>
public sealed class ProbesExperiment() : Experiment("probes", "Probe loss", "probe loss")
{
    public override object? ResultIn(ReproductionResults r) => r.Probes;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Probes = from.Probes };

    /// <summary>
    /// Probe loss (TopK paper §4.2; Metrics/ProbeLoss) on the synthetic corpus's labels of the test tokens: for every task
    /// with enough positives and negatives in both parts, a 1-D logistic regression on each latent, the best latent's
    /// held-out cross-entropy, averaged over tasks. Fitted on the test windows not held out, scored on every
    /// <see cref="ReproduceConfig.ProbeHeldOutEvery"/>-th window; for the matched SAE of every family and, as a reference,
    /// for the raw coordinates of the activation (no SAE).
    /// </summary>
    public override void Run(ReproductionContext c)
    {
        var test = c.TestActivations;
        var labels = CorpusLabel.All;
        using var scope = NewDisposeScope();
        var set = ProbeTaskSet.FromWindows(c.TestWindows, test.Windows.ToArray<long>(), test.Positions.ToArray<int>(), labels,
            c.Config.ProbeHeldOutEvery, c.Config.ProbeMinPositives);
        var (tasks, nTrain, nHeld, labels_TJ, heldOut_T, names) = (set.Tasks, set.TrainTokens, set.HeldOutTokens, set.Labels_TJ, set.HeldOut_T, set.Names);
        c.Log($"  {tasks.Count} of {labels.Count} tasks have enough positives ({c.Config.ProbeMinPositives} each side); {nTrain:N0} tokens fit the probes, {nHeld:N0} score them");

        var config = new ProbeLossConfig { SplitSeed = c.Config.Seed };
        var runs = new List<ProbeRun>();
        foreach (var r in c.MatchedRuns())
        {
            c.Cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var res = ProbeLoss.Evaluate(r.Sae, test.Activations, labels_TJ, names, config, heldOut_T);
            runs.Add(new ProbeRun(r.Id, res));
            c.Log(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-28} probe loss {res.MeanCrossEntropy:F4} (label entropy {res.MeanLabelEntropy:F4}) ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        {
            c.Cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var res = ProbeLoss.Evaluate(test.Activations, labels_TJ, names, config, heldOut_T);
            runs.Add(new ProbeRun(null, res));
            c.Log(string.Create(CultureInfo.InvariantCulture,
                $"  {"raw coordinates (no SAE)",-28} probe loss {res.MeanCrossEntropy:F4} ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        var result = new ProbeResult(tasks, set.Skipped, nTrain, nHeld, runs);
        c.Results = c.Results with { Probes = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Probes is null) return null;
        var p = r.Probes!;
        var sb = new StringBuilder();
        sb.Append(Paper("The probe loss asks whether single latents carry known features: for each of 61 binary token-level tasks, fit a 1-D logistic regression on each latent's activation, " +
                        "keep the best (lowest) cross-entropy, and average over tasks. Larger and better-trained SAEs score lower."));
        var residual = p.Runs.FirstOrDefault(x => x.Run is null);
        var sae = p.Runs.Where(x => x.Run is not null).ToList();
        var best = sae.MinBy(x => x.Result.MeanCrossEntropy);
        sb.Append(Measured(Inv($"{p.Tasks.Count} of the corpus's 62 labels have enough positives and negatives in both parts of the test tokens ({p.TrainTokens:N0} fit the probes, {p.HeldOutTokens:N0} in whole held-out windows score them). ") +
            Inv($"Probe loss (held-out nats, lower is better): {string.Join("; ", sae.Select(x => $"{E(x.Label)} {N(x.Result.MeanCrossEntropy, "F4")}"))}; ") +
            Inv($"an uninformative code scores the label entropy {N(sae.FirstOrDefault()?.Result.MeanLabelEntropy, "F4")}") +
            (residual is null ? ". " : Inv($", the raw coordinates of the activation {N(residual.Result.MeanCrossEntropy, "F4")}. ")) +
            (best is null ? "" : Inv($"Lowest: <b>{E(best.Label)}</b>."))));

        var fig = new Figure { Layout = BaseLayout("Probe loss per code (mean over tasks of the best latent's held-out cross-entropy)", 380) };
        var all = p.Runs.ToList();
        fig.Add(new Bar { Name = "probe loss", X = all.Select(x => x.Label).ToArray(), Y = all.Select(x => x.Result.MeanCrossEntropy).ToArray(),
            Marker = new BarMarker { Color = Color.PerPoint(all.Select(x => FamilyColor(x.Run?.Architecture).ToString())) } });
        fig.Add(new Scatter { Name = "label entropy (no information)", X = all.Select(x => x.Label).ToArray(), Y = all.Select(x => x.Result.MeanLabelEntropy).ToArray(),
            Mode = ScatterMode.Markers, Marker = new Marker { Color = "#111827", Symbol = "line-ew-open", Size = 30 } });
        fig.Layout.YAxis = new Axis { Title = "nats", RangeMode = RangeMode.ToZero };
        sb.Append(Fig(fig));
        sb.Append(Table(["code", "run", "probe loss", "label entropy", "ratio", "unconverged fits"],
            all.Select(x => (IReadOnlyList<string>)[E(x.Label), "<code>" + E(x.Name) + "</code>", N(x.Result.MeanCrossEntropy, "F4"), N(x.Result.MeanLabelEntropy, "F4"),
                N(x.Result.MeanCrossEntropy / x.Result.MeanLabelEntropy, "F3"), Inv($"{x.Result.UnconvergedFits:N0}")]), leftColumns: 2));

        var main = sae.FirstOrDefault(x => x.Run?.Architecture == SaeRegistry.TopK);
        if (main is not null)
        {
            var n2g = r.Explanations?.Latents.ToDictionary(l => l.Latent);
            sb.Append(Inv($"<h3>Best latent per task: {E(main.Name)}</h3>\n"));
            sb.Append(Table(["task", "category", "held-out positives", "latent", "weight", "cross-entropy", "label entropy", "ratio", "N2G precision / recall"],
                main.Result.Tasks.OrderBy(t => t.CrossEntropy / t.LabelEntropy).Select(t =>
                {
                    var task = p.Tasks.FirstOrDefault(k => k.Name == t.Task);
                    var expl = n2g is not null && n2g.TryGetValue(t.WinningLatent, out var l) ? N(l.Precision, "F2") + " / " + N(l.Recall, "F2") : "–";
                    return (IReadOnlyList<string>)["<code>" + E(t.Task) + "</code>", E(task?.Category), Inv($"{t.HeldOutPositives:N0}"), Inv($"{t.WinningLatent}"), N(t.Weight, "G3"),
                        N(t.CrossEntropy, "F4"), N(t.LabelEntropy, "F4"), N(t.CrossEntropy / t.LabelEntropy, "F3"), expl];
                }), leftColumns: 2));
        }
        if (p.Skipped.Count > 0)
            sb.Append(Note("Labels left out (too few positives or negatives in a part of the test tokens): " + E(string.Join(", ", p.Skipped)) + "."));
        return sb.ToString();
    }
}
