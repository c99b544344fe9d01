namespace SaeWorkbench.Notebooks.Tests;

public class NotebookParametersTests
{
    private static string Write(TempDir dir) => Nb.Write(dir.File("params.ipynb"),
        Nb.Md("# Parameters"),
        Nb.Code("""
            enum Scale { Smoke, Default, Large }
            var scale = Scale.Default;
            var label = "default run";
            int steps = 5;
            double lr = 0.1;
            bool verbose = false;
            """, NotebookParameters.ParametersTag),
        Nb.Code("$\"{scale}|{label}|{steps}|{lr}|{verbose}\""));

    private static string LastValue(NotebookRunResult result) =>
        Nb.Text(Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!)).Last().Outputs.Single(), "text/plain")!;

    [Fact]
    public async Task Injected_values_replace_the_defaults_with_the_declared_types()
    {
        using var dir = new TempDir();
        var path = Write(dir);
        var defaults = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("a"), WriteHtml = false });
        Assert.True(defaults.Succeeded, defaults.Error?.ToString());
        Assert.Equal("Default|default run|5|0.1|False", LastValue(defaults));

        var options = new NotebookRunOptions
        {
            OutputDirectory = dir.File("b"),
            Parameters = new Dictionary<string, string>
            {
                ["scale"] = "large", ["label"] = "a \"quoted\" \\ label", ["steps"] = "7", ["lr"] = "2.5e-4", ["verbose"] = "true",
            },
        };
        var result = await NotebookRunner.RunAsync(path, options);
        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal("Large|a \"quoted\" \\ label|7|0.00025|True", LastValue(result));
        Assert.Equal(3, result.TotalCodeCells);
        Assert.Equal([(1, false), (1, true), (2, false)], result.Cells.Select(c => (c.CodeCellNumber, c.IsInjectedParameters)));

        // the executed notebook shows the injected cell right after the parameters cell
        Nb.AssertValidNbformat(result.ExecutedNotebookPath!);
        var executed = Notebook.Load(result.ExecutedNotebookPath!);
        Assert.Equal(4, executed.Cells.Count);
        var injected = executed.Cells[2];
        Assert.True(injected.HasTag(NotebookParameters.InjectedTag));
        Assert.Equal(2, injected.ExecutionCount);
        Assert.Contains("scale = Scale.Large;", injected.Source);
        Assert.Contains("steps = 7;", injected.Source);
        Assert.Equal([1, 2, 3], Nb.CodeCells(executed).Select(c => c.ExecutionCount));
        Assert.Contains("injected-parameters", File.ReadAllText(result.HtmlPath!));

        // running the executed notebook again drops the old injected cell
        var again = await NotebookRunner.RunAsync(result.ExecutedNotebookPath!, new() { OutputDirectory = dir.File("c"), WriteHtml = false });
        Assert.True(again.Succeeded, again.Error?.ToString());
        Assert.Equal("Default|default run|5|0.1|False", LastValue(again));
        Assert.DoesNotContain(Notebook.Load(again.ExecutedNotebookPath!).Cells, c => c.HasTag(NotebookParameters.InjectedTag));
    }

    [Fact]
    public async Task Unknown_parameter_fails_before_anything_runs_and_lists_the_declared_ones()
    {
        using var dir = new TempDir();
        var result = await NotebookRunner.RunAsync(Write(dir), new()
        {
            OutputDirectory = dir.File("out"),
            Parameters = new Dictionary<string, string> { ["scael"] = "smoke" },
        });
        var e = result.Error!;
        Assert.Equal((NotebookErrorKind.Parameters, 1, 1), (e.Kind, e.CodeCellNumber!.Value, e.CellIndex!.Value));
        Assert.Equal("parameter 'scael' not declared in the parameters cell; it declares: scale, label, steps, lr, verbose", e.Message);
        Assert.Empty(result.Cells);
        Assert.Equal(1, result.ExitCode);
    }

    [Theory]
    [InlineData("steps", "many", "parameter 'steps' = 'many' is not an integer (Int32) (the parameters cell declares it as Int32)")]
    [InlineData("verbose", "yes", "parameter 'verbose' = 'yes' is not true or false")]
    [InlineData("scale", "huge", "parameter 'scale' = 'huge' is not one of Smoke, Default, Large")]
    public async Task A_value_the_type_cannot_take_is_reported(string name, string value, string expected)
    {
        using var dir = new TempDir();
        var result = await NotebookRunner.RunAsync(Write(dir), new()
        {
            OutputDirectory = dir.File("out"),
            WriteHtml = false,
            Parameters = new Dictionary<string, string> { [name] = value },
        });
        var e = result.Error!;
        Assert.Equal(NotebookErrorKind.Parameters, e.Kind);
        Assert.StartsWith(expected, e.Message);
        Assert.Single(result.Cells); // the parameters cell ran, nothing after it
    }

    [Fact]
    public async Task Parameters_for_a_notebook_without_a_parameters_cell_are_an_error()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("plain.ipynb"), Nb.Code("var scale = \"default\";"));
        var result = await NotebookRunner.RunAsync(path, new()
        {
            OutputDirectory = dir.File("out"),
            Parameters = new Dictionary<string, string> { ["scale"] = "smoke" },
        });
        Assert.Equal(NotebookErrorKind.Parameters, result.Error!.Kind);
        Assert.Contains("no code cell is tagged 'parameters'", result.Error.Message);
    }

    [Fact]
    public void Declared_names_and_literals()
    {
        Assert.Equal(["a", "b", "c", "d"], NotebookParameters.DeclaredNames("var a = 1;\nint b = 2, c = 3;\nstatic string d = \"x\";\nConsole.WriteLine(a);\nif (true) { var hidden = 1; }"));
        Assert.Equal("x = \"a\\\"b\\nc\";", NotebookParameters.Assignment("x", typeof(string), "a\"b\nc"));
        Assert.Equal("x = 3000000000L;", NotebookParameters.Assignment("x", typeof(long), "3000000000"));
        Assert.Equal("x = 0.1d;", NotebookParameters.Assignment("x", typeof(double), "0.1"));
        Assert.Equal("x = 1E-05f;", NotebookParameters.Assignment("x", typeof(float), "1e-5"));
        Assert.Equal("x = null;", NotebookParameters.Assignment("x", typeof(int?), "null"));
        Assert.Equal("x = global::System.DayOfWeek.Monday;", NotebookParameters.Assignment("x", typeof(DayOfWeek), "monday"));
        Assert.Throws<FormatException>(() => NotebookParameters.Assignment("x", typeof(List<int>), "1"));
        Assert.Equal(new Dictionary<string, string> { ["scale"] = "smoke", ["expr"] = "a=b" }, NotebookParameters.ParseAssignments(["scale=smoke", "expr=a=b"]));
        Assert.Throws<ArgumentException>(() => NotebookParameters.ParseAssignments(["novalue"]));
        Assert.Throws<ArgumentException>(() => NotebookParameters.ParseAssignments(["1bad=x"]));
    }
}
