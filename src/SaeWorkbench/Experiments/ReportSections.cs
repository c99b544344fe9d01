using System.Text;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Experiments;

// The sections of the report page, one method each, in the order of the page. Each writes what the paper found (as the
// paper states it) and what this run measured (numbers from the results only), then a figure and a table.
public static partial class ReportBuilder
{
    private static string Label(string family) => Reproduction.FamilyLabel(family);

    // ---- 1 -------------------------------------------------------------------------------------------------

    private static string SubjectSection(ReproductionResults r)
    {
        var s = r.Subject!;
        var t = s.Test;
        var sb = new StringBuilder();
        sb.Append(Paper("The TopK paper trains its SAEs on GPT-2 small's residual stream after block 8 of 12 " +
                        "(<code>blocks.8.hook_resid_post</code>), with 64-token contexts; the JumpReLU and Gated papers use Gemma and Pythia models."));
        sb.Append(Measured(Inv($"The subject is <b>{E(s.ModelId)}</b>: a GPT-2 with {s.Layers} blocks, d_model {s.DModel}, {s.Heads} heads, vocabulary {s.VocabSize:N0}, {s.Parameters / 1e6:F2} M parameters. ") +
            Inv($"The SAEs read <code>{E(s.Hook)}</code> (width {s.DIn}) in windows of {s.ContextLength} tokens of the {E(s.Corpus)}. ") +
            Inv($"On the {t.Tokens:N0} predicted tokens of the test windows its loss is {N(t.Loss, "F3")} nats per token against {N(t.BigramLoss, "F3")} for a bigram model ") +
            Inv($"and {N(t.UnigramLoss, "F3")} for a unigram model counted on the SAE training windows, with top-1 accuracy {Pct(t.Accuracy)}.") +
            (s.Card is { } c ? Inv($" Its card: {c.TrainingSteps:N0} steps on {c.TrainingTokens:N0} tokens in {c.TrainingSeconds / 60:F1} min, validation loss {N(c.Validation.Loss, "F3")} nats (bigram {N(c.Validation.BigramLoss, "F3")}).") : "")));

        var fig = Figure.Subplots(1, 2, ["next-token loss on the test windows (nats)", "top-1 accuracy on tokens the context determines"]);
        fig.Layout.Height = 380;
        fig.Layout.ShowLegend = false;
        fig.Add(new Bar { X = new[] { "this model", "bigram", "unigram" }, Y = new[] { t.Loss, t.BigramLoss, t.UnigramLoss }, Marker = new BarMarker { Color = "#2563eb" } }, 1, 1);
        fig.Add(new Bar { X = t.ByLabel.Select(l => l.Label).ToArray(), Y = t.ByLabel.Select(l => l.Accuracy).ToArray(), Marker = new BarMarker { Color = "#16a34a" } }, 1, 2);
        fig.YAxisAt(1, 2).Range = [0, 1];
        sb.Append(Fig(fig));

        var rows = new List<string[]>
        {
            new[] { "all test tokens", Inv($"{t.Tokens:N0}"), N(t.Loss, "F3"), Pct(t.Accuracy) },
        };
        rows.AddRange(t.ByLabel.Select(l => new[] { "<code>" + E(l.Label) + "</code>", Inv($"{l.Tokens:N0}"), N(l.Loss, "F3"), Pct(l.Accuracy) }));
        sb.Append(Table(["targets", "tokens", "loss (nats)", "top-1 accuracy"], rows));
        sb.Append(Table(["baseline", "loss on the same targets (nats)"], new[]
        {
            new[] { "bigram (interpolated, counted on SAE training windows)", N(t.BigramLoss, "F3") },
            new[] { "unigram (add-one)", N(t.UnigramLoss, "F3") },
        }));
        return sb.ToString();
    }

    // ---- 2 -------------------------------------------------------------------------------------------------

    private static string HarvestSection(ReproductionResults r)
    {
        var h = r.Harvest!;
        var sb = new StringBuilder();
        sb.Append(Paper("The TopK paper subtracts the mean over d_model and scales each token to unit norm before encoding and before computing errors; " +
                        "the released GPT-2 SAEs standardise each token instead, and Gemma Scope divides every input by one scalar so that E||x||<sup>2</sup> = 1."));
        sb.Append(Measured(Inv($"{h.TrainTokens:N0} activations from {h.TrainWindows:N0} windows ({h.TrainDocuments:N0} documents of the validation split; the language model trained on the train split) train the SAEs, ") +
            Inv($"and {h.TestTokens:N0} from {h.TestWindows:N0} windows of the test split serve every metric; harvested at {h.TokensPerSecond:N0} tokens/s. ") +
            Inv($"Every SAE normalises its input as <b>{E(h.Normalization)}</b>: {E(h.NormalizationFormula)}; the normalised inputs have E||x||<sup>2</sup> = {N(h.MeanSquaredNormAfterNormalization, "F3")} ") +
            Inv($"and variance about their mean {N(h.VarianceAfterNormalization, "F3")} (the normalized MSE's denominator). ") +
            Inv($"The raw activations have mean norm {N(h.MeanNorm)}; at position 0 of a window {N(h.MeanNormFirstPosition)} against {N(h.MeanNormOtherPositions)} elsewhere (the first position is an attention sink).")));
        var fig = new Figure(new Scatter
        {
            X = Enumerable.Range(0, h.MeanNormByPosition.Length).ToArray(), Y = h.MeanNormByPosition, Mode = ScatterMode.LinesMarkers, Name = "mean norm",
        })
        {
            Layout = BaseLayout("Mean norm of the raw activation by position in the window", 340),
        };
        fig.Layout.XAxis = new Axis { Title = "position" };
        fig.Layout.YAxis = new Axis { Title = "mean ||x||", Type = AxisType.Log };
        sb.Append(Fig(fig));
        sb.Append(Table(["", "value"], new[]
        {
            new[] { "training activations (validation split)", Inv($"{h.TrainTokens:N0}") },
            new[] { "test activations (test split)", Inv($"{h.TestTokens:N0}") },
            new[] { "harvest throughput", Inv($"{h.TokensPerSecond:N0} tokens/s") },
            new[] { "mean raw norm (position 0 / others)", N(h.MeanNorm) + " (" + N(h.MeanNormFirstPosition) + " / " + N(h.MeanNormOtherPositions) + ")" },
            new[] { "normalisation", E(h.NormalizationFormula) },
            new[] { "E||x_norm||^2, variance about the mean", N(h.MeanSquaredNormAfterNormalization, "F4") + ", " + N(h.VarianceAfterNormalization, "F4") },
        }));
        return sb.ToString();
    }

