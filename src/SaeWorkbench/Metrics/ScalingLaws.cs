using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
namespace SaeWorkbench.Metrics;

/// <summary>Where the least-squares residuals of a scaling-law fit are taken.</summary>
public enum ResidualSpace
{
    /// <summary>log L_observed - log L_model: relative errors, every size weighted alike (losses span a decade or more).</summary>
    Log,

    /// <summary>L_observed - L_model: absolute errors.</summary>
    Linear,
}

/// <summary>Settings of a scaling-law fit (<see cref="ScalingLaws"/>).</summary>
public sealed record ScalingLawOptions
{
    /// <summary>Where residuals are taken (default: log, i.e. multiplicative noise).</summary>
    public ResidualSpace Residuals { get; init; } = ResidualSpace.Log;

    /// <summary>Coverage of the confidence intervals, in (0, 1) (default 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Levenberg-Marquardt iteration cap per start, in [1, 100000].</summary>
    public int MaxIterations { get; init; } = 2000;

    public void Validate()
    {
        const string owner = nameof(ScalingLawOptions);
        ConfigCheck.Require(ConfidenceLevel > 0 && ConfidenceLevel < 1, owner, nameof(ConfidenceLevel), ConfidenceLevel, "in (0, 1)");
        ConfigCheck.Require(MaxIterations >= 1 && MaxIterations <= 100_000, owner, nameof(MaxIterations), MaxIterations, "in [1, 100000]");
        ConfigCheck.Require(Enum.IsDefined(Residuals), owner, nameof(Residuals), Residuals, "Log or Linear");
    }
}

/// <summary>A fitted parameter: estimate, standard error and confidence interval.</summary>
/// <param name="Name">As in the formula.</param>
/// <param name="Value">The least-squares estimate.</param>
/// <param name="StandardError">From the covariance s^2 (J^T J)^-1 (for a parameter fitted through its logarithm, by the
/// delta method).</param>
/// <param name="Lower">Lower end of the confidence interval (Student t with m - p degrees of freedom; for a parameter fitted
/// through its logarithm, the exponentiated interval of the logarithm).</param>
/// <param name="Upper">Upper end.</param>
public sealed record FittedParameter(string Name, double Value, double StandardError, double Lower, double Upper)
{
    public bool Contains(double value) => value >= Lower && value <= Upper;
}

/// <summary>What a nonlinear least-squares fit of a scaling law found.</summary>
public record ScalingLawFit
{
    /// <summary>The model, e.g. "L(N) = a N^-b + c".</summary>
    public required string Formula { get; init; }

    /// <summary>The parameters in the formula's order.</summary>
    public required IReadOnlyList<FittedParameter> Parameters { get; init; }

    /// <summary>Names of the parameters actually optimised (e.g. "ln a" in place of a), the rows of <see cref="Covariance"/>.</summary>
    public required IReadOnlyList<string> FittedNames { get; init; }

    /// <summary>s^2 (J^T J)^-1 of the optimised parameters at the minimum, s^2 = RSS / (m - p).</summary>
    public required double[,] Covariance { get; init; }

    public required double ResidualSumOfSquares { get; init; }

    /// <summary>s = sqrt(RSS / (m - p)), in the residual space.</summary>
    public required double ResidualStandardError { get; init; }

    public required int Observations { get; init; }

    public required int DegreesOfFreedom { get; init; }

    public required ResidualSpace Residuals { get; init; }

    public required double ConfidenceLevel { get; init; }

    /// <summary>Levenberg-Marquardt iterations of the winning start.</summary>
    public required int Iterations { get; init; }

    /// <summary>Why the winning start stopped (MathNet's exit condition).</summary>
    public required string ExitCondition { get; init; }

    /// <summary>The parameter called <paramref name="name"/>.</summary>
    public FittedParameter this[string name] => Parameters.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"no parameter '{name}'; the parameters are {string.Join(", ", Parameters.Select(p => p.Name))}", nameof(name));
}

/// <summary>L(N) = a N^-b + c, fitted (<see cref="ScalingLaws.FitPowerLaw"/>).</summary>
public sealed record PowerLawFit : ScalingLawFit
{
    public double A => this["a"].Value;
    public double B => this["b"].Value;
    public double C => this["c"].Value;

    /// <summary>The fitted law at <paramref name="n"/>.</summary>
    public double Predict(double n) => A * Math.Pow(n, -B) + C;
}

/// <summary>L(n, k) = exp(alpha + beta_k log k + beta_n log n + gamma log k log n) + exp(zeta + eta log k), fitted
/// (<see cref="ScalingLaws.FitJoint"/>).</summary>
public sealed record JointScalingLawFit : ScalingLawFit
{
    /// <summary>The fitted law at n latents and k active latents.</summary>
    public double Predict(double n, double k)
    {
        return ScalingLaws.Joint(Parameters.Select(q => q.Value).ToArray(), n, k);
    }
}

