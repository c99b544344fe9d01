using System.Globalization;
using Xunit.Sdk;

namespace SaeWorkbench.Tests;

/// <summary>Tolerances and settings of <see cref="GradCheck"/>.</summary>
public sealed record GradCheckOptions
{
    /// <summary>Half-width of the central difference (f(x+eps) - f(x-eps)) / 2eps.</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary>Absolute tolerance: an element passes when |analytic - numeric| &lt;= Atol + Rtol * |numeric|.</summary>
    public double Atol { get; init; } = 1e-5;

    /// <summary>Relative tolerance (see <see cref="Atol"/>).</summary>
    public double Rtol { get; init; } = 1e-4;

    /// <summary>Seed of the fixed random weights that make every output element matter.</summary>
    public int Seed { get; init; } = 12345;
}

/// <summary>The worst element found by <see cref="GradCheck.Compare"/>.</summary>
/// <param name="InputIndex">Which input (position in the inputs array).</param>
/// <param name="FlatIndex">Row-major position of the element in that input.</param>
/// <param name="Index">The element's multi-index, e.g. [1, 2].</param>
/// <param name="Analytic">Autograd's derivative of sum(f(x) * w) with respect to the element.</param>
/// <param name="Numeric">The central finite difference of the same quantity.</param>
/// <param name="Ratio">|analytic - numeric| / (atol + rtol * |numeric|): above 1 fails.</param>
/// <param name="Checked">How many elements were compared in all.</param>
public sealed record GradCheckResult(int InputIndex, long FlatIndex, long[] Index, double Analytic, double Numeric, double Ratio, long Checked)
{
    public bool Passed => Ratio <= 1;

    public string IndexString => "[" + string.Join(", ", Index) + "]";
}

/// <summary>
/// Finite-difference gradient checker in float64, for any differentiable function of tensors.
/// The scalar checked is L(x) = sum(f(x) * w) with w fixed random weights of f(x)'s shape (so every
/// output element contributes with its own weight and a wrong gradient for any one of them shows).
/// The analytic gradient comes from <c>L.backward()</c> (the same path a training step takes); the
/// numeric one from central differences (L(x + eps e_i) - L(x - eps e_i)) / 2eps, element by element,
/// evaluated under no_grad. Every input with requires_grad is checked: it must be a float64 leaf;
/// inputs without requires_grad (index tensors, masks, constants) pass through unchanged.
/// The checked inputs' .grad is cleared before and after.
/// <example><code>
/// var x = torch.randn(new long[] { 3, 4 }, dtype: torch.float64, requires_grad: true);
/// GradCheck.Assert(t => t[0].exp(), x);
/// </code></example>
/// </summary>
public static class GradCheck
{
    /// <summary>Fails (an xunit assertion failure naming the worst element) unless autograd agrees with finite differences.</summary>
    public static void Assert(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Assert(f, inputs, new GradCheckOptions());

    /// <summary>As <see cref="Assert(Func{Tensor[], Tensor}, Tensor[])"/> with explicit tolerances.</summary>
    public static void Assert(Func<Tensor[], Tensor> f, Tensor[] inputs, GradCheckOptions options)
    {
        var r = Compare(f, inputs, options);
        if (r.Passed) return;
        var shape = inputs[r.InputIndex].ShapeString;
        throw new XunitException(string.Create(CultureInfo.InvariantCulture,
            $"GradCheck failed: input {r.InputIndex} (shape {shape}) element {r.IndexString} (flat {r.FlatIndex}): " +
            $"autograd {r.Analytic:G10} vs finite difference {r.Numeric:G10} (|diff| {Math.Abs(r.Analytic - r.Numeric):G3}, " +
            $"allowed {options.Atol:G3} + {options.Rtol:G3}*|numeric|; {r.Checked} elements checked, this is the worst)"));
    }

    /// <summary>Compares every element and returns the worst one (the caller decides what to do with it).</summary>
    public static GradCheckResult Compare(Func<Tensor[], Tensor> f, Tensor[] inputs, GradCheckOptions? options = null)
    {
        options ??= new GradCheckOptions();
        ArgumentNullException.ThrowIfNull(f);
        if (inputs.Length == 0) throw new ArgumentException("GradCheck needs at least one input", nameof(inputs));
        var checkedInputs = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].requires_grad).ToArray();
        if (checkedInputs.Length == 0)
            throw new ArgumentException("no input requires grad: mark the inputs to check with requires_grad", nameof(inputs));
        foreach (var i in checkedInputs)
        {
            if (inputs[i].dtype != ScalarType.Float64)
                throw new ArgumentException($"input {i} is {inputs[i].dtype.PyTorchName()}: GradCheck works in float64", nameof(inputs));
            if (!inputs[i].is_leaf)
                throw new ArgumentException($"input {i} is not a leaf tensor: create it directly (e.g. randn(..., requires_grad: true))", nameof(inputs));
        }

