using SaeWorkbench.Saes;
using SaeWorkbench.Metrics.N2g;
using System.Reflection;
using Microsoft.Data.Analysis;
using SaeWorkbench.Experiments;
using SaeWorkbench.Metrics;
using SaeWorkbench.Tables;

namespace SaeWorkbench.Tests.Tables;

/// <summary>Results as DataFrames: columns and values on hand-built records (no tensors), and coverage of every result record.</summary>
public sealed class ResultTablesTests
{
    private static string[] Names(DataFrame t) => t.Columns.Select(c => c.Name).ToArray();

    private static DownstreamLossResult Downstream(double delta) =>
        new(1000, 3.0, 3.0 + delta, delta, 0.05, 7.5, 5.0, 0.9, 0.8, [0.1f, 0.2f]);

    [Fact]
    public void A_one_measurement_result_is_one_row_with_a_column_per_scalar_property_in_declaration_order()
    {
        var t = Downstream(0.25).ToDataFrame();
        Assert.Equal(1, t.Rows.Count);
        Assert.Equal(["Tokens", "CeOriginal", "CeReconstructed", "DeltaLoss", "KlMean", "CeZeroAblation", "CeMeanAblation", "LossRecoveredZero", "LossRecoveredMean"], Names(t));
        Assert.IsType<Int64DataFrameColumn>(t["Tokens"]);
        Assert.IsType<DoubleDataFrameColumn>(t["DeltaLoss"]);
        Assert.Equal(1000L, t["Tokens"][0]);
        Assert.Equal(3.25, t["CeReconstructed"][0]);
        Assert.Equal(0.25, t["DeltaLoss"][0]);
    }

    [Fact]
    public void Computed_properties_are_columns_and_arrays_are_left_out()
    {
        var r = new RefinementResult { Tokens = 10, SupportEntries = 40, OriginalMse = 2.0, RefinedMse = 1.5, MagnitudeRatio = 1.2, Iterations = 7, MaxProjectedGradient = 1e-6, Converged = true };
        var t = r.ToDataFrame();
        Assert.Equal(["Tokens", "SupportEntries", "OriginalMse", "RefinedMse", "MseGain", "RelativeMseGain", "MagnitudeRatio", "Iterations", "MaxProjectedGradient", "Converged"], Names(t));
        Assert.Equal(0.5, t["MseGain"][0]);
        Assert.Equal(0.25, t["RelativeMseGain"][0]);
        Assert.Equal(true, t["Converged"][0]);
        Assert.Equal(7, t["Iterations"][0]);

        var ablation = new AblationSparsityResult([1.0, 2.0], 1.5, 0.01, 50_000, 8, [3, 4]).ToDataFrame();
        Assert.Equal(["MeanEffectiveCount", "MeanFractionOfVT", "Vocab", "Positions"], Names(ablation));
    }

    [Fact]
    public void Nested_records_are_flattened_with_a_prefix_and_a_missing_one_gives_nulls()
    {
        var t = new ExplanationReconstructionResult(Downstream(0.1), Downstream(0.4), 12).ToDataFrame();
        Assert.Contains("Sae.DeltaLoss", Names(t));
        Assert.Contains("Explanations.DeltaLoss", Names(t));
        Assert.Equal(0.4, t["Explanations.DeltaLoss"][0]);
        Assert.Equal(12, t["SimulatedLatents"][0]);

        SaeRunEvaluation Eval(long n, DownstreamLossResult? d) => new(SaeRegistry.TopK.Run(n, 32), false, 31.5, 0.2, 0.8, 0.01, 0.0, d);
        var evals = new[] { Eval(512, Downstream(0.3)), Eval(1024, null) }.ToDataFrame();
        Assert.Equal(2, evals.Rows.Count);
        Assert.Equal(["topk-n512-k32", "topk-n1024-k32"], evals["Run.Name"].Cast<string>());
        Assert.Equal(["topk", "topk"], evals["Run.Architecture"].Cast<string>());   // a descriptor: its name
        Assert.Equal(32L, evals["Run.K"][0]);
        Assert.Null(evals["Run.Lambda"][0]);               // a nullable number: a null cell
        Assert.Equal(0.3, evals["Downstream.DeltaLoss"][0]);
        Assert.Null(evals["Downstream.DeltaLoss"][1]);     // no downstream result: nulls
    }