/// <summary>
/// Scaling-law fits of the TopK paper (Gao et al. 2024, §3) by nonlinear least squares, with Levenberg-Marquardt from
/// MathNet.Numerics, analytic Jacobians, parameter standard errors from the covariance s^2 (J^T J)^-1 (s^2 the residual
/// variance RSS / (m - p), J the Jacobian of the residuals at the minimum) and Student-t confidence intervals.
/// <list type="bullet">
/// <item><see cref="FitPowerLaw"/>: L(N) = a N^-b + c, e.g. the loss of SAEs of N latents trained to convergence. Fitted as
///   (ln a, b, c). Starting points: for each c on a grid of 40 values in [0, 0.99 min L), ln(L - c) is linear in ln N, so a
///   linear least-squares fit gives ln a and b; the three grid points with the lowest residual start Levenberg-Marquardt
///   and the best end point is kept.</item>
/// <item><see cref="FitJoint"/>: L(n, k) = exp(alpha + beta_k log k + beta_n log n + gamma log k log n) + exp(zeta + eta log
///   k), the paper's joint law in latents n and sparsity k. Starting points: the second term set to q min L (zeta =
///   ln(q min L), eta = 0) for q in {0.1, 0.3, 0.5, 0.7, 0.9}; ln(L - that) is linear in (1, log k, log n, log k log n),
///   whose least-squares fit gives alpha, beta_k, beta_n, gamma; every start runs and the lowest residual wins.</item>
/// </list>
/// The intervals are the usual asymptotic ones: exact for a linear model with Gaussian noise, approximate here (the tests
/// check their coverage on synthetic data).
/// </summary>
public static class ScalingLaws
{
    /// <summary>Fits L(N) = a N^-b + c to sizes <paramref name="n"/> and losses <paramref name="loss"/> (all > 0, at least 4).</summary>
    public static PowerLawFit FitPowerLaw(IReadOnlyList<double> n, IReadOnlyList<double> loss, ScalingLawOptions? options = null)
    {
        options ??= new ScalingLawOptions();
        options.Validate();
        Check(n, nameof(n), loss, 3);
        var lnN = n.Select(v => Math.Log(v)).ToArray();
        var y = loss.ToArray();
        var minL = y.Min();

        // theta = (ln a, b, c)
        double[] Model(double[] p, int i) => [Math.Exp(p[0] - p[1] * lnN[i]) + p[2]];
        double[] Gradient(double[] p, int i)
        {
            var e = Math.Exp(p[0] - p[1] * lnN[i]);
            return [e, -lnN[i] * e, 1];
        }

        var starts = new List<(double rss, double[] p)>();
        for (var g = 0; g < 40; g++)
        {
            var c = 0.99 * minL * g / 40;
            var (coef, ok) = LinearLeastSquares(lnN.Select(v => new[] { 1.0, v }).ToArray(), y.Select(v => Math.Log(v - c)).ToArray());
            if (!ok) continue;
            var p = new[] { coef[0], -coef[1], c };
            starts.Add((Rss(p, y, Model, options.Residuals), p));
        }
        var best = Minimize(starts.OrderBy(s => s.rss).Take(3).Select(s => s.p), y, Model, Gradient, options);
        var (fit, cov) = Summarize(best, y, Gradient, Model, options, ["ln a", "b", "c"]);
        var se = fit.se;
        var t = fit.t;
        var lnA = best.p[0];
        return new PowerLawFit
        {
            Formula = "L(N) = a N^-b + c",
            Parameters =
            [
                new FittedParameter("a", Math.Exp(lnA), Math.Exp(lnA) * se[0], Math.Exp(lnA - t * se[0]), Math.Exp(lnA + t * se[0])),
                new FittedParameter("b", best.p[1], se[1], best.p[1] - t * se[1], best.p[1] + t * se[1]),
                new FittedParameter("c", best.p[2], se[2], best.p[2] - t * se[2], best.p[2] + t * se[2]),
            ],
            FittedNames = ["ln a", "b", "c"],
            Covariance = cov,
            ResidualSumOfSquares = fit.rss,
            ResidualStandardError = fit.s,
            Observations = y.Length,
            DegreesOfFreedom = fit.dof,
            Residuals = options.Residuals,
            ConfidenceLevel = options.ConfidenceLevel,
            Iterations = best.iterations,
            ExitCondition = best.exit,
        };
    }

