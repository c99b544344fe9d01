using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>Settings of the probe loss (<see cref="ProbeLoss"/>).</summary>
public sealed record ProbeLossConfig
{
    /// <summary>Fraction of the tokens held out to measure the cross-entropy, in (0, 1); the rest fit the probes. Ignored
    /// when an explicit held-out mask is given.</summary>
    public double HeldOutFraction { get; init; } = 0.2;

    /// <summary>Seed of the random token split (a seeded permutation: the same seed gives the same split).</summary>
    public ulong SplitSeed { get; init; }

    /// <summary>lambda, the L2 penalty (lambda / 2) w^2 on the slope of each probe, fitted on the latent's activation
    /// divided by its root mean square over the training tokens (so lambda does not depend on the latent's scale), with the
    /// cross-entropy averaged over tokens; the intercept is not penalised. In (0, 1]. It keeps the fit finite on perfectly
    /// separable data: with the default 1e-4 a latent equal to the label stops near |w| = 12 / rms, at a cross-entropy of
    /// about 1e-3 nats instead of running to infinity. On non-separable latents it moves the cross-entropy by about
    /// lambda w^2 / 2, under 1e-4 nats for |w| below 1.</summary>
    public double L2 { get; init; } = 1e-4;

    /// <summary>Cap on the solver's passes per task and chunk of latents (a pass takes a Newton step, or halves a step that
    /// did not decrease the objective enough), in [1, 10000]. A fit still short of the tolerance there is reported as not
    /// converged (<see cref="ProbeTaskResult.Converged"/>, <see cref="ProbeLossResult.UnconvergedFits"/>).</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>A fit has converged when both components of the gradient of its penalised mean cross-entropy are below this
    /// in absolute value, > 0.</summary>
    public double GradientTolerance { get; init; } = 1e-9;

    /// <summary>Memory bound: latents are fitted in chunks holding at most this many nonzero activations (each costs about a
    /// dozen float64 temporaries per pass), >= 1. A single latent is never split.</summary>
    public long MaxEntriesPerChunk { get; init; } = 1L << 23;

    public void Validate()
    {
        const string owner = nameof(ProbeLossConfig);
        ConfigCheck.Require(HeldOutFraction > 0 && HeldOutFraction < 1, owner, nameof(HeldOutFraction), HeldOutFraction, "in (0, 1)");
        ConfigCheck.Require(L2 > 0 && L2 <= 1, owner, nameof(L2), L2, "in (0, 1]");
        ConfigCheck.Require(MaxIterations >= 1 && MaxIterations <= 10_000, owner, nameof(MaxIterations), MaxIterations, "in [1, 10000]");
        ConfigCheck.Positive(GradientTolerance, owner, nameof(GradientTolerance));
        ConfigCheck.Positive(MaxEntriesPerChunk, owner, nameof(MaxEntriesPerChunk));
    }
}

/// <summary>One binary task of the probe loss: the latent whose 1-D logistic regression fits it best, and how well.</summary>
public sealed record ProbeTaskResult
{
    public required string Task { get; init; }

    /// <summary>The latent with the lowest training cross-entropy (the winner).</summary>
    public required long WinningLatent { get; init; }

    /// <summary>The winner's probe, on its raw activation a: P(label) = sigmoid(Weight * a + Bias).</summary>
    public required double Weight { get; init; }

    public required double Bias { get; init; }

    /// <summary>The winner's mean cross-entropy on the training tokens (nats, without the penalty).</summary>
    public required double TrainCrossEntropy { get; init; }

    /// <summary>The winner's mean cross-entropy on the held-out tokens (nats): this task's probe loss.</summary>
    public required double CrossEntropy { get; init; }

    /// <summary>The baseline: held-out cross-entropy of the best constant prediction (the training positive rate p), what a
    /// latent that carries no information scores; equal to the label entropy H(p) when both splits have rate p.</summary>
    public required double LabelEntropy { get; init; }