    [Fact]
    public void Results_that_hold_rows_give_those_rows_with_run_and_family_in_front()
    {
        var curve = new TrainingCurve("mse", [100, 200, 300], [0.5, 0.4, 0.3], [40, 35, 32]).ToDataFrame();
        Assert.Equal(["Step", "Loss", "L0"], Names(curve));
        Assert.Equal(3, curve.Rows.Count);
        Assert.Equal(200L, curve["Step"][1]);
        Assert.Equal(0.3, curve["Loss"][2]);

        var losses = new Dictionary<string, double> { ["mse"] = 0.1, ["aux_k"] = 0.02 };
        var run = new SaeRunTraining(SaeRegistry.TopK.Run(512, 32), 1e-4, 1000, 4_096_000, false, null, losses, 0.05, new TrainingCurve("mse", [], [], []));
        var training = new TrainingResult(1000, 4_096_000, 4096, 12.5, 327_680, [run]).ToDataFrame();
        Assert.Equal(0.02, training["FinalLosses.aux_k"][0]);
        Assert.Equal(0.1, training["FinalLosses.mse"][0]);

        ProgressivePoint P(string a, double l0) => new() { Activation = a, Parameter = double.NaN, L0 = l0, Mse = 1, NormalizedMse = 0.1 };
        var sweep = new ProgressiveCodeResult { Points = [P("topk:8", 8), P("topk:16", 16)], Native = P("native", 32), Tokens = 100 };
        var progressive = new ProgressiveResult([new ProgressiveSeries(SaeRegistry.TopK.Run(512, 32), "topk", sweep)]).ToDataFrame();
        Assert.Equal(3, progressive.Rows.Count);
        Assert.Equal(["Run.Architecture", "Run.NumLatents", "Run.Sparsity", "Run.Name", "Run.K", "Run.Lambda", "Run.Label", "Native", "Point.Activation", "Point.Parameter", "Point.L0", "Point.Mse", "Point.NormalizedMse"], Names(progressive));
        Assert.Equal([true, false, false], progressive["Native"].Cast<bool?>().Select(b => b!.Value));
        Assert.Equal("topk:16", progressive["Point.Activation"][2]);
        Assert.Equal(3, sweep.ToDataFrame().Rows.Count);

        ProbeTaskResult Task(string name, double ce) => new()
        {
            Task = name, WinningLatent = 3, Weight = 2, Bias = -1, TrainCrossEntropy = ce, CrossEntropy = ce, LabelEntropy = 0.7,
            TrainPositives = 10, HeldOutPositives = 4, Converged = true,
        };
        var probe = new ProbeLossResult
        {
            Tasks = [Task("digits", 0.2), Task("caps", 0.3)], MeanCrossEntropy = 0.25, MeanLabelEntropy = 0.7, TrainTokens = 1, HeldOutTokens = 1,
            NumLatents = 512, UnconvergedFits = 0, Config = new ProbeLossConfig(),
        };
        var probes = new ProbeResult([], [], 1, 1, [new ProbeRun(SaeRegistry.TopK.Run(512, 32), probe), new ProbeRun(null, probe)]).ToDataFrame();
        Assert.Equal(4, probes.Rows.Count);
        Assert.Equal(["topk-n512-k32", "topk-n512-k32", "residual", "residual"], probes["Run"].Cast<string>());
        Assert.Equal(["topk", "topk", null, null], probes["Architecture"].Cast<string?>());
        Assert.Equal(0.3, probes["Task.CrossEntropy"][3]);

        var scaling = new ScalingResult([new ScalingPoint(512, 32, 0.2, 31, null), new ScalingPoint(1024, 32, 0.15, 30, 0.1)],
            new Dictionary<long, FitSummary>(), new FitSummary("L = a", [new FitParameter("a", 1.5, 0.1, 1.3, 1.7)], 0.01, 2, 1, 0.95, null));
        Assert.Equal(1024L, scaling.ToDataFrame()["NumLatents"][1]);
        Assert.Equal(["Name", "Value", "StandardError", "Lower", "Upper"], Names(scaling.Joint.ToDataFrame()));

        var geometry = new GeometryResult(7, [new GeometryRun(SaeRegistry.TopK.Run(512, 32), 0.4, 0.35, 0.01, 0.2, 0.19, new HistogramBins([0, 1], [3]), new HistogramBins([0, 1], [3]))]).ToDataFrame();
        Assert.Equal(["Run.Architecture", "Run.NumLatents", "Run.Sparsity", "Run.Name", "Run.K", "Run.Lambda", "Run.Label", "MeanMaxCosine", "MedianMaxCosine", "FractionAbove09", "RandomMeanMaxCosine", "RandomMedianMaxCosine"], Names(geometry));

        var arch = new ArchitecturesResult(512, 32, [Eval2(SaeRegistry.TopK)], [Eval2(SaeRegistry.TopK), Eval2(SaeRegistry.Relu)], []).ToDataFrame();
        Assert.Equal([true, false], arch["Matched"].Cast<bool?>().Select(b => b!.Value));
        static SaeRunEvaluation Eval2(SaeArchitecture a) => new(a.Run(512, a.Knob.IsK ? 32 : 0.1), false, 30, 0.2, 0.8, 0, 0, null);
    }

