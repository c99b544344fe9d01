using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SaeWorkbench.Models;

/// <summary>
/// The places in a GPT-2 forward pass where an activation can be read or replaced, in the order the forward pass reaches
/// them within a block. Names and shapes follow TransformerLens (B batch, T tokens, D d_model, H heads, Dh d_head,
/// M d_mlp), so an SAE trained here on <c>blocks.8.hook_resid_post</c> is the TopK paper's site (Gao et al. 2024, §2.1).
/// </summary>
public enum HookSite
{
    /// <summary><c>hook_embed</c>: token embeddings wte[tokens], [B, T, D].</summary>
    Embed,

    /// <summary><c>hook_pos_embed</c>: position embeddings wpe[0..T), [B, T, D] (the same rows for every sequence).</summary>
    PosEmbed,

    /// <summary><c>blocks.{l}.hook_resid_pre</c>: the residual stream entering block l, [B, T, D].</summary>
    ResidPre,

    /// <summary><c>blocks.{l}.attn.hook_q</c>: queries per head, [B, T, H, Dh].</summary>
    AttnQ,

    /// <summary><c>blocks.{l}.attn.hook_k</c>: keys per head, [B, T, H, Dh].</summary>
    AttnK,

    /// <summary><c>blocks.{l}.attn.hook_v</c>: values per head, [B, T, H, Dh].</summary>
    AttnV,

    /// <summary><c>blocks.{l}.attn.hook_pattern</c>: attention probabilities softmax(q k^T / sqrt(Dh) + causal mask), [B, H, T_query, T_key].</summary>
    AttnPattern,

    /// <summary><c>blocks.{l}.attn.hook_z</c>: each head's output pattern @ v before the output projection, [B, T, H, Dh].</summary>
    AttnZ,

    /// <summary><c>blocks.{l}.hook_attn_out</c>: the attention layer's output (after c_proj), [B, T, D].</summary>
    AttnOut,

    /// <summary><c>blocks.{l}.hook_resid_mid</c>: resid_pre + attn_out, [B, T, D].</summary>
    ResidMid,

    /// <summary><c>blocks.{l}.mlp.hook_pre</c>: the MLP's hidden pre-activations (c_fc output), [B, T, M].</summary>
    MlpPre,

    /// <summary><c>blocks.{l}.mlp.hook_post</c>: the MLP's hidden activations GELU(pre), [B, T, M].</summary>
    MlpPost,

    /// <summary><c>blocks.{l}.hook_mlp_out</c>: the MLP's output (after c_proj), [B, T, D].</summary>
    MlpOut,

    /// <summary><c>blocks.{l}.hook_resid_post</c>: resid_mid + mlp_out, the residual stream leaving block l, [B, T, D].</summary>
    ResidPost,
}

