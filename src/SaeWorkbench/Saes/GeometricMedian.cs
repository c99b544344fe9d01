using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Saes;

/// <summary>
/// The geometric median of a set of points: the point minimising the sum of Euclidean distances to
/// them, found by Weiszfeld's iterations (Gao et al. 2024, Appendix A.1: b_pre is initialised to the geometric
/// median of a sample of inputs). Computed in float64.
/// </summary>
public static class GeometricMedian
{
    /// <summary>
    /// Weiszfeld: y &lt;- sum_i w_i x_i / sum_i w_i with w_i = 1 / max(||x_i - y||, eps), starting from the mean,
    /// until the step is below <paramref name="tolerance"/> times the spread or <paramref name="iterations"/> are done.
    /// Points are the rows of <paramref name="points_BD"/>; returns [D] in the points' dtype.
    /// </summary>
    public static Tensor Weiszfeld(Tensor points_BD, int iterations = 100, double tolerance = 1e-7, double eps = 1e-12)
    {
        if (points_BD.dim() != 2 || points_BD.size(0) == 0)
            throw new ArgumentException($"points must be a non-empty [B, D] matrix, got shape {points_BD.ShapeString}", nameof(points_BD));
        ConfigCheck.Require(iterations >= 1, nameof(GeometricMedian), nameof(iterations), iterations, ">= 1");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = points_BD.to(float64);
        var y = x.mean(new long[] { 0 });
        var spread = (x - y).norm(1).mean().ToDouble();
        for (var it = 0; it < iterations; it++)
        {
            using var step = NewDisposeScope();
            var w = (x - y).norm(1).clamp_min(eps).reciprocal();          // [B]
            var next = (w.unsqueeze(1) * x).sum(0L) / w.sum();                 // [D]
            var moved = (next - y).norm().ToDouble();
            y.copy_(next);
            if (moved <= tolerance * Math.Max(spread, eps)) break;
        }
        return y.to(points_BD.dtype).MoveToOuterDisposeScope();
    }
}
