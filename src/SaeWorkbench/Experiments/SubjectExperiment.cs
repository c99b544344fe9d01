using System.Globalization;
using System.Text;
using SaeWorkbench.Corpus;
using SaeWorkbench.Engine;
using SaeWorkbench.Metrics.N2g;
using SaeWorkbench.Plotting;
using SaeWorkbench.Subject;
using TorchSharp;
using static SaeWorkbench.Experiments.ReportBuilder;

namespace SaeWorkbench.Experiments;

/// <summary>The subject model (§1 of the report): its card, its test loss against n-gram baselines.</summary>
public sealed class SubjectExperiment() : Experiment("subject", "Subject model", "subject model")
{
    public override object? ResultIn(ReproductionResults r) => r.Subject;

    public override ReproductionResults WithResultFrom(ReproductionResults into, ReproductionResults from) => into with { Subject = from.Subject };

    /// <summary>Tokenises the windows (SAE training: validation split; evaluation: test split) and scores the model on
    /// the test windows against unigram and bigram baselines counted on the training windows.</summary>
    public override void Run(ReproductionContext c)
    {
        c.EnsureWindows();
        var m = c.Subject.Model.Config;
        var baselineWindows = c.TrainWindows.Take(Math.Min(c.TrainWindows.Count, 2048)).Select(w => w.Tokens).ToList();
        var baseline = NgramBaseline.Fit(baselineWindows, c.Subject.Tokenizer.VocabSize);
        var labels = BuiltinModel.ReportedLabels.Select(CorpusLabel.ByName).ToList();
        var score = LanguageModelEvaluation.Evaluate(c.Subject.Model, c.TestWindows, baseline, labels);
        c.Log(string.Create(CultureInfo.InvariantCulture,
            $"  {c.Subject.ModelId}: {m.NLayer} layers, d_model {m.NEmbd}, vocab {m.VocabSize}; test loss {score.Loss:F3} nats (bigram {score.BigramLoss:F3}, unigram {score.UnigramLoss:F3}); hook {c.Subject.HookName}"));
        var corpus = c.Subject.Card is not null
            ? $"synthetic corpus of the model's recipe (seed {c.Subject.Corpus.Config.Seed})"
            : $"synthetic corpus seed {c.Subject.Corpus.Config.Seed}, tokenised with the model's own tokenizer";
        var result = new SubjectResult(c.Subject.Directory, c.Subject.ModelId, c.Subject.HookName, m.NLayer, m.NEmbd, m.NHead, c.Config.ContextLength,
            m.VocabSize, c.Subject.Model.parameters().Sum(p => p.numel()), c.Subject.DIn, c.Subject.Card, score, corpus,
            c.Subject.PadTokenId, c.Subject.Decode(c.Subject.PadTokenId));
        c.Results = c.Results with { Subject = result };
    }

    public override string? Section(ReproductionResults r)
    {
        if (r.Subject is null) return null;
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
}