    // ---- 3 -------------------------------------------------------------------------------------------------

    private static string ArchitecturesSection(ReproductionResults r)
    {
        var a = r.Architectures!;
        var tr = r.Training!;
        var sb = new StringBuilder();
        sb.Append(Paper("Gao et al. compare architectures on the L0-MSE frontier: at equal L0, TopK reconstructs better than ReLU + L1, and AuxK keeps dead latents rare " +
                        "(up to 90% dead without mitigations, 7% at 16M latents with them). The JumpReLU paper finds JumpReLU as faithful as TopK or slightly better at equal L0 " +
                        "and more faithful than Gated; the Gated paper finds Gated needs about half as many firing latents as ReLU for comparable fidelity. " +
                        "BatchTopK (Bussmann et al.) lets L0 vary per token at a fixed average."));
        var atK = a.AtMainK.Where(p => p.NormalizedMse is not null).OrderBy(p => p.NormalizedMse).ToList();
        var atKText = string.Join("; ", atK.Select(p => Inv($"{E(Label(p.Family))} {N(p.NormalizedMse, "F4")}")));
        var missing = a.AtMainK.Where(p => p.NormalizedMse is null).Select(p => E(Label(p.Family))).ToList();
        var matchedText = string.Join("; ", a.Matched.Select(m => Inv($"{E(Label(m.Family))} {N(m.NormalizedMse, "F4")} at L0 {N(m.L0, "F1")}")));
        sb.Append(Measured(Inv($"{tr.Runs.Count} SAEs trained from one pass of {tr.TokensPerRun:N0} tokens ({tr.StepsPerRun:N0} steps of {tr.BatchSize:N0}) in {Duration(tr.Seconds)} ({tr.TokensPerSecond:N0} tokens/s for all runs together). ") +
            (atK.Count > 0
                ? Inv($"Read off each frontier at n = {a.NumLatents:N0} latents and L0 = {a.MainK}, the normalized MSE on the test tokens is {atKText}: lowest <b>{E(Label(atK[0].Family))}</b>") +
                  (atK.Count > 1 ? Inv($", {N(atK[^1].NormalizedMse / atK[0].NormalizedMse, "F1")}x lower than {E(Label(atK[^1].Family))}") : "") + ". "
                : "") +
            (missing.Count > 0 ? Inv($"({string.Join(", ", missing)}: no pair of runs brackets L0 = {a.MainK}.) ") : "") +
            Inv($"The run of each family nearest that L0: {matchedText}. ") +
            Inv($"The runs are short ({tr.StepsPerRun:N0} steps), so the penalty-based SAEs, whose L0 settles slowly under their lambda warm-up, may sit away from the target L0; the figure shows every run of the width, the frontier the paper compares. ") +
            (tr.Runs.Any(x => x.Family == "jumprelu")
                ? Inv($"JumpReLU's thresholds start at θ = {N(r.Config.JumpReluInitialThreshold, "G3")} and, learned as log θ at learning rate {N(r.Config.LearningRate, "G3")}, move by at most a factor of about {Math.Exp((r.Config.LearningRate ?? 1e-3) * tr.StepsPerRun):F1} in these steps, so its L0 reflects that start more than λ (the paper's runs are orders of magnitude longer).")
                : "")));

        var fig = Figure.Subplots(1, 2, ["normalized MSE vs L0 (test tokens)", "downstream delta loss vs L0"]);
        fig.Layout.Height = 430;
        foreach (var f in Reproduction.Families)
        {
            var pts = a.AllAtWidth.Where(e => e.Family == f && !e.Diverged && e.L0 > 0).OrderBy(e => e.L0).ToList();
            if (pts.Count == 0) continue;
            var color = FamilyColor(f);
            var text = pts.Select(p => p.Name).ToArray();
            fig.Add(new Scatter { Name = Label(f), LegendGroup = f, X = pts.Select(p => p.L0).ToArray(), Y = pts.Select(p => p.NormalizedMse).ToArray(), Text = text,
                Mode = ScatterMode.LinesMarkers, Marker = new Marker { Color = color, Size = 9 }, Line = new Line { Color = color } }, 1, 1);
            fig.Add(new Scatter { Name = Label(f), LegendGroup = f, ShowLegend = false, X = pts.Select(p => p.L0).ToArray(),
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
                var t = tr.Runs.FirstOrDefault(x => x.Name == m.Name);
                var d = m.Downstream;
                return (IReadOnlyList<string>)new[]
                {
                    E(Label(m.Family)), "<code>" + E(m.Name) + "</code>", N(m.L0, "F1"), N(m.NormalizedMse, "F4"), N(m.ExplainedVariance, "F4"),
                    Pct(m.DeadFraction), Pct(t?.DeadFraction), N(d?.DeltaLoss, "F4"), N(d?.KlMean, "F4"),
                    N(d?.LossRecoveredZero, "F3") + " / " + N(d?.LossRecoveredMean, "F3"),
                };
            }), leftColumns: 2));
        sb.Append(Table([Inv($"architecture at L0 = {a.MainK}"), "normalized MSE", "delta loss (nats)", "from"],
            a.AtMainK.Select(p => (IReadOnlyList<string>)[E(Label(p.Family)), N(p.NormalizedMse, "F4"), N(p.DeltaLoss, "F4"), E(p.From ?? "no runs bracket this L0")])));
        var ce = a.Matched.Select(m => m.Downstream).FirstOrDefault(d => d is not null);
        if (ce is not null)
            sb.Append(Note(Inv($"Downstream loss on {ce.Tokens:N0} predicted test tokens: original cross-entropy {N(ce.CeOriginal, "F4")} nats; with the site zero-ablated {N(ce.CeZeroAblation, "F3")}, mean-ablated {N(ce.CeMeanAblation, "F3")}. ") +
                "Dead (test): latents that fired on none of the test tokens; dead (training): not fired within the last dead-window tokens of training, the set AuxK revives."));