/// <summary>
/// One hook point: a <see cref="HookSite"/> and, for sites inside a block, the layer. <see cref="Name"/> is the
/// TransformerLens name; <see cref="Parse(string, int)"/> reads one and rejects an unknown name with a message listing
/// the valid ones. Points are ordered as the forward pass reaches them (<see cref="Index"/>).
/// </summary>
public readonly record struct HookPoint : IComparable<HookPoint>
{
    private const int FirstBlockSite = (int)HookSite.ResidPre;

    /// <summary>Sites per block (resid_pre ... resid_post).</summary>
    public const int SitesPerBlock = (int)HookSite.ResidPost - FirstBlockSite + 1;

    /// <summary>A hook point; <paramref name="layer"/> must be -1 for the embedding sites and >= 0 inside blocks.</summary>
    public HookPoint(HookSite site, int layer)
    {
        if (!Enum.IsDefined(site)) throw new ArgumentOutOfRangeException(nameof(site), site, "not a hook site");
        if (IsBlockSite(site) ? layer < 0 : layer != -1)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, IsBlockSite(site)
                ? $"{site} is inside a block: the layer must be >= 0"
                : $"{site} is outside the blocks: the layer must be -1");
        Site = site;
        Layer = layer;
    }

    public HookSite Site { get; }

    /// <summary>The block, or -1 for <see cref="HookSite.Embed"/> and <see cref="HookSite.PosEmbed"/>.</summary>
    public int Layer { get; }

    /// <summary>Position in the forward pass: 0 and 1 for the embeddings, then <see cref="SitesPerBlock"/> per block.</summary>
    public int Index => IsBlockSite(Site) ? 2 + Layer * SitesPerBlock + ((int)Site - FirstBlockSite) : (int)Site;

    /// <summary>The hook point at <see cref="Index"/> <paramref name="index"/>.</summary>
    public static HookPoint FromIndex(int index) => index < 2
        ? new HookPoint((HookSite)index, -1)
        : new HookPoint((HookSite)(FirstBlockSite + (index - 2) % SitesPerBlock), (index - 2) / SitesPerBlock);

    /// <summary>Number of hook points of a model with <paramref name="nLayer"/> blocks.</summary>
    public static int Count(int nLayer) => 2 + nLayer * SitesPerBlock;

    /// <summary>The TransformerLens name, e.g. "blocks.8.hook_resid_post", "blocks.2.attn.hook_z", "hook_embed".</summary>
    public string Name => IsBlockSite(Site) ? string.Create(CultureInfo.InvariantCulture, $"blocks.{Layer}.{SiteSuffix(Site)}") : SiteSuffix(Site);

    public override string ToString() => Name;

    public int CompareTo(HookPoint other) => Index.CompareTo(other.Index);

    private static bool IsBlockSite(HookSite site) => site >= HookSite.ResidPre;

    /// <summary>The name's part after "blocks.{l}." (or the whole name for the embeddings).</summary>
    public static string SiteSuffix(HookSite site) => site switch
    {
        HookSite.Embed => "hook_embed",
        HookSite.PosEmbed => "hook_pos_embed",
        HookSite.ResidPre => "hook_resid_pre",
        HookSite.AttnQ => "attn.hook_q",
        HookSite.AttnK => "attn.hook_k",
        HookSite.AttnV => "attn.hook_v",
        HookSite.AttnPattern => "attn.hook_pattern",
        HookSite.AttnZ => "attn.hook_z",
        HookSite.AttnOut => "hook_attn_out",
        HookSite.ResidMid => "hook_resid_mid",
        HookSite.MlpPre => "mlp.hook_pre",
        HookSite.MlpPost => "mlp.hook_post",
        HookSite.MlpOut => "hook_mlp_out",
        HookSite.ResidPost => "hook_resid_post",
        _ => throw new ArgumentOutOfRangeException(nameof(site), site, "not a hook site"),
    };

    private static readonly Dictionary<string, HookSite> BySuffix =
        Enum.GetValues<HookSite>().ToDictionary(SiteSuffix, s => s, StringComparer.Ordinal);

    private static readonly Regex BlockName = new(@"^blocks\.(\d{1,6})\.(.+)$", RegexOptions.CultureInvariant);

    /// <summary>The shape of the activation at this point for a batch of <paramref name="b"/> sequences of <paramref name="t"/> tokens.</summary>
    public long[] Shape(Gpt2Config config, long b, long t) => Site switch
    {
        HookSite.AttnQ or HookSite.AttnK or HookSite.AttnV or HookSite.AttnZ => [b, t, config.NHead, config.DHead],
        HookSite.AttnPattern => [b, config.NHead, t, t],
        HookSite.MlpPre or HookSite.MlpPost => [b, t, config.DMlp],
        _ => [b, t, config.NEmbd],
    };

    /// <summary>
    /// Reads a TransformerLens hook name for a model with <paramref name="nLayer"/> blocks. An unknown name, or a layer
    /// outside [0, nLayer), is an <see cref="ArgumentException"/> listing the valid names.
    /// </summary>
    public static HookPoint Parse(string name, int nLayer)
    {
        var p = ParseSyntax(name);
        if (p.Layer >= nLayer)
            throw new ArgumentException($"hook '{name}': layer {p.Layer} does not exist; this model has {nLayer} block(s). {ValidNames(nLayer)}", nameof(name));
        return p;
    }

    /// <summary>This point, checked against a model with <paramref name="nLayer"/> blocks: a layer outside [0, nLayer) is
    /// an <see cref="ArgumentException"/> as in <see cref="Parse(string, int)"/>.</summary>
    public HookPoint CheckFor(int nLayer) => Layer < nLayer ? this : Parse(Name, nLayer);

    /// <summary>Reads a hook name without knowing the model (any layer >= 0 is accepted); unknown names are refused as in <see cref="Parse(string, int)"/>.</summary>
    public static HookPoint ParseSyntax(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (BySuffix.TryGetValue(name, out var site) && !IsBlockSite(site)) return new HookPoint(site, -1);
        var m = BlockName.Match(name);
        if (m.Success && BySuffix.TryGetValue(m.Groups[2].Value, out site) && IsBlockSite(site))
            return new HookPoint(site, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        throw new ArgumentException($"'{name}' is not a hook point. {ValidNames(null)}", nameof(name));
    }

    /// <summary>"Valid hook names: hook_embed, hook_pos_embed, and blocks.{l}.X for X in ... with l in [0, n)".</summary>
    public static string ValidNames(int? nLayer) =>
        $"Valid hook names: {SiteSuffix(HookSite.Embed)}, {SiteSuffix(HookSite.PosEmbed)}, and blocks.{{l}}.X for X in " +
        string.Join(", ", Enum.GetValues<HookSite>().Where(IsBlockSite).Select(SiteSuffix)) +
        (nLayer is { } n ? $", with l in [0, {n - 1}]" : ", with l a block index from 0") + ".";

    /// <summary>Every hook point of a model with <paramref name="nLayer"/> blocks, in forward order.</summary>
    public static IEnumerable<HookPoint> All(int nLayer) => Enumerable.Range(0, Count(nLayer)).Select(FromIndex);

    public static HookPoint ResidPre(int layer) => new(HookSite.ResidPre, layer);
    public static HookPoint ResidMid(int layer) => new(HookSite.ResidMid, layer);
    public static HookPoint ResidPost(int layer) => new(HookSite.ResidPost, layer);
    public static HookPoint AttnOut(int layer) => new(HookSite.AttnOut, layer);
    public static HookPoint MlpOut(int layer) => new(HookSite.MlpOut, layer);
    public static HookPoint AttnZ(int layer) => new(HookSite.AttnZ, layer);
    public static HookPoint MlpPost(int layer) => new(HookSite.MlpPost, layer);
}

