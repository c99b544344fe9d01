using System.Buffers.Binary;
using System.Text;
using SaeWorkbench.Torch.Serialization;
using F = SaeWorkbench.Torch.torch.nn.functional;

namespace SaeWorkbench.Torch.Tests;

/// <summary>
/// Mistakes give clear errors: the exception type a caller can catch, and a message that says
/// what was wrong (libtorch's own text for libtorch's checks, without its C++ backtrace).
/// </summary>
public class ErrorsTests
{
    private static void AssertNoBacktrace(Exception ex)
    {
        Assert.DoesNotContain("frame #", ex.Message);
        Assert.DoesNotContain("Exception raised from", ex.Message);
    }

    // ------------------------------------------------------------------ shapes

    [Fact]
    public void Matmul_ShapeMismatch_CarriesLibtorchsMessageWithTheShapes()
    {
        using var scope = NewDisposeScope();
        var a = randn(2, 3);
        var b = randn(4, 5);
        var ex = Assert.Throws<TorchException>(() => a.matmul(b));
        Assert.Contains("cannot be multiplied", ex.Message);
        Assert.Contains("2x3", ex.Message);
        Assert.Contains("4x5", ex.Message);
        AssertNoBacktrace(ex);
        Assert.Contains("4x5", Assert.Throws<TorchException>(() => a.mm(b)).Message);
    }

    [Fact]
    public void Add_ShapeMismatch_NamesTheSizes()
    {
        using var scope = NewDisposeScope();
        var a = randn(2, 3);
        var b = randn(4);
        var ex = Assert.Throws<TorchException>(() => a + b);
        Assert.Contains("must match the size of tensor b (4)", ex.Message);
        Assert.Contains("tensor a (3)", ex.Message);
        Assert.Contains("dimension 1", ex.Message);
        AssertNoBacktrace(ex);
    }

