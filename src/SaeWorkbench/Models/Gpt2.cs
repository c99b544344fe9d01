using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using SaeWorkbench.Engine;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SaeWorkbench.Models;

/// <summary>
/// GPT-2 (Radford et al. 2019, §2.3), the TopK paper's subject model (Gao et al. 2024, §2.1), for any <see cref="Gpt2Config"/>:
/// token + learned position embeddings; n_layer pre-LayerNorm blocks
/// <c>x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))</c> with causal multi-head attention and a GELU (tanh approximation)
/// MLP; a final LayerNorm; logits through the tied unembedding (the token embedding transposed).
/// <para>
/// Parameters carry Hugging Face's names (<c>wte</c>, <c>wpe</c>, <c>h.{l}.ln_1</c>, <c>h.{l}.attn.c_attn</c>, ...,
/// <c>ln_f</c>); the four projections per block are <see cref="TorchSharp.Modules.Linear"/> layers ([out, in], where Hugging Face's
/// Conv1D stores [in, out]; <see cref="Gpt2Weights"/> converts). There is no dropout.
/// </para>
/// <para>
/// Every activation can be read or replaced at TransformerLens's hook points (<see cref="HookSite"/>) and a pass can
/// stop at one (<see cref="Run(Tensor, Hooks?, HookPoint?)"/>). Evaluation helpers (<see cref="Logits"/>,
/// <see cref="RunToHook(Tensor, HookPoint, Hooks?)"/>, <see cref="RunWithCache"/>) run without autograd; <see cref="Loss"/> and
/// <see cref="Run(Tensor, Hooks?, HookPoint?)"/> follow the current grad mode, so an optimiser over
/// <see cref="nn.Module.parameters"/> trains the model.
/// </para>
/// </summary>
public sealed class Gpt2 : nn.Module<Tensor, Tensor>
{
    /// <summary>A new GPT-2 with GPT-2's initialisation drawn from <paramref name="seed"/>: every weight N(0, 0.02)
    /// (Hugging Face's initializer_range), the two residual projections per block N(0, 0.02 / sqrt(2 n_layer)) (GPT-2
    /// §2.3), biases 0, LayerNorms 1 and 0.</summary>
    public Gpt2(Gpt2Config config, ulong seed = 0) : this(config, seed, initialize: true) { }

