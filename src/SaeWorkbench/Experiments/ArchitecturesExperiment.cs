using System.Globalization;
using System.Text;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Plotting;
using SaeWorkbench.Saes;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;

namespace SaeWorkbench.Experiments;

/// <summary>The architectures at matched sparsity: the L0-MSE and L0-delta-loss frontiers (Gao et al. 2024, §3; Rajamanoharan et al. 2024a, 2024b).</summary>
public sealed class ArchitecturesExperiment() : Experiment("architectures", "Architectures at matched sparsity", "architectures at matched sparsity")
{
    public override object? ResultIn(ReproductionResults r) => r.Architectures;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Architectures = from.Architectures };

    /// <summary>Per family, the run at <see cref="ReproduceConfig.NumLatents"/> latents whose test L0 is nearest (in log)
    /// <see cref="ReproduceConfig.MainK"/> (for the TopK family, the run with k = MainK).</summary>
    public override void Run(ReproductionContext c)
    {
        var evals = c.Results.Evaluations ?? throw c.NotYet("Evaluate");
        var atWidth = evals.Where(e => e.Run.NumLatents == c.Config.NumLatents && (e.Run.Architecture != SaeRegistry.TopK || c.Config.Ks().Contains(e.Run.K ?? -1))).ToList();
        var matched = new List<SaeRunEvaluation>();
        foreach (var f in SaeRegistry.All)
        {
            var candidates = atWidth.Where(e => e.Run.Architecture == f && !e.Diverged && e.L0 > 0).ToList();
            if (candidates.Count == 0) continue;
            var exact = candidates.FirstOrDefault(e => e.Run.K == c.Config.MainK);
            matched.Add(exact ?? candidates.MinBy(e => Math.Abs(Math.Log(e.L0 / c.Config.MainK)))!);
        }
        foreach (var m in matched)
            c.Log(string.Create(CultureInfo.InvariantCulture,
                $"  {m.Run.Label,-14} {m.Run.Name,-28} L0 {m.L0,6:F1}  nMSE {m.NormalizedMse:F4}  delta loss {m.Downstream?.DeltaLoss:F4}"));
        var atK = SaeRegistry.All.Select(f => FrontierAt(f, atWidth.Where(e => e.Run.Architecture == f && !e.Diverged && e.L0 > 0).OrderBy(e => e.L0).ToList(), c.Config.MainK))
            .Where(p => atWidth.Any(e => e.Run.Architecture == p.Architecture)).ToList();
        foreach (var p in atK.Where(p => p.NormalizedMse is not null))
            c.Log(string.Create(CultureInfo.InvariantCulture, $"  frontier at L0 {p.L0}: {p.Architecture.Label,-14} nMSE {p.NormalizedMse:F4}  delta loss {p.DeltaLoss:F4}  ({p.From})"));
        var result = new ArchitecturesResult(c.Config.NumLatents, c.Config.MainK, matched, atWidth, atK);
        c.Results = c.Results with { Architectures = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Architectures is null || r.Training is null) return null;
        var a = r.Architectures!;
        var tr = r.Training!;
        var sb = new StringBuilder();
        sb.Append(Paper("Gao et al. compare architectures on the L0-MSE frontier: at equal L0, TopK reconstructs better than ReLU + L1, and AuxK keeps dead latents rare " +
                        "(up to 90% dead without mitigations, 7% at 16M latents with them). The JumpReLU paper finds JumpReLU as faithful as TopK or slightly better at equal L0 " +
                        "and more faithful than Gated; the Gated paper finds Gated needs about half as many firing latents as ReLU for comparable fidelity. " +
                        "BatchTopK (Bussmann et al.) lets L0 vary per token at a fixed average."));
        var atK = a.AtMainK.Where(p => p.NormalizedMse is not null).OrderBy(p => p.NormalizedMse).ToList();
        var atKText = string.Join("; ", atK.Select(p => Inv($"{E(p.Architecture.Label)} {N(p.NormalizedMse, "F4")}")));
        var missing = a.AtMainK.Where(p => p.NormalizedMse is null).Select(p => E(p.Architecture.Label)).ToList();
        var matchedText = string.Join("; ", a.Matched.Select(m => Inv($"{E(m.Run.Label)} {N(m.NormalizedMse, "F4")} at L0 {N(m.L0, "F1")}")));
        sb.Append(Measured(Inv($"{tr.Runs.Count} SAEs trained from one pass of {tr.TokensPerRun:N0} tokens ({tr.StepsPerRun:N0} steps of {tr.BatchSize:N0}) in {Duration(tr.Seconds)} ({tr.TokensPerSecond:N0} tokens/s for all runs together). ") +
            (atK.Count > 0
                ? Inv($"Read off each frontier at n = {a.NumLatents:N0} latents and L0 = {a.MainK}, the normalized MSE on the test tokens is {atKText}: lowest <b>{E(atK[0].Architecture.Label)}</b>") +
                  (atK.Count > 1 ? Inv($", {N(atK[^1].NormalizedMse / atK[0].NormalizedMse, "F1")}x lower than {E(atK[^1].Architecture.Label)}") : "") + ". "
                : "") +
            (missing.Count > 0 ? Inv($"({string.Join(", ", missing)}: no pair of runs brackets L0 = {a.MainK}.) ") : "") +
            Inv($"The run of each family nearest that L0: {matchedText}. ") +
            Inv($"The runs are short ({tr.StepsPerRun:N0} steps), so the penalty-based SAEs, whose L0 settles slowly under their lambda warm-up, may sit away from the target L0; the figure shows every run of the width, the frontier the paper compares. ") +
            (tr.Runs.Any(x => x.Run.Architecture == SaeRegistry.JumpRelu)
                ? (r.Config.JumpReluInitialFiringRate is { } rate ? Inv($"Each JumpReLU threshold starts where its latent fires on {N(rate, "G3")} of the initialisation sample") : Inv($"JumpReLU's thresholds start at θ = {N(r.Config.JumpReluInitialThreshold, "G3")}"))
                  + (r.Config.JumpReluAndGatedRescaleEncoder ? " (JumpReLU and Gated encoders scaled so the first reconstructions match the input norms, thresholds along)" : "")
                  + Inv($" and, learned as log θ at learning rate {N(r.Config.LearningRate, "G3")}, move by at most a factor of about {Math.Exp((r.Config.LearningRate ?? 1e-3) * tr.StepsPerRun):F1} in these steps, so its L0 reflects that start more than λ (the paper's runs are orders of magnitude longer).")
                : "")));

        var fig = Figure.Subplots(1, 2, ["normalized MSE vs L0 (test tokens)", "downstream delta loss vs L0"]);
        fig.Layout.Height = 430;
        foreach (var f in SaeRegistry.All)
        {
            var pts = a.AllAtWidth.Where(e => e.Run.Architecture == f && !e.Diverged && e.L0 > 0).OrderBy(e => e.L0).ToList();
            if (pts.Count == 0) continue;
            var color = FamilyColor(f);
            var text = pts.Select(p => p.Run.Name).ToArray();
            fig.Add(new Scatter { Name = f.Label, LegendGroup = f.Name, X = pts.Select(p => p.L0).ToArray(), Y = pts.Select(p => p.NormalizedMse).ToArray(), Text = text,
                Mode = ScatterMode.LinesMarkers, Marker = new Marker { Color = color, Size = 9 }, Line = new Line { Color = color } }, 1, 1);
            fig.Add(new Scatter { Name = f.Label, LegendGroup = f.Name, ShowLegend = false, X = pts.Select(p => p.L0).ToArray(),
                Y = pts.Select(p => p.Downstream?.DeltaLoss ?? double.NaN).ToArray(), Text = text,
                Mode = ScatterMode.LinesMarkers, Marker = new Marker { Color = color, Size = 9 }, Line = new Line { Color = color } }, 1, 2);
        }
        fig.XAxisAt(1, 1).Type = AxisType.Log;
        fig.XAxisAt(1, 1).Title = "L0 (active latents per token)";
        fig.YAxisAt(1, 1).Title = "normalized MSE";
        fig.YAxisAt(1, 1).Type = AxisType.Log;
        fig.XAxisAt(1, 2).Type = AxisType.Log;
        fig.XAxisAt(1, 2).Title = "L0";
        fig.YAxisAt(1, 2).Title = "CE(spliced) - CE(original), nats";
        sb.Append(Fig(fig));

        sb.Append("<h3>Matched sparsity</h3>\n");
        sb.Append(Table(["architecture", "run", "L0", "normalized MSE", "explained variance", "dead (test)", "dead (training)", "delta loss (nats)", "KL (nats)", "loss recovered (zero / mean abl.)"],
            a.Matched.Select(m =>
            {
                var t = tr.Runs.FirstOrDefault(x => x.Run.Name == m.Run.Name);
                var d = m.Downstream;
                return (IReadOnlyList<string>)new[]
                {
                    E(m.Run.Label), "<code>" + E(m.Run.Name) + "</code>", N(m.L0, "F1"), N(m.NormalizedMse, "F4"), N(m.ExplainedVariance, "F4"),
                    Pct(m.DeadFraction), Pct(t?.DeadFraction), N(d?.DeltaLoss, "F4"), N(d?.KlMean, "F4"),
                    N(d?.LossRecoveredZero, "F3") + " / " + N(d?.LossRecoveredMean, "F3"),
                };
            }), leftColumns: 2));
        sb.Append(Table([Inv($"architecture at L0 = {a.MainK}"), "normalized MSE", "delta loss (nats)", "from"],
            a.AtMainK.Select(p => (IReadOnlyList<string>)[E(p.Architecture.Label), N(p.NormalizedMse, "F4"), N(p.DeltaLoss, "F4"), E(p.From ?? "no runs bracket this L0")])));
        var ce = a.Matched.Select(m => m.Downstream).FirstOrDefault(d => d is not null);
        if (ce is not null)
            sb.Append(Note(Inv($"Downstream loss on {ce.Tokens:N0} predicted test tokens: original cross-entropy {N(ce.CeOriginal, "F4")} nats; with the site zero-ablated {N(ce.CeZeroAblation, "F3")}, mean-ablated {N(ce.CeMeanAblation, "F3")}. ") +
                "Dead (test): latents that fired on none of the test tokens; dead (training): not fired within the last dead-window tokens of training, the set AuxK revives."));

        sb.Append("<h3>Every run of the pass</h3>\n");
        var evals = r.Evaluations ?? [];
        sb.Append(Table(["run", "family", "n", "k / lambda", "lr", "L0", "normalized MSE", "dead (test)", "delta loss", "final training losses"],
            tr.Runs.Select(t =>
            {
                var e = evals.FirstOrDefault(x => x.Run.Name == t.Run.Name);
                var losses = string.Join(" ", t.FinalLosses.Select(kv => E(kv.Key) + " " + N(kv.Value, "G3")));
                return (IReadOnlyList<string>)new[]
                {
                    "<code>" + E(t.Run.Name) + "</code>", E(t.Run.Label), Inv($"{t.Run.NumLatents:N0}"),
                    t.Run.K is { } k ? Inv($"k = {k}") : Inv($"λ = {N(t.Run.Lambda, "G3")}"), N(t.LearningRate, "G3"),
                    N(e?.L0, "F1"), N(e?.NormalizedMse, "F4"), Pct(e?.DeadFraction), N(e?.Downstream?.DeltaLoss, "F4"),
                    t.Diverged ? "<b>stopped</b>: " + E(t.Message) : losses,
                };
            }), leftColumns: 2));

        var curves = Figure.Subplots(1, 2, ["normalized MSE of the training batch", "L0 of the training batch"]);
        curves.Layout.Height = 380;
        foreach (var m in a.Matched)
        {
            var t = tr.Runs.FirstOrDefault(x => x.Run.Name == m.Run.Name);
            if (t is null) continue;
            var color = FamilyColor(m.Run.Architecture);
            curves.Add(new Scatter { Name = m.Run.Label, LegendGroup = m.Run.Architecture.Name, X = t.Curve.Steps, Y = t.Curve.Loss, Mode = ScatterMode.Lines, Line = new Line { Color = color } }, 1, 1);
            curves.Add(new Scatter { Name = m.Run.Label, LegendGroup = m.Run.Architecture.Name, ShowLegend = false, X = t.Curve.Steps, Y = t.Curve.L0, Mode = ScatterMode.Lines, Line = new Line { Color = color } }, 1, 2);
        }
        curves.XAxisAt(1, 1).Title = "step";
        curves.YAxisAt(1, 1).Type = AxisType.Log;
        curves.XAxisAt(1, 2).Title = "step";
        curves.YAxisAt(1, 2).Type = AxisType.Log;
        sb.Append("<h3>Training curves of the matched runs</h3>\n").Append(Fig(curves));
        return sb.ToString();
    }

    /// <summary>A family's frontier (runs sorted by L0) read at L0 = <paramref name="l0"/>: the run at that L0 (within 1%), or a
    /// log-log interpolation between the two runs that bracket it.</summary>
    public static FrontierAtL0 FrontierAt(SaeArchitecture family, IReadOnlyList<SaeRunEvaluation> runs, double l0)
    {
        var exact = runs.FirstOrDefault(e => Math.Abs(e.L0 / l0 - 1) < 0.01);
        if (exact is not null) return new FrontierAtL0(family, l0, exact.NormalizedMse, exact.Downstream?.DeltaLoss, exact.Run.Name);
        for (var i = 0; i + 1 < runs.Count; i++)
        {
            var (a, b) = (runs[i], runs[i + 1]);
            if (!(a.L0 < l0 && l0 < b.L0)) continue;
            var t = Math.Log(l0 / a.L0) / Math.Log(b.L0 / a.L0);
            var mse = Math.Exp(Math.Log(a.NormalizedMse) + t * (Math.Log(b.NormalizedMse) - Math.Log(a.NormalizedMse)));
            double? delta = a.Downstream is { } da && b.Downstream is { } db ? da.DeltaLoss + t * (db.DeltaLoss - da.DeltaLoss) : null;
            return new FrontierAtL0(family, l0, mse, delta, $"between {a.Run.Name} and {b.Run.Name}");
        }
        return new FrontierAtL0(family, l0, null, null, null);
    }
}
