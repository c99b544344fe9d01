namespace SaeWorkbench.Torch.Tests;

/// <summary>The runtime the bridge runs on: BLAS, threads, version.</summary>
public class RuntimeTests
{
    [Fact]
    public void ActiveBlasIsNotTheReferenceOne()
    {
        var blas = blas_info();
        // The reference (Netlib) BLAS makes libtorch's GEMM ~45x slower: run environment/setup.sh.
        Assert.False(blas.IsReference,
            $"libtorch is using the reference BLAS ({blas.Path}); install libopenblas0-pthread (environment/setup.sh) so libblas.so.3 is OpenBLAS");
        Assert.Equal("openblas", blas.Name);
        Assert.Contains("openblas", blas.Path, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void IntraOpThreadsEqualTheCoreCountAtStartUp()
    {
        Assert.Equal(Environment.ProcessorCount, get_num_threads());
        Assert.Contains("at::get_num_threads() : " + Environment.ProcessorCount, parallel_info());
    }

    [Fact]
    public void ReportsTheLibtorchVersionItWasBuiltAgainst()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        Assert.False(cuda.is_available() && cuda.device_count() == 0);
    }
}
