using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Metrics;

/// <summary>
/// The least-squares scale of explanation reconstruction (Gao et al. 2024, §4.4): each
/// latent a is replaced by its simulation s (e.g. <see cref="N2g.N2gSimulation"/>) times c = E[s a] / E[s^2], the c that
/// minimises E[(c s - a)^2], fitted on training tokens. A latent whose simulation is zero on every token gets c = 0
/// (its replacement is zero whatever c is). Sums are accumulated in float64 over batches (<see cref="Add"/>), so the
/// fit streams over any number of tokens.
/// </summary>
public sealed class ExplanationScale : IDisposable
{
    private readonly Tensor _sa_L;
    private readonly Tensor _ss_L;

    /// <param name="numLatents">L, the latents fitted together (the last dimension of every batch), >= 1.</param>
    public ExplanationScale(long numLatents)
    {
        if (numLatents < 1) throw new ArgumentOutOfRangeException(nameof(numLatents), numLatents, "numLatents must be >= 1");
        NumLatents = numLatents;
        _sa_L = zeros([numLatents], float64).DetachFromDisposeScope();
        _ss_L = zeros([numLatents], float64).DetachFromDisposeScope();
    }

    public long NumLatents { get; }

    /// <summary>Tokens added so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>Adds a batch: simulated and actual activations of the same shape [..., L].</summary>
    public void Add(Tensor simulated, Tensor actual)
    {
        if (!simulated.shape.SequenceEqual(actual.shape))
            throw new ArgumentException($"simulated {simulated.ShapeString} and actual {actual.ShapeString} activations must have the same shape");
        if (simulated.dim() < 1 || simulated.size(-1) != NumLatents)
            throw new ArgumentException($"the last dimension must be the {NumLatents} latents, got {simulated.ShapeString}", nameof(simulated));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = simulated.to(float64).reshape(-1, NumLatents);
        var a = actual.to(float64).reshape(-1, NumLatents);
        _sa_L.add_(s.mul(a).sum(0L));
        _ss_L.add_(s.mul(s).sum(0L));
        Tokens += s.size(0);
    }

    /// <summary>c per latent, float32 [L]: E[s a] / E[s^2], 0 where E[s^2] = 0.</summary>
    public Tensor Scale_L()
    {
        using var scope = NewDisposeScope();
        var safe = _ss_L.masked_fill(_ss_L.eq(0), 1.0);
        return _sa_L.div(safe).masked_fill(_ss_L.eq(0), 0.0).to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>c per latent, float32 [L], from the sums of s a and s^2 over the same tokens (0 where the sum of s^2 is 0).</summary>
    public static Tensor FromSums(IReadOnlyList<double> sumSimulatedTimesActual, IReadOnlyList<double> sumSimulatedSquared)
    {
        if (sumSimulatedTimesActual.Count != sumSimulatedSquared.Count)
            throw new ArgumentException("one sum of each kind per latent", nameof(sumSimulatedSquared));
        return tensor(sumSimulatedTimesActual.Select((sa, l) => sumSimulatedSquared[l] == 0 ? 0f : (float)(sa / sumSimulatedSquared[l])).ToArray());
    }

    /// <summary>The scale from one batch [..., L] (<see cref="Add"/> then <see cref="Scale_L"/>).</summary>
    public static Tensor Fit(Tensor simulated, Tensor actual)
    {
        using var fit = new ExplanationScale(simulated.dim() >= 1 ? simulated.size(-1) : 0);
        fit.Add(simulated, actual);
        return fit.Scale_L();
    }

    public void Dispose()
    {
        _sa_L.Dispose();
        _ss_L.Dispose();
    }
}
