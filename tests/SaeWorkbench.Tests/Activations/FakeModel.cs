using SaeWorkbench.Activations;
namespace SaeWorkbench.Tests.Activations;

/// <summary>
/// A stand-in for the language model whose activations are a known function of (token, position): column 0 is the token
/// id, column 1 the position, the rest sin(...) of both. Any row of a store can then be checked exactly against the token
/// and position it claims to belong to, and against the window it claims to come from.
/// </summary>
internal static class FakeModel
{
    public static float Value(long token, int position, int k) => k switch
    {
        0 => token,
        1 => position,
        _ => MathF.Sin(token * 0.37f + position * 1.3f + k * 0.11f) * (1 + k),
    };

    /// <summary>The activation function [B, T] int64 -> [B, T, d] float32; <paramref name="onCall"/> sees each batch first.</summary>
    public static ActivationFunction For(int d, Action<Tensor>? onCall = null) => tokens_BT =>
    {
        Assert.Equal(ScalarType.Int64, tokens_BT.dtype);
        Assert.False(is_grad_enabled());
        onCall?.Invoke(tokens_BT);
        var b = (int)tokens_BT.size(0);
        var t = (int)tokens_BT.size(1);
        var tokens = tokens_BT.ToArray<long>();
        var data = new float[b * t * d];
        for (var i = 0; i < b * t; i++)
            for (var k = 0; k < d; k++)
                data[i * d + k] = Value(tokens[i], i % t, k);
        return tensor(data, [b, t, d]);
    };

    /// <summary><paramref name="count"/> windows of <paramref name="t"/> tokens drawn uniformly from [0, vocab) (seeded).</summary>
    public static int[][] Windows(int count, int t, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, t).Select(_ => rng.Next(vocab)).ToArray()).ToArray();
    }

    /// <summary>The activations a store must hold for <paramref name="rows"/>' tokens and positions, as float32 [N, d]
    /// rounded through <paramref name="storage"/>.</summary>
    public static Tensor Expected(HarvestedActivations rows, int d, ActivationDType storage)
    {
        var tokens = rows.Tokens.ToArray<int>();
        var positions = rows.Positions.ToArray<int>();
        var data = new float[tokens.Length * d];
        for (var i = 0; i < tokens.Length; i++)
            for (var k = 0; k < d; k++)
                data[i * d + k] = Value(tokens[i], positions[i], k);
        return tensor(data, [tokens.Length, d]).to(storage.ToScalarType()).to(ScalarType.Float32);
    }

    /// <summary>The (window, position) pairs a harvest keeps, in stream order.</summary>
    public static List<(long Window, int Position)> KeptRows(int[][] windows, bool skipFirst, int? skipToken) =>
        windows.SelectMany((w, wi) => w.Select((tok, p) => (tok, p, wi)))
               .Where(x => !(skipFirst && x.p == 0) && x.tok != skipToken)
               .Select(x => ((long)x.wi, x.p)).ToList();
}

/// <summary>An <see cref="IProgress{T}"/> that records synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
