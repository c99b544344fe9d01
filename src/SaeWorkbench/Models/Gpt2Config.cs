using System.Globalization;
using System.Text.Json.Nodes;
namespace SaeWorkbench.Models;

/// <summary>
/// The shape of a GPT-2 (Radford et al. 2019, §2.3: GPT-1's decoder-only transformer with pre-LayerNorm blocks, a final
/// LayerNorm, learned positions and a tied unembedding), with Hugging Face's config.json field names. The subject model
/// of the TopK paper is GPT-2 small (<see cref="Gpt2Small"/>; Gao et al. 2024, §2.1). Validated by <see cref="Validate"/>, which
/// the model and the loader call: every failure names the field, its value and the allowed range.
/// </summary>
public sealed record Gpt2Config
{
    /// <summary>n_layer: transformer blocks, >= 1.</summary>
    public int NLayer { get; init; } = 12;

    /// <summary>n_head: attention heads per block, >= 1, dividing <see cref="NEmbd"/>.</summary>
    public int NHead { get; init; } = 12;

    /// <summary>n_embd: d_model, the width of the residual stream, >= 1.</summary>
    public int NEmbd { get; init; } = 768;

    /// <summary>n_positions (older configs: n_ctx): the longest sequence, the rows of the position table, >= 1.</summary>
    public int NPositions { get; init; } = 1024;

    /// <summary>vocab_size: token ids, the rows of the (tied) token embedding, >= 1.</summary>
    public int VocabSize { get; init; } = 50257;

    /// <summary>n_inner: width of the MLP's hidden layer; null means 4 * n_embd (every released GPT-2).</summary>
    public int? NInner { get; init; }

    /// <summary>layer_norm_epsilon: added to the variance in every LayerNorm, > 0 (GPT-2: 1e-5).</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>d_head = n_embd / n_head.</summary>
    public int DHead => NEmbd / NHead;

    /// <summary>d_mlp: n_inner, or 4 * n_embd.</summary>
    public int DMlp => NInner ?? 4 * NEmbd;

    /// <summary>GPT-2 small (124M parameters): 12 layers, 12 heads, d_model 768, context 1024, vocabulary 50257.</summary>
    public static Gpt2Config Gpt2Small => new();

    /// <summary>Parameters: embeddings, blocks and the final LayerNorm (the unembedding is the token embedding).</summary>
    public long ParameterCount
    {
        get
        {
            long d = NEmbd, m = DMlp;
            var block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d);
            return (long)VocabSize * d + (long)NPositions * d + NLayer * block + 2 * d;
        }
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first bad field, its value and the allowed range.</summary>
    public void Validate()
    {
        const string owner = nameof(Gpt2Config);
        ConfigCheck.Positive(NLayer, owner, nameof(NLayer));
        ConfigCheck.Positive(NHead, owner, nameof(NHead));
        ConfigCheck.Positive(NEmbd, owner, nameof(NEmbd));
        ConfigCheck.Require(NEmbd % NHead == 0, owner, nameof(NEmbd), NEmbd, $"a multiple of NHead = {NHead} (each head gets NEmbd / NHead dimensions)");
        ConfigCheck.Positive(NPositions, owner, nameof(NPositions));
        ConfigCheck.Positive(VocabSize, owner, nameof(VocabSize));
        if (NInner is { } inner) ConfigCheck.Positive(inner, owner, nameof(NInner));
        ConfigCheck.Positive(LayerNormEpsilon, owner, nameof(LayerNormEpsilon));
    }

