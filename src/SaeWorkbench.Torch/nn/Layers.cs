namespace SaeWorkbench.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>y = x W^T + b with W [out_features, in_features]; PyTorch's default init
        /// (weight and bias uniform in ±1/sqrt(in_features)).</summary>
        public sealed class Linear : Module<Tensor, Tensor>
        {
            public Tensor weight { get; }
            public Tensor? bias { get; }

            public Linear(long in_features, long out_features, bool hasBias = true, Device? device = null, ScalarType? dtype = null, Generator? generator = null)
            {
                if (in_features <= 0) throw new ArgumentOutOfRangeException(nameof(in_features), in_features, "in_features must be positive");
                if (out_features <= 0) throw new ArgumentOutOfRangeException(nameof(out_features), out_features, "out_features must be positive");
                var bound = 1.0 / Math.Sqrt(in_features);
                using (no_grad())
                {
                    weight = RegisterParameter("weight", empty(new[] { out_features, in_features }, dtype, device).uniform_(-bound, bound, generator));
                    if (hasBias) bias = RegisterParameter("bias", empty(new[] { out_features }, dtype, device).uniform_(-bound, bound, generator));
                }
            }

            public override Tensor forward(Tensor x) => functional.linear(x, weight, bias);
        }

        /// <summary>Layer normalisation over the trailing dims, with learned scale (ones) and shift (zeros).</summary>
        public sealed class LayerNorm : Module<Tensor, Tensor>
        {
            private readonly long[] _shape;
            public double eps { get; }
            public Tensor? weight { get; }
            public Tensor? bias { get; }

            public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null, ScalarType? dtype = null)
            {
                if (normalized_shape.Length == 0 || normalized_shape.Any(d => d <= 0))
                    throw new ArgumentException($"normalized_shape [{string.Join(", ", normalized_shape)}] must be non-empty with positive sizes", nameof(normalized_shape));
                if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive");
                _shape = (long[])normalized_shape.Clone();
                this.eps = eps;
                if (elementwise_affine)
                {
                    weight = RegisterParameter("weight", ones(_shape, dtype, device));
                    bias = RegisterParameter("bias", zeros(_shape, dtype, device));
                }
            }

            public LayerNorm(long normalized_shape, double eps = 1e-5) : this(new[] { normalized_shape }, eps) { }

            public override Tensor forward(Tensor x) => functional.layer_norm(x, _shape, weight, bias, eps);
        }

        /// <summary>A lookup table of num_embeddings rows of size embedding_dim, initialised N(0, 1).</summary>
        public sealed class Embedding : Module<Tensor, Tensor>
        {
            public Tensor weight { get; }

            public Embedding(long num_embeddings, long embedding_dim, Device? device = null, ScalarType? dtype = null, Generator? generator = null)
            {
                if (num_embeddings <= 0) throw new ArgumentOutOfRangeException(nameof(num_embeddings), num_embeddings, "num_embeddings must be positive");
                if (embedding_dim <= 0) throw new ArgumentOutOfRangeException(nameof(embedding_dim), embedding_dim, "embedding_dim must be positive");
                using (no_grad())
                    weight = RegisterParameter("weight", empty(new[] { num_embeddings, embedding_dim }, dtype, device).normal_(0, 1, generator));
            }

            public override Tensor forward(Tensor indices) => functional.embedding(indices, weight);
        }

        public static partial class utils
        {
            /// <summary>Clears the gradients of <paramref name="parameters"/>: drop them (set_to_none) or fill them with zeros.</summary>
            public static void zero_grad(IEnumerable<Tensor> parameters, bool set_to_none = true)
            {
                foreach (var p in parameters)
                {
                    if (set_to_none) { p.grad = null; continue; }
                    using var g = p.grad;
                    g?.zero_();
                }
            }

            /// <summary>
            /// For each row n of <paramref name="grad"/> and <paramref name="weight"/> (both [N, D]): grad[n] -= (grad[n] . weight[n] /
            /// ||weight[n]||^2) weight[n], in place on grad: the component parallel to each row removed (a unit-norm row
            /// constraint's projected gradient). One pass per row on CPU. Returns grad.
            /// </summary>
            public static Tensor remove_parallel_rows_(Tensor grad, Tensor weight)
            {
                Interop.NativeMethods.Check(Interop.NativeMethods.saewb_remove_parallel_rows_(grad.Handle, weight.Handle));
                return grad;
            }

            /// <summary>Scales each row of <paramref name="weight"/> ([N, D]) to unit L2 norm in place (no autograd). Returns it.</summary>
            public static Tensor normalize_rows_(Tensor weight)
            {
                Interop.NativeMethods.Check(Interop.NativeMethods.saewb_normalize_rows_(weight.Handle));
                return weight;
            }

            /// <summary>
            /// Scales the gradients of <paramref name="parameters"/> in place so their joint
            /// <paramref name="norm_type"/>-norm is at most <paramref name="max_norm"/>; returns the norm before clipping.
            /// </summary>
            public static unsafe double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm, double norm_type = 2)
            {
                if (!(max_norm > 0)) throw new ArgumentOutOfRangeException(nameof(max_norm), max_norm, "max_norm must be positive");
                using var scope = NewDisposeScope();
                var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!.Handle).ToArray();
                double total;
                fixed (IntPtr* p = grads) Interop.NativeMethods.Check(Interop.NativeMethods.saewb_clip_grad_norm_(p, grads.Length, max_norm, norm_type, out total));
                return total;
            }
        }
    }
}
