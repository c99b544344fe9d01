using System.Runtime.InteropServices;
using N = SaeWorkbench.Torch.Interop.NativeMethods;

namespace SaeWorkbench.Torch;

public static partial class torch
{
    public static partial class autograd
    {
        /// <summary>
        /// What a custom function's forward leaves for its backward (PyTorch's ctx): tensors saved
        /// with <see cref="save_for_backward"/> are owned by the context and disposed when the
        /// graph that holds the function is freed.
        /// </summary>
        public sealed class FunctionContext
        {
            private readonly List<Tensor> _saved = new();
            internal Func<FunctionContext, Tensor[], Tensor?[]>? Backward;
            internal Exception? BackwardException;

            /// <summary>Keeps tensors (handles on the same storage) for the backward pass.</summary>
            public void save_for_backward(params Tensor[] tensors)
            {
                foreach (var t in tensors) _saved.Add(t.detach().DetachFromDisposeScope());
            }

            public IReadOnlyList<Tensor> saved_tensors => _saved;

            /// <summary>Non-tensor values for the backward pass (shapes, flags, constants).</summary>
            public Dictionary<string, object> saved_data { get; } = new();

            internal void Release()
            {
                foreach (var t in _saved) t.Dispose();
                _saved.Clear();
                saved_data.Clear();
                Backward = null;
            }
        }

        /// <summary>
        /// A differentiable operation with a hand-written backward, as torch.autograd.Function:
        /// <paramref name="forward"/> computes the outputs from the inputs (run under no_grad);
        /// <paramref name="backward"/> receives d(loss)/d(output) for every output (zeros for an
        /// unused output) and returns d(loss)/d(input) for every input (null where none). Used for
        /// straight-through estimators (JumpReLU's threshold) and sparse kernels (TopK decode).
        /// Returned gradients are checked by libtorch against each input's shape.
        /// </summary>
        public static Tensor[] Function(string name, Tensor[] inputs,
            Func<FunctionContext, Tensor[], Tensor[]> forward,
            Func<FunctionContext, Tensor[], Tensor?[]> backward)
        {
            var ctx = new FunctionContext { Backward = backward };
            Tensor[] outputs;
            using (no_grad()) outputs = forward(ctx, inputs);
            var handle = GCHandle.Alloc(ctx);
            int connected;
            try
            {
                connected = Connect(inputs, outputs, GCHandle.ToIntPtr(handle), name);
            }
            catch
            {
                handle.Free();
                ctx.Release();
                throw;
            }
            if (connected == 0)
            {
                // Nothing requires grad: no node holds the context.
                handle.Free();
                ctx.Release();
            }
            return outputs;
        }

        /// <summary>Single-output form of <see cref="Function(string, Tensor[], Func{FunctionContext, Tensor[], Tensor[]}, Func{FunctionContext, Tensor[], Tensor?[]})"/>.</summary>
        public static Tensor Function(string name, Tensor[] inputs, Func<FunctionContext, Tensor[], Tensor> forward,
            Func<FunctionContext, Tensor, Tensor?[]> backward) =>
            Function(name, inputs, (c, x) => new[] { forward(c, x) }, (c, g) => backward(c, g[0]))[0];

        private static unsafe int Connect(Tensor[] inputs, Tensor[] outputs, IntPtr ctx, string name)
        {
            var ins = inputs.Select(t => t.Handle).ToArray();
            var outs = outputs.Select(t => t.Handle).ToArray();
            fixed (IntPtr* pi = ins)
            fixed (IntPtr* po = outs)
            {
                var r = N.saewb_custom_function_connect(pi, ins.Length, po, outs.Length, ctx, name);
                if (r < 0) throw N.LastError();
                return r;
            }
        }

        [UnmanagedCallersOnly]
        internal static unsafe int BackwardCallback(long ctxHandle, IntPtr* grads, long nGrads, IntPtr* output, long nOut)
        {
            var ctx = (FunctionContext)GCHandle.FromIntPtr((IntPtr)ctxHandle).Target!;
            try
            {
                using var scope = NewDisposeScope();
                var gradOutputs = new Tensor[nGrads];
                for (var i = 0; i < nGrads; i++) gradOutputs[i] = Tensor.Wrap(N.saewb_tensor_alias(grads[i]));
                var gradInputs = ctx.Backward!(ctx, gradOutputs);
                if (gradInputs.Length != nOut)
                    throw new InvalidOperationException($"backward returned {gradInputs.Length} gradients but the function has {nOut} inputs");
                for (var i = 0; i < nOut; i++)
                    output[i] = gradInputs[i] is { } g ? N.saewb_tensor_alias(g.Handle) : IntPtr.Zero;
                return 0;
            }
            catch (Exception e)
            {
                ctx.BackwardException = e;
                N.saewb_set_last_error($"custom function backward threw {e.GetType().Name}: {e.Message}");
                return -1;
            }
        }

        [UnmanagedCallersOnly]
        internal static void ReleaseCallback(long ctxHandle)
        {
            var handle = GCHandle.FromIntPtr((IntPtr)ctxHandle);
            (handle.Target as FunctionContext)?.Release();
            handle.Free();
        }
    }
}
