namespace SaeWorkbench.Torch.Tests;

/// <summary>Ownership rules of DisposeScope: attach on creation, forget on dispose/detach, move out, nesting.</summary>
public class DisposeScopeTests
{
    [Fact]
    public void ScopeDisposesWhatItOwnsAndForgetsWhatWasDisposedOrDetached()
    {
        Tensor kept, disposed, owned;
        using (var scope = NewDisposeScope())
        {
            owned = ones(2);
            disposed = ones(2);
            kept = ones(2).DetachFromDisposeScope();
            Assert.Equal(2, scope.Count);
            disposed.Dispose();
            Assert.Equal(1, scope.Count);
        }
        Assert.True(owned.IsDisposed);
        Assert.True(disposed.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(2f, kept.sum().item<float>());
        kept.Dispose();
    }

    [Fact]
    public void MoveToOuterHandsTheTensorToTheEnclosingScope()
    {
        using var outer = NewDisposeScope();
        Tensor moved, left;
        using (var inner = NewDisposeScope())
        {
            moved = ones(3).MoveToOuterDisposeScope();
            left = ones(3);
            Assert.Equal(1, inner.Count);
            Assert.Equal(1, outer.Count);
        }
        Assert.True(left.IsDisposed);
        Assert.False(moved.IsDisposed);
        Assert.Same(outer, DisposeScope.Current);
        outer.Dispose();
        Assert.True(moved.IsDisposed);
    }

    [Fact]
    public void MoveOutOfTheLastScopeLeavesTheTensorToTheCaller()
    {
        Tensor t;
        using (NewDisposeScope()) t = ones(1).MoveToOuterDisposeScope();
        Assert.False(t.IsDisposed);
        Assert.Equal(1f, t.item<float>());
        t.Dispose();
        Assert.True(t.IsDisposed);
    }

    [Fact]
    public void ManyTensorsDisposedInsideOneScopeKeepTheCountRight()
    {
        using var scope = NewDisposeScope();
        var survivors = new List<Tensor>();
        for (var i = 0; i < 5000; i++)
        {
            var t = full(new long[] { 1 }, i);
            if (i % 100 == 0) survivors.Add(t);
            else t.Dispose();
        }
        Assert.Equal(survivors.Count, scope.Count);
        // Survivors stay owned (and usable) across the scope's internal compaction.
        Assert.Equal(Enumerable.Range(0, 50).Sum(i => i * 100), survivors.Sum(t => t.item<long>()));
        survivors[7].Dispose();
        Assert.Equal(survivors.Count - 1, scope.Count);
        var detached = survivors[8].DetachFromDisposeScope();
        Assert.Equal(survivors.Count - 2, scope.Count);
        scope.Dispose();
        Assert.All(survivors.Where(t => !ReferenceEquals(t, detached)), t => Assert.True(t.IsDisposed));
        Assert.False(detached.IsDisposed);
        detached.Dispose();
    }

    [Fact]
    public void DroppedTensorsAreFinalizedWithoutHarmingLiveOnes()
    {
        // Unscoped tensors carry the finalizer safety net; detached/moved-out ones get it when they leave their scope.
        Tensor detached, movedOut;
        using (NewDisposeScope())
        {
            detached = full(new long[] { 4 }, 3.0).DetachFromDisposeScope();
            movedOut = full(new long[] { 4 }, 5.0).MoveToOuterDisposeScope();
        }
        var unscoped = full(new long[] { 4 }, 7.0);
        DropUnreferencedTensors();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(12f, detached.sum().item<float>());
        Assert.Equal(20f, movedOut.sum().item<float>());
        Assert.Equal(28f, unscoped.sum().item<float>());
        detached.Dispose();
        movedOut.Dispose();
        unscoped.Dispose();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void DropUnreferencedTensors()
    {
        for (var i = 0; i < 1000; i++) _ = ones(16) + 1;
        using (NewDisposeScope()) for (var i = 0; i < 100; i++) _ = ones(16).DetachFromDisposeScope();
    }

    [Fact]
    public void ATensorMovedIntoAScopeIsDisposedByIt()
    {
        Tensor t;
        using (var outer = NewDisposeScope())
        {
            using (NewDisposeScope()) t = ones(2).MoveToOuterDisposeScope();
            Assert.Equal(1, outer.Count);
        }
        Assert.True(t.IsDisposed);
    }
}
