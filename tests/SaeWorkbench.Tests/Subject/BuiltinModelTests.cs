using SaeWorkbench.Corpus;
using SaeWorkbench.Subject;
namespace SaeWorkbench.Tests.Subject;

/// <summary>
/// The shipped built-in model (data/builtin-lm): it loads, its card's numbers are reproduced from the shipped weights,
/// and it has learned what the corpus makes learnable (beyond n-gram statistics, arithmetic, induction).
/// </summary>
public sealed class BuiltinModelTests(ITestOutputHelper output)
{
    [Fact]
    public void TheShippedModelReproducesItsCardAndBeatsTheBaselines()
    {
        var dir = BuiltinModel.FindDirectory();
        var (model, tokenizer, card) = BuiltinModel.Load(dir);
        using (model)
        {
            Assert.NotNull(card);
            output.WriteLine(BuiltinModel.Describe(card!));
            var recipe = card!.Recipe;
            Assert.Equal(recipe.Model.NLayer, model.Config.NLayer);
            Assert.Equal(card.VocabSize, tokenizer.VocabSize);

            // Re-score the card's validation documents with the shipped weights and tokenizer.
            var corpus = BuiltinModel.Corpus(recipe);
            var t = model.Config.NPositions;
            var train = SyntheticCorpus.SplitStart(CorpusSplit.Train);
            var baseline = NgramBaseline.Fit(corpus.Windows(tokenizer, tokenizer.EndOfTextId, t, t, train, recipe.BaselineDocuments).Select(w => w.Tokens).ToList(), tokenizer.VocabSize);
            var windows = corpus.Windows(tokenizer, tokenizer.EndOfTextId, t, t, SyntheticCorpus.SplitStart(CorpusSplit.Validation), recipe.EvaluationDocuments).ToList();
            var labels = BuiltinModel.ReportedLabels.Select(CorpusLabel.ByName).ToList();
            var score = LanguageModelEvaluation.Evaluate(model, windows, baseline, labels);
            Assert.Equal(card.Validation.Tokens, score.Tokens);
            Assert.Equal(card.Validation.Loss, score.Loss, 3);
            Assert.Equal(card.Validation.BigramLoss, score.BigramLoss, 6);

            // What it learned: well below the bigram baseline overall, and far above chance where the context gives the
            // answer (a result digit of an equation; the continuation of a span seen earlier in the document).
            Assert.True(score.Loss < score.BigramLoss - 1.0, $"loss {score.Loss} vs bigram {score.BigramLoss}");
            var byLabel = score.ByLabel.ToDictionary(l => l.Label);
            Assert.True(byLabel["arith_result_digit"].Accuracy > 0.25, $"arithmetic result accuracy {byLabel["arith_result_digit"].Accuracy}");
            Assert.True(byLabel["repeat_predictable"].Accuracy > 0.15, $"repeated-span accuracy {byLabel["repeat_predictable"].Accuracy}");
        }
    }
}
