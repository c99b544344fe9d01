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

namespace SaeWorkbench.Experiments;

/// <summary>Scaling laws of TopK SAEs: MSE against n and k (Gao et al. 2024, §3).</summary>
public sealed class ScalingExperiment() : Experiment("scaling", "Scaling laws", "scaling laws")
{
    public override object? ResultIn(ReproductionResults r) => r.Scaling;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Scaling = from.Scaling };

    /// <summary>
    /// The TopK grid's normalized MSE against n for each k, with L(N) = a N^-b + c fitted per k and the joint law
    /// L(n, k) = exp(alpha + beta_k log k + beta_n log n + gamma log k log n) + exp(zeta + eta log k) over all points
    /// (Metrics/ScalingLaws; Gao et al. 2024, §3). A fit that fails is reported with its error.
    /// </summary>
    public override void Run(ReproductionContext c)
    {
        var evals = c.Results.Evaluations ?? throw c.NotYet("Evaluate");
        var points = evals.Where(e => e.Run.Architecture == SaeRegistry.TopK && !e.Diverged && c.Config.ScalingLatents().Contains(e.Run.NumLatents))
            .OrderBy(e => e.Run.K).ThenBy(e => e.Run.NumLatents)
            .Select(e => new ScalingPoint(e.Run.NumLatents, e.Run.K!.Value, e.NormalizedMse, e.L0, e.Downstream?.DeltaLoss)).ToList();
        var byK = new SortedDictionary<long, FitSummary>();
        foreach (var g in points.GroupBy(p => p.K))
        {
            var ps = g.OrderBy(p => p.NumLatents).ToList();
            byK[g.Key] = Fit("L(N) = a N^-b + c", () => ScalingLaws.FitPowerLaw(ps.Select(p => (double)p.NumLatents).ToList(), ps.Select(p => p.NormalizedMse).ToList()));
            var f = byK[g.Key];
            c.Log(f.Error is null
                ? string.Create(CultureInfo.InvariantCulture, $"  k = {g.Key}: L(N) = {f["a"]:G4} N^-{f["b"]:G3} + {f["c"]:G4}")
                : $"  k = {g.Key}: fit failed: {f.Error}");
        }
        var joint = Fit("L(n, k) = exp(alpha + beta_k log k + beta_n log n + gamma log k log n) + exp(zeta + eta log k)",
            () => ScalingLaws.FitJoint(points.Select(p => (double)p.NumLatents).ToList(), points.Select(p => (double)p.K).ToList(), points.Select(p => p.NormalizedMse).ToList()));
        c.Log(joint.Error is null
            ? string.Create(CultureInfo.InvariantCulture, $"  joint: beta_n {joint["beta_n"]:G3}, beta_k {joint["beta_k"]:G3}, gamma {joint["gamma"]:G3} (residual s.e. {joint.ResidualStandardError:G3})")
            : $"  joint fit failed: {joint.Error}");
        var result = new ScalingResult(points, byK, joint);
        c.Results = c.Results with { Scaling = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Scaling is null) return null;
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

    private static FitSummary Fit(string formula, Func<ScalingLawFit> fit)
    {
        try { return FitSummary.From(fit()); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return FitSummary.Failed(formula, e.Message);
        }
    }

    private static FitParameter? P(FitSummary f, string name) => f.Parameters.FirstOrDefault(p => p.Name == name);

    private static double Joint(FitSummary f, double n, double k) => Metrics.ScalingLaws.Joint(f.Parameters.Select(p => p.Value).ToArray(), n, k);
}
