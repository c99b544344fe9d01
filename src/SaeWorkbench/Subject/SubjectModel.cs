using SaeWorkbench.Corpus;
using SaeWorkbench.Tokenization;
using SaeWorkbench.Models;
using static TorchSharp.torch;

namespace SaeWorkbench.Subject;

/// <summary>
/// The language model under study and where its SAEs read (TopK paper setup, Gao et al. 2024, §2.1: GPT-2 small's residual stream
/// after block 8 of 12, 64-token contexts): a GPT-2 in Hugging Face's layout (config.json + model.safetensors) with its
/// BPE tokenizer (vocab.json + merges.txt), the model card when it is the built-in model (training.json), the hook, and the
/// labelled synthetic corpus whose text feeds it. Real GPT-2 weights work the same way: the corpus text is then tokenised
/// with GPT-2's own tokenizer and keeps its labels, so every experiment (probes included) runs unchanged.
/// </summary>
public sealed class SubjectModel : IDisposable
{
    /// <summary>The files a model folder must hold.</summary>
    public static readonly string[] RequiredFiles = [Gpt2Weights.ConfigFile, Gpt2Weights.WeightsFile, BpeTokenizer.VocabFileName, BpeTokenizer.MergesFileName];

    private SubjectModel(string directory, Gpt2 model, BpeTokenizer tokenizer, BuiltinModelCard? card, HookPoint hook, long dIn, SyntheticCorpus corpus)
    {
        Directory = directory;
        Model = model;
        Tokenizer = tokenizer;
        Card = card;
        Hook = hook;
        DIn = dIn;
        Corpus = corpus;
    }

    /// <summary>The model folder (full path).</summary>
    public string Directory { get; }

    /// <summary>A short name for reports and harvest manifests: the folder's name.</summary>
    public string ModelId => Path.GetFileName(Directory.TrimEnd(Path.DirectorySeparatorChar));

    public Gpt2 Model { get; }
    public BpeTokenizer Tokenizer { get; }

    /// <summary>The built-in model's card (recipe, training and validation scores), or null for other models.</summary>
    public BuiltinModelCard? Card { get; }

    /// <summary>Where the SAEs read and where their reconstructions are spliced back.</summary>
    public HookPoint Hook { get; }

    public string HookName => Hook.Name;

    /// <summary>Width of the activation at the hook (d_model for residual-stream sites, d_mlp for the MLP's hidden sites).</summary>
    public long DIn { get; }

    /// <summary>The labelled corpus whose text is tokenised for harvesting and evaluation.</summary>
    public SyntheticCorpus Corpus { get; }

    /// <summary>The end-of-text token that separates documents in the token stream.</summary>
    public int EndOfTextId => Tokenizer.EndOfTextId;

    /// <summary>The default site: the residual stream after the block at 3/4 depth, <c>blocks.{3L/4 - 1}.hook_resid_post</c>
    /// (blocks.8 of GPT-2 small's 12, the paper's; blocks.2 of the built-in model's 4).</summary>
    public static string DefaultHook(int nLayer) => HookPoint.ResidPost(Math.Max(0, 3 * nLayer / 4 - 1)).Name;

    /// <summary>
    /// Loads the model in <paramref name="directory"/> (null: the built-in model, <see cref="BuiltinModel.FindDirectory"/>)
    /// and checks <paramref name="hook"/> (null: <see cref="DefaultHook"/>). A missing folder or file says what a model
    /// folder holds and how to make the built-in one; an unknown hook lists the valid names; sites with a head axis or the
    /// attention pattern are refused (the SAEs read one vector per token).
    /// </summary>
    public static SubjectModel Load(string? directory, string? hook, ulong corpusSeed = 1)
    {
        directory = Path.GetFullPath(directory ?? BuiltinModel.FindDirectory());
        const string make = "Remake the built-in model with `sae train-lm --config data/configs/builtin-lm.json --out data/builtin-lm`, " +
                            "or pass --model a folder holding a GPT-2 in Hugging Face's layout (config.json, model.safetensors, vocab.json, merges.txt).";
        if (File.Exists(directory))
            throw new DirectoryNotFoundException($"'{directory}' is a file, not a model folder: --model takes the folder that holds config.json, " +
                $"model.safetensors, vocab.json and merges.txt (here, probably '{Path.GetDirectoryName(directory)}'). {make}");
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"the model folder '{directory}' does not exist. {make}");
        var missing = RequiredFiles.Where(f => !File.Exists(Path.Combine(directory, f))).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"the model folder '{directory}' lacks {string.Join(", ", missing)}. {make}");

        // The hook is checked against the config before the weights are read, and the config's n_layer against the weights'
        // header first (an absurd n_layer would otherwise surface as a hook name that does not parse).
        var config = Gpt2Weights.LoadConfig(directory);
        Gpt2Weights.CheckBlockCount(directory, config);
        var hookName = hook ?? DefaultHook(config.NLayer);
        var point = HookPoint.Parse(hookName, config.NLayer);
        if (point.Site is HookSite.AttnQ or HookSite.AttnK or HookSite.AttnV or HookSite.AttnZ or HookSite.AttnPattern)
            throw new ArgumentException(
                $"hook '{hookName}' has a head axis ({string.Join(", ", point.Shape(config, 1, 1).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)))}); " +
                "the reproduction trains SAEs on one vector per token: use a residual-stream, attention-output or MLP site, e.g. " +
                $"{DefaultHook(config.NLayer)}. {HookPoint.ValidNames(config.NLayer)}", nameof(hook));
        var dIn = point.Shape(config, 1, 1)[^1];

        var (model, tokenizer, card) = BuiltinModel.Load(directory);
        var corpus = card is not null ? BuiltinModel.Corpus(card.Recipe) : new SyntheticCorpus(new CorpusConfig { Seed = corpusSeed });
        return new SubjectModel(directory, model, tokenizer, card, point, dIn, corpus);
    }

    /// <summary>The activations at the hook for int64 tokens [B, T]: [B, T, DIn] (no autograd; the pass stops there).</summary>
    public Tensor HookActivations(Tensor tokens_BT) => Model.RunToHook(tokens_BT, Hook);

    /// <summary>A token that N2G uses to blank a position and to test the start of a sequence: " _" (GPT-2's 4808, what the
    /// TopK paper's code uses) when the vocabulary has it, else "_".</summary>
    public int PadTokenId =>
        Tokenizer.TryGetTokenId("\u0120_", out var id) ? id
        : Tokenizer.TryGetTokenId("_", out id) ? id
        : Tokenizer.Encode(" _")[^1];

    /// <summary>A token's text for tables and N2G patterns.</summary>
    public string Decode(int token) => Tokenizer.Decode([token]);

    public void Dispose() => Model.Dispose();
}