    [Fact]
    public void View_IncompatibleShape()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => randn(2, 3).view(4, 2));
        Assert.Contains("[4, 2]", ex.Message);
        Assert.Contains("6", ex.Message);
    }

    [Fact]
    public void DimensionOutOfRange()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3);
        var ex = Assert.Throws<TorchException>(() => x.sum(5));
        Assert.Contains("Dimension out of range", ex.Message);
        Assert.Contains("[-2, 1]", ex.Message);
        Assert.Contains("5", ex.Message);
        AssertNoBacktrace(ex);
        Assert.Contains("Dimension out of range", Assert.Throws<TorchException>(() => x.softmax(-3)).Message);
        Assert.Contains("Dimension out of range", Assert.Throws<TorchException>(() => x.transpose(0, 2)).Message);

        // Dimensions resolved on the managed side say the same, naming the argument.
        var sizeEx = Assert.Throws<ArgumentOutOfRangeException>(() => x.size(2));
        Assert.Equal("dim", sizeEx.ParamName);
        Assert.Contains("Dimension out of range (expected to be in range of [-2, 1], but got 2)", sizeEx.Message);
        Assert.Contains("[-2, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => x.size(-3)).Message);
        Assert.Contains("got 4", Assert.Throws<ArgumentOutOfRangeException>(() => x.split(1, dim: 4)).Message);
        Assert.Contains("got -5", Assert.Throws<ArgumentOutOfRangeException>(() => x.unbind(-5)).Message);
        Assert.Equal(3, x.size(-1)); // in range, negative dims still count from the end
    }

    [Fact]
    public void Subscript_OutOfBounds()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3);
        var ex = Assert.Throws<IndexOutOfRangeException>(() => x[0, 3]);
        Assert.Contains("index 3 is out of bounds for dimension 1 with size 3", ex.Message);
        Assert.Contains("index -3 is out of bounds for dimension 0 with size 2", Assert.Throws<IndexOutOfRangeException>(() => x[-3]).Message);
        // The dimension is counted in the indexed tensor (as PyTorch does), also after an ellipsis.
        var y = randn(2, 3, 4);
        Assert.Contains("for dimension 2 with size 4", Assert.Throws<IndexOutOfRangeException>(() => y[TensorIndex.Ellipsis, 4]).Message);
        Assert.Contains("for dimension 1 with size 3", Assert.Throws<IndexOutOfRangeException>(() => y[TensorIndex.Ellipsis, 5, 0]).Message);
        Assert.Contains("for dimension 2 with size 4", Assert.Throws<IndexOutOfRangeException>(() => y[TensorIndex.None, 1, .., 9]).Message);
        Assert.Contains("too many indices", Assert.Throws<IndexOutOfRangeException>(() => x[0, 0, 0]).Message);
    }

    // ------------------------------------------------------------------ dtypes

    [Fact]
    public void CrossEntropy_FloatTargetsOfTheWrongShape()
    {
        using var scope = NewDisposeScope();
        var logits = randn(4, 3);
        var floatTargets = tensor(new float[] { 0, 2, 1, 1 }); // class indices must be int64; float targets are probabilities [4, 3]
        var ex = Assert.Throws<TorchException>(() => F.cross_entropy(logits, floatTargets));
        AssertNoBacktrace(ex);
        Assert.Contains("expected scalar type Long but found Float", ex.Message); // libtorch's text: targets must be int64
        // The right dtype works, and so do probabilities of the right shape.
        Assert.Equal(0, F.cross_entropy(logits, floatTargets.@long()).dim());
        Assert.Equal(0, F.cross_entropy(logits, full(new long[] { 4, 3 }, 1.0 / 3)).dim());
    }

    [Fact]
    public void IndexSelect_WithAFloatIndex()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 3);
        var ex = Assert.Throws<TorchException>(() => x.index_select(0, tensor(new float[] { 0, 1 })));
        Assert.Contains("index_select", ex.Message);
        Assert.Contains("int64", ex.Message);
        AssertNoBacktrace(ex);
    }

    [Fact]
    public void ToArray_WithTheWrongElementType_NamesBothDtypes()
    {
        using var scope = NewDisposeScope();
        var ints = arange(6);
        Assert.Equal(int64, ints.dtype);
        var ex = Assert.Throws<ArgumentException>(() => ints.ToArray<float>());
        Assert.Contains("int64", ex.Message);
        Assert.Contains("float32", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => randn(2).ToArray<double>());
        Assert.Contains("float32", ex2.Message);
        Assert.Contains("float64", ex2.Message);
        Assert.Throws<ArgumentException>(() => ints.CopyFrom<int>(new int[6]));
    }

    [Fact]
    public void TensorFromData_WithAShapeThatDoesNotFit()
    {
        var ex = Assert.Throws<TorchException>(() => tensor(new float[] { 1, 2, 3 }, new long[] { 2, 2 }));
        Assert.Contains("[2, 2]", ex.Message);
        Assert.Contains("16 bytes but 12 were given", ex.Message);
    }

    [Fact]
    public void Item_OnAMultiElementTensor()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => randn(2, 3).item<float>());
        Assert.Contains("6 elements", ex.Message);
    }

    // ------------------------------------------------------------------ lifetime

    [Fact]
    public void DisposedTensor_ThrowsObjectDisposed()
    {
        var x = randn(3);
        x.Dispose();
        Assert.True(x.IsDisposed);
        var ex = Assert.Throws<ObjectDisposedException>(() => x.sum());
        Assert.Contains("disposed", ex.Message);
        Assert.Throws<ObjectDisposedException>(() => x.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => x.shape);
        Assert.Equal("Tensor(disposed)", x.ToString());
        using var y = randn(3);
        Assert.Throws<ObjectDisposedException>(() => y + x); // as an argument too
        x.Dispose(); // disposing twice is harmless
    }

    [Fact]
    public void TensorUsedAfterItsScopeEnded_ThrowsObjectDisposed()
    {
        Tensor escaped;
        using (NewDisposeScope())
        {
            escaped = randn(3) * 2;
            Assert.Equal(3, escaped.numel());
        }
        var ex = Assert.Throws<ObjectDisposedException>(() => escaped.mean());
        Assert.Contains("disposed", ex.Message);
        Assert.Contains("MoveToOuterDisposeScope", ex.Message); // and it says how to keep one
    }

    // ------------------------------------------------------------------ configuration

    [Fact]
    public void Adam_NegativeLearningRate()
    {
        using var scope = NewDisposeScope();
        var p = zeros(new long[] { 2 }, requires_grad: true);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new optim.Adam([p], new optim.AdamOptions { lr = -1e-3 }));
        Assert.Equal("lr", ex.ParamName);
        Assert.Contains("lr", ex.Message);
        var groupEx = Assert.Throws<ArgumentOutOfRangeException>(() => new optim.Adam([new optim.ParamGroup([p], lr: -1)]));
        Assert.Equal("lr", groupEx.ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => new optim.Adam([p], new optim.AdamOptions { eps = 0 })).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new optim.Adam([p], new optim.AdamOptions { beta2 = 1 })).ParamName);
        Assert.Equal("lr", Assert.Throws<ArgumentOutOfRangeException>(() => new optim.Adam([p], new optim.AdamOptions { lr = double.NaN })).ParamName);
    }

    [Fact]
    public void LayerNorm_NonPositiveEps()
    {
        foreach (var eps in new[] { 0.0, -1e-5, double.NaN })
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new nn.LayerNorm(8, eps: eps));
            Assert.Equal("eps", ex.ParamName);
            Assert.Contains("eps must be positive", ex.Message);
        }
        Assert.Equal("normalized_shape", Assert.Throws<ArgumentException>(() => new nn.LayerNorm(new long[] { 0 })).ParamName);
    }

    [Fact]
    public void Gelu_UnknownApproximation()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => F.gelu(randn(3), approximate: "bogus"));
        Assert.Equal("approximate", ex.ParamName);
        Assert.Contains("bogus", ex.Message);
        Assert.Contains("tanh", ex.Message); // lists what is accepted
    }

    [Fact]
    public void DeviceParse_UnknownDevice()
    {
        var ex = Assert.Throws<ArgumentException>(() => Device.Parse("gpu"));
        Assert.Contains("'gpu'", ex.Message);
        Assert.Contains("cuda:N", ex.Message);
        Assert.Throws<ArgumentException>(() => Device.Parse("cuda:-1"));
        Assert.Equal(Device.CUDA(1), Device.Parse("cuda:1"));
    }

    // ------------------------------------------------------------------ autograd

    [Fact]
    public void Backward_OnANonScalarWithoutAGradient()
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 3 }, requires_grad: true);
        var y = x * 2;
        var ex = Assert.Throws<TorchException>(() => y.backward());
        Assert.Contains("grad can be implicitly created only for scalar outputs", ex.Message);
        AssertNoBacktrace(ex);
        y.backward(ones(3)); // with the vector it works
        Assert.Equal(new float[] { 2, 2, 2 }, x.grad!.ToArray<float>());
    }

    [Fact]
    public void Backward_WithoutAGraph()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => randn(3).sum().backward());
        Assert.Contains("does not require grad", ex.Message);
        AssertNoBacktrace(ex);
    }

    [Fact]
    public void LibtorchErrors_CarryNoCppBacktrace()
    {
        using var scope = NewDisposeScope();
        var errors = new List<Exception>
        {
            Assert.Throws<TorchException>(() => randn(2, 3).matmul(randn(2, 3))),
            Assert.Throws<TorchException>(() => randn(2, 3).sum(7)),
            Assert.Throws<TorchException>(() => randn(2, 3).index_select(0, tensor(new long[] { 5 }))),
            Assert.Throws<TorchException>(() => cat(new[] { randn(2, 3), randn(2, 4) })),
            Assert.Throws<TorchException>(() => randn(2, 3).reshape(5)),
            Assert.Throws<TorchException>(() => F.embedding(tensor(new long[] { 10 }), randn(4, 2))),
        };
        foreach (var ex in errors)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            AssertNoBacktrace(ex);
            Assert.True(ex.Message.Length < 2000, $"message of {ex.Message.Length} chars: {ex.Message}");
        }
    }

    // ------------------------------------------------------------------ files

    [Fact]
    public void CorruptSafetensorsFile_NamesTheFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "err-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // 1: a header length pointing far beyond the end of a small file.
            var truncated = Path.Combine(dir, "truncated-header.safetensors");
            var bytes = new byte[8 + 16];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, 4096);
            File.WriteAllBytes(truncated, bytes);
            var ex = Assert.Throws<SafeTensorsException>(() => { using var f = SafeTensorsFile.Open(truncated); });
            Assert.Contains("truncated-header.safetensors", ex.Message);
            Assert.Contains("beyond the end of the file", ex.Message);
            Assert.Equal(Path.GetFullPath(truncated), ex.FilePath);

            // 2: a well-framed header that is not JSON.
            var garbage = Path.Combine(dir, "not-json.safetensors");
            var header = Encoding.UTF8.GetBytes("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_off");
            var framed = new byte[8 + header.Length + 8];
            BinaryPrimitives.WriteUInt64LittleEndian(framed, (ulong)header.Length);
            header.CopyTo(framed, 8);
            File.WriteAllBytes(garbage, framed);
            var ex2 = Assert.Throws<SafeTensorsException>(() => { using var f = SafeTensorsFile.Open(garbage); });
            Assert.Contains("not-json.safetensors", ex2.Message);
            Assert.Equal(Path.GetFullPath(garbage), ex2.FilePath);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
