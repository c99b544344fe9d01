using SaeWorkbench.Saes;
using SaeWorkbench.Saes.FastTopK;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Training;

/// <summary>Adam's options, validated at construction (Kingma and Ba 2015).</summary>
public sealed record AdamOptions
{
    /// <summary>Learning rate (step size), >= 0.</summary>
    public double lr { get; init; } = 1e-3;
    /// <summary>Decay of the first-moment average, in [0, 1). 0 disables momentum (Gemma Scope uses 0).</summary>
    public double beta1 { get; init; } = 0.9;
    /// <summary>Decay of the second-moment average, in [0, 1).</summary>
    public double beta2 { get; init; } = 0.999;
    /// <summary>Added to the denominator, > 0 (the TopK paper uses 6.25e-10).</summary>
    public double eps { get; init; } = 1e-8;

    internal void Validate()
    {
        if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "Adam lr must be >= 0");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Adam beta1 must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Adam beta2 must be in [0, 1)");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "Adam eps must be > 0");
    }
}

/// <summary>
/// Adam (Kingma and Ba 2015) as SAEs are trained with it (Gao et al. 2024, §2.1 and appendix A), with the decoder's
/// unit-norm constraint applied inside the update: for a parameter marked by <see cref="SetUnitNormRows"/> ([N, D],
/// W_dec), each step removes the gradient's component parallel to each row, updates, and rescales each row to unit
/// norm. On CPU (contiguous float32/float64) each parameter's step is one pass of a managed kernel (FastTopK/FusedAdam,
/// and FastTopK/UnitNormAdam for the constrained rows); elsewhere PyTorch's single-tensor Adam with TorchSharp ops and
/// <see cref="DecoderConstraint"/> around it: the same formula.
/// <para>Why not TorchSharp's <c>optim.Adam</c>: it cannot fuse the constraint into its pass, and its state does not
/// come as named tensors, which the workbench's atomic checkpoints store (<see cref="state_dict"/>).</para>
/// </summary>
public sealed class SaeAdam : IDisposable
{
    private sealed class State
    {
        public long Step;
        public Tensor ExpAvg = null!;
        public Tensor ExpAvgSq = null!;
    }

    private readonly List<Tensor> _parameters;
    private readonly Dictionary<Tensor, State> _state = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Tensor> _unitNormRows = new(ReferenceEqualityComparer.Instance);

    public SaeAdam(IEnumerable<Tensor> parameters, AdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _parameters = parameters.ToList();
        if (_parameters.Count == 0) throw new ArgumentException("the optimiser was given no parameters", nameof(parameters));
        foreach (var p in _parameters)
            if (!p.requires_grad)
                throw new ArgumentException($"a parameter of shape [{string.Join(", ", p.shape)}] does not require grad; an optimiser can only update tensors with requires_grad");
        InitialLearningRate = LearningRate = options.lr;
    }

    public AdamOptions Options { get; }

    /// <summary>The learning rate of the next step (a schedule sets it: <see cref="LrScheduler"/>).</summary>
    public double LearningRate { get; set; }

    /// <summary>The learning rate the optimiser was created with; schedules multiply it.</summary>
    public double InitialLearningRate { get; }

    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>
    /// Keeps the rows of <paramref name="parameter"/> ([N, D], one of this optimiser's parameters) at unit L2 norm. Gradient
    /// clipping, which must see the projected gradient, does not combine with this: project first instead
    /// (<see cref="DecoderConstraint.RemoveParallelComponent"/>).
    /// </summary>
    public void SetUnitNormRows(Tensor parameter)
    {
        if (!_parameters.Any(q => ReferenceEquals(q, parameter)))
            throw new ArgumentException("SetUnitNormRows: the tensor is not one of this optimiser's parameters", nameof(parameter));
        if (parameter.dim() != 2)
            throw new ArgumentException($"SetUnitNormRows: the parameter must be [N, D], got [{string.Join(", ", parameter.shape)}]", nameof(parameter));
        _unitNormRows.Add(parameter);
    }