    public required long TrainPositives { get; init; }

    public required long HeldOutPositives { get; init; }

    /// <summary>Whether the winner's Newton iteration met <see cref="ProbeLossConfig.GradientTolerance"/>.</summary>
    public required bool Converged { get; init; }
}

/// <summary>The probe loss over all tasks (<see cref="ProbeLoss"/>).</summary>
public sealed record ProbeLossResult
{
    public required IReadOnlyList<ProbeTaskResult> Tasks { get; init; }

    /// <summary>Mean over tasks of the winners' held-out cross-entropy: the probe loss (lower is better).</summary>
    public required double MeanCrossEntropy { get; init; }

    /// <summary>Mean over tasks of <see cref="ProbeTaskResult.LabelEntropy"/>: the score of an uninformative code.</summary>
    public required double MeanLabelEntropy { get; init; }

    public required long TrainTokens { get; init; }

    public required long HeldOutTokens { get; init; }

    public required long NumLatents { get; init; }

    /// <summary>How many (latent, task) fits, of NumLatents x tasks, stopped at the iteration cap.</summary>
    public required long UnconvergedFits { get; init; }

    public required ProbeLossConfig Config { get; init; }
}

/// <summary>
/// The nonzero activations of N latents on T tokens, as (token, latent, value) entries sorted by latent: what the probe
/// loss fits from. A TopK code holds T*k entries instead of T*N values, and each probe touches only its latent's entries.
/// </summary>
public sealed class LatentEntries : IDisposable
{
    private LatentEntries(Tensor tokens_M, Tensor latents_M, Tensor values_M, long numTokens, long numLatents)
    {
        var (sorted, order) = latents_M.sort(stable: true);
        Latents_M = sorted.DetachFromDisposeScope();
        Tokens_M = tokens_M.index_select(0, order).DetachFromDisposeScope();
        Values_M = values_M.index_select(0, order).DetachFromDisposeScope();
        NumTokens = numTokens;
        NumLatents = numLatents;
    }

    /// <summary>Token index of each entry: [M] int64.</summary>
    public Tensor Tokens_M { get; }

    /// <summary>Latent index of each entry, non-decreasing: [M] int64.</summary>
    public Tensor Latents_M { get; }

    /// <summary>Activation of each entry (nonzero): [M] float64.</summary>
    public Tensor Values_M { get; }

    public long NumTokens { get; }

    public long NumLatents { get; }

    public long Count => Latents_M.size(0);

    /// <summary>The nonzero entries of a dense [T, N] activation matrix, read in blocks of columns.</summary>
    public static LatentEntries FromDense(Tensor latents_TN)
    {
        if (latents_TN.dim() != 2 || latents_TN.numel() == 0)
            throw new ArgumentException($"latents_TN must be a non-empty [T, N] matrix, got {latents_TN.ShapeString}", nameof(latents_TN));
        var (t, n) = (latents_TN.size(0), latents_TN.size(1));
        var block = Math.Max(1, (1L << 24) / t);
        var tokens = new List<Tensor>();
        var latents = new List<Tensor>();
        var values = new List<Tensor>();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (long c0 = 0; c0 < n; c0 += block)
        {
            var c = Math.Min(block, n - c0);
            var cols = latents_TN.narrow(1, c0, c).detach().to(float64, CPU).contiguous();   // [T, c]
            var nz = cols.ne(0).nonzero();                                                             // [m, 2] (token, column)
            var tok = nz.select(1, 0);
            var col = nz.select(1, 1);
            values.Add(cols.reshape(-1).index_select(0, tok * c + col));
            tokens.Add(tok);
            latents.Add(col + c0);
        }
        var entries = new LatentEntries(cat(tokens), cat(latents), cat(values), t, n);
        return entries;
    }

