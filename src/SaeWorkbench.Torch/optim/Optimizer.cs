namespace SaeWorkbench.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>A set of parameters sharing one learning rate (and, per optimiser, other options).</summary>
        public sealed class ParamGroup
        {
            public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null)
            {
                Parameters = parameters.ToList();
                LearningRate = lr;
            }

            public IReadOnlyList<Tensor> Parameters { get; }

            /// <summary>This group's learning rate; null until the optimiser fills in its default.</summary>
            public double? LearningRate { get; set; }

            /// <summary>The learning rate the group started with; schedules multiply this.</summary>
            public double InitialLearningRate { get; internal set; }
        }

        /// <summary>
        /// Base of the optimisers: parameter groups, zero_grad, and a state dict of plain tensors
        /// (so optimiser state goes into a safetensors checkpoint like any weights).
        /// </summary>
        public abstract class Optimizer : IDisposable
        {
            protected Optimizer(IEnumerable<ParamGroup> groups, double defaultLr)
            {
                ParamGroups = groups.ToList();
                if (ParamGroups.Count == 0 || ParamGroups.All(g => g.Parameters.Count == 0))
                    throw new ArgumentException("the optimiser was given no parameters");
                foreach (var g in ParamGroups)
                {
                    g.LearningRate ??= defaultLr;
                    if (!(g.LearningRate >= 0)) throw new ArgumentOutOfRangeException("lr", g.LearningRate, "learning rate must be >= 0");
                    g.InitialLearningRate = g.LearningRate.Value;
                    foreach (var p in g.Parameters)
                        if (!p.requires_grad) throw new ArgumentException($"a parameter of shape {p.ShapeString} does not require grad; an optimiser can only update tensors with requires_grad");
                }
            }

            public IReadOnlyList<ParamGroup> ParamGroups { get; }

            /// <summary>Clears the gradients of every parameter (set_to_none: drop them; else zero them).</summary>
            public void zero_grad(bool set_to_none = true) => nn.utils.zero_grad(ParamGroups.SelectMany(g => g.Parameters), set_to_none);

            /// <summary>Updates every parameter that has a gradient.</summary>
            public abstract void step();

            /// <summary>The optimiser's state as named tensors (owned by the optimiser: do not dispose).</summary>
            public abstract Dictionary<string, Tensor> state_dict();

            /// <summary>Restores state saved by <see cref="state_dict"/> (copies values; shapes must match).</summary>
            public abstract void load_state_dict(IReadOnlyDictionary<string, Tensor> state);

            public abstract void Dispose();
        }
    }
}
