using SaeWorkbench.Subject;
using System.CommandLine;
using System.Globalization;
namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae train-lm --config data/configs/builtin-lm.json --out data/builtin-lm</c>: remakes the built-in subject model
/// (tokenizer, GPT-2 weights, card) from its recipe, printing progress (step, loss, learning rate, tokens/s, time left).
/// </summary>
public static class TrainLmCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<FileInfo>("--config") { Description = "JSON recipe (BuiltinModelRecipe): corpus, tokenizer, model shape, training, evaluation.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for config.json, model.safetensors, vocab.json, merges.txt, training.json, README.md.", Required = true };
        var command = new Command("train-lm", "Train the built-in subject model (a small GPT-2) on the synthetic corpus from a recipe.") { config, output };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(config)!.FullName, parse.GetValue(output)!.FullName, stdout, stderr, ct)));
        return command;
    }

    public static int Run(string configPath, string outDir, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        BuiltinModelRecipe recipe;
        try
        {
            recipe = JsonConfig.Load<BuiltinModelRecipe>(configPath);
            try { recipe.Validate(); }
            catch (ArgumentException e) { throw new ConfigException(configPath, e.Message, e); }
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"error: {CliErrors.OneLine(e.Message)}");
            return 2;
        }
        outDir = OutputFolder.Check(outDir);
        var command = $"sae train-lm --config {Path.GetRelativePath(Environment.CurrentDirectory, configPath)} --out {Path.GetRelativePath(Environment.CurrentDirectory, outDir)}";
        var progress = new SyncProgress<LanguageModelProgress>(p =>
        {
            var left = p.Step == 0 ? TimeSpan.Zero : p.Elapsed * ((double)(p.TotalSteps - p.Step) / p.Step);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step,6}/{p.TotalSteps}  loss {p.Loss,6:F3}  lr {p.LearningRate:E2}  grad norm {p.GradNorm,6:F2}  {p.TokensPerSecond,8:N0} tok/s  {p.Tokens,12:N0} tokens  elapsed {p.Elapsed:hh\\:mm\\:ss}  left {left:hh\\:mm\\:ss}"));
        });
        try
        {
            var card = BuiltinModel.Train(recipe, outDir, command, stdout.WriteLine, progress, ct);
            stdout.WriteLine($"saved to {outDir}");
            return 0;
        }
        catch (OperationCanceledException)
        {
            stdout.WriteLine("stopped; nothing was saved (the model is saved only after training and scoring end)");
            return 130;
        }
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