    /// <summary>The latents of <paramref name="sae"/> on the rows of <paramref name="x_TD"/> (eval mode, no gradients),
    /// taken from its sparse code when it has one, in batches of <paramref name="batchSize"/> tokens.</summary>
    public static LatentEntries FromSae(SparseAutoencoder sae, Tensor x_TD, long batchSize = 4096)
    {
        ArgumentNullException.ThrowIfNull(sae);
        var tokens = new List<Tensor>();
        var latents = new List<Tensor>();
        var values = new List<Tensor>();
        long offset = 0;
        using var scope = NewDisposeScope();
        EvaluationBatches.ForEach(x_TD, batchSize, sae, x =>
        {
            var o = sae.Forward(x);
            Tensor tok, lat, val;
            if (o.Code is { } code)
            {
                var v = o.CodeValues_M!.to(float64, CPU);
                var keep = v.ne(0);
                (tok, lat, val) = (code.Tokens_M.to(CPU).masked_select(keep), code.Latents_M.to(CPU).masked_select(keep), v.masked_select(keep));
            }
            else
            {
                var z = o.Latents_BN.to(float64, CPU);
                var nz = z.ne(0).nonzero();
                (tok, lat) = (nz.select(1, 0), nz.select(1, 1));
                val = z.reshape(-1).index_select(0, tok * sae.NumLatents + lat);
            }
            tokens.Add((tok + offset).MoveToOuterDisposeScope());
            latents.Add(lat.MoveToOuterDisposeScope());
            values.Add(val.MoveToOuterDisposeScope());
            offset += x.size(0);
        });
        return new LatentEntries(cat(tokens), cat(latents), cat(values), x_TD.size(0), sae.NumLatents);
    }

    public void Dispose()
    {
        Tokens_M.Dispose();
        Latents_M.Dispose();
        Values_M.Dispose();
    }
}

/// <summary>
/// Probe loss (Gao et al. 2024, §4.2): for each binary token-level task, fit a 1-D logistic regression
/// P(label) = sigmoid(w a_i + b) on every single latent's activation a_i, take the latent with the lowest cross-entropy,
/// and report the mean over tasks of that cross-entropy.
/// <para><b>Split.</b> Probes are fitted on training tokens and scored on held-out tokens (a seeded random split of
/// <see cref="ProbeLossConfig.HeldOutFraction"/>, or a mask the caller gives, e.g. whole contexts). The winner of a task
/// is chosen by its training cross-entropy and reported with its held-out cross-entropy, so choosing among thousands of
/// latents does not flatter the score.</para>
/// <para><b>Solver.</b> Newton's method on (w, b), vectorised over all the latents of a chunk at once as tensor ops, one
/// task at a time. Each latent's activation is divided by its root mean square on the training tokens; w carries a small
/// L2 penalty (<see cref="ProbeLossConfig.L2"/>) that makes each problem strictly convex and keeps separable data finite;
/// the Newton step is solved in closed form from the 2x2 Hessian and damped by a backtracking (Armijo) line search, so the
/// objective decreases at every step from the start w = 0, b = logit(training positive rate). A fit stops at
/// <see cref="ProbeLossConfig.GradientTolerance"/>; <see cref="ProbeLossConfig.MaxIterations"/> caps the passes; converged
/// latents leave the working set. Checked fit by fit against torch's LBFGS (tests/.../python/probe_reference.py).</para>
/// <para><b>Cost.</b> Only nonzero activations are touched: the tokens where a latent is zero share one logit b, and enter
/// every sum in closed form through their count and their number of positives. A pass costs O(nonzeros) per task, e.g.
/// T*k for a TopK code, independent of N; no latent is pruned. Measured: N = 4096, k = 32, 100k tokens, 40 tasks (3.2M
/// nonzero activations) in 73 s on the 2-core CI machine kind while other jobs held it (load average 8).</para>
/// </summary>
public static class ProbeLoss
{
    /// <summary>Probe loss of a dense activation matrix.</summary>
    /// <param name="latents_TN">[T, N] latent activations (zeros are skipped).</param>
    /// <param name="labels_TJ">[T, J] bool or uint8: token t is a positive of task j.</param>
    /// <param name="taskNames">J names.</param>
    /// <param name="config">Split and solver settings.</param>
    /// <param name="heldOut_T">Optional [T] bool mask of the held-out tokens (overrides the random split).</param>
    public static ProbeLossResult Evaluate(Tensor latents_TN, Tensor labels_TJ, IReadOnlyList<string> taskNames, ProbeLossConfig? config = null, Tensor? heldOut_T = null)
    {
        using var entries = LatentEntries.FromDense(latents_TN);
        return Evaluate(entries, labels_TJ, taskNames, config, heldOut_T);
    }

