// Test classes run one at a time, not in parallel. TorchSharp 0.107 passes a Scalar's (or an unscoped tensor's) native
// handle to libtorch without keeping the managed object alive (no GC.KeepAlive), so a garbage collection started by
// ANOTHER thread during the native call can let the finalizer free the Scalar while libtorch reads it. Seen here as
// "Unknown scalar type" from pow(Tensor, Scalar) and as a wrong probe-loss value, in about one full parallel run in four.
// On a single managed thread a collection can only start at that thread's own allocations, after the call has returned.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
