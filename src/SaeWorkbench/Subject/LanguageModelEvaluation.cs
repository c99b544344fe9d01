using SaeWorkbench.Models;
using SaeWorkbench.Corpus;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Subject;

/// <summary>Next-token loss and top-1 accuracy on the target tokens that carry one corpus label.</summary>
/// <param name="Label">The label's name (e.g. "arith_result_digit").</param>
/// <param name="Tokens">Target tokens carrying it.</param>
/// <param name="Loss">Mean cross-entropy on them (nats).</param>
/// <param name="Accuracy">Fraction whose argmax prediction is right.</param>
public sealed record LabelScore(string Label, long Tokens, double Loss, double Accuracy);

/// <summary>How well a language model predicts held-out corpus windows, against n-gram baselines.</summary>
/// <param name="Tokens">Target tokens (positions 1..T-1 of every window).</param>
/// <param name="Loss">The model's mean next-token cross-entropy (nats).</param>
/// <param name="UnigramLoss">The add-one unigram baseline on the same targets.</param>
/// <param name="BigramLoss">The interpolated bigram baseline on the same targets.</param>
/// <param name="Accuracy">Top-1 accuracy over all targets.</param>
/// <param name="ByLabel">Loss and accuracy on the targets carrying each requested label.</param>
public sealed record LanguageModelScore(long Tokens, double Loss, double UnigramLoss, double BigramLoss, double Accuracy, IReadOnlyList<LabelScore> ByLabel);

/// <summary>
/// Scores a language model on labelled corpus windows: the mean next-token cross-entropy beside unigram and bigram
/// baselines (<see cref="NgramBaseline"/>, fitted on training windows), and top-1 accuracy where the corpus says what the
/// right answer is: arithmetic result digits (computable from the equation) and repeated spans after their first token
/// (copyable from earlier in the context: induction). Position t's logits predict token t + 1; a target's labels are its
/// own.
/// </summary>
public static class LanguageModelEvaluation
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="windows"/> in batches of <paramref name="batchSize"/>.</summary>
    public static LanguageModelScore Evaluate(Gpt2 model, IReadOnlyList<TokenWindow> windows, NgramBaseline baseline,
        IReadOnlyList<CorpusLabel> labels, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (windows.Count == 0) throw new ArgumentException("no windows to evaluate", nameof(windows));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be >= 1");
        var t = windows[0].Length;
        if (windows.Any(w => w.Length != t)) throw new ArgumentException($"every window must have {t} tokens", nameof(windows));
        double lossSum = 0;
        long n = 0, correct = 0;
        var perLabel = labels.Select(_ => (loss: 0.0, n: 0L, correct: 0L)).ToArray();
        using var noGrad = no_grad();
        for (var start = 0; start < windows.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = windows.Skip(start).Take(batchSize).ToList();
            var tokens_BT = TokenWindowBatches.Matrix(batch);
            var logits_BTV = model.Logits(tokens_BT);
            var loss_BT1 = Gpt2.NextTokenLoss(logits_BTV, tokens_BT, nn.Reduction.None).to(float64);               // [B, T-1]
            var hit_BT1 = logits_BTV.narrow(1, 0, t - 1).argmax(-1).eq(tokens_BT.narrow(1, 1, t - 1));
            var losses = loss_BT1.ToArray<double>();
            var hits = hit_BT1.ToArray<bool>();
            for (var b = 0; b < batch.Count; b++)
                for (var i = 1; i < t; i++)
                {
                    var k = b * (t - 1) + (i - 1);
                    lossSum += losses[k];
                    n++;
                    if (hits[k]) correct++;
                    var mask = batch[b].Labels[i];
                    for (var l = 0; l < labels.Count; l++)
                        if (labels[l].In(mask))
                            perLabel[l] = (perLabel[l].loss + losses[k], perLabel[l].n + 1, perLabel[l].correct + (hits[k] ? 1 : 0));
                }
        }
        var tokenLists = windows.Select(w => w.Tokens).ToList();
        return new LanguageModelScore(n, lossSum / n, baseline.UnigramCrossEntropy(tokenLists), baseline.BigramCrossEntropy(tokenLists),
            (double)correct / n,
            labels.Select((l, i) => new LabelScore(l.Name, perLabel[i].n, perLabel[i].n == 0 ? double.NaN : perLabel[i].loss / perLabel[i].n,
                perLabel[i].n == 0 ? double.NaN : (double)perLabel[i].correct / perLabel[i].n)).ToList());
    }
}
