using SaeWorkbench.Engine;
using SaeWorkbench.Models;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Subject;

/// <summary>
/// How <see cref="LanguageModelTrainer"/> trains a <see cref="Gpt2"/>: AdamW (Loshchilov and Hutter 2019) with weight
/// decay on the matrices only, a linear warm-up then a cosine decay of the learning rate (GPT-3's recipe, Brown et al.
/// 2020, §2.3 and appendix B), and gradient clipping by global norm. Defaults are GPT-3 small's. Validated by
/// <see cref="Validate"/> (called by the trainer): every failure names the field, its value and the allowed range.
/// </summary>
public sealed record LanguageModelTrainerConfig
{
    /// <summary>Token windows (sequences) per optimiser step, >= 1.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Optimiser steps, >= 1; training also ends when the window stream does.</summary>
    public long TotalSteps { get; init; } = 1000;

    /// <summary>Peak learning rate, > 0.</summary>
    public double LearningRate { get; init; } = 6e-4;

    /// <summary>Steps of linear warm-up from LearningRate / WarmupSteps to LearningRate, in [0, TotalSteps].</summary>
    public long WarmupSteps { get; init; } = 100;

    /// <summary>The learning rate at the last step as a fraction of the peak (the cosine decays to it), in [0, 1].</summary>
    public double MinLearningRateFactor { get; init; } = 0.1;

    /// <summary>AdamW's decoupled weight decay for the embeddings and weight matrices (biases and LayerNorms get none), >= 0.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW's beta1, in [0, 1).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW's beta2, in [0, 1).</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW's epsilon, > 0.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>Clip the global gradient norm to this value, > 0; null: no clipping.</summary>
    public double? GradClipNorm { get; init; } = 1.0;

    /// <summary>Windows held in a shuffle buffer (drawn from at random, seeded by <see cref="Seed"/>), >= 0; 0: stream order.</summary>
    public int ShuffleBuffer { get; init; }

    /// <summary>Seed of the shuffle buffer's draws.</summary>
    public ulong Seed { get; init; }

    /// <summary>Report progress every this many steps (and after the last), >= 1.</summary>
    public int ReportEvery { get; init; } = 10;

    public void Validate()
    {
        const string owner = nameof(LanguageModelTrainerConfig);
        ConfigCheck.Positive(BatchSize, owner, nameof(BatchSize));
        ConfigCheck.Positive(TotalSteps, owner, nameof(TotalSteps));
        ConfigCheck.Positive(LearningRate, owner, nameof(LearningRate));
        ConfigCheck.Require(WarmupSteps >= 0 && WarmupSteps <= TotalSteps, owner, nameof(WarmupSteps), WarmupSteps, $"in [0, TotalSteps = {TotalSteps}]");
        ConfigCheck.InRange(MinLearningRateFactor, 0, 1, owner, nameof(MinLearningRateFactor));
        ConfigCheck.NonNegative(WeightDecay, owner, nameof(WeightDecay));
        ConfigCheck.Require(Beta1 >= 0 && Beta1 < 1, owner, nameof(Beta1), Beta1, "in [0, 1)");
        ConfigCheck.Require(Beta2 >= 0 && Beta2 < 1, owner, nameof(Beta2), Beta2, "in [0, 1)");
        ConfigCheck.Positive(Eps, owner, nameof(Eps));
        if (GradClipNorm is { } c) ConfigCheck.Positive(c, owner, nameof(GradClipNorm));
        ConfigCheck.NonNegative(ShuffleBuffer, owner, nameof(ShuffleBuffer));
        ConfigCheck.Positive(ReportEvery, owner, nameof(ReportEvery));
    }

    /// <summary>The learning rate of step <paramref name="step"/> (1-based): warm-up to the peak, then cosine to the minimum.</summary>
    public double LearningRateAt(long step) =>
        LearningRate * new CosineLR(TotalSteps, WarmupSteps, MinLearningRateFactor).Factor(step);
}

/// <summary>One progress report of <see cref="LanguageModelTrainer.Train"/>.</summary>
/// <param name="Step">Optimiser steps done.</param>
/// <param name="TotalSteps">Planned steps.</param>
/// <param name="Tokens">Tokens trained on so far.</param>
/// <param name="Loss">Mean next-token cross-entropy (nats) over the steps since the last report.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="GradNorm">Global gradient norm of the last step, before clipping.</param>
/// <param name="TokensPerSecond">Throughput since the last report.</param>
/// <param name="Elapsed">Wall time since training started.</param>
public sealed record LanguageModelProgress(long Step, long TotalSteps, long Tokens, double Loss, double LearningRate, double GradNorm,
    double TokensPerSecond, TimeSpan Elapsed);

/// <summary>What a training run did.</summary>
/// <param name="Steps">Optimiser steps taken (fewer than planned when the stream ended first).</param>
/// <param name="Tokens">Tokens trained on.</param>
/// <param name="Losses">The loss of every step, in order.</param>
public sealed record LanguageModelTrainingResult(long Steps, long Tokens, IReadOnlyList<double> Losses);

/// <summary>
/// Trains a <see cref="Gpt2"/> on a stream of token windows (each an int[] of one length T, 2 &lt;= T &lt;= n_positions) by
/// next-token prediction (<see cref="Gpt2.Loss"/>), as <see cref="LanguageModelTrainerConfig"/> describes. Deterministic
/// on CPU for a given model, stream, config and thread count.
/// </summary>
public sealed class LanguageModelTrainer
{
    private readonly Gpt2 _model;

    public LanguageModelTrainer(Gpt2 model, LanguageModelTrainerConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _model = model;
        Config = config;
    }

    public LanguageModelTrainerConfig Config { get; }