    /// <summary>Probe loss of the latents of <paramref name="sae"/> on raw inputs <paramref name="x_TD"/> [T, D].</summary>
    public static ProbeLossResult Evaluate(SparseAutoencoder sae, Tensor x_TD, Tensor labels_TJ, IReadOnlyList<string> taskNames,
        ProbeLossConfig? config = null, Tensor? heldOut_T = null, long batchSize = 4096)
    {
        using var entries = LatentEntries.FromSae(sae, x_TD, batchSize);
        return Evaluate(entries, labels_TJ, taskNames, config, heldOut_T);
    }

    /// <summary>Probe loss of latents given as nonzero entries.</summary>
    public static ProbeLossResult Evaluate(LatentEntries entries, Tensor labels_TJ, IReadOnlyList<string> taskNames, ProbeLossConfig? config = null, Tensor? heldOut_T = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(taskNames);
        config ??= new ProbeLossConfig();
        config.Validate();
        var t = entries.NumTokens;
        if (labels_TJ.dim() != 2 || labels_TJ.size(0) != t || labels_TJ.dtype is not (ScalarType.Bool or ScalarType.Byte))
            throw new ArgumentException($"labels_TJ must be a bool or uint8 [T = {t}, tasks] matrix, got {labels_TJ.dtype.PyTorchName()} {labels_TJ.ShapeString}", nameof(labels_TJ));
        var j = labels_TJ.size(1);
        if (taskNames.Count != j)
            throw new ArgumentException($"taskNames has {taskNames.Count} names for {j} label columns", nameof(taskNames));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var y_TJ = labels_TJ.to(CPU).ne(0).to(float64);                 // nonzero = positive
        var heldOut = HeldOutMask(t, config, heldOut_T);
        var train = heldOut.logical_not();
        var tTrain = train.sum().ToInt64();
        var tTest = t - tTrain;
        if (tTrain == 0 || tTest == 0) throw new ArgumentException($"the split leaves {tTrain} training and {tTest} held-out tokens: both must be > 0");
        var posTrain_J = y_TJ.masked_select(train.unsqueeze(1).expand(t, j)).view(tTrain, j).sum(0L);
        var posTest_J = y_TJ.sum(0L) - posTrain_J;
        var posTrain = posTrain_J.ToArray<double>();
        for (var i = 0; i < j; i++)
            if (posTrain[i] == 0 || posTrain[i] == tTrain)
                throw new ArgumentException($"task '{taskNames[i]}' has {posTrain[i]} positives among {tTrain} training tokens: a probe needs both classes (drop the task or change the split)", nameof(labels_TJ));

        // The constant predictor: the starting point of every fit, and the baseline.
        var p_J = posTrain_J / tTrain;
        var b0_J = (p_J / (1 - p_J)).log();
        var labelEntropy_J = -(posTest_J * nn.functional.logsigmoid(b0_J) + (tTest - posTest_J) * nn.functional.logsigmoid(b0_J.neg())) / tTest;

        // Split the entries; scale each latent by its RMS on the training tokens.
        var isTest_M = heldOut.index_select(0, entries.Tokens_M);
        var trainSet = Subset(entries, isTest_M.logical_not());
        var testSet = Subset(entries, isTest_M);
        var n = entries.NumLatents;
        var rms_N = (zeros(new[] { n }, float64).index_add(0, trainSet.latents, trainSet.values.square(), 1) / tTrain).sqrt();
        var scale_N = rms_N.where(rms_N.gt(0), 1.0);
        var countTrain = trainSet.latents.bincount(null, n).ToArray<long>();
        var countTest = testSet.latents.bincount(null, n).ToArray<long>();

        var bestTrain = Enumerable.Repeat(double.PositiveInfinity, (int)j).ToArray();
        var best = new (long latent, double w, double b, double test, bool converged)[j];
        var b0 = b0_J.ToArray<double>();
        var posTestArr = posTest_J.ToArray<double>();
        long unconverged = 0;
        long start = 0, trainStart = 0, testStart = 0;
        while (start < n)
        {
            // The largest run of latents whose entries fit the budget (at least one latent).
            long end = start, mTrain = 0, mTest = 0;
            while (end < n && (end == start || mTrain + mTest + countTrain[end] + countTest[end] <= config.MaxEntriesPerChunk))
            {
                mTrain += countTrain[end];
                mTest += countTest[end];
                end++;
            }
            using var chunkScope = NewDisposeScope();
            var c = end - start;
            var scale_C = scale_N.narrow(0, start, c);
            var scaleArr = scale_C.ToArray<double>();
            var fitData = ChunkData(trainSet, trainStart, mTrain, start, scale_C, c);
            var testData = ChunkData(testSet, testStart, mTest, start, scale_C, c);
            for (var i = 0; i < j; i++)
            {
                using var taskScope = NewDisposeScope();
                var yTask_T = y_TJ.select(1, i);
                var fit = FitTask(fitData, yTask_T, tTrain, posTrain[i], b0[i], config);
                unconverged += c - fit.converged_C.sum().ToInt64();
                var trainCe = CrossEntropy(fitData, yTask_T, fit.w_C, fit.b_C, tTrain, posTrain[i]);
                var l = trainCe.argmin().ToInt64();
                var ce = trainCe[l].ToDouble();
                if (!(ce < bestTrain[i])) continue;
                bestTrain[i] = ce;
                var testCe = CrossEntropy(testData, yTask_T, fit.w_C, fit.b_C, tTest, posTestArr[i]);
                best[i] = (start + l, fit.w_C[l].ToDouble() / scaleArr[l], fit.b_C[l].ToDouble(), testCe[l].ToDouble(), fit.converged_C[l].ToBoolean());
            }
            start = end;
            trainStart += mTrain;
            testStart += mTest;
        }

        var entropy = labelEntropy_J.ToArray<double>();
        var posTest = posTest_J.ToArray<double>();
        var tasks = Enumerable.Range(0, (int)j).Select(i => new ProbeTaskResult
        {
            Task = taskNames[i],
            WinningLatent = best[i].latent,
            Weight = best[i].w,
            Bias = best[i].b,
            TrainCrossEntropy = bestTrain[i],
            CrossEntropy = best[i].test,
            LabelEntropy = entropy[i],
            TrainPositives = (long)posTrain[i],
            HeldOutPositives = (long)posTest[i],
            Converged = best[i].converged,
        }).ToList();
        return new ProbeLossResult
        {
            Tasks = tasks,
            MeanCrossEntropy = tasks.Average(r => r.CrossEntropy),
            MeanLabelEntropy = tasks.Average(r => r.LabelEntropy),
            TrainTokens = tTrain,
            HeldOutTokens = tTest,
            NumLatents = n,
            UnconvergedFits = unconverged,
            Config = config,
        };
    }

