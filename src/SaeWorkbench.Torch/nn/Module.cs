namespace SaeWorkbench.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of every layer and model, as torch.nn.Module: named parameters, buffers and
        /// submodules registered explicitly in the constructor (so the reader sees them), train/eval
        /// mode, device/dtype moves that keep tensor identity, and state dicts keyed "sub.name".
        /// Parameters and buffers are owned by the module (never by a dispose scope) and are
        /// released by <see cref="Dispose"/>.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly List<(string Name, Tensor Tensor)> _parameters = new();
            private readonly List<(string Name, Tensor Tensor)> _buffers = new();
            private readonly List<(string Name, Module Module)> _modules = new();
            private bool _disposed;

            /// <summary>True in training mode (the default), false after eval().</summary>
            public bool training { get; private set; } = true;

            /// <summary>Registers a trainable tensor under <paramref name="name"/>; it is detached from any dispose scope and requires grad.</summary>
            protected Tensor RegisterParameter(string name, Tensor tensor, bool requires_grad = true)
            {
                CheckName(name);
                tensor.DetachFromDisposeScope();
                if (tensor.requires_grad != requires_grad) tensor.requires_grad_(requires_grad);
                _parameters.Add((name, tensor));
                return tensor;
            }

            /// <summary>Registers a non-trainable tensor that is part of the state (e.g. a running mean).</summary>
            protected Tensor RegisterBuffer(string name, Tensor tensor)
            {
                CheckName(name);
                tensor.DetachFromDisposeScope();
                _buffers.Add((name, tensor));
                return tensor;
            }

            protected T RegisterModule<T>(string name, T module) where T : Module
            {
                CheckName(name);
                _modules.Add((name, module));
                return module;
            }

            private void CheckName(string name)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                    throw new ArgumentException($"'{name}' is not a valid member name: it must be non-empty and contain no '.'", nameof(name));
                if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _modules.Any(m => m.Name == name))
                    throw new ArgumentException($"{GetType().Name} already has a member named '{name}'", nameof(name));
            }

            public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true)
            {
                foreach (var (n, t) in _parameters) yield return (n, t);
                if (!recurse) yield break;
                foreach (var (mn, m) in _modules)
                    foreach (var (n, t) in m.named_parameters()) yield return ($"{mn}.{n}", t);
            }

            public IEnumerable<Tensor> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
            {
                foreach (var (n, t) in _buffers) yield return (n, t);
                if (!recurse) yield break;
                foreach (var (mn, m) in _modules)
                    foreach (var (n, t) in m.named_buffers()) yield return ($"{mn}.{n}", t);
            }

            public IEnumerable<(string name, Module module)> named_children() => _modules.Select(m => (m.Name, m.Module));

            public IEnumerable<(string name, Module module)> named_modules()
            {
                yield return ("", this);
                foreach (var (mn, m) in _modules)
                    foreach (var (n, sub) in m.named_modules()) yield return (n.Length == 0 ? mn : $"{mn}.{n}", sub);
            }

            public Module train(bool mode = true)
            {
                training = mode;
                foreach (var (_, m) in _modules) m.train(mode);
                return this;
            }

            public Module eval() => train(false);

            /// <summary>Clears every parameter's gradient (set_to_none: drop it; else fill with zeros).</summary>
            public void zero_grad(bool set_to_none = true) => utils.zero_grad(parameters(), set_to_none);

            /// <summary>Moves every parameter and buffer to a device (and optionally a floating dtype), in place.</summary>
            public Module to(Device device, ScalarType? dtype = null)
            {
                foreach (var t in parameters().Concat(named_buffers().Select(b => b.buffer)))
                {
                    var target = dtype.HasValue && t.is_floating_point() ? dtype.Value : t.dtype;
                    using var moved = t.to(device, target);
                    using (no_grad()) t.set_data(moved);
                }
                return this;
            }

            public Module to(ScalarType dtype)
            {
                foreach (var t in parameters().Concat(named_buffers().Select(b => b.buffer)).Where(t => t.is_floating_point()))
                {
                    using var moved = t.to(dtype);
                    using (no_grad()) t.set_data(moved);
                }
                return this;
            }

            /// <summary>Parameters and buffers by dotted name (handles on the live tensors, not copies).</summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var d = new Dictionary<string, Tensor>();
                foreach (var (n, t) in named_parameters()) d[n] = t;
                foreach (var (n, t) in named_buffers()) d[n] = t;
                return d;
            }

            /// <summary>
            /// Copies values into the parameters and buffers. With <paramref name="strict"/>, a missing
            /// or unexpected key is an error; a shape mismatch always is. Errors name the key.
            /// </summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
            {
                var own = state_dict();
                if (strict)
                {
                    var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
                    var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
                    if (missing.Count > 0 || unexpected.Count > 0)
                        throw new ArgumentException($"state dict does not match {GetType().Name}: " +
                            (missing.Count > 0 ? $"missing [{string.Join(", ", missing)}] " : "") +
                            (unexpected.Count > 0 ? $"unexpected [{string.Join(", ", unexpected)}]" : ""));
                }
                foreach (var (name, target) in own)
                {
                    if (!state.TryGetValue(name, out var source)) continue;
                    if (!source.Shape.SequenceEqual(target.Shape))
                        throw new ArgumentException($"state dict entry '{name}' has shape {source.ShapeString} but {GetType().Name} expects {target.ShapeString}");
                    using (no_grad()) target.copy_(source);
                }
            }

            public void Dispose()
            {
                if (_disposed) return;
                _disposed = true;
                foreach (var (_, t) in _parameters) t.Dispose();
                foreach (var (_, t) in _buffers) t.Dispose();
                foreach (var (_, m) in _modules) m.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>A module with a typed forward pass; <c>call</c> is forward.</summary>
        public abstract class Module<TInput, TOutput> : Module
        {
            public abstract TOutput forward(TInput input);
            public TOutput call(TInput input) => forward(input);
        }
    }
}
