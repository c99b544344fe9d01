using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>Each decoder direction's maximum cosine similarity to any other, beside the same for random directions
/// (<see cref="Geometry.DecoderMaxCosineSimilarity"/>): the data of a histogram.</summary>
public sealed record MaxCosineSimilarityResult
{
    /// <summary>For each latent i, max over j != i of cos(d_i, d_j): [N].</summary>
    public required double[] Decoder { get; init; }

    /// <summary>The same for N Gaussian random directions in the same dimension (the baseline): [N].</summary>
    public required double[] Random { get; init; }

    /// <summary>Seed of the random directions.</summary>
    public required ulong Seed { get; init; }

    public double DecoderMean => Decoder.Average();

    public double RandomMean => Random.Average();
}

/// <summary>Per-head attribution of latents' pre-activations for an SAE on concatenated attention-head outputs
/// (<see cref="Geometry.HeadAttribution"/>). B tokens, L chosen latents, H heads.</summary>
public sealed record HeadAttributionResult
{
    /// <summary>The latents attributed (L).</summary>
    public required long[] Latents { get; init; }

    public required int NumHeads { get; init; }

    /// <summary>Head h's share of latent l's pre-activation on token b: [B, L, H].</summary>
    public required double[,,] PerHead { get; init; }

    /// <summary>The encoder bias of each latent (the part no head owns): [L].</summary>
    public required double[] Bias { get; init; }

    /// <summary>The pre-activation, sum over heads of <see cref="PerHead"/> plus <see cref="Bias"/>: [B, L].</summary>
    public required double[,] PreActivation { get; init; }

    /// <summary>Latent <paramref name="l"/>'s (index into <see cref="Latents"/>) attributions as rows of tokens, one column
    /// per head: a heatmap's z.</summary>
    public double[][] ForLatent(int l) =>
        Enumerable.Range(0, PerHead.GetLength(0)).Select(b => Enumerable.Range(0, NumHeads).Select(h => PerHead[b, l, h]).ToArray()).ToArray();
}

/// <summary>
/// The geometry of SAE decoder directions:
/// <list type="bullet">
/// <item>Maximum cosine similarity of each decoder direction to any other, against random directions of the same shape
///   (a check from public discussion of SAEs, not from the papers: real SAE latents are far less orthogonal than random ones).</item>
/// <item>MMCS, the mean over ground-truth directions of the best cosine similarity to any decoder direction (Sharkey et
///   al. 2022; the superposition toy's recovery score, <see cref="Toys.SuperpositionData"/>).</item>
/// <item>Per-head attribution for SAEs on concatenated attention outputs (not from the papers: a linear identity): a latent's pre-activation
///   W_enc[l] . (x - b_pre) + b_enc[l] splits exactly into one dot product per head's slice plus the bias; the activation
///   function then makes the activation itself non-additive.</item>
/// </list>
/// Decoder directions are the rows of <see cref="SparseAutoencoder.W_dec_ND"/> ([N, D], one per latent).
/// </summary>
public static class Geometry
{
    /// <summary>For each row i of <paramref name="directions_ND"/>, max over j != i of cos(row i, row j): [N]. Computed
    /// <paramref name="chunkRows"/> rows at a time ([chunk, N] cosines in memory), so N = 32768 needs no [N, N] matrix.
    /// <paramref name="dtype"/>: the GEMM precision (float32 by default: cosines to about 1e-6). A zero row has cosine 0.
    /// Cost: the N x N x D GEMM, 2 N^2 D flops (1.65 TFLOP for N = 32768, D = 768: measured 29 s per call on the 2-core
    /// machine kind under load, against a floor of about 9 s at its 180 GFLOP/s).</summary>
    public static double[] MaxCosineSimilarity(Tensor directions_ND, long chunkRows = 1024, ScalarType dtype = ScalarType.Float32)
    {
        if (directions_ND.dim() != 2 || directions_ND.size(0) < 2)
            throw new ArgumentException($"directions_ND must be an [N, D] matrix with N >= 2, got {directions_ND.ShapeString}", nameof(directions_ND));
        ConfigCheck.Positive(chunkRows, nameof(Geometry), nameof(chunkRows));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var n = directions_ND.size(0);
        var d = directions_ND.detach().to(dtype);
        var unit = d / d.norm(1, keepdim: true).clamp_min(1e-30);
        var unitT = unit.t();
        var result = new double[n];
        for (long r0 = 0; r0 < n; r0 += chunkRows)
        {
            using var chunkScope = NewDisposeScope();
            var c = Math.Min(chunkRows, n - r0);
            var cos = unit.narrow(0, r0, c).mm(unitT);                          // [c, N]
            var rows = arange(0, c, 1, int64);
            cos.index_put_(full(new[] { c }, double.NegativeInfinity, dtype), new[] { rows, rows + r0 });   // not itself
            cos.max(1).values.to(float64).ToArray<double>().CopyTo(result, r0);
        }
        return result;
    }

