using System.Diagnostics;
using System.Globalization;
using SaeWorkbench.Metrics;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Experiments;

public sealed partial class Reproduction
{
    // ---- 3. every run on the test activations ------------------------------------------------------------

    /// <summary>
    /// Measures every trained SAE on the test activations: reconstruction in the normalised space (normalized MSE =
    /// fraction of variance unexplained, explained variance, L0, dead and dense latents; Metrics/Reconstruction) and the
    /// downstream loss with the reconstruction spliced in at the hook (delta cross-entropy, KL, loss recovered against
    /// zero and mean ablation; Metrics/DownstreamLoss) on the first <see cref="ReproduceConfig.DownstreamWindows"/> test
    /// windows. Runs that diverged are listed without measurements.
    /// </summary>
    public IReadOnlyList<SaeRunEvaluation> Evaluate() => Step("reconstruction and downstream loss", () =>
    {
        if (_runs.Count == 0) throw NotYet(nameof(Train));
        var test = TestActivations;
        var d = Subject.DIn;
        var results = new List<SaeRunEvaluation>();
        var i = 0;
        foreach (var r in _runs)
        {
            _ct.ThrowIfCancellationRequested();
            i++;
            if (r.Run.Stopped)
            {
                results.Add(new SaeRunEvaluation(r.Name, r.Family, r.NumLatents, r.K, r.Lambda, true, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, null));
                continue;
            }
            var clock = Stopwatch.StartNew();
            r.Sae.eval();
            var rec = Reconstruction.Evaluate(r.Sae, test.Activations);
            _reconstruction[r.Name] = rec;
            var sae = r.Sae;
            var down = DownstreamLoss.Evaluate(Subject.Model, Subject.HookName,
                (x, _) => sae.Reconstruct(x.reshape(-1, d)).view(x.shape), _downstreamBatches!, baseline: DownstreamBaseline);
            results.Add(new SaeRunEvaluation(r.Name, r.Family, r.NumLatents, r.K, r.Lambda, false, rec.L0, rec.FractionOfVarianceUnexplained,
                rec.ExplainedVariance, rec.DeadFraction, rec.DenseFraction, down));
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  ({i}/{_runs.Count}) {r.Name,-28} L0 {rec.L0,6:F1}  nMSE {rec.FractionOfVarianceUnexplained:F4}  dead {rec.DeadFraction * 100,5:F1}%  delta loss {down.DeltaLoss:F4}  KL {down.KlMean:F4}  ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        _results = _results with { Evaluations = results };
        return results;
    });

    // ---- 3. architectures at matched sparsity ------------------------------------------------------------

    /// <summary>Per family, the run at <see cref="ReproduceConfig.NumLatents"/> latents whose test L0 is nearest (in log)
    /// <see cref="ReproduceConfig.MainK"/> (for the TopK family, the run with k = MainK).</summary>
    public ArchitecturesResult CompareArchitectures() => Step("architectures at matched sparsity", () =>
    {
        var evals = _results.Evaluations ?? throw NotYet(nameof(Evaluate));
        var atWidth = evals.Where(e => e.NumLatents == Config.NumLatents && (e.Family != "topk" || Config.Ks.Contains(e.K ?? -1))).ToList();
        var matched = new List<SaeRunEvaluation>();
        foreach (var f in Families)
        {
            var candidates = atWidth.Where(e => e.Family == f && !e.Diverged && e.L0 > 0).ToList();
            if (candidates.Count == 0) continue;
            var exact = candidates.FirstOrDefault(e => e.K == Config.MainK);
            matched.Add(exact ?? candidates.MinBy(e => Math.Abs(Math.Log(e.L0 / Config.MainK)))!);
        }
        foreach (var m in matched)
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  {FamilyLabel(m.Family),-14} {m.Name,-28} L0 {m.L0,6:F1}  nMSE {m.NormalizedMse:F4}  delta loss {m.Downstream?.DeltaLoss:F4}"));
        var atK = Families.Select(f => FrontierAt(f, atWidth.Where(e => e.Family == f && !e.Diverged && e.L0 > 0).OrderBy(e => e.L0).ToList(), Config.MainK))
            .Where(p => atWidth.Any(e => e.Family == p.Family)).ToList();
        foreach (var p in atK.Where(p => p.NormalizedMse is not null))
            _log(string.Create(CultureInfo.InvariantCulture, $"  frontier at L0 {p.L0}: {FamilyLabel(p.Family),-14} nMSE {p.NormalizedMse:F4}  delta loss {p.DeltaLoss:F4}  ({p.From})"));
        var result = new ArchitecturesResult(Config.NumLatents, Config.MainK, matched, atWidth, atK);
        _results = _results with { Architectures = result };
        return result;
    });

    /// <summary>A family's frontier (runs sorted by L0) read at L0 = <paramref name="l0"/>: the run at that L0 (within 1%), or a
    /// log-log interpolation between the two runs that bracket it.</summary>
    public static FrontierAtL0 FrontierAt(string family, IReadOnlyList<SaeRunEvaluation> runs, double l0)
    {
        var exact = runs.FirstOrDefault(e => Math.Abs(e.L0 / l0 - 1) < 0.01);
        if (exact is not null) return new FrontierAtL0(family, l0, exact.NormalizedMse, exact.Downstream?.DeltaLoss, exact.Name);
        for (var i = 0; i + 1 < runs.Count; i++)
        {
            var (a, b) = (runs[i], runs[i + 1]);
            if (!(a.L0 < l0 && l0 < b.L0)) continue;
            var t = Math.Log(l0 / a.L0) / Math.Log(b.L0 / a.L0);
            var mse = Math.Exp(Math.Log(a.NormalizedMse) + t * (Math.Log(b.NormalizedMse) - Math.Log(a.NormalizedMse)));
            double? delta = a.Downstream is { } da && b.Downstream is { } db ? da.DeltaLoss + t * (db.DeltaLoss - da.DeltaLoss) : null;
            return new FrontierAtL0(family, l0, mse, delta, $"between {a.Name} and {b.Name}");
        }
        return new FrontierAtL0(family, l0, null, null, null);
    }

    /// <summary>The matched run of a family (after <see cref="CompareArchitectures"/>), or null.</summary>
    private TrainedSae? Matched(string family)
    {
        var arch = _results.Architectures ?? throw NotYet(nameof(CompareArchitectures));
        var m = arch.Matched.FirstOrDefault(e => e.Family == family);
        return m is null ? null : RunOf(m.Name);
    }

    private IEnumerable<TrainedSae> MatchedRuns()
    {
        var arch = _results.Architectures ?? throw NotYet(nameof(CompareArchitectures));
        return arch.Matched.Select(m => RunOf(m.Name));
    }

    /// <summary>The main TopK SAE: k = MainK at NumLatents latents.</summary>
    public TrainedSae MainTopK => _runs.FirstOrDefault(r => r.Family == "topk" && r.NumLatents == Config.NumLatents && r.K == Config.MainK && !r.Run.Stopped)
        ?? throw new InvalidOperationException(_runs.Count == 0 ? "run Train() first" : $"the main TopK run (n = {Config.NumLatents}, k = {Config.MainK}) did not train");

    // ---- 4. scaling laws ---------------------------------------------------------------------------------

    /// <summary>
    /// The TopK grid's normalized MSE against n for each k, with L(N) = a N^-b + c fitted per k and the joint law
    /// L(n, k) = exp(alpha + beta_k log k + beta_n log n + gamma log k log n) + exp(zeta + eta log k) over all points
    /// (Metrics/ScalingLaws; Gao et al. 2024, §3). A fit that fails is reported with its error.
    /// </summary>
    public ScalingResult FitScalingLaws() => Step("scaling laws", () =>
    {
        var evals = _results.Evaluations ?? throw NotYet(nameof(Evaluate));
        var points = evals.Where(e => e.Family == "topk" && !e.Diverged && Config.ScalingLatents.Contains(e.NumLatents))
            .OrderBy(e => e.K).ThenBy(e => e.NumLatents)
            .Select(e => new ScalingPoint(e.NumLatents, e.K!.Value, e.NormalizedMse, e.L0, e.Downstream?.DeltaLoss)).ToList();
        var byK = new SortedDictionary<long, FitSummary>();
        foreach (var g in points.GroupBy(p => p.K))
        {
            var ps = g.OrderBy(p => p.NumLatents).ToList();
            byK[g.Key] = Fit("L(N) = a N^-b + c", () => ScalingLaws.FitPowerLaw(ps.Select(p => (double)p.NumLatents).ToList(), ps.Select(p => p.NormalizedMse).ToList()));
            var f = byK[g.Key];
            _log(f.Error is null
                ? string.Create(CultureInfo.InvariantCulture, $"  k = {g.Key}: L(N) = {f["a"]:G4} N^-{f["b"]:G3} + {f["c"]:G4}")
                : $"  k = {g.Key}: fit failed: {f.Error}");
        }
        var joint = Fit("L(n, k) = exp(alpha + beta_k log k + beta_n log n + gamma log k log n) + exp(zeta + eta log k)",
            () => ScalingLaws.FitJoint(points.Select(p => (double)p.NumLatents).ToList(), points.Select(p => (double)p.K).ToList(), points.Select(p => p.NormalizedMse).ToList()));
        _log(joint.Error is null
            ? string.Create(CultureInfo.InvariantCulture, $"  joint: beta_n {joint["beta_n"]:G3}, beta_k {joint["beta_k"]:G3}, gamma {joint["gamma"]:G3} (residual s.e. {joint.ResidualStandardError:G3})")
            : $"  joint fit failed: {joint.Error}");
        var result = new ScalingResult(points, byK, joint);
        _results = _results with { Scaling = result };
        return result;
    });

    private static FitSummary Fit(string formula, Func<ScalingLawFit> fit)
    {
        try { return FitSummary.From(fit()); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return FitSummary.Failed(formula, e.Message);
        }
    }

    // ---- 5. progressive codes ----------------------------------------------------------------------------

    /// <summary>
    /// Progressive codes (TopK paper §5.3; Metrics/ProgressiveCode): the main TopK SAE and the Multi-TopK SAE of the same k
    /// evaluated with TopK(k') for every k' of <see cref="ReproduceConfig.ProgressiveKs"/>, and the TopK and the matched
    /// JumpReLU SAEs with one JumpReLU threshold theta for all latents, swept over thresholds chosen so that L0 runs from
    /// about 1 to n/4, each point placed in the L0-MSE plane.
    /// </summary>
    public ProgressiveResult ProgressiveCodes() => Step("progressive codes", () =>
    {
        var x = TestActivations.Activations;
        var series = new List<ProgressiveSeries>();
        var topk = MainTopK;
        var multi = _runs.FirstOrDefault(r => r.Family == "multitopk" && r.K == Config.MainK && !r.Run.Stopped);
        var jump = _results.Architectures is null ? null : Matched("jumprelu");
        foreach (var r in new[] { topk, multi }.OfType<TrainedSae>())
        {
            _ct.ThrowIfCancellationRequested();
            var ks = Config.ProgressiveKs.Where(k => k <= r.NumLatents).Distinct().OrderBy(k => k).ToList();
            series.Add(new ProgressiveSeries(r.Name, r.Family, r.K, "topk", ProgressiveCode.SweepTopK(r.Sae, x, ks)));
        }
        foreach (var r in new[] { topk, jump }.OfType<TrainedSae>())
        {
            _ct.ThrowIfCancellationRequested();
            series.Add(new ProgressiveSeries(r.Name, r.Family, r.K, "jumprelu", ProgressiveCode.SweepJumpRelu(r.Sae, x, Thresholds(r, x))));
        }
        foreach (var s in series)
            _log(string.Create(CultureInfo.InvariantCulture,
                $"  {s.Run} with {s.Activation}: L0 {s.Sweep.Points.Min(p => p.L0):F1}..{s.Sweep.Points.Max(p => p.L0):F1}, nMSE {s.Sweep.Points.Max(p => p.NormalizedMse):F3}..{s.Sweep.Points.Min(p => p.NormalizedMse):F3}"));
        var result = new ProgressiveResult(series);
        _results = _results with { Progressive = result };
        return result;
    });

    /// <summary>Global JumpReLU thresholds: for target L0 values 1, 2, 4, ... up to n/4, the pre-activation value exceeded
    /// that many times per token on average over a sample of test tokens (descending thresholds, ascending L0).</summary>
    private static List<double> Thresholds(TrainedSae r, Tensor x_TD)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        r.Sae.eval();
        var sample = x_TD.narrow(0, 0, Math.Min(x_TD.size(0), 1024));
        var (xn, _) = r.Sae.Normalize(sample);
        var (pre, _) = r.Sae.PreActivations(xn);
        var sorted = pre.reshape(-1).sort(descending: true).Values.to(float64).ToArray<double>();
        var tokens = sample.size(0);
        var thresholds = new List<double>();
        for (long l0 = 1; l0 <= Math.Max(1, r.NumLatents / 4); l0 *= 2)
        {
            var theta = sorted[Math.Min(sorted.Length - 1, l0 * tokens)];
            if (theta > 0 && (thresholds.Count == 0 || theta < thresholds[^1])) thresholds.Add(theta);
        }
        if (thresholds.Count == 0) thresholds.Add(1e-3);
        return thresholds;
    }
}
