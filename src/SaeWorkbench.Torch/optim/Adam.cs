using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>Adam's options, validated at construction (Kingma and Ba 2015; AdamW: Loshchilov and Hutter 2019).</summary>
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
            private readonly double? _weightDecay;
            /// <summary>L2 penalty (Adam) or decoupled decay (AdamW), >= 0. When not set: 0 for Adam and
            /// 0.01 for AdamW, as in PyTorch (also when other options are given).</summary>
            public double weight_decay { get => _weightDecay ?? 0; init => _weightDecay = value; }
            /// <summary>True when weight_decay was set explicitly.</summary>
            internal bool HasWeightDecay => _weightDecay.HasValue;
            /// <summary>Use the maximum of past second moments (AMSGrad).</summary>
            public bool amsgrad { get; init; }
            /// <summary>Maximise the objective instead of minimising it.</summary>
            public bool maximize { get; init; }
            /// <summary>One parallel pass per parameter (CPU float32/float64, no AMSGrad) instead of PyTorch's sequence of
            /// in-place ops (about 8 passes over the weights and both moments): the same formula, results equal up to
            /// float rounding. Off by default, so that results match torch.optim.Adam bit for bit.</summary>
            public bool fused { get; init; }

            internal void Validate()
            {
                if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "Adam lr must be >= 0");
                if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Adam beta1 must be in [0, 1)");
                if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Adam beta2 must be in [0, 1)");
                if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "Adam eps must be > 0");
                if (!(weight_decay >= 0)) throw new ArgumentOutOfRangeException(nameof(weight_decay), weight_decay, "Adam weight_decay must be >= 0");
            }
        }

        /// <summary>
        /// Adam (and, with <c>decoupled</c>, AdamW). Each step is one fused native update per
        /// parameter performing the same operations as PyTorch's single-tensor Adam, so results
        /// match torch.optim.Adam/AdamW. State per parameter: step, exp_avg, exp_avg_sq (and
        /// max_exp_avg_sq with AMSGrad), created on the first step.
        /// </summary>
        public class Adam : Optimizer
        {
            private sealed class State
            {
                public long Step;
                public Tensor ExpAvg = null!;
                public Tensor ExpAvgSq = null!;
                public Tensor? MaxExpAvgSq;
            }

            private readonly Dictionary<Tensor, State> _state = new(ReferenceEqualityComparer.Instance);
            private readonly bool _decoupled;

            public AdamOptions Options { get; }

            public Adam(IEnumerable<Tensor> parameters, AdamOptions? options = null)
                : this(new[] { new ParamGroup(parameters) }, options, decoupled: false) { }

            public Adam(IEnumerable<ParamGroup> groups, AdamOptions? options = null)
                : this(groups, options, decoupled: false) { }

            protected Adam(IEnumerable<ParamGroup> groups, AdamOptions? options, bool decoupled)
                : base(groups, Validated(options ?? new AdamOptions()).lr)
            {
                Options = options ?? new AdamOptions();
                _decoupled = decoupled;
            }

            private static AdamOptions Validated(AdamOptions o)
            {
                o.Validate();
                return o;
            }

            public override void step()
            {
                var o = Options;
                using (no_grad())
                {
                    foreach (var group in ParamGroups)
                    {
                        var lr = group.LearningRate!.Value;
                        foreach (var p in group.Parameters)
                        {
                            using var grad = p.grad;
                            if (grad is null) continue;
                            if (!_state.TryGetValue(p, out var s))
                            {
                                s = new State
                                {
                                    ExpAvg = zeros_like(p).DetachFromDisposeScope(),
                                    ExpAvgSq = zeros_like(p).DetachFromDisposeScope(),
                                    MaxExpAvgSq = o.amsgrad ? zeros_like(p).DetachFromDisposeScope() : null,
                                };
                                _state[p] = s;
                            }
                            s.Step++;
                            var rows = _unitNormRows.Contains(p);
                            if (o.fused && !o.amsgrad)
                                N.Check(N.saewb_adam_step_fused(p.Handle, grad.Handle, s.ExpAvg.Handle, s.ExpAvgSq.Handle,
                                    s.Step, lr, o.beta1, o.beta2, o.eps, o.weight_decay, _decoupled ? 1 : 0, o.maximize ? 1 : 0, rows ? 1 : 0));
                            else
                            {
                                using var g = rows ? nn.utils.remove_parallel_rows_(grad.clone(), p) : grad.alias();
                                N.Check(N.saewb_adam_step(p.Handle, g.Handle, s.ExpAvg.Handle, s.ExpAvgSq.Handle, Tensor.HandleOrZero(s.MaxExpAvgSq),
                                    s.Step, lr, o.beta1, o.beta2, o.eps, o.weight_decay, _decoupled ? 1 : 0, o.maximize ? 1 : 0));
                                if (rows) nn.utils.normalize_rows_(p);
                            }
                        }
                    }
                }
            }

            private readonly HashSet<Tensor> _unitNormRows = new(ReferenceEqualityComparer.Instance);

            /// <summary>
            /// Keeps the rows of <paramref name="parameter"/> ([N, D], one of this optimiser's parameters) at unit L2 norm,
            /// the SAE decoder constraint: each step removes the gradient's component parallel to each row, updates, and
            /// rescales each row to unit norm. The fused form does all three in one pass over each row; the result is bit
            /// for bit that of <see cref="nn.utils.remove_parallel_rows_"/> on the gradient, a step, and
            /// <see cref="nn.utils.normalize_rows_"/>. The gradient tensor itself is left unchanged. Gradient clipping,
            /// which must see the projected gradient, does not combine with this: project with remove_parallel_rows_
            /// before clipping instead.
            /// </summary>
            public void set_unit_norm_rows(Tensor parameter)
            {
                if (!ParamGroups.Any(g => g.Parameters.Any(q => ReferenceEquals(q, parameter))))
                    throw new ArgumentException("set_unit_norm_rows: the tensor is not one of this optimiser's parameters", nameof(parameter));
                if (parameter.dim() != 2)
                    throw new ArgumentException($"set_unit_norm_rows: the parameter must be [N, D], got {parameter.ShapeString}", nameof(parameter));
                _unitNormRows.Add(parameter);
            }

            private IEnumerable<(string prefix, Tensor p)> Indexed() =>
                ParamGroups.SelectMany((g, gi) => g.Parameters.Select((p, pi) => ($"group{gi}.param{pi}", p)));

            /// <summary>Keys: "groupG.lr" (float64), "groupG.paramI.step" (int64), ".exp_avg", ".exp_avg_sq", ".max_exp_avg_sq".</summary>
            public override Dictionary<string, Tensor> state_dict()
            {
                var d = new Dictionary<string, Tensor>();
                for (var gi = 0; gi < ParamGroups.Count; gi++)
                    d[$"group{gi}.lr"] = tensor(ParamGroups[gi].LearningRate!.Value, ScalarType.Float64).DetachFromDisposeScope();
                foreach (var (prefix, p) in Indexed())
                {
                    if (!_state.TryGetValue(p, out var s)) continue;
                    d[$"{prefix}.step"] = full(Array.Empty<long>(), s.Step, ScalarType.Int64).DetachFromDisposeScope();
                    d[$"{prefix}.exp_avg"] = s.ExpAvg;
                    d[$"{prefix}.exp_avg_sq"] = s.ExpAvgSq;
                    if (s.MaxExpAvgSq != null) d[$"{prefix}.max_exp_avg_sq"] = s.MaxExpAvgSq;
                }
                return d;
            }

            public override void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
            {
                for (var gi = 0; gi < ParamGroups.Count; gi++)
                    if (state.TryGetValue($"group{gi}.lr", out var lr)) ParamGroups[gi].LearningRate = lr.item<double>();
                foreach (var (prefix, p) in Indexed())
                {
                    if (!state.TryGetValue($"{prefix}.step", out var step)) continue;
                    Tensor Take(string key)
                    {
                        if (!state.TryGetValue($"{prefix}.{key}", out var src))
                            throw new ArgumentException($"optimiser state has '{prefix}.step' but no '{prefix}.{key}'");
                        if (!src.Shape.SequenceEqual(p.Shape))
                            throw new ArgumentException($"optimiser state '{prefix}.{key}' has shape {src.ShapeString} but the parameter has {p.ShapeString}");
                        return src.to(p.device, p.dtype, copy: true).DetachFromDisposeScope();
                    }
                    if (_state.TryGetValue(p, out var old)) { old.ExpAvg.Dispose(); old.ExpAvgSq.Dispose(); old.MaxExpAvgSq?.Dispose(); }
                    _state[p] = new State
                    {
                        Step = step.item<long>(),
                        ExpAvg = Take("exp_avg"),
                        ExpAvgSq = Take("exp_avg_sq"),
                        MaxExpAvgSq = Options.amsgrad ? Take("max_exp_avg_sq") : null,
                    };
                }
            }

            public override void Dispose()
            {
                foreach (var s in _state.Values) { s.ExpAvg.Dispose(); s.ExpAvgSq.Dispose(); s.MaxExpAvgSq?.Dispose(); }
                _state.Clear();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>AdamW: Adam with decoupled weight decay (param *= 1 - lr * weight_decay before the update).
        /// Default weight_decay 0.01 as in PyTorch.</summary>
        public sealed class AdamW : Adam
        {
            public AdamW(IEnumerable<Tensor> parameters, AdamOptions? options = null)
                : base(new[] { new ParamGroup(parameters) }, WithDefaultDecay(options), decoupled: true) { }

            public AdamW(IEnumerable<ParamGroup> groups, AdamOptions? options = null)
                : base(groups, WithDefaultDecay(options), decoupled: true) { }

            private static AdamOptions WithDefaultDecay(AdamOptions? o) =>
                o is { HasWeightDecay: true } ? o : (o ?? new AdamOptions()) with { weight_decay = 0.01 };
        }
    }
}
