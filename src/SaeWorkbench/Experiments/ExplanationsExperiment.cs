using System.Globalization;
using System.Text;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics;
using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Plotting;
using SaeWorkbench.Subject;
using SaeWorkbench.Training;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;
using static TorchSharp.torch;

namespace SaeWorkbench.Experiments;

/// <summary>N2G explanations, their precision and recall, and explanation reconstruction (Gao et al. 2024, §4.4).</summary>
public sealed class ExplanationsExperiment() : Experiment("n2g", "N2G explanations", "N2G explanations")
{
    public override object? ResultIn(ReproductionResults r) => r.Explanations;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Explanations = from.Explanations };

    /// <summary>
    /// N2G explanations (TopK paper §4.4, the simplified variant of its code; Metrics/N2g*) of the main TopK SAE: a seeded
    /// random sample of <see cref="ReproduceConfig.N2gLatents"/> latents alive on the test tokens, plus the latents that win
    /// a probe task (when <see cref="ProbesExperiment"/> ran), explained from the first <see cref="ReproduceConfig.N2gTrainWindows"/>
    /// training windows; precision and recall on the test windows; and explanation reconstruction (Metrics/
    /// ExplanationReconstruction) for the random sample: each sampled latent replaced by its N2G simulation times the
    /// least-squares scale fitted on the training windows, the unsampled latents kept, against the SAE itself and against
    /// the sampled latents zeroed.
    /// </summary>
    public override void Run(ReproductionContext c)
    {
        var main = c.MainTopK;
        var sae = main.Sae;
        sae.eval();
        var freq = c.ReconstructionOf(main).FiringFrequencies;
        var live = Enumerable.Range(0, freq.Length).Where(i => freq[i] > 0).Select(i => (long)i).ToArray();
        if (live.Length == 0) throw new InvalidOperationException($"no latent of {main.Name} fired on the test tokens");
        long[] sampled;
        using (var gen = new Generator(c.Config.Seed))
        using (var perm = randperm(live.Length, generator: gen))
            sampled = perm.narrow(0, 0, Math.Min(c.Config.N2gLatents, live.Length)).ToArray<long>().Select(i => live[i]).ToArray();
        var winners = new Dictionary<long, string>();
        var topkProbe = c.Results.Probes?.Runs.FirstOrDefault(p => p.Run == main.Id);
        if (topkProbe is not null)
            foreach (var task in topkProbe.Result.Tasks.OrderBy(k => k.CrossEntropy / k.LabelEntropy))
                winners.TryAdd(task.WinningLatent, task.Task);
        var extra = winners.Keys.Where(l => !sampled.Contains(l)).ToArray();
        var ids = sampled.Concat(extra).ToArray();

        using var scope = NewDisposeScope();
        // N2G prepends a pad token to a suffix that may be a whole window: keep windows one token short of the model's
        // n_positions (a GPT-2 with absolute positions cannot run a longer sequence).
        var n2gLength = Math.Min(c.Config.ContextLength, c.Subject.Model.Config.NPositions - 1);
        var trainTokens = TokenWindowBatches.Matrix(c.TrainWindows.Take(Math.Min(c.Config.N2gTrainWindows, c.TrainWindows.Count)).ToList()).narrow(1, 0, n2gLength);
        var testTokens = TokenWindowBatches.Matrix(c.TestWindows);
        var n2g = new N2gConfig
        {
            PadTokenId = c.Subject.PadTokenId,
            TopExamples = c.Config.N2gTopExamples,
            RandomExamples = c.Config.N2gRandomExamples,
            Seed = c.Config.Seed,
        };
        var function = SaeLatentActivationFunction.FromSae(c.Subject.HookActivations, sae);
        var explained = new N2gExplainer(function, n2g).Explain(trainTokens, ids);
        c.Log(string.Create(CultureInfo.InvariantCulture,
            $"  explained {ids.Length} latents ({sampled.Length} sampled, {extra.Length} probe winners) in {(explained.HarvestTime + explained.ExplainTime).TotalSeconds:F1} s, {explained.SequencesPerLatent:F1} sequences per latent"));
        c.Cancellation.ThrowIfCancellationRequested();
        var scoring = new N2gScoring(function, n2g);
        var scores = scoring.Score(explained.Explanations, testTokens);
        c.Cancellation.ThrowIfCancellationRequested();

        var latents = explained.Explanations.Select((e, j) =>
        {
            var s = scores.Latents[j];
            return new N2gLatentResult(e.LatentId, s.Precision, s.Recall, s.F1, s.LatentFires, s.ExplanationFires, e.Stats.TrainingFiringRate,
                e.Stats.DistinctPatterns, e.Stats.MeanPatternLength, e.Stats.WildcardFraction, e.Stats.StartAnchored, j < sampled.Length,
                winners.GetValueOrDefault(e.LatentId));
        }).ToList();
        var sampledResults = latents.Take(sampled.Length).ToList();

        // Showcase: the best probe winners, then the sampled latents whose explanations score best.
        var show = new List<int>();
        foreach (var (latent, _) in winners.Take(4))
            show.Add(Array.IndexOf(ids, latent));
        foreach (var j in Enumerable.Range(0, sampled.Length).Where(j => !double.IsNaN(latents[j].F1) && !show.Contains(j))
                     .OrderByDescending(j => latents[j].F1).Take(8 - show.Count))
            show.Add(j);
        string Decode(int tok) => c.Subject.Decode(tok);
        var showcase = show.Select(j => new N2gShowcase(ids[j], winners.GetValueOrDefault(ids[j]),
            N2gRendering.ToText(explained.Explanations[j], Decode, scores.Latents[j], maxPatterns: 6),
            N2gRendering.ToHtml(explained.Explanations[j], Decode, scores.Latents[j], maxPatterns: 6))).ToList();

        // Explanation reconstruction of the random sample.
        var sampledExplanations = explained.Explanations.Take(sampled.Length).ToList();
        var scale = scoring.FitExplanationScale(sampledExplanations, trainTokens);
        var withExplanations = ExplanationReconstruction.Evaluate(c.Subject.Model, c.Subject.Hook, sae,
            t => N2gSimulation.Predict(sampledExplanations, t), sampled, scale, c.DownstreamBatches, keepUnsimulated: true, baseline: c.DownstreamBaseline);
        c.Cancellation.ThrowIfCancellationRequested();
        var zeroed = ExplanationReconstruction.Evaluate(c.Subject.Model, c.Subject.Hook, sae,
            t => zeros([t.size(0), t.size(1), sampled.Length]), sampled, scale, c.DownstreamBatches, keepUnsimulated: true, baseline: c.DownstreamBaseline);

        static double Median(IEnumerable<double> xs)
        {
            var v = xs.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
            return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        }
        static double Mean(IEnumerable<double> xs)
        {
            var v = xs.Where(x => !double.IsNaN(x)).ToArray();
            return v.Length == 0 ? double.NaN : v.Average();
        }
        var result = new N2gResult(main.Id, sampled.Length, ids.Length, (int)trainTokens.size(0), (int)testTokens.size(0),
            Mean(sampledResults.Select(l => l.Precision)), Mean(sampledResults.Select(l => l.Recall)),
            Median(sampledResults.Select(l => l.Precision)), Median(sampledResults.Select(l => l.Recall)),
            latents, showcase, withExplanations.Sae, withExplanations.Explanations, zeroed.Explanations, explained.SequencesPerLatent,
            (explained.HarvestTime + explained.ExplainTime).TotalSeconds, scores.Time.TotalSeconds);
        c.Log(string.Create(CultureInfo.InvariantCulture,
            $"  sampled latents: mean precision {result.MeanPrecision:F3}, mean recall {result.MeanRecall:F3}; delta loss SAE {result.Sae.DeltaLoss:F4}, explanations {result.Explained.DeltaLoss:F4}, sample zeroed {result.SampleZeroed.DeltaLoss:F4}"));
        c.Results = c.Results with { Explanations = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Explanations is null) return null;
        var n = r.Explanations!;
        var sb = new StringBuilder();
        sb.Append(Paper("The TopK paper explains each latent with a simplified Neuron-to-Graph (N2G): minimal suffixes of its top and random activating examples, " +
                        "low-saliency tokens turned into wildcards, a start anchor when the context start matters, all in a trie that predicts the activation. " +
                        "Explanations are scored by precision and recall of firing on held-out text, and by explanation reconstruction: every latent replaced by its scaled simulation, " +
                        "the code decoded and spliced in, and the downstream loss compared; it rewards recall more for densely firing latents."));
        var sampled = n.Latents.Where(l => l.Sampled).ToList();
        var zeroAbl = n.Sae.CeZeroAblation - n.Sae.CeOriginal;
        sb.Append(Measured(Inv($"{n.SampledLatents} random live latents of <code>{E(n.Run.Name)}</code> (plus {n.ExplainedLatents - n.SampledLatents} probe winners) were explained from {n.TrainWindows:N0} training windows ") +
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
}