    /// <summary>Sets every parameter's gradient to none.</summary>
    public void zero_grad()
    {
        foreach (var p in _parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            p.grad = null;
            g.Dispose();
        }
    }

    /// <summary>One Adam step on every parameter that has a gradient.</summary>
    public void step()
    {
        var o = Options;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var p in _parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            if (!_state.TryGetValue(p, out var s))
            {
                s = new State { ExpAvg = zeros_like(p).DetachFromDisposeScope(), ExpAvgSq = zeros_like(p).DetachFromDisposeScope() };
                _state[p] = s;
            }
            s.Step++;
            var rows = _unitNormRows.Contains(p);
            if (TensorKernels.Supports(p, grad, s.ExpAvg, s.ExpAvgSq))
            {
                // One pass per element (per row with the constraint): the same formula as below, in the fixed rounding order
                // of the managed kernel.
                TensorKernels.AdamStep(p, grad, s.ExpAvg, s.ExpAvgSq, new AdamStepSettings(s.Step, LearningRate, o.beta1, o.beta2, o.eps), rows);
                continue;
            }
            var g = rows ? DecoderConstraint.RemoveParallelComponent(grad.clone(), p) : grad;
            // PyTorch's single-tensor Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
            // p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
            s.ExpAvg.lerp_(g, 1 - o.beta1);
            s.ExpAvgSq.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
            var bias1 = 1 - Math.Pow(o.beta1, s.Step);
            var bias2Sqrt = Math.Sqrt(1 - Math.Pow(o.beta2, s.Step));
            var denom = (s.ExpAvgSq.sqrt() / bias2Sqrt).add_(o.eps);
            p.addcdiv_(s.ExpAvg, denom, -LearningRate / bias1);
            if (rows) DecoderConstraint.NormalizeRows(p);
        }
    }

    private IEnumerable<(string prefix, Tensor p)> Indexed() => _parameters.Select((p, i) => ($"group0.param{i}", p));

    /// <summary>Keys: "group0.lr" (float64), "group0.paramI.step" (int64), ".exp_avg", ".exp_avg_sq". Tensors are the live state.</summary>
    public Dictionary<string, Tensor> state_dict()
    {
        var d = new Dictionary<string, Tensor> { ["group0.lr"] = tensor(LearningRate, ScalarType.Float64).DetachFromDisposeScope() };
        foreach (var (prefix, p) in Indexed())
        {
            if (!_state.TryGetValue(p, out var s)) continue;
            d[$"{prefix}.step"] = tensor(s.Step, ScalarType.Int64).DetachFromDisposeScope();
            d[$"{prefix}.exp_avg"] = s.ExpAvg;
            d[$"{prefix}.exp_avg_sq"] = s.ExpAvgSq;
        }
        return d;
    }

    /// <summary>Restores what <see cref="state_dict"/> wrote (copies; shapes must match).</summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (state.TryGetValue("group0.lr", out var lr)) LearningRate = lr.ToDouble();
        foreach (var (prefix, p) in Indexed())
        {
            if (!state.TryGetValue($"{prefix}.step", out var step)) continue;
            Tensor Take(string key)
            {
                if (!state.TryGetValue($"{prefix}.{key}", out var src))
                    throw new ArgumentException($"optimiser state has '{prefix}.step' but no '{prefix}.{key}'");
                if (!src.shape.SequenceEqual(p.shape))
                    throw new ArgumentException($"optimiser state '{prefix}.{key}' has shape [{string.Join(", ", src.shape)}] but the parameter has [{string.Join(", ", p.shape)}]");
                return src.to(p.dtype, p.device, copy: true).DetachFromDisposeScope();
            }
            if (_state.TryGetValue(p, out var old)) { old.ExpAvg.Dispose(); old.ExpAvgSq.Dispose(); }
            _state[p] = new State { Step = step.ToInt64(), ExpAvg = Take("exp_avg"), ExpAvgSq = Take("exp_avg_sq") };
        }
    }

    public void Dispose()
    {
        foreach (var s in _state.Values) { s.ExpAvg.Dispose(); s.ExpAvgSq.Dispose(); }
        _state.Clear();
    }
}