    /// <summary>The held-out mask [T] bool: the caller's, or a seeded random choice of round(T * HeldOutFraction) tokens.</summary>
    private static Tensor HeldOutMask(long t, ProbeLossConfig config, Tensor? heldOut_T)
    {
        if (heldOut_T is not null)
        {
            if (heldOut_T.dim() != 1 || heldOut_T.size(0) != t || heldOut_T.dtype != ScalarType.Bool)
                throw new ArgumentException($"heldOut_T must be a bool [{t}] mask, got {heldOut_T.dtype.PyTorchName()} {heldOut_T.ShapeString}", nameof(heldOut_T));
            return heldOut_T.to(CPU);
        }
        var count = (long)Math.Round(t * config.HeldOutFraction);
        using var gen = new Generator(config.SplitSeed);
        var chosen = randperm(t, generator: gen).narrow(0, 0, count);
        return zeros(new[] { t }, ScalarType.Bool).index_fill(chosen);
    }

    private static Tensor index_fill(this Tensor mask_T, Tensor index) =>
        mask_T.index_put_(ones(new[] { index.size(0) }, ScalarType.Bool), new[] { index });

    private readonly record struct EntrySet(Tensor tokens, Tensor latents, Tensor values);

    private static EntrySet Subset(LatentEntries e, Tensor keep_M)
    {
        var idx = keep_M.nonzero().reshape(-1);                                 // ascending: stays sorted by latent
        return new EntrySet(e.Tokens_M.index_select(0, idx), e.Latents_M.index_select(0, idx), e.Values_M.index_select(0, idx));
    }