    /// <summary>The maximum cosine similarity of each decoder direction (rows of <paramref name="W_dec_ND"/>) to any other,
    /// and the same for N Gaussian random directions in D dimensions drawn with <paramref name="seed"/>.</summary>
    public static MaxCosineSimilarityResult DecoderMaxCosineSimilarity(Tensor W_dec_ND, ulong seed = 0, long chunkRows = 1024)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(seed);
        var random = randn(W_dec_ND.shape, float32, generator: gen);
        return new MaxCosineSimilarityResult
        {
            Decoder = MaxCosineSimilarity(W_dec_ND, chunkRows),
            Random = MaxCosineSimilarity(random, chunkRows),
            Seed = seed,
        };
    }

    /// <summary>
    /// MMCS: the mean over true directions of the best cosine similarity to any decoder direction (Sharkey et al. 2022).
    /// <paramref name="decoder_ND"/> [N, D] one direction per latent; <paramref name="truth_FD"/> [F, D].
    /// </summary>
    public static double Mmcs(Tensor decoder_ND, Tensor truth_FD)
    {
        using var scope = NewDisposeScope();
        var (_, cosine) = BestMatches(decoder_ND, truth_FD);
        return cosine.mean().ToDouble();
    }

    /// <summary>For each true direction, the decoder direction with the highest cosine similarity and that similarity:
    /// ([F] int64, [F] float64). Computed in float64, 1024 true directions at a time.</summary>
    public static (Tensor latent_F, Tensor cosine_F) BestMatches(Tensor decoder_ND, Tensor truth_FD)
    {
        if (decoder_ND.dim() != 2 || truth_FD.dim() != 2 || decoder_ND.size(1) != truth_FD.size(1))
            throw new ArgumentException($"decoder_ND [N, D] and truth_FD [F, D] must share D, got {decoder_ND.ShapeString} and {truth_FD.ShapeString}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var d = decoder_ND.detach().to(float64);
        var dUnitT = (d / d.norm(1, keepdim: true).clamp_min(1e-30)).t();
        var t = truth_FD.detach().to(float64);
        var tUnit = t / t.norm(1, keepdim: true).clamp_min(1e-30);
        var latents = new List<Tensor>();
        var cosines = new List<Tensor>();
        for (long f0 = 0; f0 < t.size(0); f0 += 1024)
        {
            var (v, i) = tUnit.narrow(0, f0, Math.Min(1024, t.size(0) - f0)).mm(dUnitT).max(1L);   // [f] over N
            latents.Add(i);
            cosines.Add(v);
        }
        return (cat(latents).MoveToOuterDisposeScope(), cat(cosines).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Per-head attribution of latents' pre-activations for an SAE trained on concatenated attention-head outputs
    /// (TransformerLens hook_z [batch, pos, n_head, d_head] flattened to [tokens, n_head * d_head], head-major).
    /// With x_c the encoder's input (the normalised input minus b_pre when the SAE subtracts it),
    /// pre[b, l] = sum_h W_enc[l, head h's slice] . x_c[b, head h's slice] + b_enc[l], each term computed in float64.
    /// The sum is exact (up to rounding), so heads are credited exactly for the pre-activation (not for the activation,
    /// which the activation function makes non-additive). For per-token normalisations (which mix all heads) the slices are
    /// those of the normalised input. The bias is read as the pre-activation of the input whose x_c is 0. Gated SAEs:
    /// the gate pre-activation pi_gate.
    /// </summary>
    /// <param name="sae">An SAE whose d_in is n_head * d_head.</param>
    /// <param name="z_BF">Raw inputs [B, n_head * d_head].</param>
    /// <param name="numHeads">n_head (dividing d_in).</param>
    /// <param name="latents">The latents to attribute.</param>
    public static HeadAttributionResult HeadAttribution(SparseAutoencoder sae, Tensor z_BF, int numHeads, IReadOnlyList<long> latents)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(latents);
        var f = sae.DIn;
        ConfigCheck.Require(numHeads >= 1 && f % numHeads == 0, nameof(Geometry), nameof(numHeads), numHeads, $">= 1 and dividing d_in = {f}");
        if (z_BF.dim() != 2 || z_BF.size(1) != f)
            throw new ArgumentException($"z_BF must be [tokens, n_head * d_head = {f}] (flatten hook_z's [batch, pos, n_head, d_head]), got {z_BF.ShapeString}", nameof(z_BF));
        foreach (var l in latents)
            ConfigCheck.Require(l >= 0 && l < sae.NumLatents, nameof(Geometry), nameof(latents), l, $"in [0, {sae.NumLatents})");
        var dHead = f / numHeads;
        var (b, nl) = (z_BF.size(0), latents.Count);
        var perHead = new double[b, nl, numHeads];
        var bias = new double[nl];
        var pre = new double[b, nl];
        using var scope = NewDisposeScope();
        EvaluationBatches.Run(sae, () =>
        {
            var idx = tensor(latents.ToArray()).to(sae.W_enc_ND.device);
            var (xn, _) = sae.Normalize(z_BF.to(sae.Config.DType, sae.W_enc_ND.device));
            var bDec = sae.b_dec_D.detach();
            var xc = (sae.Config.ApplyDecoderBiasToInput ? xn.to(float64) - bDec.to(float64) : xn.to(float64)).view(b, numHeads, dHead);
            var w = sae.W_enc_ND.detach().index_select(0, idx).to(float64).view(nl, numHeads, dHead);
            var contrib = einsum("bhe,lhe->blh", xc, w);                                        // [B, L, H]
            var origin = (sae.Config.ApplyDecoderBiasToInput ? bDec : zeros_like(bDec)).unsqueeze(0);
            var biasL = sae.PreActivations(origin).pre_BN.index_select(1, idx).to(float64).reshape(nl);
            var total = contrib.sum(2) + biasL;
            Copy(contrib.cpu().ToArray<double>(), perHead);
            biasL.cpu().ToArray<double>().CopyTo(bias, 0);
            Copy(total.cpu().ToArray<double>(), pre);
        });
        return new HeadAttributionResult { Latents = latents.ToArray(), NumHeads = numHeads, PerHead = perHead, Bias = bias, PreActivation = pre };
    }

    private static void Copy(double[] flat, Array target) => Buffer.BlockCopy(flat, 0, target, 0, flat.Length * sizeof(double));
}
