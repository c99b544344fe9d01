using SaeWorkbench.Saes;
using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>Settings of the refinement solver (<see cref="Refinement"/>).</summary>
public sealed record RefinementOptions
{
    /// <summary>Cap on projected-gradient iterations per batch, in [1, 1000000].</summary>
    public int MaxIterations { get; init; } = 5000;

    /// <summary>Stop when, on every token, every component of the projected gradient of (1/2)||x - x_hat||^2 with respect
    /// to the values (zero where a value sits at its bound 0 and the gradient pushes it below) is below this in absolute
    /// value, in the units of the SAE's normalised input; > 0.</summary>
    public double Tolerance { get; init; } = 1e-9;

    /// <summary>Tokens refined at once, >= 1 (memory: batch x support size x d_in float64 for the gathered decoder rows).</summary>
    public long BatchSize { get; init; } = 256;

    public void Validate()
    {
        const string owner = nameof(RefinementOptions);
        ConfigCheck.Require(MaxIterations >= 1 && MaxIterations <= 1_000_000, owner, nameof(MaxIterations), MaxIterations, "in [1, 1000000]");
        ConfigCheck.Positive(Tolerance, owner, nameof(Tolerance));
        ConfigCheck.Positive(BatchSize, owner, nameof(BatchSize));
    }
}

/// <summary>Refinement of an encoder's values on its own support (<see cref="Refinement"/>).</summary>
public sealed record RefinementResult
{
    public required long Tokens { get; init; }

    /// <summary>Nonzero latent values refined (the total support size).</summary>
    public required long SupportEntries { get; init; }

    /// <summary>mean_t ||x_t - x_hat_t||^2 with the encoder's values.</summary>
    public required double OriginalMse { get; init; }

    /// <summary>The same after refining the values on the encoder's support.</summary>
    public required double RefinedMse { get; init; }

    /// <summary><see cref="OriginalMse"/> - <see cref="RefinedMse"/>: what the encoder leaves on the table (>= 0).</summary>
    public double MseGain => OriginalMse - RefinedMse;

    /// <summary><see cref="MseGain"/> / <see cref="OriginalMse"/>.</summary>
    public double RelativeMseGain => OriginalMse > 0 ? MseGain / OriginalMse : 0;

    /// <summary>sum(refined values) / sum(encoder values) over the support: above 1, the encoder shrinks its activations.</summary>
    public required double MagnitudeRatio { get; init; }

    /// <summary>The most iterations any batch needed.</summary>
    public required int Iterations { get; init; }

    /// <summary>The largest projected-gradient component left on any token (below the tolerance when converged).</summary>
    public required double MaxProjectedGradient { get; init; }

    public required bool Converged { get; init; }
}