    [Fact]
    public void Times_become_seconds_and_head_attributions_one_row_per_token_latent_and_head()
    {
        var report = new N2gScoreReport([new N2gScore(5, 100, 10, 8, 6, 0.5f)], new N2gCallStats(1, 2, 3, 4), TimeSpan.FromSeconds(2.5));
        var scores = report.ToDataFrame();
        Assert.Equal(5L, scores["LatentId"][0]);
        Assert.Equal(0.5f, scores["Threshold"][0]);

        var heads = new HeadAttributionResult
        {
            Latents = [11, 22], NumHeads = 2, PerHead = new double[1, 2, 2] { { { 0.1, 0.2 }, { 0.3, 0.4 } } }, Bias = [0, 0],
            PreActivation = new double[1, 2],
        }.ToDataFrame();
        Assert.Equal(["Token", "Latent", "Head", "Share"], Names(heads));
        Assert.Equal(4, heads.Rows.Count);
        Assert.Equal(22L, heads["Latent"][3]);
        Assert.Equal(0.4, heads["Share"][3]);

        var timings = new[] { new StepTiming("harvest", 1.5) }.ToDataFrame();
        Assert.Equal(1.5, timings["Seconds"][0]);
    }

    /// <summary>
    /// Every public record in Metrics/ and Experiments/ whose name ends in "Result" (what a metric or an experiment step
    /// returns) has a ToDataFrame; a new result record without one fails here.
    /// </summary>
    [Fact]
    public void Every_public_result_record_of_the_metrics_and_experiments_has_ToDataFrame()
    {
        var covered = typeof(ResultTables).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.Name == "ToDataFrame").Select(m => m.GetParameters()[0].ParameterType).ToHashSet();
        var results = typeof(ResultTables).Assembly.GetExportedTypes()
            .Where(t => t.Namespace is "SaeWorkbench.Metrics" or "SaeWorkbench.Experiments" && t.Name.EndsWith("Result", StringComparison.Ordinal)
                        && t.GetMethod("<Clone>$") is not null) // records
            .ToList();
        Assert.True(results.Count >= 20, $"expected the metrics' and experiments' result records, found {results.Count}");
        var missing = results.Where(t => !covered.Contains(t)).Select(t => t.FullName).ToList();
        Assert.True(missing.Count == 0, "no ToDataFrame for: " + string.Join(", ", missing));
    }
}
