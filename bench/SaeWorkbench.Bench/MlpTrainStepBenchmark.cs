using System.Diagnostics;
using SaeWorkbench.Torch;
using F = SaeWorkbench.Torch.torch.nn.functional;

namespace SaeWorkbench.Bench;

/// <summary>
/// Workload 2: one Adam training step of a two-layer MLP, x [batch, d] -> Linear(d, hidden) ->
/// relu -> Linear(hidden, d) -> mse_loss against a target [batch, d]: forward, backward,
/// optimizer.step(), zero_grad (set_to_none, on both sides).
///
/// GEMMs per step (each 2 * batch * d * hidden FLOPs): forward 2 (the two addmm of the Linears);
/// backward 3: dL/dW2 = dY^T H, dL/dH = dY W2, dL/dW1 = dH^T x. dL/dx is not computed because x
/// does not require grad (PyTorch's profiler shows the same: 2 addmm + 3 mm per step). Bias
/// gradients, relu, the loss and Adam are elementwise or reductions, not counted.
/// </summary>
internal sealed class MlpTrainStepBenchmark : IWorkload
{
    public const int ForwardGemms = 2, BackwardGemms = 3;

    private readonly torch.nn.Linear _fc1, _fc2;
    private readonly torch.optim.Adam _opt;
    private readonly Tensor _x, _target;

    public MlpTrainStepBenchmark(long batch, long d, long hidden, double lr)
    {
        Batch = batch; D = d; Hidden = hidden; Lr = lr;
        torch.manual_seed(0);
        _fc1 = new torch.nn.Linear(d, hidden);
        _fc2 = new torch.nn.Linear(hidden, d);
        _opt = new torch.optim.Adam(_fc1.parameters().Concat(_fc2.parameters()), new torch.optim.AdamOptions { lr = lr });
        _x = torch.randn(batch, d);
        _target = torch.randn(batch, d);
    }

    public long Batch { get; }
    public long D { get; }
    public long Hidden { get; }
    public double Lr { get; }

    /// <summary>FLOPs of one of the step's GEMMs (all five have the same 2 * batch * d * hidden).</summary>
    public double GemmFlops => 2.0 * Batch * D * Hidden;
    public double ForwardFlops => ForwardGemms * GemmFlops;
    public double BackwardFlops => BackwardGemms * GemmFlops;
    public double StepFlops => ForwardFlops + BackwardFlops;

    public string Key => Workloads.Mlp;
    public string Title => $"MLP step {D}->{Hidden}->{D}, batch {Batch}, Adam";
    public IReadOnlyDictionary<string, object> Parameters => new Dictionary<string, object>
    {
        ["batch"] = Batch, ["d"] = D, ["hidden"] = Hidden, ["lr"] = Lr,
    };

    public double RunOnce()
    {
        var sw = Stopwatch.StartNew();
        using (torch.NewDisposeScope())
        {
            var y = _fc2.forward(F.relu(_fc1.forward(_x)));
            var loss = F.mse_loss(y, _target);
            loss.backward();
            _opt.step();
            _opt.zero_grad();
        }
        return sw.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        _opt.Dispose();
        _fc1.Dispose();
        _fc2.Dispose();
        _x.Dispose();
        _target.Dispose();
    }
}
