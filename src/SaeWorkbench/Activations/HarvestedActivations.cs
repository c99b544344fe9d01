using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Activations;

/// <summary>
/// Harvested rows held in memory, each activation aligned with the token it was computed at: row i is the activation of
/// token <c>Tokens[i]</c> at position <c>Positions[i]</c> of window <c>Windows[i]</c> of the token stream, which is how
/// metrics join activations with tokens and the synthetic corpus's labels. Returned by the in-memory harvest
/// (<see cref="ActivationHarvester.HarvestToMemory"/>) and by sequential reads of a store (<see cref="ActivationStore.ReadShard"/>).
/// Owns its tensors (they are not in any dispose scope); <see cref="Dispose"/> frees them.
/// </summary>
public sealed class HarvestedActivations : IDisposable
{
    /// <summary>Takes ownership of the four tensors (detaching them from their dispose scope) after checking their shapes.</summary>
    public HarvestedActivations(Tensor activations_ND, Tensor tokens_N, Tensor positions_N, Tensor windows_N)
    {
        if (activations_ND.dim() != 2) throw new ArgumentException($"activations must be [N, D], got {activations_ND.ShapeString}", nameof(activations_ND));
        var n = activations_ND.size(0);
        void CheckVector(Tensor t, string name, ScalarType dtype)
        {
            if (t.dim() != 1 || t.size(0) != n || t.dtype != dtype)
                throw new ArgumentException($"{name} must be a {dtype} vector of N = {n} entries, got {t.dtype} {t.ShapeString}", name);
        }
        CheckVector(tokens_N, nameof(tokens_N), ScalarType.Int32);
        CheckVector(positions_N, nameof(positions_N), ScalarType.Int32);
        CheckVector(windows_N, nameof(windows_N), ScalarType.Int64);
        Activations = activations_ND.DetachFromDisposeScope();
        Tokens = tokens_N.DetachFromDisposeScope();
        Positions = positions_N.DetachFromDisposeScope();
        Windows = windows_N.DetachFromDisposeScope();
    }

    /// <summary>Activation vectors [N, D], float32 (rounded through the storage dtype, so equal to what a store returns).</summary>
    public Tensor Activations { get; }

    /// <summary>Token id of each row [N], int32.</summary>
    public Tensor Tokens { get; }

    /// <summary>Position of each row within its window [N], int32 (0..T-1).</summary>
    public Tensor Positions { get; }

    /// <summary>Window index of each row in the token stream [N], int64.</summary>
    public Tensor Windows { get; }

    /// <summary>Rows N.</summary>
    public long Count => Activations.size(0);

    /// <summary>Width D.</summary>
    public long DModel => Activations.size(1);

    /// <summary>A training source over these rows (<see cref="TensorActivationSource"/>: in order, or in a fresh seeded
    /// random order each pass). The source shares the activation storage; dispose it separately.</summary>
    public TensorActivationSource ToSource(ulong? shuffleSeed = null) => new(Activations, shuffleSeed);

    public void Dispose()
    {
        Activations.Dispose();
        Tokens.Dispose();
        Positions.Dispose();
        Windows.Dispose();
    }
}