        using var scope = NewDisposeScope();

        // ---- analytic: backward() of L = sum(f(x) * w) ----------------------------------------------
        foreach (var i in checkedInputs) inputs[i].grad = null;
        var y = f(inputs);
        if (!y.is_floating_point())
            throw new ArgumentException($"f returned a {y.dtype.PyTorchName()} tensor; GradCheck needs a floating-point output");
        if (!y.requires_grad)
            throw new XunitException($"GradCheck: f's output (shape {y.ShapeString}) does not require grad: the op recorded no autograd graph");
        var outShape = y.shape;
        var w = Weights(outShape, options.Seed);
        (y * w).sum().backward();
        var analytic = new double[inputs.Length][];
        foreach (var i in checkedInputs)
        {
            var g = inputs[i].grad;
            analytic[i] = g is null ? new double[inputs[i].numel()] : g.to(ScalarType.Float64).ToArray<double>();
            inputs[i].grad = null;
        }

        // ---- numeric: central differences, one element at a time ----------------------------------------
        GradCheckResult? worst = null;
        long count = 0;
        using (no_grad())
        {
            foreach (var i in checkedInputs)
            {
                var x = inputs[i];
                var values = x.ToArray<double>();
                var shape = x.shape;
                for (long k = 0; k < values.Length; k++)
                {
                    var original = values[k];
                    double plus, minus;
                    try
                    {
                        values[k] = original + options.Eps;
                        x.CopyFrom(values);
                        plus = Loss(f, inputs, w, outShape);
                        values[k] = original - options.Eps;
                        x.CopyFrom(values);
                        minus = Loss(f, inputs, w, outShape);
                    }
                    finally
                    {
                        values[k] = original; // the input is left as it was, also when f throws
                        x.CopyFrom(values);
                    }

                    var numeric = (plus - minus) / (2 * options.Eps);
                    var a = analytic[i][k];
                    var ratio = Math.Abs(a - numeric) / (options.Atol + options.Rtol * Math.Abs(numeric));
                    if (double.IsNaN(ratio)) ratio = double.PositiveInfinity;
                    count++;
                    if (worst is null || ratio > worst.Ratio)
                        worst = new GradCheckResult(i, k, Unravel(k, shape), a, numeric, ratio, 0);
                }
            }
        }
        return worst! with { Checked = count };
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor w, long[] outShape)
    {
        using var scope = NewDisposeScope();
        var y = f(inputs);
        if (!y.shape.SequenceEqual(outShape))
            throw new XunitException($"GradCheck: f's output shape changed from [{string.Join(", ", outShape)}] to {y.ShapeString} under a perturbation");
        return (y.to(ScalarType.Float64) * w).sum().ToDouble();
    }

    /// <summary>Fixed weights in ±[0.5, 1.5): never near zero, so no output element is ignored.</summary>
    private static Tensor Weights(long[] shape, int seed)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(seed);
        var data = new double[n];
        for (var k = 0; k < n; k++) data[k] = (rng.Next(2) == 0 ? -1 : 1) * (0.5 + rng.NextDouble());
        return tensor(data, shape);
    }

    private static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }

    /// <summary>A float64 tensor of the given shape with values uniform in [lo, hi), from a fixed seed
    /// (requires_grad by default): a reproducible input for gradient checks.</summary>
    public static Tensor Input(long[] shape, int seed, double lo = -1, double hi = 1, bool requires_grad = true)
    {
        var n = shape.Aggregate(1L, (a, b) => a * b);
        var rng = new Random(seed);
        var data = new double[n];
        for (var k = 0; k < n; k++) data[k] = lo + (hi - lo) * rng.NextDouble();
        return tensor(data, shape, requires_grad: requires_grad);
    }
}