    internal Gpt2(Gpt2Config config, ulong seed, bool initialize) : base(nameof(Gpt2))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        using var gen = new Generator(seed);
        long d = config.NEmbd, m = config.DMlp;
        wte = this.Submodule("wte", nn.Embedding(config.VocabSize, d));
        wpe = this.Submodule("wpe", nn.Embedding(config.NPositions, d));
        var blocks = new List<Gpt2Block>();
        for (var l = 0; l < config.NLayer; l++) blocks.Add(new Gpt2Block(d, m, config.LayerNormEpsilon));
        h = this.Submodule("h", new Gpt2Blocks(blocks));
        ln_f = this.Submodule("ln_f", nn.LayerNorm(new[] { d }, config.LayerNormEpsilon));
        if (!initialize) return;
        using var noGrad = no_grad();
        const double std = 0.02;
        var residualStd = std / Math.Sqrt(2.0 * config.NLayer);
        wte.weight!.normal_(0, std, gen);
        wpe.weight!.normal_(0, std, gen);
        foreach (var b in blocks)
        {
            foreach (var (layer, s) in new[] { (b.attn.c_attn, std), (b.attn.c_proj, residualStd), (b.mlp.c_fc, std), (b.mlp.c_proj, residualStd) })
            {
                layer.weight.normal_(0, s, gen);
                layer.bias!.zero_();
            }
        }
    }

    public Gpt2Config Config { get; }

    /// <summary>Token embedding [vocab_size, n_embd]; also the unembedding (logits = ln_f(x) wte^T).</summary>
    public Embedding wte { get; }

    /// <summary>Position embedding [n_positions, n_embd].</summary>
    public Embedding wpe { get; }

    /// <summary>The blocks h.0 ... h.{n_layer - 1}.</summary>
    public Gpt2Blocks h { get; }

    /// <summary>The final LayerNorm before the unembedding.</summary>
    public LayerNorm ln_f { get; }

    /// <summary>Logits [B, T, vocab_size] of int64 tokens [B, T], in the current grad mode (no hooks).</summary>
    public override Tensor forward(Tensor tokens_BT) => Run(tokens_BT);

    /// <summary>
    /// One forward pass over int64 tokens [B, T] (T &lt;= n_positions) with <paramref name="hooks"/> attached. Returns the
    /// logits [B, T, vocab_size]; with <paramref name="stopAt"/>, the activation at that hook point (after the hooks
    /// there ran), computing nothing after it (no later layers, no logits). Follows the current grad mode.
    /// Unknown hook names are refused with the list of valid ones, as are hooks after <paramref name="stopAt"/>.
    /// </summary>
    public Tensor Run(Tensor tokens_BT, Hooks? hooks = null, string? stopAt = null) =>
        Run(tokens_BT, hooks, stopAt is null ? null : HookPoint.Parse(stopAt, Config.NLayer));

    /// <inheritdoc cref="Run(Tensor, Hooks?, string?)"/>
    public Tensor Run(Tensor tokens_BT, Hooks? hooks, HookPoint? stopAt) => RunCore(tokens_BT, hooks, stopAt, cache: null);

    /// <summary>Logits [B, T, vocab_size], without autograd.</summary>
    public Tensor Logits(Tensor tokens_BT, Hooks? hooks = null)
    {
        using var noGrad = no_grad();
        return RunCore(tokens_BT, hooks, null, null);
    }

    /// <summary>The activation at <paramref name="hookName"/> (e.g. "blocks.8.hook_resid_post" -&gt; [B, T, D]), without
    /// autograd, stopping the pass there.</summary>
    public Tensor RunToHook(Tensor tokens_BT, string hookName, Hooks? hooks = null) => RunToHook(tokens_BT, HookPoint.Parse(hookName, Config.NLayer), hooks);

    /// <inheritdoc cref="RunToHook(Tensor, string, Hooks?)"/>
    public Tensor RunToHook(Tensor tokens_BT, HookPoint hook, Hooks? hooks = null)
    {
        hook.CheckFor(Config.NLayer);
        using var noGrad = no_grad();
        return RunCore(tokens_BT, hooks, hook, null);
    }

    /// <summary>
    /// The activations at <paramref name="names"/> (after any <paramref name="hooks"/> there), without autograd. Without
    /// <paramref name="computeLogits"/> the pass stops after the last cached or hooked point
    /// (<see cref="ActivationCache.Logits_BTV"/> is then null). The cached tensors belong to the caller's dispose scope.
    /// </summary>
    public ActivationCache RunWithCache(Tensor tokens_BT, IEnumerable<string> names, Hooks? hooks = null, bool computeLogits = false)
    {
        var points = names.Select(n => HookPoint.Parse(n, Config.NLayer)).Distinct().ToList();
        if (points.Count == 0) throw new ArgumentException("name at least one hook point to cache", nameof(names));
        HookPoint? stop = null;
        if (!computeLogits)
        {
            stop = points.Max();                                          // run as far as anyone needs: the last cached or hooked point
            if (hooks?.Last is { } lastHook && lastHook.CompareTo(stop.Value) > 0) stop = lastHook;
        }
        var cache = new Dictionary<string, Tensor>();
        using var noGrad = no_grad();
        var result = RunCore(tokens_BT, hooks, stop, (points, cache));
        if (computeLogits) return new ActivationCache(cache, result);
        result.Dispose();
        return new ActivationCache(cache, null);
    }

    /// <summary>
    /// Mean next-token cross-entropy over the B (T - 1) predicted positions of int64 tokens [B, T] (T >= 2), in nats,
    /// as a scalar that keeps the autograd graph when grad is enabled (training).
    /// </summary>
    public Tensor Loss(Tensor tokens_BT, Hooks? hooks = null)
    {
        if (tokens_BT.dim() == 2 && tokens_BT.size(1) < 2)
            throw new ArgumentException($"the loss needs at least 2 tokens per sequence, got tokens_BT {tokens_BT.ShapeString}", nameof(tokens_BT));
        using var scope = NewDisposeScope();
        var logits_BTV = Run(tokens_BT, hooks);
        return NextTokenLoss(logits_BTV, tokens_BT).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Next-token cross-entropy of logits [B, T, V] against tokens [B, T]: position t predicts token t + 1, the last
    /// position predicts nothing. <see cref="nn.Reduction.Mean"/>: a scalar over the B (T - 1) predictions;
    /// <see cref="nn.Reduction.None"/>: [B, T - 1]. No copy of the logits is made.
    /// </summary>
    public static Tensor NextTokenLoss(Tensor logits_BTV, Tensor tokens_BT, nn.Reduction reduction = nn.Reduction.Mean)
    {
        if (logits_BTV.dim() != 3 || tokens_BT.dim() != 2 || logits_BTV.size(0) != tokens_BT.size(0) || logits_BTV.size(1) != tokens_BT.size(1))
            throw new ArgumentException($"logits_BTV {logits_BTV.ShapeString} and tokens_BT {tokens_BT.ShapeString} must be [B, T, V] and [B, T]");
        if (reduction == nn.Reduction.Sum) throw new ArgumentException("use Mean or None", nameof(reduction));
        using var scope = NewDisposeScope();
        long b = tokens_BT.size(0), t = tokens_BT.size(1), v = logits_BTV.size(2);
        // Targets shifted left by one; the last position gets ignore_index, so the logits need no slicing (no copy).
        var targets_BT = cat(new[] { tokens_BT.narrow(1, 1, t - 1).to(int64), full(new[] { b, 1L }, -100L, int64, tokens_BT.device) }, 1);
        var flat_N = F.cross_entropy(logits_BTV.reshape(b * t, v), targets_BT.reshape(b * t), reduction: reduction);
        var loss = reduction == nn.Reduction.None ? flat_N.view(b, t).narrow(1, 0, t - 1) : flat_N;
        return loss.MoveToOuterDisposeScope();
    }

    private Tensor RunCore(Tensor tokens_BT, Hooks? hooks, HookPoint? stopAt, (List<HookPoint> points, Dictionary<string, Tensor> into)? cache)
    {
        CheckTokens(tokens_BT);
        var run = hooks is { Count: > 0 } || stopAt is not null || cache is not null ? new HookRun(Config, hooks, stopAt, cache) : null;
        using var scope = NewDisposeScope();
        var result = Forward(tokens_BT, run);
        // A new handle on the result moves out: the tensor itself may be a hook's (owned elsewhere, or moved out already).
        var output = result.alias().MoveToOuterDisposeScope();
        if (run?.Cache is { } c)
            foreach (var t in c.Values) t.MoveToOuterDisposeScope();
        return output;
    }

    private void CheckTokens(Tensor tokens_BT)
    {
        ArgumentNullException.ThrowIfNull(tokens_BT);
        if (tokens_BT.dim() != 2)
            throw new ArgumentException($"tokens_BT must be [B, T] (batch, tokens), got {tokens_BT.ShapeString}", nameof(tokens_BT));
        if (tokens_BT.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"tokens_BT must be int64 (or int32) token ids, got {tokens_BT.dtype}", nameof(tokens_BT));
        var (b, t) = (tokens_BT.size(0), tokens_BT.size(1));
        if (b < 1 || t < 1 || t > Config.NPositions)
            throw new ArgumentException($"tokens_BT {tokens_BT.ShapeString}: need B >= 1 and 1 <= T <= n_positions = {Config.NPositions}", nameof(tokens_BT));
        using var scope = NewDisposeScope();
        var (lo, hi) = (tokens_BT.min().ToInt64(), tokens_BT.max().ToInt64());
        if (lo < 0 || hi >= Config.VocabSize)
            throw new ArgumentException($"tokens_BT holds ids in [{lo}, {hi}]; they must be in [0, vocab_size = {Config.VocabSize})", nameof(tokens_BT));
    }

    // ---- the forward pass, written out (llm.c style); each hook point marked where TransformerLens has it ----------

    // Memory: the embeddings and each block run in a dispose scope of their own, so a block's intermediates are freed
    // when it ends (as Python frees each tensor when its last reference goes) and only the residual stream moves on to
    // the pass's scope: a pass reuses one block's worth of memory instead of touching fresh memory for every layer.
    // The forward only ever holds handles of its own (hooks get and give aliases, see HookRun), so it may free them.

    private Tensor Forward(Tensor tokens_BT, HookRun? run)
    {
        long b = tokens_BT.size(0), t = tokens_BT.size(1), d = Config.NEmbd;
        Tensor resid_BTD;
        using (NewDisposeScope())
        {
            var tok_BTD = wte.call(tokens_BT);
            if (Hook(run, HookSite.Embed, -1, ref tok_BTD)) return run!.Result!;
            var pos_TD = wpe.weight!.narrow(0, 0, t);                      // positions 0..T-1: the first T rows
            if (run is null) resid_BTD = ToPass(tok_BTD + pos_TD);
            else
            {
                var pos_BTD = pos_TD.unsqueeze(0).expand(b, t, d);       // a view, as TransformerLens shows it
                if (Hook(run, HookSite.PosEmbed, -1, ref pos_BTD)) return run.Result!;
                resid_BTD = ToPass(tok_BTD + pos_BTD);
            }
        }
        var future_TT = ones(new[] { t, t }, @bool, tokens_BT.device).triu(1);   // true where a key lies after its query

        for (var l = 0; l < Config.NLayer; l++)
        {
            var block = h[l];
            using var blockScope = NewDisposeScope();
            var x_BTD = resid_BTD;
            if (Hook(run, HookSite.ResidPre, l, ref x_BTD)) return run!.Result!;
            var attn_BTD = CausalSelfAttention(block.attn, block.ln_1.forward(x_BTD), future_TT, l, run);
            if (run is { Done: true }) return run.Result!;
            if (Hook(run, HookSite.AttnOut, l, ref attn_BTD)) return run!.Result!;
            x_BTD = x_BTD + attn_BTD;
            if (Hook(run, HookSite.ResidMid, l, ref x_BTD)) return run!.Result!;
            var mlp_BTD = Mlp(block.mlp, block.ln_2.forward(x_BTD), l, run);
            if (run is { Done: true }) return run.Result!;
            if (Hook(run, HookSite.MlpOut, l, ref mlp_BTD)) return run!.Result!;
            x_BTD = x_BTD + mlp_BTD;
            if (Hook(run, HookSite.ResidPost, l, ref x_BTD)) return run!.Result!;
            resid_BTD.Dispose();                                          // this block's input: our handle, no longer needed
            resid_BTD = ToPass(x_BTD);
        }
        return F.linear(ln_f.forward(resid_BTD), wte.weight!);              // tied unembedding: [B, T, V]
    }

    /// <summary>A handle on <paramref name="x"/> owned by the pass's scope (one level up from the embedding or block scope).</summary>
    private static Tensor ToPass(Tensor x) => x.alias().MoveToOuterDisposeScope();

    /// <summary>
    /// Causal multi-head self-attention: q, k, v = split(c_attn(x)); per head softmax(q k^T / sqrt(d_head), keys after
    /// the query masked to -inf) @ v; heads concatenated; c_proj. Returns [B, T, D] (or, when the run stopped at a hook
    /// inside, that activation, with <see cref="HookRun.Done"/> set and the result in <see cref="HookRun.Result"/>).
    /// </summary>
    private Tensor CausalSelfAttention(Gpt2Attention attn, Tensor x_BTD, Tensor future_TT, int l, HookRun? run)
    {
        long b = x_BTD.size(0), t = x_BTD.size(1), d = Config.NEmbd, nh = Config.NHead, dh = Config.DHead;
        var qkv = attn.c_attn.forward(x_BTD).split(d, 2);                    // 3 x [B, T, D]
        var q_BTHDh = qkv[0].view(b, t, nh, dh);
        if (Hook(run, HookSite.AttnQ, l, ref q_BTHDh)) return q_BTHDh;
        var k_BTHDh = qkv[1].view(b, t, nh, dh);
        if (Hook(run, HookSite.AttnK, l, ref k_BTHDh)) return k_BTHDh;
        var v_BTHDh = qkv[2].view(b, t, nh, dh);
        if (Hook(run, HookSite.AttnV, l, ref v_BTHDh)) return v_BTHDh;
        var q_BHTDh = q_BTHDh.transpose(1, 2);
        var k_BHTDh = k_BTHDh.transpose(1, 2);
        var v_BHTDh = v_BTHDh.transpose(1, 2);

        var scores_BHTT = q_BHTDh.matmul(k_BHTDh.transpose(2, 3)) * (1.0 / Math.Sqrt(dh));
        scores_BHTT.masked_fill_(future_TT, double.NegativeInfinity);
        var pattern_BHTT = scores_BHTT.softmax(-1);
        if (Hook(run, HookSite.AttnPattern, l, ref pattern_BHTT)) return pattern_BHTT;
        var z_BTHDh = pattern_BHTT.matmul(v_BHTDh).transpose(1, 2);         // per-head outputs, TransformerLens's layout
        if (Hook(run, HookSite.AttnZ, l, ref z_BTHDh)) return z_BTHDh;
        return attn.c_proj.forward(z_BTHDh.reshape(b, t, d));               // heads concatenated, then projected
    }

    /// <summary>The MLP: c_proj(GELU_tanh(c_fc(x))), [B, T, D] -&gt; [B, T, d_mlp] -&gt; [B, T, D].</summary>
    private static Tensor Mlp(Gpt2Mlp mlp, Tensor x_BTD, int l, HookRun? run)
    {
        var pre_BTM = mlp.c_fc.forward(x_BTD);
        if (Hook(run, HookSite.MlpPre, l, ref pre_BTM)) return pre_BTM;
        var post_BTM = F.gelu(pre_BTM, GELU.Approximate.tanh);
        if (Hook(run, HookSite.MlpPost, l, ref post_BTM)) return post_BTM;
        return mlp.c_proj.forward(post_BTM);
    }

    /// <summary>Applies the run's hooks at a point; true when the run stops here (the activation is then its result).</summary>
    private static bool Hook(HookRun? run, HookSite site, int layer, ref Tensor x) => run is not null && run.Apply(site, layer, ref x);

    /// <summary>The hooks, the stop point and the cache of one pass, indexed by <see cref="HookPoint.Index"/>.</summary>
    private sealed class HookRun
    {
        private readonly Gpt2Config _config;
        private readonly List<Func<Tensor, Tensor?>>?[] _hooks;
        private readonly bool[]? _cached;
        private readonly int _stop = -1;

        public HookRun(Gpt2Config config, Hooks? hooks, HookPoint? stopAt, (List<HookPoint> points, Dictionary<string, Tensor> into)? cache)
        {
            _config = config;
            var count = HookPoint.Count(config.NLayer);
            _hooks = new List<Func<Tensor, Tensor?>>?[count];
            if (stopAt is { } s)
            {
                if (s.Layer >= config.NLayer) throw new ArgumentException($"stopAt '{s.Name}': this model has {config.NLayer} block(s). {HookPoint.ValidNames(config.NLayer)}", nameof(stopAt));
                _stop = s.Index;
            }
            foreach (var (point, fn) in hooks ?? new Hooks())
            {
                if (point.Layer >= config.NLayer)
                    throw new ArgumentException($"hook '{point.Name}': layer {point.Layer} does not exist; this model has {config.NLayer} block(s). {HookPoint.ValidNames(config.NLayer)}", nameof(hooks));
                if (_stop >= 0 && point.Index > _stop)
                    throw new ArgumentException($"hook '{point.Name}' comes after the stop point '{stopAt}' and would never run", nameof(hooks));
                (_hooks[point.Index] ??= new()).Add(fn);
            }
            if (cache is { } c)
            {
                _cached = new bool[count];
                foreach (var p in c.points) _cached[p.Index] = true;
                Cache = c.into;
            }
        }

        public Dictionary<string, Tensor>? Cache { get; }
        public bool Done { get; private set; }
        public Tensor? Result { get; private set; }

        /// <summary>
        /// Runs the hooks at a point on <paramref name="x"/>, caches it, and says whether the pass stops here. Called one
        /// dispose scope below the pass's (inside the embedding or block scope). Hooks, the cache and the result get
        /// aliases owned by the pass's scope (a hook that keeps one moves it on to its caller's scope with
        /// <see cref="Tensor.MoveToOuterDisposeScope"/>); a replacement is adopted as an alias of our own, so the
        /// forward never frees a tensor it did not make.
        /// </summary>
        public bool Apply(HookSite site, int layer, ref Tensor x)
        {
            var point = new HookPoint(site, layer);
            var i = point.Index;
            if (_hooks[i] is { } fns)
            {
                foreach (var fn in fns)
                {
                    var replacement = fn(ToPass(x));
                    if (replacement is null) continue;
                    if (!SameShape(replacement, x))
                        throw new InvalidOperationException($"the hook at '{point.Name}' returned a tensor of shape {replacement.ShapeString}; " +
                            $"a replacement must have the activation's shape {x.ShapeString} (or return null to leave it)");
                    x = replacement.alias();
                }
            }
            if (_cached is not null && _cached[i]) Cache![point.Name] = ToPass(x);
            if (i != _stop) return false;
            Done = true;
            Result = ToPass(x);
            return true;
        }

        private static bool SameShape(Tensor a, Tensor b)
        {
            if (a.dim() != b.dim()) return false;
            for (var i = 0; i < a.dim(); i++)
                if (a.size(i) != b.size(i)) return false;
            return true;
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"HookRun({_config}, stop {_stop})");
    }
}

