using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Data;
using SaeWorkbench.Metrics;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Experiments;

public sealed partial class Reproduction
{
    // ---- 6. probe loss -----------------------------------------------------------------------------------

    /// <summary>
    /// Probe loss (TopK paper §4.2; Metrics/ProbeLoss) on the synthetic corpus's labels of the test tokens: for every task
    /// with enough positives and negatives in both parts, a 1-D logistic regression on each latent, the best latent's
    /// held-out cross-entropy, averaged over tasks. Fitted on the test windows not held out, scored on every
    /// <see cref="ReproduceConfig.ProbeHeldOutEvery"/>-th window; for the matched SAE of every family and, as a reference,
    /// for the raw coordinates of the activation (no SAE).
    /// </summary>
    public ProbeResult Probes() => Step("probe loss", () =>
    {
        var test = TestActivations;
        var windows = TestWindows;
        var t = test.Count;
        var labels = CorpusLabel.All;
        var windowOf = test.Windows.ToArray<long>();
        var positionOf = test.Positions.ToArray<int>();
        var masks = new ulong[t];
        var heldOut = new bool[t];
        for (var i = 0; i < t; i++)
        {
            masks[i] = windows[(int)windowOf[i]].Labels[positionOf[i]];
            heldOut[i] = windowOf[i] % Config.ProbeHeldOutEvery == 0;
        }
        var nTrain = heldOut.LongCount(h => !h);
        var nHeld = t - nTrain;
        var tasks = new List<ProbeTask>();
        var skipped = new List<string>();
        foreach (var l in labels)
        {
            long posTrain = 0, posHeld = 0;
            for (var i = 0; i < t; i++)
                if (l.In(masks[i]))
                {
                    if (heldOut[i]) posHeld++;
                    else posTrain++;
                }
            var min = Config.ProbeMinPositives;
            if (posTrain < min || posHeld < min || nTrain - posTrain < min || nHeld - posHeld < min)
                skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{l.Name} ({posTrain} + {posHeld} positives)"));
            else
                tasks.Add(new ProbeTask(l.Name, l.Category.ToString(), posTrain, posHeld, (double)(posTrain + posHeld) / t));
        }
        if (tasks.Count == 0)
            throw new InvalidOperationException($"no corpus label has {Config.ProbeMinPositives} positives and negatives in both parts of the {t} test tokens: raise TestWindows or lower ProbeMinPositives");
        _log($"  {tasks.Count} of {labels.Count} tasks have enough positives ({Config.ProbeMinPositives} each side); {nTrain:N0} tokens fit the probes, {nHeld:N0} score them");

        using var scope = NewDisposeScope();
        var taskLabels = tasks.Select(k => CorpusLabel.ByName(k.Name)).ToArray();
        var flat = new byte[t * taskLabels.Length];
        for (var i = 0; i < t; i++)
            for (var j = 0; j < taskLabels.Length; j++)
                flat[i * taskLabels.Length + j] = taskLabels[j].In(masks[i]) ? (byte)1 : (byte)0;
        var labels_TJ = tensor(flat, [t, taskLabels.Length]);
        var heldOut_T = tensor(heldOut);
        var names = tasks.Select(k => k.Name).ToList();
        var config = new ProbeLossConfig { SplitSeed = Config.Seed };
        var runs = new List<ProbeRun>();
        foreach (var r in MatchedRuns())
        {
            _ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var res = ProbeLoss.Evaluate(r.Sae, test.Activations, labels_TJ, names, config, heldOut_T);
            runs.Add(new ProbeRun(r.Name, r.Family, res));
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-28} probe loss {res.MeanCrossEntropy:F4} (label entropy {res.MeanLabelEntropy:F4}) ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        {
            _ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var res = ProbeLoss.Evaluate(test.Activations, labels_TJ, names, config, heldOut_T);
            runs.Add(new ProbeRun("residual", "residual", res));
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  {"raw coordinates (no SAE)",-28} probe loss {res.MeanCrossEntropy:F4} ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        var result = new ProbeResult(tasks, skipped, nTrain, nHeld, runs);
        _results = _results with { Probes = result };
        return result;
    });

    // ---- 7. N2G explanations -----------------------------------------------------------------------------

    /// <summary>
    /// N2G explanations (TopK paper §4.4, the simplified variant of its code; Metrics/N2g*) of the main TopK SAE: a seeded
    /// random sample of <see cref="ReproduceConfig.N2gLatents"/> latents alive on the test tokens, plus the latents that win
    /// a probe task (when <see cref="Probes"/> ran), explained from the first <see cref="ReproduceConfig.N2gTrainWindows"/>
    /// training windows; precision and recall on the test windows; and explanation reconstruction (Metrics/
    /// ExplanationReconstruction) for the random sample: each sampled latent replaced by its N2G simulation times the
    /// least-squares scale fitted on the training windows, the unsampled latents kept, against the SAE itself and against
    /// the sampled latents zeroed.
    /// </summary>
    public N2gResult Explanations() => Step("N2G explanations", () =>
    {
        var main = MainTopK;
        var sae = main.Sae;
        sae.eval();
        var freq = _reconstruction.TryGetValue(main.Name, out var rec) ? rec.FiringFrequencies : throw NotYet(nameof(Evaluate));
        var live = Enumerable.Range(0, freq.Length).Where(i => freq[i] > 0).Select(i => (long)i).ToArray();
        if (live.Length == 0) throw new InvalidOperationException($"no latent of {main.Name} fired on the test tokens");
        long[] sampled;
        using (var gen = new Generator(Config.Seed))
        using (var perm = randperm(live.Length, generator: gen))
            sampled = perm.narrow(0, 0, Math.Min(Config.N2gLatents, live.Length)).ToArray<long>().Select(i => live[i]).ToArray();
        var winners = new Dictionary<long, string>();
        var topkProbe = _results.Probes?.Runs.FirstOrDefault(p => p.Run == main.Name);
        if (topkProbe is not null)
            foreach (var task in topkProbe.Result.Tasks.OrderBy(k => k.CrossEntropy / k.LabelEntropy))
                winners.TryAdd(task.WinningLatent, task.Task);
        var extra = winners.Keys.Where(l => !sampled.Contains(l)).ToArray();
        var ids = sampled.Concat(extra).ToArray();

        using var scope = NewDisposeScope();
        // N2G prepends a pad token to a suffix that may be a whole window: keep windows one token short of the model's
        // n_positions (a GPT-2 with absolute positions cannot run a longer sequence).
        var n2gLength = Math.Min(Config.ContextLength, Subject.Model.Config.NPositions - 1);
        var trainTokens = TokenMatrix(_trainWindows!.Take(Math.Min(Config.N2gTrainWindows, _trainWindows!.Count)).ToList()).narrow(1, 0, n2gLength);
        var testTokens = TokenMatrix(_testWindows!);
        var n2g = new N2gConfig
        {
            PadTokenId = Subject.PadTokenId,
            TopExamples = Config.N2gTopExamples,
            RandomExamples = Config.N2gRandomExamples,
            Seed = Config.Seed,
        };
        var function = SaeLatentActivationFunction.FromSae(Subject.HookActivations, sae);
        var explained = new N2gExplainer(function, n2g).Explain(trainTokens, ids);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"  explained {ids.Length} latents ({sampled.Length} sampled, {extra.Length} probe winners) in {(explained.HarvestTime + explained.ExplainTime).TotalSeconds:F1} s, {explained.SequencesPerLatent:F1} sequences per latent"));
        _ct.ThrowIfCancellationRequested();
        var scoring = new N2gScoring(function, n2g);
        var scores = scoring.Score(explained.Explanations, testTokens);
        _ct.ThrowIfCancellationRequested();

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
        string Decode(int tok) => Subject.Decode(tok);
        var showcase = show.Select(j => new N2gShowcase(ids[j], winners.GetValueOrDefault(ids[j]),
            N2gRendering.ToText(explained.Explanations[j], Decode, scores.Latents[j], maxPatterns: 6),
            N2gRendering.ToHtml(explained.Explanations[j], Decode, scores.Latents[j], maxPatterns: 6))).ToList();

        // Explanation reconstruction of the random sample.
        var sampledExplanations = explained.Explanations.Take(sampled.Length).ToList();
        var scale = scoring.FitExplanationScale(sampledExplanations, trainTokens);
        var withExplanations = ExplanationReconstruction.Evaluate(Subject.Model, Subject.HookName, sae,
            t => N2gSimulation.Predict(sampledExplanations, t), sampled, scale, _downstreamBatches!, keepUnsimulated: true, baseline: DownstreamBaseline);
        _ct.ThrowIfCancellationRequested();
        var zeroed = ExplanationReconstruction.Evaluate(Subject.Model, Subject.HookName, sae,
            t => zeros([t.size(0), t.size(1), sampled.Length]), sampled, scale, _downstreamBatches!, keepUnsimulated: true, baseline: DownstreamBaseline);

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
        var result = new N2gResult(main.Name, sampled.Length, ids.Length, (int)trainTokens.size(0), (int)testTokens.size(0),
            Mean(sampledResults.Select(l => l.Precision)), Mean(sampledResults.Select(l => l.Recall)),
            Median(sampledResults.Select(l => l.Precision)), Median(sampledResults.Select(l => l.Recall)),
            latents, showcase, withExplanations.Sae, withExplanations.Explanations, zeroed.Explanations, explained.SequencesPerLatent,
            (explained.HarvestTime + explained.ExplainTime).TotalSeconds, scores.Time.TotalSeconds);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"  sampled latents: mean precision {result.MeanPrecision:F3}, mean recall {result.MeanRecall:F3}; delta loss SAE {result.Sae.DeltaLoss:F4}, explanations {result.Explained.DeltaLoss:F4}, sample zeroed {result.SampleZeroed.DeltaLoss:F4}"));
        _results = _results with { Explanations = result };
        return result;
    });

    // ---- 8. sparsity of ablation effects ------------------------------------------------------------------

    /// <summary>Sparsity of ablation effects (TopK paper §4.5; Metrics/AblationSparsity) of the matched SAE of every family,
    /// at <see cref="ReproduceConfig.AblationSites"/> sampled test positions, as a fraction of V*T.</summary>
    public AblationResult AblationSparsity() => Step("sparsity of ablation effects", () =>
    {
        var cfg = new AblationSparsityConfig { Positions = Config.AblationPositions, Sites = Config.AblationSites, Seed = Config.Seed };
        var runs = new List<AblationRun>();
        foreach (var r in MatchedRuns())
        {
            _ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            r.Sae.eval();
            var res = Metrics.AblationSparsity.Evaluate(Subject.Model, Subject.HookName, r.Sae, _downstreamBatches!, cfg);
            runs.Add(new AblationRun(r.Name, r.Family, res));
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-28} {res.MeanEffectiveCount:F1} effective logits = {res.MeanFractionOfVT * 100:F2}% of V*T over {res.EffectiveCounts.Length} ablations ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        var result = new AblationResult(cfg.Sites, cfg.Positions, Subject.Model.Config.VocabSize, runs);
        _results = _results with { Ablation = result };
        return result;
    });

    // ---- 9. refinement -----------------------------------------------------------------------------------

    /// <summary>Refinement (TopK paper §5.2; Metrics/Refinement): the matched SAE of every family re-fits its values on its
    /// own support; the magnitude ratio refined/original above 1 is shrinkage.</summary>
    public RefinementSummary Refinement() => Step("refinement", () =>
    {
        var x = TestActivations.Activations;
        var n = (int)Math.Min(Config.RefinementTokens, x.size(0));
        var options = new RefinementOptions { MaxIterations = Config.RefinementIterations };
        var runs = new List<RefinementRun>();
        using var scope = NewDisposeScope();
        var sample = x.narrow(0, 0, n);
        foreach (var r in MatchedRuns())
        {
            _ct.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var res = Metrics.Refinement.Evaluate(r.Sae, sample, options);
            runs.Add(new RefinementRun(r.Name, r.Family, res));
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-28} magnitude ratio {res.MagnitudeRatio:F3}, MSE gain {res.RelativeMseGain * 100:F1}%{(res.Converged ? "" : " (not converged)")} ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        var result = new RefinementSummary(n, runs);
        _results = _results with { Refinement = result };
        return result;
    });

    // ---- 10. geometry ------------------------------------------------------------------------------------

    /// <summary>Decoder geometry (Metrics/Geometry.DecoderMaxCosineSimilarity; a check from public
    /// discussion of SAEs, not from the papers): each decoder direction's
    /// largest cosine similarity to another, against as many Gaussian random directions, for the matched SAE of every family.</summary>
    public GeometryResult Geometry() => Step("decoder geometry", () =>
    {
        var runs = new List<GeometryRun>();
        foreach (var r in MatchedRuns())
        {
            _ct.ThrowIfCancellationRequested();
            var res = Metrics.Geometry.DecoderMaxCosineSimilarity(r.Sae.W_dec_ND, Config.Seed);
            runs.Add(new GeometryRun(r.Name, r.Family, r.NumLatents, res.DecoderMean, Median(res.Decoder),
                res.Decoder.Count(c => c > 0.9) / (double)res.Decoder.Length, res.RandomMean, Median(res.Random),
                Bin(res.Decoder), Bin(res.Random)));
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  {r.Name,-28} mean max cos {res.DecoderMean:F3} (random directions {res.RandomMean:F3})"));
        }
        var result = new GeometryResult(Config.Seed, runs);
        _results = _results with { Geometry = result };
        return result;
    });

    private static double Median(double[] values)
    {
        var v = values.OrderBy(x => x).ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>50 bins of width 0.02 over [0, 1] (values below 0 count in the first bin, 1 in the last).</summary>
    private static HistogramBins Bin(double[] values)
    {
        const int bins = 50;
        var edges = Enumerable.Range(0, bins + 1).Select(i => Math.Round(i / (double)bins, 10)).ToArray();
        var counts = new long[bins];
        foreach (var v in values) counts[Math.Clamp((int)Math.Floor(v * bins), 0, bins - 1)]++;
        return new HistogramBins(edges, counts);
    }
}
