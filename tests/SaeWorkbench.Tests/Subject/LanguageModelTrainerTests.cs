using SaeWorkbench.Subject;
using SaeWorkbench.Models;

namespace SaeWorkbench.Tests.Subject;

/// <summary>Training a small GPT-2 by next-token prediction on a sequence it can learn exactly.</summary>
public sealed class LanguageModelTrainerTests
{
    private static readonly Gpt2Config Config = new() { NLayer = 2, NHead = 2, NEmbd = 32, NPositions = 16, VocabSize = 13 };

    /// <summary>Windows of 12 tokens cut at random offsets from the cycle 0, 1, ..., 9, 0, 1, ...: after the first token
    /// every next token is determined.</summary>
    private static IEnumerable<int[]> Cycle(int count, int seed)
    {
        var rng = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var start = rng.Next(10);
            yield return Enumerable.Range(start, 12).Select(t => t % 10).ToArray();
        }
    }

    private static LanguageModelTrainerConfig Settings => new()
    {
        BatchSize = 8, TotalSteps = 40, LearningRate = 1e-2, WarmupSteps = 10, WeightDecay = 0.01, ReportEvery = 20, ShuffleBuffer = 16, Seed = 5,
    };

    [Fact]
    public void The_loss_drops_on_a_learnable_sequence_and_the_same_seed_repeats_the_run()
    {
        using var scope = NewDisposeScope();
        var reports = new List<LanguageModelProgress>();
        LanguageModelTrainingResult result;
        using (var model = new Gpt2(Config, seed: 1))
        {
            var trainer = new LanguageModelTrainer(model, Settings);
            result = trainer.Train(Cycle(1000, 2), new SynchronousProgress(reports.Add));
            Assert.False(model.training);
            // Positions after the first are predictable: the trained model's loss there is far below uniform (ln 13 = 2.56).
            var tokens = tensor(Cycle(4, 9).SelectMany(w => w.Select(t => (long)t)).ToArray(), new long[] { 4, 12 });
            using (no_grad())
            {
                var perToken = Gpt2.NextTokenLoss(model.Logits(tokens), tokens, nn.Reduction.None);
                Assert.True(perToken.mean().ToSingle() < 0.3, $"held-out loss {perToken.mean().ToSingle():F3}; training losses {string.Join(", ", result.Losses.Select(l => l.ToString("F2")))}");
            }
        }
        Assert.Equal(40, result.Steps);
        Assert.Equal(40L * 8 * 12, result.Tokens);
        Assert.True(result.Losses[0] > 2.0, $"first loss {result.Losses[0]:F3}");
        Assert.True(result.Losses.TakeLast(5).Average() < 0.3, $"last losses {string.Join(", ", result.Losses.TakeLast(5))}");

        Assert.Equal(new long[] { 20, 40 }, reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.True(r.TokensPerSecond > 0 && r.GradNorm > 0 && double.IsFinite(r.Loss)));
        Assert.Equal(result.Losses.Take(20).Average(), reports[0].Loss, 6);
        Assert.Equal(Settings.LearningRateAt(40), reports[1].LearningRate);
        Assert.Equal(1e-3, Settings.LearningRateAt(1), 12);             // warm-up: 1/10 of the peak at the first step
        Assert.Equal(1e-2, Settings.LearningRateAt(10), 12);
        Assert.Equal(1e-3, Settings.LearningRateAt(40), 12);            // cosine down to MinLearningRateFactor = 0.1

        using var again = new Gpt2(Config, seed: 1);
        var repeat = new LanguageModelTrainer(again, Settings).Train(Cycle(1000, 2));
        Assert.Equal(result.Losses, repeat.Losses);
    }

    [Fact]
    public void Bad_settings_and_windows_are_refused()
    {
        using var model = new Gpt2(Config, seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LanguageModelTrainer(model, Settings with { WarmupSteps = 41 }));
        Assert.Contains("WarmupSteps = 41", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LanguageModelTrainer(model, Settings with { LearningRate = 0 }));
        var trainer = new LanguageModelTrainer(model, Settings);
        Assert.Contains("token 13", Assert.Throws<ArgumentException>(() => trainer.Train(new[] { new[] { 1, 13 } })).Message);
        Assert.Contains("n_positions = 16", Assert.Throws<ArgumentException>(() => trainer.Train(new[] { new int[17] })).Message);
        var mixed = Enumerable.Range(0, 8).Select(i => new int[i % 2 == 0 ? 4 : 5]);
        Assert.Contains("one length", Assert.Throws<ArgumentException>(() => new LanguageModelTrainer(model, Settings with { ShuffleBuffer = 0 }).Train(mixed)).Message);
        Assert.Equal(0, new LanguageModelTrainer(model, Settings).Train(Cycle(7, 1)).Steps);   // fewer windows than one batch
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<LanguageModelProgress> report) : IProgress<LanguageModelProgress>
    {
        public void Report(LanguageModelProgress value) => report(value);
    }
}
