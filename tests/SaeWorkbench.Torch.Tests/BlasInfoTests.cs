namespace SaeWorkbench.Torch.Tests;

public class BlasInfoTests
{
    [Fact]
    public void BlasInfoNamesTheLibraryThatServesSgemm()
    {
        var info = blas_info();
        Assert.True(File.Exists(info.Path), $"sgemm_ provider '{info.Path}' is not a file");
        Assert.Contains(info.Name, new[] { "openblas", "mkl", "blis", "reference", "unknown" });
        // The implementation is read from the sgemm_ library itself: an OpenBLAS config only comes with OpenBLAS.
        if (info.Name == "openblas") Assert.StartsWith("OpenBLAS", info.Config);
        else Assert.Equal("", info.Config);
        Assert.Equal(info.Name == "reference", info.IsReference);
    }
}
