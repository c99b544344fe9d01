namespace SaeWorkbench.Notebooks.Tests;

public class NotebookCommandTests
{
    [Fact]
    public async Task Exit_codes_progress_and_errors()
    {
        using var dir = new TempDir();
        var good = Nb.Write(dir.File("good.ipynb"),
            Nb.Code("var scale = \"default\";", NotebookParameters.ParametersTag),
            Nb.Code("Console.WriteLine($\"scale={scale}\");"));
        var bad = Nb.Write(dir.File("bad.ipynb"), Nb.Code("var x = 1;"), Nb.Code("throw new Exception(\"kaput\");"));

        var (code, stdout, stderr) = await Run("run", good, "-o", dir.File("out"), "-p", "scale=smoke");
        Assert.True(code == 0, stderr);
        Assert.Contains("[1/3] code cell 1: ok", stdout);
        Assert.Contains("[2/3] injected parameters: ok", stdout);
        Assert.Contains("[3/3] code cell 2: ok", stdout);
        Assert.Contains("good.ipynb: ok, 3 cells", stdout);
        Assert.Equal("scale=smoke\n", ((StreamOutput)Notebook.Load(dir.File("out/good.ipynb")).Cells[^1].Outputs[0]).Text);
        Assert.True(File.Exists(dir.File("out/good.html")));

        (code, stdout, stderr) = await Run("run", bad, good, "-o", dir.File("out2"), "--no-html", "--quiet");
        Assert.Equal(1, code);
        Assert.Contains($"error: {Path.GetFullPath(bad)}: code cell 2 (cell index 1), line 1: System.Exception: kaput", stderr);
        Assert.Contains("good.ipynb: ok", stdout); // the other notebook still ran
        Assert.DoesNotContain("[1/", stdout);
        Assert.True(File.Exists(dir.File("out2/bad.ipynb")));
        Assert.False(File.Exists(dir.File("out2/bad.html")));

        Assert.Equal(2, (await Run()).Code);
        Assert.Equal(2, (await Run("run")).Code);
        Assert.Equal(2, (await Run("run", good, "--bogus")).Code);
        Assert.Equal(2, (await Run("run", good, "-p", "noequals")).Code);
        Assert.Equal(2, (await Run("frobnicate", good)).Code);
        Assert.Equal(1, (await Run("run", dir.File("missing.ipynb"))).Code);

        (code, stdout, _) = await Run("html", dir.File("out/good.ipynb"), "-o", dir.File("page.html"));
        Assert.Equal(0, code);
        Assert.Contains("scale=smoke", File.ReadAllText(dir.File("page.html")));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await NotebookCommand.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