/// <summary>
/// Refinement, the TopK paper's measure of activation shrinkage (Gao et al. 2024, §5.1): keep the support the encoder chose
/// (the latents with a positive value), re-fit only those values to minimise ||x - b_dec - sum_i v_i d_i||^2 subject to
/// v >= 0, and compare with the encoder's values. A refined/original magnitude ratio above 1 means the encoder shrinks
/// (ReLU + L1 does; TopK barely), and the MSE gain is what the encoder's values lose against the best values on its own
/// support. Errors are measured in the SAE's normalised input space.
/// <para>Solver: per token a k x k non-negative least-squares problem (k = that token's support size, padded to the
/// batch's largest), min (1/2) v^T G v - c^T v, v >= 0, with G = D_S D_S^T and c = D_S (x - b_dec) from the gathered
/// decoder rows; accelerated projected gradient descent (FISTA with gradient-based restart) from the encoder's values with
/// step 1/L, L = 1.1 times the largest eigenvalue of G found by 50 power iterations; the optimum it converges to is
/// exact NNLS on the support.</para>
/// </summary>
public static class Refinement
{
    /// <summary>Refines the values of <paramref name="sae"/> on the rows of <paramref name="x_TD"/> (raw inputs [T, D]).</summary>
    public static RefinementResult Evaluate(SparseAutoencoder sae, Tensor x_TD, RefinementOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sae);
        options ??= new RefinementOptions();
        options.Validate();
        var acc = new Totals();
        EvaluationBatches.ForEach(x_TD, options.BatchSize, sae, x =>
        {
            var o = sae.Forward(x);
            acc.Add(RefineBatch(o.Input_BD - sae.b_dec_D, o.Latents_BN, sae.W_dec_ND, options));
        });
        return acc.Result();
    }

    /// <summary>Refines given latents: reconstructions latents_BN @ W_dec_ND (+ a bias already subtracted from the target).</summary>
    /// <param name="target_BD">What the latents reconstruct, x - b_dec: [B, D].</param>
    /// <param name="latents_BN">The encoder's latents [B, N]; the support is where they are positive.</param>
    /// <param name="W_dec_ND">Decoder rows [N, D].</param>
    /// <param name="options">Solver settings.</param>
    public static RefinementResult Evaluate(Tensor target_BD, Tensor latents_BN, Tensor W_dec_ND, RefinementOptions? options = null)
    {
        options ??= new RefinementOptions();
        options.Validate();
        if (target_BD.dim() != 2 || latents_BN.dim() != 2 || W_dec_ND.dim() != 2 || latents_BN.size(0) != target_BD.size(0)
            || latents_BN.size(1) != W_dec_ND.size(0) || W_dec_ND.size(1) != target_BD.size(1))
            throw new ArgumentException($"shapes must be target [B, D], latents [B, N], W_dec [N, D]; got {target_BD.ShapeString}, {latents_BN.ShapeString}, {W_dec_ND.ShapeString}");
        var acc = new Totals();
        var b = target_BD.size(0);
        EvaluationBatches.Run(null, () =>
        {
            for (long s = 0; s < b; s += options.BatchSize)
            {
                using var scope = NewDisposeScope();
                var len = Math.Min(options.BatchSize, b - s);
                acc.Add(RefineBatch(target_BD.narrow(0, s, len), latents_BN.narrow(0, s, len), W_dec_ND, options));
            }
        });
        return acc.Result();
    }

    /// <summary>The refined values of one batch as a dense [B, N] float64 matrix (zero off the support).</summary>
    public static Tensor Refine(Tensor target_BD, Tensor latents_BN, Tensor W_dec_ND, RefinementOptions? options = null)
    {
        options ??= new RefinementOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return RefineBatch(target_BD, latents_BN, W_dec_ND, options).Refined_BN.MoveToOuterDisposeScope();
    }

    private sealed record BatchOutcome(Tensor Refined_BN, long Tokens, long Entries, double SseOriginal, double SseRefined,
        double SumOriginal, double SumRefined, int Iterations, double MaxProjectedGradient, bool Converged);

    private sealed class Totals
    {
        private long _tokens, _entries;
        private double _sseO, _sseR, _sumO, _sumR, _maxPg;
        private int _iters;
        private bool _converged = true;

        public void Add(BatchOutcome o)
        {
            (_tokens, _entries) = (_tokens + o.Tokens, _entries + o.Entries);
            (_sseO, _sseR, _sumO, _sumR) = (_sseO + o.SseOriginal, _sseR + o.SseRefined, _sumO + o.SumOriginal, _sumR + o.SumRefined);
            _iters = Math.Max(_iters, o.Iterations);
            _maxPg = Math.Max(_maxPg, o.MaxProjectedGradient);
            _converged &= o.Converged;
        }

        public RefinementResult Result() => new()
        {
            Tokens = _tokens,
            SupportEntries = _entries,
            OriginalMse = _sseO / _tokens,
            RefinedMse = _sseR / _tokens,
            MagnitudeRatio = _sumO > 0 ? _sumR / _sumO : double.NaN,
            Iterations = _iters,
            MaxProjectedGradient = _maxPg,
            Converged = _converged,
        };
    }

    private static BatchOutcome RefineBatch(Tensor target_BD, Tensor latents_BN, Tensor W_dec_ND, RefinementOptions options)
    {
        var t = target_BD.detach().to(float64);
        var z = latents_BN.detach().to(float64);
        var w = W_dec_ND.detach().to(float64, t.device);
        var (b, d) = (t.size(0), t.size(1));
        var support = z.gt(0);
        var k = support.sum(1).max().ToInt64();
        var sseOriginal = (t - z.mm(w)).square().sum().ToDouble();
        if (k == 0)
            return new BatchOutcome(zeros_like(z), b, 0, sseOriginal, sseOriginal, 0, 0, 0, 0, true);

        // Each token's support first (topk of the 0/1 mask), then padding; padded slots are masked out.
        var idx = support.to(float64).topk(checked((int)k)).indexes;                           // [B, K], distinct per row
        var valid = support.gather(1, idx).to(float64);                          // [B, K]
        var v0 = z.gather(1, idx) * valid;
        var rows = w.index_select(0, idx.reshape(-1)).view(b, k, d) * valid.unsqueeze(2);   // [B, K, D]
        var eyeK = eye(k, dtype: float64, device: t.device).unsqueeze(0);
        var gram = rows.bmm(rows.transpose(1, 2)) + eyeK * (1 - valid).unsqueeze(2);       // padded slots: identity rows
        var c = rows.bmm(t.unsqueeze(2)).squeeze(2);                             // [B, K]

        // Step 1/L: L = 1.1 x the largest eigenvalue of each token's G (power iteration from a fixed pseudo-random start).
        using var gen = new Generator(0x5EED);
        var u = rand(new[] { b, k }, float64, generator: gen).to(t.device) + 0.5;
        for (var i = 0; i < 50; i++)
        {
            u = gram.bmm(u.unsqueeze(2)).squeeze(2);
            u /= u.norm(1, keepdim: true).clamp_min(1e-300);
        }
        var lambdaMax = (gram.bmm(u.unsqueeze(2)).squeeze(2) * u).sum(1, keepdim: true);
        var invL = 1.0 / (1.1 * lambdaMax.clamp_min(1e-12));                     // [B, 1]

        Tensor Gradient(Tensor v) => gram.bmm(v.unsqueeze(2)).squeeze(2) - c;
        double ProjectedGradientMax(Tensor v)
        {
            using var s = NewDisposeScope();
            var g = Gradient(v);
            return (g.where(v.gt(0), g.clamp_max(0)) * valid).abs().max().ToDouble();
        }

        var x = v0.clone();
        var y = v0.clone();
        var momentum = ones(new[] { b, 1 }, float64, t.device);
        var iterations = 0;
        var pg = ProjectedGradientMax(x);
        while (pg >= options.Tolerance && iterations < options.MaxIterations)
        {
            using (var s = NewDisposeScope())
            {
                var xNew = (y - Gradient(y) * invL).relu() * valid;
                var restart = ((y - xNew) * (xNew - x)).sum(1, keepdim: true).gt(0);   // O'Donoghue & Candes
                var mNew = ((1 + (1 + 4 * momentum.square()).sqrt()) / 2).where(restart.logical_not(), 1.0);
                var beta = ((momentum - 1) / mNew).where(restart.logical_not(), 0.0);
                var yNew = xNew + beta * (xNew - x);
                foreach (var old in new[] { x, y, momentum }) old.Dispose();
                (x, y, momentum) = (xNew.MoveToOuterDisposeScope(), yNew.MoveToOuterDisposeScope(), mNew.MoveToOuterDisposeScope());
            }
            iterations++;
            if (iterations % 10 == 0 || iterations == options.MaxIterations) pg = ProjectedGradientMax(x);
        }

        var refined = zeros_like(z).scatter(1, idx, x);
        var sseRefined = (t - rows.transpose(1, 2).bmm(x.unsqueeze(2)).squeeze(2)).square().sum().ToDouble();
        return new BatchOutcome(refined, b, (long)valid.sum().ToDouble(), sseOriginal, sseRefined,
            v0.sum().ToDouble(), x.sum().ToDouble(), iterations, pg, pg < options.Tolerance);
    }
}
