using SaeWorkbench.Subject;
using SaeWorkbench.Cli;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>`sae train-lm` on a tiny recipe: the whole path (tokenizer, training, scoring, saving) and config errors.</summary>
public class TrainLmCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saewb-trainlm-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Recipe(string model = """{ "NLayer": 1, "NHead": 2, "NEmbd": 16, "NPositions": 16, "VocabSize": 300 }""")
    {
        var path = Path.Combine(_dir, "lm.json");
        File.WriteAllText(path, $$"""
        { "Corpus": { "Seed": 4 }, "TokenizerDocuments": 20, "VocabSize": 300, "Model": {{model}}, "ModelSeed": 2,
          "Training": { "BatchSize": 8, "TotalSteps": 60, "LearningRate": 0.01, "WarmupSteps": 5, "ReportEvery": 20 },
          "EvaluationDocuments": 4, "BaselineDocuments": 20 }
        """);
        return path;
    }

    [Fact]
    public async Task TrainsScoresAndSavesALoadableModel()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var outDir = Path.Combine(_dir, "lm");
        var code = await SaeCli.RunAsync(new[] { "train-lm", "--config", Recipe(), "--out", outDir }, o, e);
        var stdout = o.ToString();
        Assert.True(code == 0, stdout + e);
        Assert.Contains("step     60/60", stdout);
        Assert.Contains("tok/s", stdout);
        Assert.Contains("unigram", stdout);
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "training.json", "README.md" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);

        var (model, tokenizer, card) = BuiltinModel.Load(outDir);
        using (model)
        {
            Assert.Equal(300, tokenizer.VocabSize);
            Assert.Equal(300, model.Config.VocabSize);
            Assert.NotNull(card);
            Assert.Equal(60, card!.TrainingSteps);
            // An untrained model scores about ln V (uniform); sixty steps of a tiny one are well below on held-out documents,
            // and the baselines were counted (the bigram beats the unigram on this corpus).
            Assert.True(card.Validation.Loss < Math.Log(300) - 1, $"loss {card.Validation.Loss} vs ln V = {Math.Log(300)}");
            Assert.True(card.Validation.BigramLoss < card.Validation.UnigramLoss, $"bigram {card.Validation.BigramLoss} vs unigram {card.Validation.UnigramLoss}");
            Assert.Contains("train-lm --config", card.Command);
        }
    }

    [Fact]
    public async Task ABadRecipeNamesTheFieldAndSavesNothing()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var outDir = Path.Combine(_dir, "bad");
        var code = await SaeCli.RunAsync(new[] { "train-lm", "--config",
            Recipe("""{ "NLayer": 1, "NHead": 3, "NEmbd": 16, "NPositions": 16, "VocabSize": 300 }"""), "--out", outDir }, o, e);
        Assert.Equal(2, code);
        Assert.Contains("NHead", e.ToString());
        Assert.False(Directory.Exists(outDir));
    }
}
