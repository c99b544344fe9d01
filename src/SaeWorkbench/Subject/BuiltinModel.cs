using SaeWorkbench.Models;
using SaeWorkbench.Tokenization;
using SaeWorkbench.Corpus;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.IO;

namespace SaeWorkbench.Subject;

/// <summary>
/// How the built-in subject model is made: the corpus, the tokenizer trained on it, the GPT-2 shape, the training run and
/// the evaluation. The paper's subject is GPT-2 small's residual stream after block 8 (of 12) with 64-token contexts;
/// the built-in model keeps the architecture and the context and shrinks the rest so that it trains on 2 CPU cores.
/// <c>sae train-lm --config data/configs/builtin-lm.json</c> remakes it from this recipe.
/// </summary>
public sealed record BuiltinModelRecipe
{
    /// <summary>The synthetic corpus (its seed fixes every document).</summary>
    public CorpusConfig Corpus { get; init; } = new() { Seed = 1 };

    /// <summary>Training documents whose text trains the BPE vocabulary, >= 1.</summary>
    public int TokenizerDocuments { get; init; } = 3000;

    /// <summary>BPE vocabulary size including the 256 byte tokens and &lt;|endoftext|&gt;, in [257, 65536].</summary>
    public int VocabSize { get; init; } = 4096;

    /// <summary>GPT-2 shape; its VocabSize is replaced by the tokenizer's.</summary>
    public Gpt2Config Model { get; init; } = new() { NLayer = 4, NHead = 4, NEmbd = 256, NPositions = 64, VocabSize = 4096 };

    /// <summary>Seed of the model's initial weights.</summary>
    public ulong ModelSeed { get; init; } = 1;

    /// <summary>The training run (windows of Model.NPositions tokens from the corpus's training split).</summary>
    public LanguageModelTrainerConfig Training { get; init; } = new();

    /// <summary>Validation documents scored after training, >= 1.</summary>
    public int EvaluationDocuments { get; init; } = 200;

    /// <summary>Training documents the unigram/bigram baselines are counted on, >= 2.</summary>
    public int BaselineDocuments { get; init; } = 4000;

    public void Validate()
    {
        const string owner = nameof(BuiltinModelRecipe);
        Corpus.Validate();
        ConfigCheck.Positive(TokenizerDocuments, owner, nameof(TokenizerDocuments));
        ConfigCheck.Require(VocabSize is >= 257 and <= 65536, owner, nameof(VocabSize), VocabSize, "in [257, 65536]");
        (Model with { VocabSize = VocabSize }).Validate();
        Training.Validate();
        ConfigCheck.Positive(EvaluationDocuments, owner, nameof(EvaluationDocuments));
        ConfigCheck.Require(BaselineDocuments >= 2, owner, nameof(BaselineDocuments), BaselineDocuments, ">= 2");
    }
}

/// <summary>What <see cref="BuiltinModel.Train"/> measured, saved beside the weights as training.json.</summary>
public sealed record BuiltinModelCard(BuiltinModelRecipe Recipe, int VocabSize, long Parameters, long TrainingSteps, long TrainingTokens,
    double TrainingSeconds, double FinalTrainingLoss, LanguageModelScore Validation, string Command);

/// <summary>
/// The workbench's default subject model (a small GPT-2 trained on <see cref="SyntheticCorpus"/>), shipped in
/// <c>data/builtin-lm/</c> in Hugging Face's layout (config.json + model.safetensors) with its tokenizer (vocab.json +
/// merges.txt), the recipe and its scores (training.json) and a model card (README.md).
/// </summary>
public static class BuiltinModel
{
    /// <summary>The folder, relative to the repository root, that holds the shipped model.</summary>
    public const string RelativeDirectory = "data/builtin-lm";

    /// <summary>The card file written beside the weights.</summary>
    public const string CardFileName = "training.json";