/// <summary>
/// Functions attached to hook points for one forward pass (<see cref="Gpt2.Run(Tensor, Hooks?, string?)"/>). A hook receives the activation
/// (shape as documented on <see cref="HookSite"/>) and returns null to leave it as it is, or a tensor of the same shape
/// that replaces it for the rest of the pass: splicing an SAE reconstruction into the residual stream is
/// <c>new Hooks { { "blocks.8.hook_resid_post", x =&gt; sae.Reconstruct(x.view(-1, d)).view(x.shape) } }</c>.
/// Several hooks on one point run in the order added, each seeing the previous one's replacement.
/// <para>
/// Lifetimes: the activation a hook receives belongs to the forward pass and is freed when the pass returns; calling
/// <see cref="Tensor.MoveToOuterDisposeScope"/> on it inside the hook hands it to the scope <c>Run</c> was called in
/// (or use <see cref="Gpt2.RunWithCache"/>). Tensors a hook creates belong to the scope of the block being computed
/// (the pass frees each block's intermediates when the block ends); a returned replacement is kept as long as the pass
/// needs it, and a hook that wants to keep a tensor it made calls <see cref="Tensor.DetachFromDisposeScope"/> (and
/// disposes it later). The pass never frees a tensor a hook returns.
/// </para>
/// </summary>
public sealed class Hooks : IEnumerable<KeyValuePair<HookPoint, Func<Tensor, Tensor?>>>
{
    private readonly List<KeyValuePair<HookPoint, Func<Tensor, Tensor?>>> _hooks = new();

    /// <summary>Attaches <paramref name="hook"/> at the point named <paramref name="name"/> (a TransformerLens name; unknown names are refused).</summary>
    public Hooks Add(string name, Func<Tensor, Tensor?> hook) => Add(HookPoint.ParseSyntax(name), hook);

    public Hooks Add(HookPoint point, Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _hooks.Add(new(point, hook));
        return this;
    }

    /// <summary>Attaches a hook that only reads the activation.</summary>
    public Hooks Read(string name, Action<Tensor> read) => Add(name, x =>
    {
        read(x);
        return null;
    });

    /// <summary>Number of attached hooks.</summary>
    public int Count => _hooks.Count;

    /// <summary>The last point any hook is attached to (null when none is).</summary>
    public HookPoint? Last => _hooks.Count == 0 ? null : _hooks.Max(h => h.Key);

    public IEnumerator<KeyValuePair<HookPoint, Func<Tensor, Tensor?>>> GetEnumerator() => _hooks.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Activations recorded by <see cref="Gpt2.RunWithCache"/>, by hook name, and the logits when they were computed.</summary>
public sealed class ActivationCache : IDisposable
{
    private readonly Dictionary<string, Tensor> _activations;

    internal ActivationCache(Dictionary<string, Tensor> activations, Tensor? logits_BTV)
    {
        _activations = activations;
        Logits_BTV = logits_BTV;
    }

    /// <summary>Logits [B, T, V], or null when the run stopped after the last cached hook.</summary>
    public Tensor? Logits_BTV { get; }

    /// <summary>The activation recorded at the hook named <paramref name="name"/> (shape as on <see cref="HookSite"/>).</summary>
    public Tensor this[string name] => _activations.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"'{name}' was not cached; cached: {string.Join(", ", _activations.Keys)}");

    public Tensor this[HookPoint point] => this[point.Name];

    public IReadOnlyDictionary<string, Tensor> Activations => _activations;

    /// <summary>Releases every cached tensor (they also belong to the dispose scope the run was called in, if any).</summary>
    public void Dispose()
    {
        foreach (var t in _activations.Values) t.Dispose();
        Logits_BTV?.Dispose();
    }
}