    /// <summary>
    /// Reads a Hugging Face GPT-2 config.json (already parsed; <paramref name="path"/> names the file in errors). Takes
    /// n_layer, n_head, n_embd, n_positions (or n_ctx), vocab_size, n_inner, layer_norm_epsilon; refuses settings this
    /// implementation does not compute (an activation other than the tanh GELU, attention scaled by the layer index,
    /// unscaled attention, cross-attention, untied embeddings) instead of silently computing another function.
    /// </summary>
    public static Gpt2Config FromHuggingFace(JsonObject json, string path)
    {
        int Int(string field, int? fallback = null)
        {
            var node = json[field];
            if (node is null) return fallback ?? throw new InvalidDataException($"'{path}' has no '{field}' (a GPT-2 config.json names n_layer, n_head, n_embd, n_positions, vocab_size)");
            try
            {
                return node.GetValue<int>();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"'{path}': '{field}' is {node.ToJsonString()}, not an integer", e);
            }
        }
        T Get<T>(string field, T fallback)
        {
            var node = json[field];
            if (node is null) return fallback;
            try
            {
                return node.GetValue<T>();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"'{path}': '{field}' is {node.ToJsonString()}, not a {typeof(T).Name}", e);
            }
        }
        void Refuse(bool bad, string field, string why)
        {
            if (bad) throw new NotSupportedException($"'{path}': {field} = {json[field]?.ToJsonString()} is not supported: {why}");
        }

        if (json["model_type"] is { } mt && Get("model_type", "gpt2") != "gpt2")
            throw new NotSupportedException($"'{path}': model_type is {mt.ToJsonString()}; this loader reads GPT-2 (\"gpt2\") configs only");
        var activation = Get("activation_function", "gelu_new");
        Refuse(activation is not ("gelu_new" or "gelu_pytorch_tanh"), "activation_function",
            "GPT-2 uses the tanh approximation of GELU (\"gelu_new\" or \"gelu_pytorch_tanh\")");
        Refuse(!Get("scale_attn_weights", true), "scale_attn_weights", "attention scores are always divided by sqrt(d_head)");
        Refuse(Get("scale_attn_by_inverse_layer_idx", false), "scale_attn_by_inverse_layer_idx", "attention scores are not scaled by the layer index");
        Refuse(Get("add_cross_attention", false), "add_cross_attention", "GPT-2 here is decoder-only");
        Refuse(!Get("tie_word_embeddings", true), "tie_word_embeddings", "the unembedding is the token embedding (tied)");

        var nPositions = Int("n_positions", json["n_ctx"] is null ? null : Int("n_ctx"));
        if (json["n_ctx"] is not null && json["n_positions"] is not null && Int("n_ctx") != nPositions)
            throw new InvalidDataException($"'{path}': n_ctx = {Int("n_ctx")} and n_positions = {nPositions} disagree (both are the context length)");
        var nInnerNode = json["n_inner"];
        var config = new Gpt2Config
        {
            NLayer = Int("n_layer"),
            NHead = Int("n_head"),
            NEmbd = Int("n_embd"),
            NPositions = nPositions,
            VocabSize = Int("vocab_size"),
            NInner = nInnerNode is null ? null : Int("n_inner"),
            LayerNormEpsilon = Get("layer_norm_epsilon", 1e-5),
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message.Split(Environment.NewLine)[0]}", e);
        }
        return config;
    }

    /// <summary>This config as Hugging Face's GPT-2 config.json (GPT2LMHeadModel), readable by transformers.</summary>
    public JsonObject ToHuggingFace() => new()
    {
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["model_type"] = "gpt2",
        ["n_layer"] = NLayer,
        ["n_head"] = NHead,
        ["n_embd"] = NEmbd,
        ["n_positions"] = NPositions,
        ["n_ctx"] = NPositions,
        ["vocab_size"] = VocabSize,
        ["n_inner"] = NInner,
        ["layer_norm_epsilon"] = LayerNormEpsilon,
        ["activation_function"] = "gelu_new",
        ["scale_attn_weights"] = true,
        ["scale_attn_by_inverse_layer_idx"] = false,
        ["tie_word_embeddings"] = true,
        ["resid_pdrop"] = 0.0,
        ["embd_pdrop"] = 0.0,
        ["attn_pdrop"] = 0.0,
        ["torch_dtype"] = "float32",
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"GPT-2(n_layer={NLayer}, n_head={NHead}, n_embd={NEmbd}, n_positions={NPositions}, vocab_size={VocabSize}, d_mlp={DMlp}, eps={LayerNormEpsilon})");
}
