namespace SaeWorkbench.Torch;

/// <summary>
/// One entry of a tensor subscript, as in PyTorch's <c>a[0, 1:3, ..., None, idx]</c>:
/// an integer (removes the dimension), a range (C# <c>1..3</c>, <c>..</c>, <c>^1..</c>; or
/// <see cref="Slice"/> with a step), <see cref="Ellipsis"/>, <see cref="None"/> (a new axis of
/// size 1), or an index tensor (advanced indexing; bool masks included).
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kind { Single, Slice, Ellipsis, None, Tensor }

    internal readonly Kind K;
    internal readonly long Index;
    internal readonly long? Start, Stop;
    internal readonly bool StartFromEnd, StopFromEnd;
    internal readonly long Step;
    internal readonly Tensor? IndexTensor;

    private TensorIndex(Kind k, long index = 0, long? start = null, long? stop = null, long step = 1, Tensor? tensor = null,
        bool startFromEnd = false, bool stopFromEnd = false)
    {
        K = k;
        Index = index;
        Start = start;
        Stop = stop;
        Step = step;
        IndexTensor = tensor;
        StartFromEnd = startFromEnd;
        StopFromEnd = stopFromEnd;
    }

    public static readonly TensorIndex Ellipsis = new(Kind.Ellipsis);
    public static readonly TensorIndex None = new(Kind.None);
    public static readonly TensorIndex Colon = new(Kind.Slice);

    public static TensorIndex Single(long i) => new(Kind.Single, index: i);

    /// <summary>start:stop:step with Python semantics (negative values count from the end).</summary>
    public static TensorIndex Slice(long? start = null, long? stop = null, long step = 1)
    {
        if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), step, "slice step must be positive (as in PyTorch)");
        return new(Kind.Slice, start: start, stop: stop, step: step);
    }

    public static implicit operator TensorIndex(long i) => Single(i);
    public static implicit operator TensorIndex(int i) => Single(i);
    public static implicit operator TensorIndex(Tensor t) => new(Kind.Tensor, tensor: t);

    public static implicit operator TensorIndex(Range r) => new(Kind.Slice,
        start: r.Start.Value, stop: r.End.IsFromEnd && r.End.Value == 0 ? null : r.End.Value,
        startFromEnd: r.Start.IsFromEnd, stopFromEnd: r.End.IsFromEnd);

    internal long ResolveStart(long size)
    {
        if (Start is not { } s) return 0;
        var v = StartFromEnd ? size - s : s < 0 ? size + s : s;
        return Math.Clamp(v, 0, size);
    }

    internal long ResolveStop(long size)
    {
        if (Stop is not { } s) return size;
        var v = StopFromEnd ? size - s : s < 0 ? size + s : s;
        return Math.Clamp(v, 0, size);
    }
}