/// <summary>One pre-LayerNorm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)) (GPT-2 §2.3).</summary>
public sealed class Gpt2Block : nn.Module
{
    internal Gpt2Block(long d, long dMlp, double eps) : base(nameof(Gpt2Block))
    {
        ln_1 = this.Submodule("ln_1", nn.LayerNorm(new[] { d }, eps));
        attn = this.Submodule("attn", new Gpt2Attention(d));
        ln_2 = this.Submodule("ln_2", nn.LayerNorm(new[] { d }, eps));
        mlp = this.Submodule("mlp", new Gpt2Mlp(d, dMlp));
    }

    public LayerNorm ln_1 { get; }
    public Gpt2Attention attn { get; }
    public LayerNorm ln_2 { get; }
    public Gpt2Mlp mlp { get; }
}

/// <summary>The attention's parameters: c_attn (D -&gt; 3D: queries, keys, values of every head) and c_proj (D -&gt; D).</summary>
public sealed class Gpt2Attention : nn.Module
{
    internal Gpt2Attention(long d) : base(nameof(Gpt2Attention))
    {
        c_attn = this.Submodule("c_attn", nn.Linear(d, 3 * d));
        c_proj = this.Submodule("c_proj", nn.Linear(d, d));
    }

    public Linear c_attn { get; }
    public Linear c_proj { get; }
}

/// <summary>The MLP's parameters: c_fc (D -&gt; d_mlp) and c_proj (d_mlp -&gt; D).</summary>
public sealed class Gpt2Mlp : nn.Module
{
    internal Gpt2Mlp(long d, long dMlp) : base(nameof(Gpt2Mlp))
    {
        c_fc = this.Submodule("c_fc", nn.Linear(d, dMlp));
        c_proj = this.Submodule("c_proj", nn.Linear(dMlp, d));
    }

    public Linear c_fc { get; }
    public Linear c_proj { get; }
}

/// <summary>The blocks as a list module: state-dict names h.0, h.1, ... as Hugging Face's.</summary>
public sealed class Gpt2Blocks : nn.Module
{
    private readonly List<Gpt2Block> _blocks = new();

    internal Gpt2Blocks(IEnumerable<Gpt2Block> blocks) : base(nameof(Gpt2Blocks))
    {
        foreach (var b in blocks) _blocks.Add(this.Submodule(_blocks.Count.ToString(CultureInfo.InvariantCulture), b));
    }

    public Gpt2Block this[int layer] => _blocks[layer];
    public int Count => _blocks.Count;
}
