using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Loss reductions (values as libtorch's at::Reduction).</summary>
        public enum Reduction { None = 0, Mean = 1, Sum = 2 }

        /// <summary>Stateless neural-network functions, as torch.nn.functional.</summary>
        public static class functional
        {
            public static Tensor relu(Tensor x) => x.relu();
            /// <summary>GELU; approximate "tanh" is GPT-2's gelu_new, "none" the exact erf form.</summary>
            public static Tensor gelu(Tensor x, string approximate = "none") => Tensor.Wrap(N.saewb_gelu(x.Handle, approximate switch
            {
                "none" => 0,
                "tanh" => 1,
                _ => throw new ArgumentException($"gelu approximate '{approximate}' is not one of: none, tanh", nameof(approximate)),
            }));
            public static Tensor sigmoid(Tensor x) => x.sigmoid();
            public static Tensor tanh(Tensor x) => x.tanh();
            public static Tensor silu(Tensor x) => Tensor.Wrap(N.saewb_silu(x.Handle));
            public static Tensor softplus(Tensor x, double beta = 1, double threshold = 20) => Tensor.Wrap(N.saewb_softplus(x.Handle, beta, threshold));
            public static Tensor logsigmoid(Tensor x) => Tensor.Wrap(N.saewb_log_sigmoid(x.Handle));
            public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
            public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);

            /// <summary>Layer normalisation over the trailing <paramref name="normalized_shape"/> dims.</summary>
            public static unsafe Tensor layer_norm(Tensor x, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                var h = x.Handle;
                fixed (long* p = normalized_shape)
                    return Tensor.Wrap(N.saewb_layer_norm(h, p, normalized_shape.Length, Tensor.HandleOrZero(weight), Tensor.HandleOrZero(bias), eps));
            }

            /// <summary>Rows of <paramref name="weight"/> [num_embeddings, dim] at <paramref name="indices"/>.</summary>
            public static Tensor embedding(Tensor indices, Tensor weight) => Tensor.Wrap(N.saewb_embedding(weight.Handle, indices.Handle));

            /// <summary>
            /// Sums (or means/maxes) of weight rows per bag: bag b holds indices[offsets[b]..offsets[b+1]).
            /// With per_sample_weights (mode sum only) each row is scaled first: the sparse decode
            /// x_hat = sum_i z_i W_dec[i] of a TopK SAE is exactly this.
            /// </summary>
            public static Tensor embedding_bag(Tensor indices, Tensor weight, Tensor offsets, string mode = "mean",
                Tensor? per_sample_weights = null, bool include_last_offset = false) =>
                Tensor.Wrap(N.saewb_embedding_bag(weight.Handle, indices.Handle, offsets.Handle, mode switch
                {
                    "sum" => 0,
                    "mean" => 1,
                    "max" => 2,
                    _ => throw new ArgumentException($"embedding_bag mode '{mode}' is not one of: sum, mean, max", nameof(mode)),
                }, Tensor.HandleOrZero(per_sample_weights), include_last_offset ? 1 : 0));

            public static Tensor dropout(Tensor x, double p = 0.5, bool training = true)
            {
                if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
                return Tensor.Wrap(N.saewb_dropout(x.Handle, p, training ? 1 : 0));
            }

            /// <summary>Cross-entropy of logits [N, C] (or [N, C, ...]) against class indices [N] (int64).</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
                long ignore_index = -100, double label_smoothing = 0) =>
                Tensor.Wrap(N.saewb_cross_entropy(input.Handle, target.Handle, Tensor.HandleOrZero(weight), (int)reduction, ignore_index, label_smoothing));

            public static Tensor nll_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, long ignore_index = -100) =>
                Tensor.Wrap(N.saewb_nll_loss(input.Handle, target.Handle, (int)reduction, ignore_index));

            /// <summary>
            /// KL(target || input) with <paramref name="input"/> given as log-probabilities (and the
            /// target as probabilities, or log-probabilities when log_target). reduction: "none",
            /// "mean" (over all elements), "sum" or "batchmean" (sum / batch size: the true KL per row).
            /// </summary>
            public static Tensor kl_div(Tensor input, Tensor target, string reduction = "mean", bool log_target = false) =>
                Tensor.Wrap(N.saewb_kl_div(input.Handle, target.Handle, reduction switch
                {
                    "none" => 0,
                    "mean" => 1,
                    "sum" => 2,
                    "batchmean" => 3,
                    _ => throw new ArgumentException($"kl_div reduction '{reduction}' is not one of: none, mean, sum, batchmean", nameof(reduction)),
                }, log_target ? 1 : 0));

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Tensor.Wrap(N.saewb_mse_loss(input.Handle, target.Handle, (int)reduction));

            public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean) =>
                Tensor.Wrap(N.saewb_binary_cross_entropy_with_logits(input.Handle, target.Handle, Tensor.HandleOrZero(weight), (int)reduction));

            /// <summary>x @ weight^T + bias, weight stored [out_features, in_features].</summary>
            public static Tensor linear(Tensor x, Tensor weight, Tensor? bias = null) =>
                Tensor.Wrap(N.saewb_linear(x.Handle, weight.Handle, Tensor.HandleOrZero(bias)));
        }
    }
}