    /// <summary>The labels whose accuracy the card reports (answers the context determines).</summary>
    public static readonly string[] ReportedLabels = { "arith_result_digit", "repeat_predictable", "repeat_second_occurrence", "count_continuation", "topic_word" };

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// The shipped model's folder: <c>data/builtin-lm</c> under the current directory or any parent, or under the folder of
    /// the running program or any parent (so it is found from a clone, its subfolders and build outputs).
    /// </summary>
    public static string FindDirectory()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativeDirectory);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        throw new DirectoryNotFoundException(
            $"the built-in model ({RelativeDirectory}/config.json) was not found above '{Environment.CurrentDirectory}' or '{AppContext.BaseDirectory}'. " +
            "Run from the repository clone, pass the model folder explicitly, or remake it with `sae train-lm --config data/configs/builtin-lm.json --out data/builtin-lm`.");
    }

    /// <summary>The model, tokenizer and card in <paramref name="directory"/> (default: <see cref="FindDirectory"/>).</summary>
    public static (Gpt2 model, BpeTokenizer tokenizer, BuiltinModelCard? card) Load(string? directory = null)
    {
        directory ??= FindDirectory();
        var tokenizer = BpeTokenizer.Load(directory);
        var model = Gpt2Weights.Load(directory);
        if (model.Config.VocabSize != tokenizer.VocabSize)
        {
            model.Dispose();
            throw new InvalidDataException($"{directory}: the model's vocab_size {model.Config.VocabSize} differs from the tokenizer's {tokenizer.VocabSize}; the two files come from different runs.");
        }
        model.eval();
        var cardPath = Path.Combine(directory, CardFileName);
        var card = File.Exists(cardPath) ? JsonSerializer.Deserialize<BuiltinModelCard>(File.ReadAllText(cardPath), Json) : null;
        return (model, tokenizer, card);
    }

    /// <summary>The corpus of a recipe.</summary>
    public static SyntheticCorpus Corpus(BuiltinModelRecipe recipe) => new(recipe.Corpus);

    /// <summary>
    /// Makes the model from <paramref name="recipe"/> into <paramref name="outDirectory"/>: trains the tokenizer on the
    /// corpus, trains the model, scores it on validation documents against unigram and bigram baselines, and saves
    /// weights, tokenizer, training.json and README.md. Each file is written atomically; the weights last but one, so an
    /// interrupted run leaves the previous model usable only if it did not get that far (the card names the run).
    /// </summary>
    public static BuiltinModelCard Train(BuiltinModelRecipe recipe, string outDirectory, string command, Action<string> log,
        IProgress<LanguageModelProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        recipe.Validate();
        var corpus = Corpus(recipe);
        var trainStart = SyntheticCorpus.SplitStart(CorpusSplit.Train);
        log($"tokenizer: learning {recipe.VocabSize} tokens from {recipe.TokenizerDocuments} documents");
        var clock = Stopwatch.StartNew();
        var tokenizer = BpeTokenizer.Train(corpus.Texts(trainStart, recipe.TokenizerDocuments), recipe.VocabSize, new[] { BpeTokenizer.EndOfText },
            cancellationToken: cancellationToken);
        log(FormattableString.Invariant($"tokenizer: {tokenizer.VocabSize} tokens in {clock.Elapsed.TotalSeconds:F1} s"));
        var eot = tokenizer.EndOfTextId;
        var t = recipe.Model.NPositions;
        var config = recipe.Model with { VocabSize = tokenizer.VocabSize };

        using var model = new Gpt2(config, recipe.ModelSeed);
        var parameters = model.parameters().Sum(p => p.numel());
        log(FormattableString.Invariant($"model: {config.NLayer} layers, d_model {config.NEmbd}, {config.NHead} heads, context {t}, vocab {config.VocabSize}: {parameters / 1e6:F2} M parameters"));
        clock.Restart();
        var trainer = new LanguageModelTrainer(model, recipe.Training);
        var windows = corpus.Windows(tokenizer, eot, t, t, trainStart).Select(w => w.Tokens);
        var result = trainer.Train(windows, progress, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var finalLoss = result.Losses.Skip(Math.Max(0, result.Losses.Count - 50)).Average();
        log(FormattableString.Invariant($"trained {result.Steps} steps, {result.Tokens:N0} tokens in {seconds:F0} s; last-50-step loss {finalLoss:F3}"));

        log("scoring on validation documents");
        var baselineWindows = corpus.Windows(tokenizer, eot, t, t, trainStart, recipe.BaselineDocuments).Select(w => w.Tokens).ToList();
        var baseline = NgramBaseline.Fit(baselineWindows, tokenizer.VocabSize);
        var valWindows = corpus.Windows(tokenizer, eot, t, t, SyntheticCorpus.SplitStart(CorpusSplit.Validation), recipe.EvaluationDocuments).ToList();
        var score = LanguageModelEvaluation.Evaluate(model, valWindows, baseline, ReportedLabels.Select(CorpusLabel.ByName).ToList());
        var card = new BuiltinModelCard(recipe, tokenizer.VocabSize, parameters, result.Steps, result.Tokens, seconds, finalLoss, score, command);
        log(Describe(card));

        Directory.CreateDirectory(outDirectory);
        tokenizer.Save(outDirectory);
        Gpt2Weights.Save(model, outDirectory);
        AtomicFile.WriteAllText(Path.Combine(outDirectory, CardFileName), JsonSerializer.Serialize(card, Json));
        AtomicFile.WriteAllText(Path.Combine(outDirectory, "README.md"), ModelCardMarkdown(card));
        return card;
    }

    /// <summary>A few lines saying how good the model is.</summary>
    public static string Describe(BuiltinModelCard card)
    {
        var s = card.Validation;
        var sb = new StringBuilder();
        sb.AppendLine(FormattableString.Invariant($"validation loss {s.Loss:F3} nats/token (unigram {s.UnigramLoss:F3}, bigram {s.BigramLoss:F3}); top-1 accuracy {s.Accuracy:P1} over {s.Tokens:N0} tokens"));
        foreach (var l in s.ByLabel)
            sb.AppendLine(FormattableString.Invariant($"  {l.Label,-26} {l.Tokens,8:N0} tokens  loss {l.Loss:F3}  accuracy {l.Accuracy:P1}"));
        return sb.ToString().TrimEnd();
    }

    private static string ModelCardMarkdown(BuiltinModelCard card)
    {
        var r = card.Recipe;
        var m = r.Model with { VocabSize = card.VocabSize };
        var s = card.Validation;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("# The built-in subject model");
        sb.AppendLine();
        sb.AppendLine("A small GPT-2 trained by the workbench on its own labelled synthetic corpus (docs/synthetic-corpus.md), the default");
        sb.AppendLine("subject of `sae reproduce`. Hugging Face layout: config.json + model.safetensors, tokenizer vocab.json + merges.txt.");
        sb.AppendLine();
        sb.AppendLine("Made by:");
        sb.AppendLine();
        sb.AppendLine("```");
        sb.AppendLine(card.Command);
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"- corpus seed {r.Corpus.Seed}; BPE vocabulary {card.VocabSize} learned on {r.TokenizerDocuments} training documents"));
        sb.AppendLine(string.Create(inv, $"- {m.NLayer} layers, d_model {m.NEmbd}, {m.NHead} heads, context {m.NPositions}: {card.Parameters / 1e6:F2} M parameters, init seed {r.ModelSeed}"));
        sb.AppendLine(string.Create(inv, $"- {card.TrainingSteps} steps of {r.Training.BatchSize} windows ({card.TrainingTokens:N0} tokens), AdamW lr {r.Training.LearningRate} (warm-up {r.Training.WarmupSteps} steps, cosine), {card.TrainingSeconds / 60:F1} min on this machine"));
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Validation ({r.EvaluationDocuments} documents of the validation split, {s.Tokens:N0} predicted tokens):"));
        sb.AppendLine();
        sb.AppendLine("| | loss (nats/token) | top-1 accuracy |");
        sb.AppendLine("|---|---|---|");
        sb.AppendLine(string.Create(inv, $"| this model | {s.Loss:F3} | {s.Accuracy:P1} |"));
        sb.AppendLine(string.Create(inv, $"| unigram baseline | {s.UnigramLoss:F3} | |"));
        sb.AppendLine(string.Create(inv, $"| bigram baseline | {s.BigramLoss:F3} | |"));
        foreach (var l in s.ByLabel)
            sb.AppendLine(string.Create(inv, $"| tokens labelled `{l.Label}` ({l.Tokens:N0}) | {l.Loss:F3} | {l.Accuracy:P1} |"));
        return sb.ToString();
    }
}