    /// <summary>One chunk's entries: token, chunk-local latent index, scaled activation ([M] each), and per latent the number
    /// of entries ([C], float64).</summary>
    private readonly record struct Chunk(Tensor tok_M, Tensor lat_M, Tensor a_M, Tensor count_C, long numLatents);

    private static Chunk ChunkData(EntrySet set, long from, long count, long firstLatent, Tensor scale_C, long c)
    {
        var lat = set.latents.narrow(0, from, count) - firstLatent;
        var a = set.values.narrow(0, from, count) / scale_C.index_select(0, lat);
        var counts = zeros(new[] { c }, float64).index_add(0, lat, ones(new[] { count }, float64), 1);
        return new Chunk(set.tokens.narrow(0, from, count), lat, a, counts, c);
    }

    /// <summary>Per-latent sum of <paramref name="values_M"/>: [C] (1-D index_add, one pass).</summary>
    private static Tensor SumByLatent(Tensor lat_M, long c, Tensor values_M) => zeros(new[] { c }, float64).index_add(0, lat_M, values_M, 1);

    /// <summary>-log P(label) of each entry, -log sigmoid(z) for y = 1 and -log sigmoid(-z) for y = 0, i.e. -logsigmoid(z * sign)
    /// with sign = 2y - 1 (accurate for confident predictions, where the loss is tiny).</summary>
    private static Tensor NegLogLikelihood(Tensor z_M, Tensor sign_M) => nn.functional.logsigmoid(z_M * sign_M).neg();

    /// <summary>-log P(label) on the tokens where the latent is 0 (logit b), from their count and positives: [C].</summary>
    private static Tensor ZeroTokenLoss(Tensor b_C, Tensor zeroTokens_C, Tensor zeroPos_C) =>
        (zeroTokens_C - zeroPos_C) * nn.functional.logsigmoid(b_C.neg()).neg() + zeroPos_C * nn.functional.logsigmoid(b_C).neg();

    /// <summary>Mean cross-entropy [C] of probes (w, b) on a chunk's tokens of one task, the zero activations in closed form.</summary>
    private static Tensor CrossEntropy(Chunk d, Tensor y_T, Tensor w_C, Tensor b_C, long tokens, double positives)
    {
        var y = y_T.index_select(0, d.tok_M);
        var z = w_C.index_select(0, d.lat_M) * d.a_M + b_C.index_select(0, d.lat_M);
        var ce = SumByLatent(d.lat_M, d.numLatents, NegLogLikelihood(z, 2 * y - 1));
        var zeroPos = positives - SumByLatent(d.lat_M, d.numLatents, y);
        return (ce + ZeroTokenLoss(b_C, tokens - d.count_C, zeroPos)) / tokens;
    }

