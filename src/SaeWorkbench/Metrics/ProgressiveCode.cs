using SaeWorkbench.Activations;
using SaeWorkbench.Saes;
using static TorchSharp.torch;

namespace SaeWorkbench.Metrics;

/// <summary>One point of a progressive-code sweep: an activation swapped in at test time and where it lands in the
/// L0-MSE plane.</summary>
public sealed record ProgressivePoint
{
    /// <summary>The activation's spec ("topk:16", "jumprelu:0.1", ...), or "native" for the SAE's own.</summary>
    public required string Activation { get; init; }

    /// <summary>k' for TopK and BatchTopK, theta for JumpReLU, NaN otherwise.</summary>
    public required double Parameter { get; init; }

    /// <summary>Mean number of nonzero latents per token.</summary>
    public required double L0 { get; init; }

    /// <summary>mean_t ||x_t - x_hat_t||^2 in the SAE's normalised space.</summary>
    public required double Mse { get; init; }

    /// <summary>MSE / mse(mean(x), x) of the evaluated tokens (the fraction of variance unexplained).</summary>
    public required double NormalizedMse { get; init; }
}

/// <summary>A progressive-code sweep (<see cref="ProgressiveCode"/>).</summary>
public sealed record ProgressiveCodeResult
{
    /// <summary>The swept activations, in the order given.</summary>
    public required IReadOnlyList<ProgressivePoint> Points { get; init; }

    /// <summary>The SAE with its own activation (eval mode), for reference.</summary>
    public required ProgressivePoint Native { get; init; }

    public required long Tokens { get; init; }
}

/// <summary>
/// Progressive codes (Gao et al. 2024, §5.3, progressive recovery): keep
/// every trained weight and bias of an SAE and replace only its activation, sweeping k' of TopK(k') or a single JumpReLU
/// threshold theta, and place each in the L0-MSE plane. A code is progressive when the MSE keeps falling as k' grows
/// (theta falls): plain TopK only up to its training k, Multi-TopK for every k'. One pass over the data evaluates every
/// point (the pre-activations are computed once per batch and shared).
/// </summary>
public static class ProgressiveCode
{
    /// <summary>The L0-MSE point of each activation in <paramref name="activations"/> on the rows of <paramref name="x_TD"/>.</summary>
    public static ProgressiveCodeResult Sweep(SparseAutoencoder sae, Tensor x_TD, IEnumerable<Activation> activations, long batchSize = 4096)
    {
        var run = new SweepRun(sae, activations);
        EvaluationBatches.ForEach(x_TD, batchSize, sae, run.Add);
        return run.Result();
    }

    /// <summary>The same on the next <paramref name="tokens"/> activations of <paramref name="source"/> (which advances).</summary>
    public static ProgressiveCodeResult Sweep(SparseAutoencoder sae, IActivationSource source, long tokens, IEnumerable<Activation> activations, long batchSize = 4096)
    {
        var run = new SweepRun(sae, activations);
        EvaluationBatches.ForEach(source, tokens, batchSize, sae, run.Add);
        return run.Result();
    }

    /// <summary>TopK(k') for each k' in <paramref name="ks"/>.</summary>
    public static ProgressiveCodeResult SweepTopK(SparseAutoencoder sae, Tensor x_TD, IEnumerable<long> ks, long batchSize = 4096) =>
        Sweep(sae, x_TD, ks.Select(k => (Activation)new TopKActivation(k)), batchSize);

    /// <summary>JumpReLU(theta), one threshold for every latent, for each theta in <paramref name="thresholds"/>.</summary>
    public static ProgressiveCodeResult SweepJumpRelu(SparseAutoencoder sae, Tensor x_TD, IEnumerable<double> thresholds, long batchSize = 4096) =>
        Sweep(sae, x_TD, thresholds.Select(t => (Activation)new JumpReluActivation(t)), batchSize);

    private sealed class SweepRun
    {
        private readonly SparseAutoencoder _sae;
        private readonly Activation[] _activations;
        private readonly ReconstructionAccumulator[] _accumulators;
        private readonly ReconstructionAccumulator _native;

        public SweepRun(SparseAutoencoder sae, IEnumerable<Activation> activations)
        {
            ArgumentNullException.ThrowIfNull(sae);
            ArgumentNullException.ThrowIfNull(activations);
            _sae = sae;
            _activations = activations.ToArray();
            if (_activations.Length == 0) throw new ArgumentException("no activations to sweep", nameof(activations));
            _accumulators = _activations.Select(_ => new ReconstructionAccumulator(sae.NumLatents)).ToArray();
            _native = new ReconstructionAccumulator(sae.NumLatents);
        }

        public void Add(Tensor x_BD)
        {
            _native.Update(_sae.Forward(x_BD));
            var (xn, _) = _sae.Normalize(x_BD.to(_sae.Config.DType));
            var (pre, magnitude) = _sae.PreActivations(xn);
            for (var i = 0; i < _activations.Length; i++)
            {
                using var scope = NewDisposeScope();
                var z = _activations[i].Apply(pre, magnitude);
                _accumulators[i].Update(xn, _sae.Decode(z), z);
            }
        }

        public ProgressiveCodeResult Result()
        {
            try
            {
                var points = _activations.Select((a, i) => Point(a.Spec, Parameter(a), _accumulators[i].Result())).ToList();
                var native = _native.Result();
                return new ProgressiveCodeResult { Points = points, Native = Point("native", double.NaN, native), Tokens = native.Tokens };
            }
            finally
            {
                foreach (var acc in _accumulators) acc.Dispose();
                _native.Dispose();
            }
        }

        private static double Parameter(Activation a) => a switch
        {
            TopKActivation t => t.K,
            BatchTopKActivation t => t.K,
            JumpReluActivation j => j.Threshold,
            _ => double.NaN,
        };

        private static ProgressivePoint Point(string spec, double parameter, ReconstructionResult r) => new()
        {
            Activation = spec,
            Parameter = parameter,
            L0 = r.L0,
            Mse = r.Mse,
            NormalizedMse = r.FractionOfVarianceUnexplained,
        };
    }
}
