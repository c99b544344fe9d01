using TorchSharp;
using SaeWorkbench.Engine;
using static TorchSharp.torch;

namespace SaeWorkbench.Saes;

/// <summary>
/// What every SAE architecture shares (Gao et al. 2024, §2 and Appendix A; Lieberum et al. 2024): the encoder and decoder weights, input
/// normalisation and its undoing, encode/decode, the decoder unit-norm constraint, initialisation
/// (random unit-norm or He-uniform decoder, encoder = decoder transpose, geometric-median b_pre,
/// optional encoder rescaling), and the forward pass with a swappable activation.
/// <para>Layout: W_enc_ND [N, D] and W_dec_ND [N, D] (one row per latent, so the sparse kernels gather and
/// scatter contiguous rows); SAELens stores W_enc transposed, [d_in, d_sae] (see Interchange/SaeLensFormat).
/// b_dec_D is the pre-encoder bias b_pre of the TopK paper.</para>
/// Architectures: <see cref="ReluSae"/>, <see cref="TopKSae"/>, <see cref="BatchTopKSae"/>, <see cref="JumpReluSae"/>,
/// <see cref="GatedSae"/>; by name through <see cref="SaeRegistry"/>.
/// </summary>
public abstract class SparseAutoencoder : nn.Module
{
    protected SparseAutoencoder(SaeConfig config) : base(config?.Architecture ?? nameof(SparseAutoencoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var (d, n) = (config.DIn, config.NumLatents);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var gen = new Generator(config.Init.Seed);
        var dec = InitialDecoder(config, gen);
        var enc = config.Init.EncoderFromDecoderTranspose ? dec.clone() : HeUniform(n, d, config, gen);
        W_enc_ND = this.Parameter("W_enc_ND", enc);
        W_dec_ND = this.Parameter("W_dec_ND", dec);
        b_dec_D = this.Parameter("b_dec_D", zeros(new[] { d }, config.DType, config.Device));
        norm_scale = this.Buffer("norm_scale", ones(Array.Empty<long>(), config.DType, config.Device));
        mse_baseline = this.Buffer("mse_baseline", full(Array.Empty<long>(), double.NaN, config.DType, config.Device));
    }

    /// <summary>The validated configuration.</summary>
    public SaeConfig Config { get; }

    /// <summary>Encoder weights, one row per latent: [N, D]. (Gated: W_gate.)</summary>
    public Tensor W_enc_ND { get; }

    /// <summary>Decoder directions, one row per latent: [N, D].</summary>
    public Tensor W_dec_ND { get; }

    /// <summary>Decoder bias b_dec = the pre-encoder bias b_pre: [D].</summary>
    public Tensor b_dec_D { get; }

    /// <summary>Scalar input scale for <see cref="InputNormalization.UnitMeanSquaredNorm"/> (1 until fitted): [].</summary>
    public Tensor norm_scale { get; }

    /// <summary>The normalized-MSE denominator mse(mean(x), x) fitted once on a sample (NaN until fitted: then each batch's own): [].</summary>
    public Tensor mse_baseline { get; }

    public long DIn => Config.DIn;
    public long NumLatents => Config.NumLatents;

    /// <summary>The sparsity-controlling coefficient (lambda, or k for TopK-style SAEs) for reports.</summary>
    public abstract string SparsityDescription { get; }

    // ---- initialisation ------------------------------------------------------------------------------

    private static Tensor InitialDecoder(SaeConfig c, Generator gen)
    {
        if (c.Init.Decoder == DecoderInit.UnitNormRandom)
        {
            var w = randn(new[] { c.NumLatents, c.DIn }, c.DType, c.Device, generator: gen);
            return w / w.norm(1, keepdim: true);
        }
        var he = HeUniform(c.NumLatents, c.DIn, c, gen);
        return c.Init.NormalizeDecoderRows ? he / he.norm(1, keepdim: true) : he;
    }

    /// <summary>He (Kaiming) uniform for a [rows, fanIn] matrix: U(-sqrt(6 / fanIn), +sqrt(6 / fanIn)).</summary>
    private static Tensor HeUniform(long rows, long fanIn, SaeConfig c, Generator gen)
    {
        var bound = Math.Sqrt(6.0 / fanIn);
        return empty(new[] { rows, fanIn }, c.DType, c.Device).uniform_(-bound, bound, gen);
    }

    /// <summary>
    /// Data-dependent initialisation on a sample of raw inputs [S, D] (TopK paper appendix A; Gemma Scope):
    /// fits the scalar input scale (UnitMeanSquaredNorm), sets b_pre to the geometric median of the normalised
    /// sample (when <see cref="SaeInit.GeometricMedianPreBias"/>), fixes the normalized-MSE denominator, and
    /// optionally rescales the encoder so reconstruction norms match input norms. Call once before training.
    /// </summary>
    public virtual void InitializeFromData(Tensor sample_BD)
    {
        CheckInput(sample_BD, nameof(sample_BD));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = sample_BD.to(Config.DType, Config.Device);
        if (Config.Normalization == InputNormalization.UnitMeanSquaredNorm)
        {
            norm_scale.copy_(InputNormalizer.FitScale(x));
        }
        var (xn, _) = Normalize(x);
        if (Config.Init.GeometricMedianPreBias)
            b_dec_D.copy_(GeometricMedian.Weiszfeld(xn, Config.Init.GeometricMedianIterations));
        mse_baseline.copy_(Losses.MseBaseline(xn));
        InitializeFromNormalizedSample(xn);
        if (Config.Init.RescaleEncoderToMatchNorms)
        {
            // A training-mode forward may update running statistics (BatchTopK's threshold): keep them as they were.
            var saved = named_buffers().Where(b => b.name is not ("norm_scale" or "mse_baseline")).Select(b => (b.buffer, copy: b.buffer.clone())).ToList();
            var output = Forward(x);
            foreach (var (buffer, copy) in saved) buffer.copy_(copy);
            var inputNorm = (EncoderInputFor(xn)).norm(1).mean();
            var reconNorm = (output.Reconstruction_BD - b_dec_D).norm(1).mean();
            if (reconNorm.ToDouble() > 0) ScaleEncoder((inputNorm / reconNorm).ToDouble());
        }
    }

    /// <summary>Architecture-specific data-dependent initialisation on the normalised sample [S, D], after b_pre and before
    /// the encoder rescaling (JumpReLU: thresholds at a target firing rate). Runs under no_grad. Default: nothing.</summary>
    protected virtual void InitializeFromNormalizedSample(Tensor xn_BD) { }

    /// <summary>Multiplies the encoder by <paramref name="factor"/> > 0 (<see cref="SaeInit.RescaleEncoderToMatchNorms"/>).
    /// Architectures whose activation compares pre-activations with a learned threshold scale that along (JumpReLU), so
    /// the same latents fire and the reconstruction scales by the factor. Runs under no_grad.</summary>
    protected virtual void ScaleEncoder(double factor) => W_enc_ND.mul_(factor);

    // ---- normalisation ------------------------------------------------------------------------------------

    /// <summary>Applies the configured input normalisation to x [B, D] (<see cref="InputNormalizer.Apply"/> with this SAE's
    /// fitted scale); returns the normalised input and what undoes it.</summary>
    public (Tensor x_BD, NormalizationState state) Normalize(Tensor x_BD) => InputNormalizer.Apply(Config.Normalization, x_BD, norm_scale);

    // ---- encode / decode --------------------------------------------------------------------------------------

    /// <summary>The encoder's input: x - b_dec when <see cref="SaeConfig.ApplyDecoderBiasToInput"/>, else x (normalised).</summary>
    protected Tensor EncoderInputFor(Tensor xn_BD) => Config.ApplyDecoderBiasToInput ? xn_BD - b_dec_D : xn_BD;

    /// <summary>
    /// Pre-activations of normalised inputs: W_enc (x - b_dec) + b_enc, [B, N], and separate magnitudes where the
    /// architecture has them (Gated: pi_gate and pi_mag). Differentiable.
    /// </summary>
    public abstract (Tensor pre_BN, Tensor? magnitude_BN) PreActivations(Tensor xn_BD);

    /// <summary>The latents [B, N] of raw inputs under the SAE's own inference activation.</summary>
    public abstract Tensor Encode(Tensor x_BD);

    /// <summary>The latents [B, N] of raw inputs under another activation (test-time swap), all weights kept.</summary>
    public Tensor Encode(Tensor x_BD, Activation activation)
    {
        using var scope = NewDisposeScope();
        var (xn, _) = Normalize(x_BD);
        var (pre, mag) = PreActivations(xn);
        return activation.Apply(pre, mag).MoveToOuterDisposeScope();
    }

    /// <summary>W_dec z + b_dec for dense latents [B, N], in the normalised space.</summary>
    public Tensor Decode(Tensor latents_BN) => latents_BN.mm(W_dec_ND).add(b_dec_D);

    /// <summary>Encode then decode raw inputs, returning the reconstruction in the input space (normalisation undone).</summary>
    public Tensor Reconstruct(Tensor x_BD)
    {
        using var scope = NewDisposeScope();
        var (_, state) = Normalize(x_BD);
        return InputNormalizer.Undo(Decode(Encode(x_BD)), state).MoveToOuterDisposeScope();
    }

    // ---- forward ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The full forward pass on raw inputs x [B, D]: normalisation, pre-activations, activation, reconstruction and
    /// every loss term. With <see cref="ForwardOptions.Activation"/> the activation is swapped (test time).
    /// </summary>
    public SaeOutput Forward(Tensor x_BD, ForwardOptions? options = null)
    {
        CheckInput(x_BD, nameof(x_BD));
        options ??= new ForwardOptions();
        ConfigCheck.InRange(options.SparsityScale, 0, 1, nameof(ForwardOptions), nameof(ForwardOptions.SparsityScale));
        if (options.DeadMask_N is { } dead && (dead.dim() != 1 || dead.size(0) != NumLatents || dead.dtype != ScalarType.Bool))
            throw new ArgumentException($"DeadMask_N must be a bool [{NumLatents}] tensor, got {dead.dtype.PyTorchName()} {dead.ShapeString}", nameof(options));
        var (xn, state) = Normalize(x_BD.to(Config.DType));
        if (options.Activation is { } activation)
        {
            var (pre, mag) = PreActivations(xn);
            var latents = activation.Apply(pre, mag);
            var x_hat = Decode(latents);
            var mse = Losses.Mse(x_hat, xn);
            return Assemble(xn, state, pre, x_hat, new() { ["mse"] = mse }, latents: latents, magnitudes: mag);
        }
        return ForwardTraining(xn, state, options);
    }

    /// <summary>The architecture's own forward pass (training losses) on normalised inputs.</summary>
    protected abstract SaeOutput ForwardTraining(Tensor xn_BD, NormalizationState state, ForwardOptions options);

    /// <summary>Builds the output record: the reconstruction in the input space, the diagnostics and the total loss.</summary>
    protected SaeOutput Assemble(Tensor xn, NormalizationState state, Tensor? pre, Tensor x_hat, Dictionary<string, Tensor> losses,
        Tensor? latents = null, SparseCode? code = null, Tensor? codeValues = null, Tensor? magnitudes = null, Func<Tensor>? preFactory = null)
    {
        Tensor total = losses.Values.Aggregate((a, b) => a + b);
        Tensor mse, l0;
        using (no_grad())
        {
            mse = Losses.Mse(x_hat, xn);
            l0 = code is not null
                ? codeValues!.gt(0).sum(type: float32) / code.NumTokens
                : latents!.ne(0).sum(1, type: float32).mean();
        }
        return new SaeOutput
        {
            Input_BD = xn,
            PreActivations_BN = pre!,
            PreActivationsFactory = preFactory,
            Magnitudes_BN = magnitudes,
            Code = code,
            CodeValues_M = codeValues,
            DenseLatents_BN = latents,
            Reconstruction_BD = x_hat,
            ReconstructionInInputSpace_BD = InputNormalizer.Undo(x_hat.detach(), state),
            Losses = losses,
            Loss = total,
            Mse = mse,
            NormalizedMse = mse / Baseline(xn),
            L0 = l0,
        };
    }

    /// <summary>The normalized-MSE denominator: the fitted constant, or (unfitted) this batch's mse(mean(x), x).</summary>
    protected Tensor Baseline(Tensor xn_BD)
    {
        using var noGrad = no_grad();
        return mse_baseline.isnan().ToBoolean() ? Losses.MseBaseline(xn_BD) : mse_baseline;
    }

    // ---- decoder constraint -------------------------------------------------------------------------------------

    /// <summary>L2 norm of each decoder row: [N].</summary>
    public Tensor DecoderNorms_N()
    {
        using var noGrad = no_grad();
        return W_dec_ND.norm(1);
    }

    /// <summary>
    /// Before an optimiser step: remove from each decoder row's gradient its component parallel to the row,
    /// g_n &lt;- g_n - (g_n . d_n / ||d_n||^2) d_n (Gao et al. 2024, Appendix A). No-op without a gradient.
    /// </summary>
    public void RemoveParallelDecoderGradient()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var g = W_dec_ND.grad;
        if (g is null) return;
        DecoderConstraint.RemoveParallelComponent(g, W_dec_ND);
    }

    /// <summary>After an optimiser step: rescale every decoder row to unit L2 norm.</summary>
    public void NormalizeDecoder()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        DecoderConstraint.NormalizeRows(W_dec_ND);
    }

    private void CheckInput(Tensor x, string name)
    {
        if (x.dim() != 2 || x.size(1) != DIn)
            throw new ArgumentException($"{name} must be [B, {DIn}] (d_in = {DIn}), got {x.ShapeString}", name);
    }
}