    private sealed record TaskFit(Tensor w_C, Tensor b_C, Tensor converged_C);

    /// <summary>
    /// Damped Newton for every latent of a chunk on one task. Each pass evaluates, at a candidate point of every latent still
    /// being fitted, the penalised objective, its gradient and its 2x2 Hessian in one sweep over the entries; a latent
    /// accepts its candidate when the objective fell by the Armijo amount (then takes a fresh Newton step) and otherwise
    /// halves its step. Latents that converged (or whose step fell below 2^-40, the rounding floor) leave the working set
    /// once they make up a quarter of it. <see cref="ProbeLossConfig.MaxIterations"/> caps the passes.
    /// </summary>
    private static TaskFit FitTask(Chunk d, Tensor y_T, long tokens, double positives, double b0, ProbeLossConfig config)
    {
        var c = d.numLatents;
        var lambda = config.L2;
        var tol = config.GradientTolerance;
        var T = (double)tokens;
        var outW = zeros(new[] { c }, float64);
        var outB = zeros(new[] { c }, float64);
        var outConv = zeros(new[] { c }, ScalarType.Bool);

        // Working set (entries and per-latent state); tensors replaced by Retire are disposed there.
        var ids = arange(0, c, 1, int64);                                      // working-set row -> chunk latent
        var lat = d.lat_M;
        var a = d.a_M;
        var y = y_T.index_select(0, d.tok_M);
        var sign = 2 * y - 1;
        var zeroTokens = T - d.count_C;                                        // tokens where the latent is 0
        var zeroPos = positives - SumByLatent(lat, c, y);                      // positives among them
        var w = zeros(new[] { c }, float64);
        var b = full(new[] { c }, b0, float64);
        var active = c;
        var ownsEntries = false;

        // One sweep: objective, gradient and Hessian of every working latent at (wv, bv).
        (Tensor f, Tensor gw, Tensor gb, Tensor hww, Tensor hwb, Tensor hbb) Sweep(Tensor wv, Tensor bv)
        {
            var z = wv.index_select(0, lat) * a + bv.index_select(0, lat);
            var p = z.sigmoid();
            var r = p - y;
            var s = p * (1 - p);
            var ra = r * a;
            var sa = s * a;
            var p0 = bv.sigmoid();
            var f = (SumByLatent(lat, active, NegLogLikelihood(z, sign)) + ZeroTokenLoss(bv, zeroTokens, zeroPos)) / T + 0.5 * lambda * wv.square();
            var gw = SumByLatent(lat, active, ra) / T + lambda * wv;
            var gb = (SumByLatent(lat, active, r) + zeroTokens * p0 - zeroPos) / T;
            var hww = SumByLatent(lat, active, sa * a) / T + lambda;
            var hwb = SumByLatent(lat, active, sa) / T;
            var hbb = (SumByLatent(lat, active, s) + zeroTokens * p0 * (1 - p0)) / T;
            return (f, gw, gb, hww, hwb, hbb);
        }

        // Newton direction from the 2x2 system (positive definite: lambda > 0 and hbb > 0) and its slope g.d (< 0).
        static (Tensor dw, Tensor db, Tensor slope) Direction(Tensor gw, Tensor gb, Tensor hww, Tensor hwb, Tensor hbb)
        {
            var det = hww * hbb - hwb.square();
            var dw = (hwb * gb - hbb * gw) / det;
            var db = (hwb * gw - hww * gb) / det;
            return (dw, db, gw * dw + gb * db);
        }

        var st = Sweep(w, b);
        var (f, gw, gb) = (st.f, st.gw, st.gb);
        var (dw, db, slope) = Direction(st.gw, st.gb, st.hww, st.hwb, st.hbb);
        var step = ones(new[] { c }, float64);
        var done = gw.abs().lt(tol).logical_and(gb.abs().lt(tol));
        var conv = done.clone();

        void Retire(Tensor keep_C)
        {
            using var scope = NewDisposeScope();
            var gone = keep_C.logical_not().nonzero().reshape(-1);
            if (gone.size(0) > 0)
            {
                var goneIds = ids.index_select(0, gone);
                outW.index_put_(w.index_select(0, gone), new[] { goneIds });
                outB.index_put_(b.index_select(0, gone), new[] { goneIds });
                outConv.index_put_(conv.index_select(0, gone), new[] { goneIds });
            }
            var kept = keep_C.nonzero().reshape(-1);
            var map = full(new[] { active }, -1L, int64).index_put_(arange(0, kept.size(0), 1, int64), new[] { kept });
            var entryIdx = keep_C.index_select(0, lat).nonzero().reshape(-1);
            var entries = new[] { map.index_select(0, lat.index_select(0, entryIdx)), a.index_select(0, entryIdx), y.index_select(0, entryIdx), sign.index_select(0, entryIdx) };
            var state = new[] { ids, w, b, f, gw, gb, dw, db, slope, step, done, conv, zeroTokens, zeroPos }.Select(t => t.index_select(0, kept)).ToArray();
            foreach (var t in entries.Concat(state)) t.MoveToOuterDisposeScope();
            if (ownsEntries) { lat.Dispose(); a.Dispose(); }
            foreach (var t in new[] { y, sign, ids, w, b, f, gw, gb, dw, db, slope, step, done, conv, zeroTokens, zeroPos }) t.Dispose();
            (lat, a, y, sign) = (entries[0], entries[1], entries[2], entries[3]);
            (ids, w, b, f, gw, gb, dw, db, slope, step, done, conv, zeroTokens, zeroPos) =
                (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7], state[8], state[9], state[10], state[11], state[12], state[13]);
            ownsEntries = true;
            active = kept.size(0);
        }