    /// <summary>Fits the joint law L(n, k) to latents <paramref name="n"/>, active latents <paramref name="k"/> and losses
    /// <paramref name="loss"/> (all > 0, at least 7 points; several values of both n and k).</summary>
    public static JointScalingLawFit FitJoint(IReadOnlyList<double> n, IReadOnlyList<double> k, IReadOnlyList<double> loss, ScalingLawOptions? options = null)
    {
        options ??= new ScalingLawOptions();
        options.Validate();
        Check(n, nameof(n), loss, 6);
        Check(k, nameof(k), loss, 6);
        var ln = n.Select(v => Math.Log(v)).ToArray();
        var lk = k.Select(v => Math.Log(v)).ToArray();
        var y = loss.ToArray();
        var minL = y.Min();
        string[] names = ["alpha", "beta_k", "beta_n", "gamma", "zeta", "eta"];

        double[] Model(double[] p, int i) => [JointLog(p, ln[i], lk[i])];
        double[] Gradient(double[] p, int i)
        {
            var e1 = Math.Exp(p[0] + p[1] * lk[i] + p[2] * ln[i] + p[3] * lk[i] * ln[i]);
            var e2 = Math.Exp(p[4] + p[5] * lk[i]);
            return [e1, e1 * lk[i], e1 * ln[i], e1 * lk[i] * ln[i], e2, e2 * lk[i]];
        }

        var starts = new List<double[]>();
        foreach (var q in new[] { 0.1, 0.3, 0.5, 0.7, 0.9 })
        {
            var floor = q * minL;
            var (coef, ok) = LinearLeastSquares(
                Enumerable.Range(0, y.Length).Select(i => new[] { 1.0, lk[i], ln[i], lk[i] * ln[i] }).ToArray(),
                y.Select(v => Math.Log(v - floor)).ToArray());
            if (ok) starts.Add([coef[0], coef[1], coef[2], coef[3], Math.Log(floor), 0]);
        }
        if (starts.Count == 0)
            throw new ArgumentException("the joint law is not identifiable from these points: (1, log k, log n, log k log n) are collinear (use several values of both n and k)");
        var best = Minimize(starts, y, Model, Gradient, options);
        var (fit, cov) = Summarize(best, y, Gradient, Model, options, names);
        return new JointScalingLawFit
        {
            Formula = "L(n, k) = exp(alpha + beta_k log k + beta_n log n + gamma log k log n) + exp(zeta + eta log k)",
            Parameters = names.Select((name, i) => new FittedParameter(name, best.p[i], fit.se[i], best.p[i] - fit.t * fit.se[i], best.p[i] + fit.t * fit.se[i])).ToList(),
            FittedNames = names,
            Covariance = cov,
            ResidualSumOfSquares = fit.rss,
            ResidualStandardError = fit.s,
            Observations = y.Length,
            DegreesOfFreedom = fit.dof,
            Residuals = options.Residuals,
            ConfidenceLevel = options.ConfidenceLevel,
            Iterations = best.iterations,
            ExitCondition = best.exit,
        };
    }

    /// <summary>The joint law L(n, k) at parameters <paramref name="p"/> = (alpha, beta_k, beta_n, gamma, zeta, eta).</summary>
    public static double Joint(IReadOnlyList<double> p, double n, double k) => JointLog(p, Math.Log(n), Math.Log(k));

    private static double JointLog(IReadOnlyList<double> p, double ln, double lk) =>
        Math.Exp(p[0] + p[1] * lk + p[2] * ln + p[3] * lk * ln) + Math.Exp(p[4] + p[5] * lk);

    // ---- machinery ------------------------------------------------------------------------------------------------

    private delegate double[] PointFunction(double[] p, int i);

    private sealed record Solution(double[] p, double rss, int iterations, string exit);