        sb.Append("<h3>Every run of the pass</h3>\n");
        var evals = r.Evaluations ?? [];
        sb.Append(Table(["run", "family", "n", "k / lambda", "lr", "L0", "normalized MSE", "dead (test)", "delta loss", "final training losses"],
            tr.Runs.Select(t =>
            {
                var e = evals.FirstOrDefault(x => x.Name == t.Name);
                var losses = string.Join(" ", t.FinalLosses.Select(kv => E(kv.Key) + " " + N(kv.Value, "G3")));
                return (IReadOnlyList<string>)new[]
                {
                    "<code>" + E(t.Name) + "</code>", E(Label(t.Family)), Inv($"{t.NumLatents:N0}"),
                    t.K is { } k ? Inv($"k = {k}") : Inv($"λ = {N(t.Lambda, "G3")}"), N(t.LearningRate, "G3"),
                    N(e?.L0, "F1"), N(e?.NormalizedMse, "F4"), Pct(e?.DeadFraction), N(e?.Downstream?.DeltaLoss, "F4"),
                    t.Diverged ? "<b>stopped</b>: " + E(t.Message) : losses,
                };
            }), leftColumns: 2));

        var curves = Figure.Subplots(1, 2, ["normalized MSE of the training batch", "L0 of the training batch"]);
        curves.Layout.Height = 380;
        foreach (var m in a.Matched)
        {
            var t = tr.Runs.FirstOrDefault(x => x.Name == m.Name);
            if (t is null) continue;
            var color = FamilyColor(m.Family);
            curves.Add(new Scatter { Name = Label(m.Family), LegendGroup = m.Family, X = t.Curve.Steps, Y = t.Curve.Loss, Mode = ScatterMode.Lines, Line = new Line { Color = color } }, 1, 1);
            curves.Add(new Scatter { Name = Label(m.Family), LegendGroup = m.Family, ShowLegend = false, X = t.Curve.Steps, Y = t.Curve.L0, Mode = ScatterMode.Lines, Line = new Line { Color = color } }, 1, 2);
        }
        curves.XAxisAt(1, 1).Title = "step";
        curves.YAxisAt(1, 1).Type = AxisType.Log;
        curves.XAxisAt(1, 2).Title = "step";
        curves.YAxisAt(1, 2).Type = AxisType.Log;
        sb.Append("<h3>Training curves of the matched runs</h3>\n").Append(Fig(curves));
        return sb.ToString();
    }

    // ---- 4 -------------------------------------------------------------------------------------------------

    private static string ScalingSection(ReproductionResults r)
    {
        var s = r.Scaling!;
        var sb = new StringBuilder();
        sb.Append(Paper("Trained to convergence, the normalized MSE of TopK SAEs falls as a power law in the number of latents, L(N) = a N<sup>-b</sup> + c, at fixed k; " +
                        "a joint law L(n, k) = exp(α + β<sub>k</sub> log k + β<sub>n</sub> log n + γ log k log n) + exp(ζ + η log k) fits every (n, k). " +
                        "The paper prefers L(N) to a compute frontier L(C) because latents, not MSE, are the product, and notes that tokens to convergence grow about as n<sup>0.6</sup> (GPT-2 small)."));
        var fits = string.Join("; ", s.PowerLawByK.Select(kv => kv.Value.Error is null
            ? Inv($"k = {kv.Key}: b = {N(kv.Value["b"], "F3")} [{N(P(kv.Value, "b")?.Lower, "F3")}, {N(P(kv.Value, "b")?.Upper, "F3")}], c = {N(kv.Value["c"], "F4")}")
            : Inv($"k = {kv.Key}: fit failed ({E(kv.Value.Error)})")));
        var tokens = r.Training?.TokensPerRun ?? 0;
        sb.Append(Measured(Inv($"The TopK grid of {s.Points.Count} SAEs (n in {string.Join(", ", s.Points.Select(p => p.NumLatents).Distinct())}, k in {string.Join(", ", s.Points.Select(p => p.K).Distinct())}) ") +
            Inv($"gives exponents {fits}. ") +
            (s.Joint.Error is null
                ? Inv($"The joint law has β<sub>n</sub> = {N(s.Joint["beta_n"], "F3")}, β<sub>k</sub> = {N(s.Joint["beta_k"], "F3")}, γ = {N(s.Joint["gamma"], "F3")} (residual s.e. {N(s.Joint.ResidualStandardError, "G3")} in log loss). ")
                : Inv($"The joint fit failed: {E(s.Joint.Error)}. ")) +
            Inv($"Every size trained on the same {tokens:N0} tokens, not to convergence, and the wider SAEs are the further from it, so these fits describe this budget rather than the converged law the paper fits; ") +
            Inv($"the intervals are {Pct(s.Joint.Error is null ? s.Joint.ConfidenceLevel : s.PowerLawByK.Values.FirstOrDefault()?.ConfidenceLevel, 0)} t intervals with few degrees of freedom (one for each L(N) fit of four widths).")));

        var fig = new Figure { Layout = BaseLayout("Normalized MSE vs number of latents (TopK), with fitted laws", 460) };
        var i = 0;
        var nMin = s.Points.Min(p => p.NumLatents);
        var nMax = s.Points.Max(p => p.NumLatents);
        var grid = Enumerable.Range(0, 41).Select(j => nMin * Math.Pow((double)nMax * 2 / nMin, j / 40.0)).ToArray();
        foreach (var g in s.Points.GroupBy(p => p.K))
        {
            var color = Color.FromPalette(i++);
            var pts = g.OrderBy(p => p.NumLatents).ToList();
            fig.Add(new Scatter { Name = Inv($"k = {g.Key}"), LegendGroup = Inv($"k{g.Key}"), X = pts.Select(p => (double)p.NumLatents).ToArray(), Y = pts.Select(p => p.NormalizedMse).ToArray(),
                Mode = ScatterMode.Markers, Marker = new Marker { Color = color, Size = 10 } });
            if (s.PowerLawByK.TryGetValue(g.Key, out var f) && f.Error is null)
                fig.Add(new Scatter { Name = Inv($"L(N), k = {g.Key}"), LegendGroup = Inv($"k{g.Key}"), X = grid, Y = grid.Select(n => f["a"] * Math.Pow(n, -f["b"]) + f["c"]).ToArray(),
                    Mode = ScatterMode.Lines, Line = new Line { Color = color } });
            if (s.Joint.Error is null)
                fig.Add(new Scatter { Name = Inv($"joint L(n, k), k = {g.Key}"), LegendGroup = Inv($"k{g.Key}"), X = grid, Y = grid.Select(n => Joint(s.Joint, n, g.Key)).ToArray(),
                    Mode = ScatterMode.Lines, Line = new Line { Color = color, Dash = LineDash.Dash } });
        }
        fig.Layout.XAxis = new Axis { Title = "n (latents)", Type = AxisType.Log };
        fig.Layout.YAxis = new Axis { Title = "normalized MSE (test)", Type = AxisType.Log };
        sb.Append(Fig(fig));

        var ks = s.Points.Select(p => p.K).Distinct().OrderBy(k => k).ToList();
        sb.Append(Table(new[] { "n \\ k" }.Concat(ks.Select(k => Inv($"k = {k}"))).ToList(),
            s.Points.Select(p => p.NumLatents).Distinct().OrderBy(n => n).Select(n =>
                (IReadOnlyList<string>)new[] { Inv($"{n:N0}") }.Concat(ks.Select(k =>
                {
                    var p = s.Points.FirstOrDefault(q => q.NumLatents == n && q.K == k);
                    return p is null ? "–" : N(p.NormalizedMse, "F4") + Inv($" <span class=\"note\">(Δloss {N(p.DeltaLoss, "F4")})</span>");
                })).ToList())));
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (k, f) in s.PowerLawByK)
            foreach (var p in f.Parameters)
                rows.Add([Inv($"L(N), k = {k}"), E(p.Name), N(p.Value, "G4"), N(p.StandardError, "G3"), "[" + N(p.Lower, "G4") + ", " + N(p.Upper, "G4") + "]"]);
        foreach (var p in s.Joint.Parameters)
            rows.Add(["joint L(n, k)", E(p.Name), N(p.Value, "G4"), N(p.StandardError, "G3"), "[" + N(p.Lower, "G4") + ", " + N(p.Upper, "G4") + "]"]);
        sb.Append(Table(["law", "parameter", "estimate", "std. error", "confidence interval"], rows, leftColumns: 2));
        return sb.ToString();
    }

    private static FitParameter? P(FitSummary f, string name) => f.Parameters.FirstOrDefault(p => p.Name == name);

    private static double Joint(FitSummary f, double n, double k) => Metrics.ScalingLaws.Joint(f.Parameters.Select(p => p.Value).ToArray(), n, k);

    // ---- 5 -------------------------------------------------------------------------------------------------

    private static string ProgressiveSection(ReproductionResults r)
    {
        var p = r.Progressive!;
        var sb = new StringBuilder();
        sb.Append(Paper("A progressive code keeps improving as more latents are allowed at test time. Swapping TopK(k') in for a TopK SAE trained at k helps only up to k' ≈ k; " +
                        "beyond it the MSE rises again. Multi-TopK, trained on L(k) + L(4k)/8, stays progressive for every k'. A JumpReLU threshold swept at test time traces a similar curve."));
        var topk = p.Series.FirstOrDefault(x => x.Family == "topk" && x.Activation == "topk");
        var multi = p.Series.FirstOrDefault(x => x.Family == "multitopk" && x.Activation == "topk");
        var text = new StringBuilder();
        foreach (var s in new[] { topk, multi }.OfType<ProgressiveSeries>())
        {
            var bestPt = s.Sweep.Points.MinBy(q => q.NormalizedMse)!;
            var last = s.Sweep.Points.MaxBy(q => q.Parameter)!;
            text.Append(Inv($"{E(Label(s.Family))} trained at k = {s.TrainedK}: lowest normalized MSE {N(bestPt.NormalizedMse, "F4")} at k' = {bestPt.Parameter:G}, and {N(last.NormalizedMse, "F4")} at k' = {last.Parameter:G}. "));
        }
        sb.Append(Measured(text.ToString() + "Each point below is the same trained SAE with only its activation replaced; the larger markers are the SAEs with their own activation."));

        var fig = new Figure { Layout = BaseLayout("Progressive codes: test-time activation swaps in the L0-MSE plane", 460) };
        foreach (var s in p.Series)
        {
            var color = FamilyColor(s.Family);
            var pts = s.Sweep.Points.OrderBy(q => q.L0).ToList();
            fig.Add(new Scatter
            {
                Name = Inv($"{Label(s.Family)} with {(s.Activation == "topk" ? "TopK(k')" : "JumpReLU(θ)")}"),
                X = pts.Select(q => q.L0).ToArray(), Y = pts.Select(q => q.NormalizedMse).ToArray(), Text = pts.Select(q => q.Activation).ToArray(),
                Mode = ScatterMode.LinesMarkers, Marker = new Marker { Color = color, Size = 7 },
                Line = new Line { Color = color, Dash = s.Activation == "topk" ? LineDash.Solid : LineDash.Dot },
            });
        }
        foreach (var s in p.Series.GroupBy(x => x.Run).Select(g => g.First()))
            fig.Add(new Scatter { Name = Inv($"{Label(s.Family)} (own activation)"), X = new[] { s.Sweep.Native.L0 }, Y = new[] { s.Sweep.Native.NormalizedMse },
                Mode = ScatterMode.Markers, Marker = new Marker { Color = FamilyColor(s.Family), Size = 15, Symbol = "star" } });
        fig.Layout.XAxis = new Axis { Title = "L0", Type = AxisType.Log };
        fig.Layout.YAxis = new Axis { Title = "normalized MSE (test)", Type = AxisType.Log };
        sb.Append(Fig(fig));

        var topkSeries = p.Series.Where(x => x.Activation == "topk").ToList();
        var kps = topkSeries.SelectMany(x => x.Sweep.Points.Select(q => q.Parameter)).Distinct().OrderBy(v => v).ToList();
        sb.Append(Table(new[] { "k'" }.Concat(topkSeries.Select(x => E(Label(x.Family)) + Inv($" (k = {x.TrainedK})"))).ToList(),
            kps.Select(k => (IReadOnlyList<string>)new[] { Inv($"{k:G}") }.Concat(topkSeries.Select(x => N(x.Sweep.Points.FirstOrDefault(q => q.Parameter == k)?.NormalizedMse, "F4"))).ToList())));
        foreach (var s in p.Series.Where(x => x.Activation == "jumprelu"))
            sb.Append(Table([Inv($"θ ({E(Label(s.Family))})"), "L0", "normalized MSE"],
                s.Sweep.Points.Select(q => (IReadOnlyList<string>)[N(q.Parameter, "G3"), N(q.L0, "F1"), N(q.NormalizedMse, "F4")])));
        return sb.ToString();
    }

    // ---- 6 -------------------------------------------------------------------------------------------------

    private static string ProbeSection(ReproductionResults r)
    {
        var p = r.Probes!;
        var sb = new StringBuilder();
        sb.Append(Paper("The probe loss asks whether single latents carry known features: for each of 61 binary token-level tasks, fit a 1-D logistic regression on each latent's activation, " +
                        "keep the best (lowest) cross-entropy, and average over tasks. Larger and better-trained SAEs score lower."));
        var residual = p.Runs.FirstOrDefault(x => x.Family == "residual");
        var sae = p.Runs.Where(x => x.Family != "residual").ToList();
        var best = sae.MinBy(x => x.Result.MeanCrossEntropy);
        sb.Append(Measured(Inv($"{p.Tasks.Count} of the corpus's 62 labels have enough positives and negatives in both parts of the test tokens ({p.TrainTokens:N0} fit the probes, {p.HeldOutTokens:N0} in whole held-out windows score them). ") +
            Inv($"Probe loss (held-out nats, lower is better): {string.Join("; ", sae.Select(x => $"{E(Label(x.Family))} {N(x.Result.MeanCrossEntropy, "F4")}"))}; ") +
            Inv($"an uninformative code scores the label entropy {N(sae.FirstOrDefault()?.Result.MeanLabelEntropy, "F4")}") +
            (residual is null ? ". " : Inv($", the raw coordinates of the activation {N(residual.Result.MeanCrossEntropy, "F4")}. ")) +
            (best is null ? "" : Inv($"Lowest: <b>{E(Label(best.Family))}</b>."))));

        var fig = new Figure { Layout = BaseLayout("Probe loss per code (mean over tasks of the best latent's held-out cross-entropy)", 380) };
        var all = p.Runs.ToList();
        fig.Add(new Bar { Name = "probe loss", X = all.Select(x => Label(x.Family)).ToArray(), Y = all.Select(x => x.Result.MeanCrossEntropy).ToArray(),
            Marker = new BarMarker { Color = Color.PerPoint(all.Select(x => FamilyColor(x.Family).ToString())) } });
        fig.Add(new Scatter { Name = "label entropy (no information)", X = all.Select(x => Label(x.Family)).ToArray(), Y = all.Select(x => x.Result.MeanLabelEntropy).ToArray(),
            Mode = ScatterMode.Markers, Marker = new Marker { Color = "#111827", Symbol = "line-ew-open", Size = 30 } });
        fig.Layout.YAxis = new Axis { Title = "nats", RangeMode = RangeMode.ToZero };
        sb.Append(Fig(fig));
        sb.Append(Table(["code", "run", "probe loss", "label entropy", "ratio", "unconverged fits"],
            all.Select(x => (IReadOnlyList<string>)[E(Label(x.Family)), "<code>" + E(x.Run) + "</code>", N(x.Result.MeanCrossEntropy, "F4"), N(x.Result.MeanLabelEntropy, "F4"),
                N(x.Result.MeanCrossEntropy / x.Result.MeanLabelEntropy, "F3"), Inv($"{x.Result.UnconvergedFits:N0}")]), leftColumns: 2));

        var main = sae.FirstOrDefault(x => x.Family == "topk");
        if (main is not null)
        {
            var n2g = r.Explanations?.Latents.ToDictionary(l => l.Latent);
            sb.Append(Inv($"<h3>Best latent per task: {E(main.Run)}</h3>\n"));
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

    // ---- 7 -------------------------------------------------------------------------------------------------

    private static string N2gSection(ReproductionResults r)
    {
        var n = r.Explanations!;
        var sb = new StringBuilder();
        sb.Append(Paper("The TopK paper explains each latent with a simplified Neuron-to-Graph (N2G): minimal suffixes of its top and random activating examples, " +
                        "low-saliency tokens turned into wildcards, a start anchor when the context start matters, all in a trie that predicts the activation. " +
                        "Explanations are scored by precision and recall of firing on held-out text, and by explanation reconstruction: every latent replaced by its scaled simulation, " +
                        "the code decoded and spliced in, and the downstream loss compared; it rewards recall more for densely firing latents."));
        var sampled = n.Latents.Where(l => l.Sampled).ToList();
        var zeroAbl = n.Sae.CeZeroAblation - n.Sae.CeOriginal;
        sb.Append(Measured(Inv($"{n.SampledLatents} random live latents of <code>{E(n.Run)}</code> (plus {n.ExplainedLatents - n.SampledLatents} probe winners) were explained from {n.TrainWindows:N0} training windows ") +
            Inv($"({N(n.SequencesPerLatent, "F1")} model sequences per latent, {N(n.ExplainSeconds, "F1")} s) and scored on {n.TestWindows:N0} test windows: ") +
            Inv($"precision mean {N(n.MeanPrecision, "F3")} (median {N(n.MedianPrecision, "F3")}), recall mean {N(n.MeanRecall, "F3")} (median {N(n.MedianRecall, "F3")}). ") +
            Inv($"Explanation reconstruction replaces only the sampled latents (the other latents keep their values, since not all are explained): delta loss {N(n.Explained.DeltaLoss, "F4")} nats, ") +
            Inv($"against {N(n.Sae.DeltaLoss, "F4")} for the SAE itself and {N(n.SampleZeroed.DeltaLoss, "F4")} with the sampled latents zeroed (an explanation that never fires); zero-ablating the site costs {N(zeroAbl, "F3")}.")));

        var fig = new Figure { Layout = BaseLayout("N2G explanations: precision and recall on held-out tokens (one point per latent)", 460) };
        var plotted = n.Latents.Where(l => !double.IsNaN(l.Precision) && !double.IsNaN(l.Recall)).ToList();
        var rates = plotted.Select(l => Math.Log10(Math.Max(l.TrainingFiringRate, 1e-6))).ToArray();
        fig.Add(new Scatter
        {
            Name = "latents", X = plotted.Select(l => l.Recall).ToArray(), Y = plotted.Select(l => l.Precision).ToArray(), Mode = ScatterMode.Markers,
            Text = plotted.Select(l => Inv($"latent {l.Latent}{(l.ProbeTask is null ? "" : ", wins " + l.ProbeTask)}: {l.Patterns} patterns, firing rate {l.TrainingFiringRate:P2}")).ToArray(),
            Marker = new Marker { Color = rates, Colorscale = Colorscale.Viridis, ShowScale = true, Size = Enumerable.Repeat(8.0, plotted.Count).ToArray(),
                Symbol = plotted.Select(l => l.Sampled ? "circle" : "diamond").ToArray(), ColorBar = new ColorBar { Title = "log10 firing rate" } },
        });
        fig.Layout.XAxis = new Axis { Title = "recall P(explanation fires | latent fires)", Range = [0, 1.02] };
        fig.Layout.YAxis = new Axis { Title = "precision P(latent fires | explanation fires)", Range = [0, 1.02] };
        sb.Append(Fig(fig));
        sb.Append(Note("Circles: random sample; diamonds: probe winners. Firing rate: fraction of the N2G training tokens on which the latent is positive."));

        sb.Append(Table(["splice at the hook", "cross-entropy (nats)", "delta loss", "KL", "loss recovered (zero abl.)"], new[]
        {
            Row("original model", n.Sae.CeOriginal, 0, 0, 1),
            Row("SAE reconstruction", n.Sae.CeReconstructed, n.Sae.DeltaLoss, n.Sae.KlMean, n.Sae.LossRecoveredZero),
            Row(Inv($"{n.SampledLatents} sampled latents replaced by N2G simulations"), n.Explained.CeReconstructed, n.Explained.DeltaLoss, n.Explained.KlMean, n.Explained.LossRecoveredZero),
            Row(Inv($"{n.SampledLatents} sampled latents zeroed"), n.SampleZeroed.CeReconstructed, n.SampleZeroed.DeltaLoss, n.SampleZeroed.KlMean, n.SampleZeroed.LossRecoveredZero),
            Row("site zero-ablated", n.Sae.CeZeroAblation, zeroAbl, double.NaN, 0),
        }));

        sb.Append("<h3>Some explanations</h3>\n<div class=\"showcase\">\n");
        foreach (var s in n.Showcase)
            sb.Append("<div>").Append(s.ProbeTask is null ? "" : "<div class=\"note\">wins the probe task <code>" + E(s.ProbeTask) + "</code></div>").Append(s.Html).Append("</div>\n");
        sb.Append("</div>\n");
        sb.Append(Note("Patterns read left to right and end at the token where the latent fires; ^ anchors a pattern at the start of the window, * matches any one token."));
        return sb.ToString();

        static IReadOnlyList<string> Row(string what, double ce, double delta, double kl, double recovered) =>
            [E(what), N(ce, "F4"), N(delta, "F4"), N(kl, "F4"), N(recovered, "F3")];
    }

    // ---- 8 -------------------------------------------------------------------------------------------------

    private static string AblationSection(ReproductionResults r)
    {
        var a = r.Ablation!;
        var sb = new StringBuilder();
        sb.Append(Paper(Inv($"Gao et al. measure how sparse a latent's effect on the output is: at a token, zero each active latent in turn, decode and splice, record the V logit differences at that position and the next T - 1 (T = 16 (?)), ") +
                        "subtract each position's median and take (L1/L2)<sup>2</sup> of the V·T vector, the effective number of affected logits. Lower is sparser. " +
                        "One independent evaluation of the released GPT-2 small SAEs reports 25% of V·T at 32k latents and 18% at 128k (a rough reference)."));
        sb.Append(Measured(Inv($"At {a.Sites} sampled test positions, every active latent of each matched SAE (V = {a.Vocab:N0}, T = {a.Positions}): ") +
            string.Join("; ", a.Runs.Select(x => Inv($"{E(Label(x.Family))} {Pct(x.Result.MeanFractionOfVT, 2)} of V·T ({N(x.Result.MeanEffectiveCount, "F0")} logits, {x.Result.EffectiveCounts.Length} ablations)"))) + "."));
        var vt = (double)a.Vocab * a.Positions;
        var fig = new Figure { Layout = BaseLayout("Effective number of affected logits per ablated latent, as a fraction of V·T", 420) };
        foreach (var x in a.Runs)
            fig.Add(new Box { Name = Label(x.Family), Y = x.Result.EffectiveCounts.Select(c => c / vt).ToArray(), BoxPoints = BoxPoints.Outliers,
                Marker = new BoxMarker { Color = FamilyColor(x.Family) } });
        fig.Layout.YAxis = new Axis { Title = "(L1/L2)² / (V·T)", Type = AxisType.Log };
        fig.Layout.ShowLegend = false;
        sb.Append(Fig(fig));
        sb.Append(Table(["architecture", "run", "ablations", "mean L0 at the sites", "mean effective logits", "fraction of V·T"],
            a.Runs.Select(x => (IReadOnlyList<string>)[E(Label(x.Family)), "<code>" + E(x.Run) + "</code>", Inv($"{x.Result.EffectiveCounts.Length}"),
                N(x.Result.ActivePerSite.Length == 0 ? double.NaN : x.Result.ActivePerSite.Average(), "F1"), N(x.Result.MeanEffectiveCount, "F1"), Pct(x.Result.MeanFractionOfVT, 3)]), leftColumns: 2));
        return sb.ToString();
    }

    // ---- 9 -------------------------------------------------------------------------------------------------

    private static string RefinementSection(ReproductionResults r)
    {
        var f = r.Refinement!;
        var sb = new StringBuilder();
        sb.Append(Paper("An L1 penalty shrinks activations: fixing the support the encoder chose and re-fitting only the nonzero values (non-negative least squares) " +
                        "makes them larger. The ratio of refined to original magnitudes is above 1 for ReLU + L1 and about 1 for TopK, which has no penalty on magnitudes."));
        sb.Append(Measured(Inv($"On {f.Tokens:N0} test tokens, refined/original magnitude: ") +
            string.Join("; ", f.Runs.Select(x => Inv($"{E(Label(x.Family))} {N(x.Result.MagnitudeRatio, "F3")} (MSE {Pct(x.Result.RelativeMseGain)} lower after refining)"))) + "."));
        var fig = Figure.Subplots(1, 2, ["refined / original magnitude", "relative MSE gain of refining"]);
        fig.Layout.Height = 380;
        fig.Layout.ShowLegend = false;
        var colors = Color.PerPoint(f.Runs.Select(x => FamilyColor(x.Family).ToString()));
        fig.Add(new Bar { X = f.Runs.Select(x => Label(x.Family)).ToArray(), Y = f.Runs.Select(x => x.Result.MagnitudeRatio).ToArray(), Marker = new BarMarker { Color = colors } }, 1, 1);
        fig.Add(new Bar { X = f.Runs.Select(x => Label(x.Family)).ToArray(), Y = f.Runs.Select(x => x.Result.RelativeMseGain).ToArray(),
            Marker = new BarMarker { Color = Color.PerPoint(f.Runs.Select(x => FamilyColor(x.Family).ToString())) } }, 1, 2);
        var lo = Math.Min(0.9, f.Runs.Select(x => x.Result.MagnitudeRatio).Where(double.IsFinite).DefaultIfEmpty(1).Min() - 0.05);
        var hi = Math.Max(1.1, f.Runs.Select(x => x.Result.MagnitudeRatio).Where(double.IsFinite).DefaultIfEmpty(1).Max() + 0.05);
        fig.YAxisAt(1, 1).Range = [lo, hi];
        fig.YAxisAt(1, 2).TickFormat = ".0%";
        sb.Append(Fig(fig));
        sb.Append(Table(["architecture", "run", "support entries", "MSE before", "MSE after", "magnitude ratio", "iterations", "converged"],
            f.Runs.Select(x => (IReadOnlyList<string>)[E(Label(x.Family)), "<code>" + E(x.Run) + "</code>", Inv($"{x.Result.SupportEntries:N0}"), N(x.Result.OriginalMse, "G4"),
                N(x.Result.RefinedMse, "G4"), N(x.Result.MagnitudeRatio, "F4"), Inv($"{x.Result.Iterations}"), x.Result.Converged ? "yes" : "no"]), leftColumns: 2));
        return sb.ToString();
    }

    // ---- 10 ------------------------------------------------------------------------------------------------

    private static string GeometrySection(ReproductionResults r)
    {
        var g = r.Geometry!;
        var sb = new StringBuilder();
        var d = r.Subject?.DIn;
        sb.Append(Paper("Plotting each decoder direction's largest cosine similarity to any other against random directions of the same dimension shows that real SAE latents " +
                        "are far less orthogonal than random ones: many come in near-duplicate or split families."));
        sb.Append(Measured(string.Join("; ", g.Runs.Select(x => Inv($"{E(Label(x.Family))}: mean max cosine {N(x.MeanMaxCosine, "F3")}, {Pct(x.FractionAbove09)} above 0.9, against {N(x.RandomMeanMaxCosine, "F3")} for {x.NumLatents:N0} random directions"))) +
            (d is null ? "." : Inv($" in d = {d}."))));
        var fig = new Figure { Layout = BaseLayout("Max cosine similarity of each decoder direction to any other", 420) };
        var main = g.Runs.FirstOrDefault(x => x.Family == "topk") ?? g.Runs.FirstOrDefault();
        if (main is not null)
        {
            var centers = main.Random.Edges.Take(main.Random.Counts.Length).Select((e, i) => (e + main.Random.Edges[i + 1]) / 2).ToArray();
            fig.Add(new Bar { Name = Inv($"random directions (n = {main.NumLatents:N0})"), X = centers, Y = main.Random.Counts, Marker = new BarMarker { Color = "#9ca3af" }, Opacity = 0.7 });
            foreach (var x in g.Runs)
                fig.Add(new Scatter { Name = Label(x.Family), X = centers, Y = x.Decoder.Counts, Mode = ScatterMode.Lines, Line = new Line { Color = FamilyColor(x.Family), Shape = LineShape.Hv } });
        }
        fig.Layout.XAxis = new Axis { Title = "max cosine similarity to another direction", Range = [0, 1] };
        fig.Layout.YAxis = new Axis { Title = "latents per bin of 0.02" };
        fig.Layout.BarMode = BarMode.Overlay;
        fig.Layout.BarGap = 0;
        sb.Append(Fig(fig));
        sb.Append(Table(["architecture", "run", "mean max cos", "median", "> 0.9", "random: mean", "random: median"],
            g.Runs.Select(x => (IReadOnlyList<string>)[E(Label(x.Family)), "<code>" + E(x.Run) + "</code>", N(x.MeanMaxCosine, "F3"), N(x.MedianMaxCosine, "F3"), Pct(x.FractionAbove09),
                N(x.RandomMeanMaxCosine, "F3"), N(x.RandomMedianMaxCosine, "F3")]), leftColumns: 2));
        return sb.ToString();
    }

    // ---- timing ------------------------------------------------------------------------------------------

    private static string TimingSection(ReproductionResults r)
    {
        var sb = new StringBuilder();
        sb.Append("<p>Wall time of every step on this machine (").Append(E(r.Machine)).Append(").</p>\n");
        var fig = new Figure(new Bar
        {
            Y = r.Timings.Select(t => t.Step).Reverse().ToArray(), X = r.Timings.Select(t => t.Seconds).Reverse().ToArray(), Orientation = Orientation.Horizontal,
            Marker = new BarMarker { Color = "#2563eb" },
        })
        { Layout = BaseLayout("Wall time per step (s)", 60 + 28 * Math.Max(3, r.Timings.Count)) };
        fig.Layout.Margin = new Margin { L = 240, R = 20, T = 50, B = 40 };
        sb.Append(Fig(fig));
        sb.Append(Table(["step", "seconds"], r.Timings.Select(t => (IReadOnlyList<string>)[E(t.Step), N(t.Seconds, "F1")])
            .Append(["<b>total</b>", "<b>" + N(r.TotalSeconds, "F1") + "</b>"])));
        sb.Append("<h3>Configuration</h3>\n<pre>").Append(E(System.Text.Json.JsonSerializer.Serialize(r.Config, JsonOptions))).Append("</pre>\n");
        return sb.ToString();
    }
}