    /// <summary>
    /// Trains until <see cref="LanguageModelTrainerConfig.TotalSteps"/> steps or the end of <paramref name="windows"/>
    /// (a last incomplete batch is dropped). Cancellation is checked between steps (an
    /// <see cref="OperationCanceledException"/>; the model keeps the steps taken). The model is left in eval mode.
    /// </summary>
    public LanguageModelTrainingResult Train(IEnumerable<int[]> windows, IProgress<LanguageModelProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var c = Config;
        var parameters = _model.named_parameters().ToList();
        var decay = parameters.Where(p => p.parameter.dim() >= 2).Select(p => p.parameter).ToList();
        var noDecay = parameters.Where(p => p.parameter.dim() < 2).Select(p => p.parameter).ToList();
        using var optDecay = optim.AdamW(decay, c.LearningRate, c.Beta1, c.Beta2, c.Eps, weight_decay: c.WeightDecay);
        using var optNoDecay = optim.AdamW(noDecay, c.LearningRate, c.Beta1, c.Beta2, c.Eps, weight_decay: 0);
        var all = decay.Concat(noDecay).ToList();

        var losses = new List<double>();
        long step = 0, tokens = 0;
        var clock = Stopwatch.StartNew();
        var (lastReportTime, lastReportTokens, lossSinceReport, stepsSinceReport) = (TimeSpan.Zero, 0L, 0.0, 0);
        _model.train();
        try
        {
            foreach (var batch in Batches(windows))
            {
                cancellationToken.ThrowIfCancellationRequested();
                step++;
                var lr = c.LearningRateAt(step);
                foreach (var g in optDecay.ParamGroups.Concat(optNoDecay.ParamGroups)) g.LearningRate = lr;
                double loss, gradNorm;
                using (var scope = NewDisposeScope())
                {
                    var tokens_BT = tensor(batch.data, new long[] { c.BatchSize, batch.length });
                    optDecay.zero_grad();
                    optNoDecay.zero_grad();
                    var loss_ = _model.Loss(tokens_BT);
                    loss_.backward();
                    gradNorm = c.GradClipNorm is { } clip ? nn.utils.clip_grad_norm_(all, clip) : GradNorm(all);
                    optDecay.step();
                    optNoDecay.step();
                    loss = loss_.ToSingle();
                }
                tokens += (long)c.BatchSize * batch.length;
                losses.Add(loss);
                lossSinceReport += loss;
                stepsSinceReport++;
                if (progress is not null && (step % c.ReportEvery == 0 || step == c.TotalSteps))
                {
                    var now = clock.Elapsed;
                    var seconds = Math.Max(1e-9, (now - lastReportTime).TotalSeconds);
                    progress.Report(new LanguageModelProgress(step, c.TotalSteps, tokens, lossSinceReport / stepsSinceReport, lr, gradNorm,
                        (tokens - lastReportTokens) / seconds, now));
                    (lastReportTime, lastReportTokens, lossSinceReport, stepsSinceReport) = (now, tokens, 0.0, 0);
                }
                if (step == c.TotalSteps) break;
            }
        }
        finally
        {
            _model.zero_grad();
            _model.eval();
        }
        return new LanguageModelTrainingResult(step, tokens, losses);
    }

    private static double GradNorm(IEnumerable<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        var sumOfSquares = 0.0;
        foreach (var p in parameters)
            if (p.grad is { } g) sumOfSquares += g.to(float64).pow(2).sum().ToDouble();
        return Math.Sqrt(sumOfSquares);
    }

    /// <summary>Batches of <see cref="LanguageModelTrainerConfig.BatchSize"/> windows as one flat int64 array each, drawn
    /// through the seeded shuffle buffer.</summary>
    private IEnumerable<(long[] data, int length)> Batches(IEnumerable<int[]> windows)
    {
        var c = Config;
        var rng = new Random(unchecked((int)(c.Seed ^ (c.Seed >> 32))));
        var buffer = new List<int[]>();
        var batch = new List<int[]>();
        long index = 0;

        IEnumerable<int[]> Drawn()
        {
            foreach (var w in windows)
            {
                Check(w, index++);
                if (c.ShuffleBuffer == 0)
                {
                    yield return w;
                    continue;
                }
                buffer.Add(w);
                if (buffer.Count < c.ShuffleBuffer) continue;
                yield return TakeAt(rng.Next(buffer.Count));
            }
            while (buffer.Count > 0) yield return TakeAt(rng.Next(buffer.Count));
        }

        foreach (var w in Drawn())
        {
            batch.Add(w);
            if (batch.Count < c.BatchSize) continue;
            var length = batch[0].Length;
            var data = new long[c.BatchSize * length];
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].Length != length)
                    throw new ArgumentException($"token windows in one batch must have one length; got {length} and {batch[i].Length}", nameof(windows));
                for (var j = 0; j < length; j++) data[i * length + j] = batch[i][j];
            }
            batch.Clear();
            yield return (data, length);
        }

        int[] TakeAt(int i)
        {
            var w = buffer[i];
            buffer[i] = buffer[^1];
            buffer.RemoveAt(buffer.Count - 1);
            return w;
        }
    }

    private void Check(int[] window, long index)
    {
        var n = _model.Config.NPositions;
        if (window is null || window.Length < 2 || window.Length > n)
            throw new ArgumentException($"token window {index} has {window?.Length.ToString() ?? "no"} tokens; it must have 2 to n_positions = {n}", "windows");
        foreach (var t in window)
            if (t < 0 || t >= _model.Config.VocabSize)
                throw new ArgumentException($"token window {index} holds token {t}, outside [0, vocab_size = {_model.Config.VocabSize})", "windows");
    }
}