    private static void Check(IReadOnlyList<double> x, string name, IReadOnlyList<double> loss, int parameters)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        ArgumentNullException.ThrowIfNull(loss, nameof(loss));
        if (x.Count != loss.Count) throw new ArgumentException($"{name} has {x.Count} values for {loss.Count} losses", name);
        if (x.Count <= parameters) throw new ArgumentException($"{x.Count} points cannot fit {parameters} parameters with a residual variance: need at least {parameters + 1}", name);
        for (var i = 0; i < x.Count; i++)
        {
            if (!(x[i] > 0) || !double.IsFinite(x[i])) throw new ArgumentOutOfRangeException(name, x[i], $"{name}[{i}] = {x[i]} is out of range: must be > 0 and finite");
            if (!(loss[i] > 0) || !double.IsFinite(loss[i])) throw new ArgumentOutOfRangeException(nameof(loss), loss[i], $"loss[{i}] = {loss[i]} is out of range: must be > 0 and finite");
        }
    }

    /// <summary>Residual (observed - model) of point i in the chosen space.</summary>
    private static double Residual(double observed, double model, ResidualSpace space) =>
        space == ResidualSpace.Log ? Math.Log(observed) - Math.Log(model) : observed - model;

    private static double Rss(double[] p, double[] y, PointFunction model, ResidualSpace space)
    {
        var s = 0.0;
        for (var i = 0; i < y.Length; i++)
        {
            var m = model(p, i)[0];
            if (!(m > 0) && space == ResidualSpace.Log) return double.PositiveInfinity;
            var r = Residual(y[i], m, space);
            s += r * r;
        }
        return double.IsFinite(s) ? s : double.PositiveInfinity;
    }

    /// <summary>Runs Levenberg-Marquardt (MathNet) from each start on the chosen residuals; keeps the lowest RSS.</summary>
    private static Solution Minimize(IEnumerable<double[]> starts, double[] y, PointFunction model, PointFunction gradient, ScalingLawOptions options)
    {
        var m = y.Length;
        var log = options.Residuals == ResidualSpace.Log;
        // MathNet fits observedY ~ f(p, x): x is the point index; in log space f is log(model) and the target log(y).
        var xs = Vector<double>.Build.Dense(m, i => i);
        var target = Vector<double>.Build.Dense(m, i => log ? Math.Log(y[i]) : y[i]);
        Vector<double> F(Vector<double> p, Vector<double> x)
        {
            var pa = p.ToArray();
            return Vector<double>.Build.Dense(m, i =>
            {
                var v = model(pa, (int)x[i])[0];
                return log ? Math.Log(Math.Max(v, 1e-300)) : v;
            });
        }
        Matrix<double> J(Vector<double> p, Vector<double> x)
        {
            var pa = p.ToArray();
            return Matrix<double>.Build.Dense(m, pa.Length, (i, j) =>
            {
                var g = gradient(pa, (int)x[i])[j];
                return log ? g / Math.Max(model(pa, (int)x[i])[0], 1e-300) : g;
            });
        }

        Solution? best = null;
        foreach (var start in starts)
        {
            Solution candidate;
            try
            {
                var objective = ObjectiveFunction.NonlinearModel(F, J, xs, target);
                var solver = new LevenbergMarquardtMinimizer(maximumIterations: options.MaxIterations);
                var result = solver.FindMinimum(objective, Vector<double>.Build.DenseOfArray(start));
                var p = result.MinimizingPoint.ToArray();
                candidate = new Solution(p, Rss(p, y, model, options.Residuals), result.Iterations, result.ReasonForExit.ToString());
            }
            catch (Exception e) when (e is MaximumIterationsException or ArithmeticException or ArgumentException)
            {
                continue;
            }
            if (double.IsFinite(candidate.rss) && (best is null || candidate.rss < best.rss)) best = candidate;
        }
        return best ?? throw new InvalidOperationException("Levenberg-Marquardt found no finite fit from any starting point (check that the losses follow the law's shape)");
    }

    /// <summary>RSS, s, degrees of freedom, standard errors and the t quantile at the minimum; the covariance s^2 (J^T J)^-1.</summary>
    private static ((double rss, double s, int dof, double[] se, double t) fit, double[,] cov) Summarize(
        Solution best, double[] y, PointFunction gradient, PointFunction model, ScalingLawOptions options, string[] names)
    {
        var m = y.Length;
        var p = best.p;
        var log = options.Residuals == ResidualSpace.Log;
        var j = Matrix<double>.Build.Dense(m, p.Length, (i, q) => gradient(p, i)[q] / (log ? model(p, i)[0] : 1));
        var dof = m - p.Length;
        var s2 = best.rss / dof;
        var jtj = j.TransposeThisAndMultiply(j);
        var cov = jtj.Inverse() * s2;
        var se = Enumerable.Range(0, p.Length).Select(i => Math.Sqrt(Math.Max(cov[i, i], 0))).ToArray();
        if (se.Any(v => !double.IsFinite(v)))
            throw new InvalidOperationException($"the covariance of ({string.Join(", ", names)}) is singular at the fit: the parameters are not identifiable from these points");
        var t = StudentT.InvCDF(0, 1, dof, (1 + options.ConfidenceLevel) / 2);
        return ((best.rss, Math.Sqrt(s2), dof, se, t), cov.ToArray());
    }

    /// <summary>Ordinary least squares by QR; false when the design is rank-deficient or the targets are not finite.</summary>
    private static (double[] coef, bool ok) LinearLeastSquares(double[][] rows, double[] target)
    {
        if (target.Any(v => !double.IsFinite(v))) return ([], false);
        var x = Matrix<double>.Build.DenseOfRowArrays(rows);
        var qr = x.QR();
        if (!qr.IsFullRank) return ([], false);
        var coef = qr.Solve(Vector<double>.Build.DenseOfArray(target)).ToArray();
        return (coef, coef.All(double.IsFinite));
    }
}