        for (var pass = 0; pass < config.MaxIterations; pass++)
        {
            var doneCount = done.sum().ToInt64();
            if (doneCount == active) break;
            if (doneCount > 0 && doneCount * 4 >= active) Retire(done.logical_not());
            using var passScope = NewDisposeScope();
            var wc = w + step * dw;
            var bc = b + step * db;
            var cand = Sweep(wc, bc);
            // Armijo decrease; or a predicted decrease below the objective's rounding (about 1e-16 |f| per term summed), where
            // only the Newton step itself can still make progress and, at a convex minimum, safely does.
            var tiny = (step * slope).neg().le(f.abs() * 1e-13);
            var accept = cand.f.le(f + 1e-4 * step * slope).logical_or(tiny).logical_and(done.logical_not());
            var (ndw, ndb, nslope) = Direction(cand.gw, cand.gb, cand.hww, cand.hwb, cand.hbb);
            var newConv = cand.gw.abs().lt(tol).logical_and(cand.gb.abs().lt(tol));
            var newStep = step.where(accept.logical_or(done), step * 0.5).where(accept.logical_not(), 1.0);
            var next = new[]
            {
                wc.where(accept, w), bc.where(accept, b), cand.f.where(accept, f), cand.gw.where(accept, gw), cand.gb.where(accept, gb),
                ndw.where(accept, dw), ndb.where(accept, db), nslope.where(accept, slope), newStep,
                newConv.where(accept, conv),
            };
            var stalled = newStep.lt(Math.Pow(2, -40));
            var nextDone = done.logical_or(next[9]).logical_or(stalled);
            foreach (var t in next) t.MoveToOuterDisposeScope();
            nextDone.MoveToOuterDisposeScope();
            foreach (var t in new[] { w, b, f, gw, gb, dw, db, slope, step, conv, done }) t.Dispose();
            (w, b, f, gw, gb, dw, db, slope, step, conv) = (next[0], next[1], next[2], next[3], next[4], next[5], next[6], next[7], next[8], next[9]);
            done = nextDone;
        }
        Retire(zeros(new[] { active }, ScalarType.Bool));
        return new TaskFit(outW, outB, outConv);
    }
}
