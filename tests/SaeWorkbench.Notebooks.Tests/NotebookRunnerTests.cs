using System.Text.Json.Nodes;

namespace SaeWorkbench.Notebooks.Tests;

public class NotebookRunnerTests
{
    /// <summary>The core library the test's output folder holds (the test project references it through the runner).</summary>
    private static string CoreLibrary
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "SaeWorkbench.dll");
            Assert.True(File.Exists(path), $"core library not found at {path}");
            return path;
        }
    }

    private static NotebookRunOptions Options(TempDir dir, IProgress<NotebookProgress>? progress = null) =>
        new() { OutputDirectory = dir.File("out"), Progress = progress };

    [Fact]
    public async Task Runs_a_notebook_with_state_across_cells_r_of_the_core_library_display_and_HTML()
    {
        using var dir = new TempDir();
        var relativeCore = Path.GetRelativePath(dir.Path, CoreLibrary).Replace('\\', '/');
        var path = Nb.Write(dir.File("demo.ipynb"),
            Nb.Md("# Demo\nState *across* cells, with $x^2$ math."),
            Nb.Code($$"""
                #r "{{relativeCore}}"
                using SaeWorkbench.Training;
                var xs = new List<int> { 1, 2, 3 };
                Console.WriteLine("hello from cell 1");
                """),
            Nb.Code("""
                xs.Add(4);
                var total = xs.Sum();
                display(HTML("<b>total</b>"));
                display(total);
                Console.Error.WriteLine("a warning");
                Console.WriteLine("after");
                total
                """),
            Nb.Code("""
                var progress = new TrainingProgress("run-a", 5, 10, 50, 200, 1000.0,
                    new Dictionary<string, double> { ["mse"] = 0.5 }, 12.5, 0.01, 1e-3, TimeSpan.FromSeconds(2));
                display(progress.FractionDone);
                HTML($"<i>{progress.RunName}</i>")
                """),
            Nb.Code("""
                record Point(int X, int Y);
                static int Square(int v) => v * v;
                await Task.Delay(1);
                var doubled = await Task.FromResult(total * 2);
                """),
            Nb.Code("new Point(Square(3), doubled)"),
            Nb.Code("Console.WriteLine(\"void call\")"));

        var recorder = new Recorder();
        var options = Options(dir, recorder) with { ReferenceWorkbenchAssemblies = false }; // the #r above must do it
        var result = await NotebookRunner.RunAsync(path, options);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(0, result.ExitCode);
        Assert.Equal([1, 2, 3, 4, 5, 6], result.Cells.Select(c => c.CodeCellNumber));
        Assert.Equal([1, 2, 3, 4, 5, 6], result.Cells.Select(c => c.ExecutionCount));
        Assert.Equal([1, 2, 3, 4, 5, 6], result.Cells.Select(c => c.CellIndex));
        Assert.All(result.Cells, c => Assert.True(c.Succeeded && c.Duration > TimeSpan.Zero));
        Assert.Equal(dir.File("out/demo.ipynb"), result.ExecutedNotebookPath);
        Assert.Equal(dir.File("out/demo.html"), result.HtmlPath);

        // progress: started and completed per cell, in order
        Assert.Equal(12, recorder.Reports.Count);
        Assert.Equal(Enumerable.Range(1, 6).SelectMany(i => new[] { (i, NotebookProgressStage.CellStarted), (i, NotebookProgressStage.CellCompleted) }),
            recorder.Reports.Select(r => (r.Step, r.Stage)));
        Assert.All(recorder.Reports, r => Assert.Equal(6, r.TotalSteps));

        // the executed notebook validates and holds the outputs
        Nb.AssertValidNbformat(result.ExecutedNotebookPath!);
        var executed = Notebook.Load(result.ExecutedNotebookPath!);
        Assert.Equal(".net-csharp", (string?)executed.Metadata["kernelspec"]!["name"]);
        var cells = Nb.CodeCells(executed);
        Assert.Equal([1, 2, 3, 4, 5, 6], cells.Select(c => c.ExecutionCount));

        var c1 = Assert.Single(cells[0].Outputs);
        Assert.Equal(("stdout", "hello from cell 1\n"), (((StreamOutput)c1).Name, ((StreamOutput)c1).Text));

        var o2 = cells[1].Outputs;
        Assert.Equal(["display_data", "display_data", "stream", "stream", "execute_result"], o2.Select(o => o.OutputType));
        Assert.Equal("<b>total</b>", Nb.Text(o2[0], "text/html"));
        Assert.Null(Nb.Text(o2[0], "text/plain")); // markup has no plain form
        Assert.Equal("10", Nb.Text(o2[1], "text/plain"));
        Assert.StartsWith("<div class=\"dni-plaintext\"><pre>10</pre></div>", Nb.Text(o2[1], "text/html")); // .NET Interactive's own HTML
        Assert.Equal(("stderr", "a warning\n"), (((StreamOutput)o2[2]).Name, ((StreamOutput)o2[2]).Text));
        Assert.Equal(("stdout", "after\n"), (((StreamOutput)o2[3]).Name, ((StreamOutput)o2[3]).Text));
        var r2 = Assert.IsType<ExecuteResultOutput>(o2[4]);
        Assert.Equal(2, r2.ExecutionCount);
        Assert.Equal("10", r2.Data.GetText("text/plain"));

        var o3 = cells[2].Outputs;
        Assert.Equal("0.25", Nb.Text(o3[0], "text/plain")); // 50 of 200 tokens, computed by the core library
        Assert.Equal("<i>run-a</i>", Nb.Text(Assert.IsType<ExecuteResultOutput>(o3[1]), "text/html"));

        Assert.Empty(cells[3].Outputs); // declarations and awaits, no trailing expression
        var point = Nb.Text(Assert.Single(cells[4].Outputs), "text/plain")!.Replace(" ", ""); // .NET Interactive's plain-text formatter
        Assert.Equal("Point\nX:9\nY:20", point);
        Assert.Equal("void call\n", ((StreamOutput)Assert.Single(cells[5].Outputs)).Text); // a void trailing call shows no value

        // the HTML page: markdown rendered, sources escaped, html outputs inlined, text escaped
        var html = File.ReadAllText(result.HtmlPath!);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<h1 id=\"demo\">Demo</h1>", html);
        Assert.Contains("<span class=\"math\">\\(x^2\\)</span>", html);
        Assert.Contains("<b>total</b>", html);
        Assert.Contains("<i>run-a</i>", html);
        Assert.Contains("display(HTML(&quot;&lt;b&gt;total&lt;/b&gt;&quot;));", html);
        Assert.Contains("<pre class=\"output stream stderr\">a warning\n</pre>", html);
        Assert.Contains("<title>Demo</title>", html);
    }

    [Fact]
    public async Task A_throwing_cell_stops_the_run_names_cell_line_and_message_and_keeps_the_error_in_the_notebook()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("fails.ipynb"),
            Nb.Md("intro"),
            Nb.Code("var a = 1;"),
            Nb.Code("var b = 2;\nConsole.WriteLine(\"before\");\nthrow new InvalidOperationException($\"boom {a + b}\");"),
            Nb.Code("Console.WriteLine(\"never runs\");"));

        var result = await NotebookRunner.RunAsync(path, Options(dir));

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.ExitCode);
        var e = result.Error!;
        Assert.Equal(NotebookErrorKind.Runtime, e.Kind);
        Assert.Equal(Path.GetFullPath(path), e.NotebookPath);
        Assert.Equal(2, e.CodeCellNumber);
        Assert.Equal(2, e.CellIndex);
        Assert.Equal(3, e.Line);
        Assert.Equal("System.InvalidOperationException", e.ExceptionType);
        Assert.Equal("System.InvalidOperationException: boom 3", e.Message);
        Assert.Equal($"{Path.GetFullPath(path)}: code cell 2 (cell index 2), line 3: System.InvalidOperationException: boom 3", e.ToString());
        Assert.Equal([true, false], result.Cells.Select(c => c.Succeeded));

        Nb.AssertValidNbformat(result.ExecutedNotebookPath!);
        var cells = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!));
        Assert.Equal([1, 2, null], cells.Select(c => c.ExecutionCount));
        Assert.Equal("before\n", ((StreamOutput)cells[1].Outputs[0]).Text);
        var error = Assert.IsType<ErrorOutput>(cells[1].Outputs[1]);
        Assert.Equal(("System.InvalidOperationException", "boom 3"), (error.EName, error.EValue));
        Assert.Equal(e.ToString(), error.Traceback[0]);
        Assert.Contains(error.Traceback, t => t.Contains("#cell-2:line 3"));
        Assert.DoesNotContain(error.Traceback, t => t.Contains("Microsoft.CodeAnalysis.Scripting"));
        Assert.Empty(cells[2].Outputs);
        Assert.Contains("boom 3", File.ReadAllText(result.HtmlPath!));
    }

    [Fact]
    public async Task An_exception_inside_called_code_points_at_the_calling_line()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("parse.ipynb"),
            Nb.Code("int Twice(string s) => 2 * int.Parse(s);"),
            Nb.Code("var ok = Twice(\"4\");\n\nvar bad = Twice(\"four\");"));
        var result = await NotebookRunner.RunAsync(path, Options(dir) with { WriteHtml = false });
        var e = result.Error!;
        Assert.Equal((NotebookErrorKind.Runtime, 2, 3), (e.Kind, e.CodeCellNumber, e.Line));
        Assert.Equal("System.FormatException", e.ExceptionType);
    }

    [Fact]
    public async Task Compile_errors_report_every_error_with_its_line_in_the_cell()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("compile.ipynb"),
            Nb.Code("var ok = 1;"),
            Nb.Md("between"),
            Nb.Code("var y = ok +\n    undefinedName;\nint z = \"text\";"),
            Nb.Code("Console.WriteLine(\"never\");"));

        var result = await NotebookRunner.RunAsync(path, Options(dir));

        var e = result.Error!;
        Assert.Equal(NotebookErrorKind.Compile, e.Kind);
        Assert.Equal((2, 2, 2, 5), (e.CodeCellNumber!.Value, e.CellIndex!.Value, e.Line!.Value, e.Column!.Value));
        Assert.Equal("error CS0103: The name 'undefinedName' does not exist in the current context", e.Message);
        Assert.Equal(["line 2, column 5: error CS0103: The name 'undefinedName' does not exist in the current context",
                      "line 3, column 9: error CS0029: Cannot implicitly convert type 'string' to 'int'"], e.Details);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("code cell 2 (cell index 2), line 2, column 5: error CS0103", e.ToString());

        var cells = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!));
        var error = Assert.IsType<ErrorOutput>(Assert.Single(cells[1].Outputs));
        Assert.Equal("CompilationError", error.EName);
        Assert.Equal([e.ToString(), .. e.Details], error.Traceback);
        Assert.Null(cells[2].ExecutionCount);
    }

    [Fact]
    public async Task A_portable_r_of_the_core_library_uses_the_runners_copy_even_when_its_path_is_missing_here()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("portable.ipynb"), Nb.Code("""
            #r "../src/SaeWorkbench/bin/Release/net10.0/SaeWorkbench.dll"
            using SaeWorkbench.Training;
            new TrainingProgress("r", 1, 4, 0, 0, 0, new Dictionary<string, double>(), 0, 0, 0, TimeSpan.Zero).FractionDone
            """));
        var result = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("a"), WriteHtml = false });
        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal("0.25", Nb.Text(Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!))[0].Outputs.Single(), "text/plain"));

        var literal = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("b"), WriteHtml = false, ReferenceWorkbenchAssemblies = false });
        Assert.Equal((NotebookErrorKind.Compile, 1), (literal.Error!.Kind, literal.Error.Line!.Value));
        Assert.Contains("CS0006", literal.Error.Message);
    }

    /// <summary>
    /// Figures live in SaeWorkbench.Plotting.dll, next to the core: a notebook that <c>#r</c>s only the core (as one
    /// written for .NET Interactive does) still compiles against them, and the runner's own references cover both.
    /// </summary>
    [Fact]
    public async Task A_r_of_the_core_library_alone_also_brings_its_figures_from_the_plotting_library_beside_it()
    {
        using var dir = new TempDir();
        var plotting = Path.Combine(Path.GetDirectoryName(CoreLibrary)!, "SaeWorkbench.Plotting.dll");
        Assert.True(File.Exists(plotting), $"{plotting} is not next to the core library");
        var path = Nb.Write(dir.File("figures.ipynb"), Nb.Code($$"""
            #r "{{CoreLibrary.Replace('\\', '/')}}"
            using SaeWorkbench.Plotting;
            using SaeWorkbench.Training;
            display(new Figure(new Scatter { Y = new double[] { 1, 3, 2 } }));
            new TrainingProgress("r", 1, 2, 0, 0, 0, new Dictionary<string, double>(), 0, 0, 0, TimeSpan.Zero).FractionDone
            """));

        foreach (var byRunner in new[] { false, true })
        {
            var result = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File(byRunner ? "runner" : "literal"), ReferenceWorkbenchAssemblies = byRunner });
            Assert.True(result.Succeeded, result.Error?.ToString());
            var outputs = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!))[0].Outputs;
            Assert.Contains("data-saewb-figure=", Nb.Text(outputs[0], "text/html"));
            Assert.Equal("0.5", Nb.Text(outputs[1], "text/plain"));
        }
        Assert.Contains("SaeWorkbench.Plotting.dll", NotebookRunner.WorkbenchAssemblyNames);
    }

    [Fact]
    public async Task Relative_r_resolves_against_the_notebook_folder_not_the_current_directory()
    {
        using var dir = new TempDir();
        var name = "Tiny" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(dir.File("lib"));
        Directory.CreateDirectory(dir.File("nb"));
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(name,
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText($"namespace {name} {{ public static class Greeter {{ public static string Hello(string n) => \"hello \" + n; }} }}")],
            [Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary));
        Microsoft.CodeAnalysis.Emit.EmitResult emit;
        using (var dll = File.Create(dir.File($"lib/{name}.dll"))) emit = compilation.Emit(dll);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));

        var path = Nb.Write(dir.File("nb/uses-lib.ipynb"),
            Nb.Code($"#r \"../lib/{name}.dll\"\n{name}.Greeter.Hello(\"notebook\")"),
            Nb.Code("#r \"missing/Nothing.dll\""));
        var result = await NotebookRunner.RunAsync(path, Options(dir) with { SetWorkingDirectory = false, WriteHtml = false });

        var cells = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!));
        Assert.Equal("hello notebook", Nb.Text(Assert.Single(cells[0].Outputs), "text/plain"));
        var e = result.Error!;
        Assert.Equal((NotebookErrorKind.Compile, 2, 1), (e.Kind, e.CodeCellNumber!.Value, e.Line!.Value));
        Assert.Contains("CS0006", e.Message);
    }

    [Fact]
    public async Task Cells_in_other_languages_are_rejected_before_anything_runs()
    {
        using var dir = new TempDir();
        var fsharp = new NotebookCell(NotebookCell.CodeType, "let x = 1", new JsonObject
        {
            ["dotnet_interactive"] = new JsonObject { ["language"] = "fsharp" },
        });
        var path = Nb.Write(dir.File("unsupported.ipynb"), Nb.Code("File.WriteAllText(\"ran.txt\", \"x\");"), fsharp);
        var result = await NotebookRunner.RunAsync(path, Options(dir) with { WriteHtml = false });
        var e = result.Error!;
        Assert.Equal((NotebookErrorKind.Unsupported, 2, (int?)null), (e.Kind, e.CodeCellNumber!.Value, e.Line));
        Assert.Contains("the cell's language is 'fsharp'", e.Message);
        Assert.Empty(result.Cells);
        Assert.False(File.Exists(dir.File("ran.txt")), "the first cell ran although a later cell is unsupported");
        var executed = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!));
        Assert.Contains("fsharp", Assert.IsType<ErrorOutput>(Assert.Single(executed[1].Outputs)).EValue);
    }

    [Fact]
    public async Task A_leading_csharp_magic_is_accepted_and_keeps_line_numbers()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("magic.ipynb"), Nb.Code("#!csharp\nvar x = 1;\nx + undefinedName"));
        var result = await NotebookRunner.RunAsync(path, Options(dir) with { WriteHtml = false });
        Assert.Equal((NotebookErrorKind.Compile, 3), (result.Error!.Kind, result.Error.Line!.Value));
    }

    [Fact]
    public async Task Missing_or_corrupt_notebook_is_a_load_error_naming_the_file()
    {
        using var dir = new TempDir();
        var missing = await NotebookRunner.RunAsync(dir.File("nope.ipynb"), Options(dir));
        Assert.Equal(NotebookErrorKind.Load, missing.Error!.Kind);
        Assert.Contains("nope.ipynb", missing.Error.ToString());
        Assert.Equal(1, missing.ExitCode);

        File.WriteAllText(dir.File("corrupt.ipynb"), "{ \"cells\": [");
        var corrupt = await NotebookRunner.RunAsync(dir.File("corrupt.ipynb"), Options(dir));
        Assert.Equal(NotebookErrorKind.Load, corrupt.Error!.Kind);
        Assert.StartsWith(dir.File("corrupt.ipynb") + ": not valid JSON", corrupt.Error.ToString());
        Assert.Null(corrupt.ExecutedNotebookPath);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public async Task Default_output_paths_never_overwrite_the_source()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("same.ipynb"), Nb.Code("1 + 1"));
        var before = File.ReadAllText(path);
        var result = await NotebookRunner.RunAsync(path, new NotebookRunOptions());
        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(dir.File("same.executed.ipynb"), result.ExecutedNotebookPath);
        Assert.Equal(dir.File("same.html"), result.HtmlPath);
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal("2", Nb.Text(Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!))[0].Outputs[0], "text/plain"));
    }

    [Fact]
    public async Task Concurrent_runs_keep_their_console_output_and_displays_apart()
    {
        using var dir = new TempDir();
        string Make(string name) => Nb.Write(dir.File($"{name}.ipynb"), Nb.Code($$"""
            for (int i = 0; i < 20; i++)
            {
                Console.WriteLine("{{name}}");
                await Task.Run(() => Console.Write(""));
                display("{{name}}");
                await Task.Yield();
            }
            """));
        var options = new NotebookRunOptions { OutputDirectory = dir.File("out"), SetWorkingDirectory = false, WriteHtml = false };
        var results = await Task.WhenAll(NotebookRunner.RunAsync(Make("alpha"), options), NotebookRunner.RunAsync(Make("beta"), options));
        Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.ToString()));
        foreach (var name in new[] { "alpha", "beta" })
        {
            var outputs = Nb.CodeCells(Notebook.Load(dir.File($"out/{name}.ipynb")))[0].Outputs;
            Assert.Equal(40, outputs.Count);
            Assert.All(outputs.OfType<StreamOutput>(), o => Assert.Equal(name + "\n", o.Text));
            Assert.All(outputs.OfType<DisplayDataOutput>(), o => Assert.Equal(name, o.Data.GetText("text/plain")));
        }
    }

    [Fact]
    public async Task Echo_shows_cell_output_as_it_happens_and_may_be_the_console_itself()
    {
        using var dir = new TempDir();
        var path = Nb.Write(dir.File("echo.ipynb"), Nb.Code("for (int i = 0; i < 3; i++) Console.WriteLine($\"step {i}\");\nConsole.Error.Write(\"warn\");"));
        var echo = new StringWriter();
        var result = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("a"), WriteHtml = false, EchoOutput = echo });
        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal("step 0\nstep 1\nstep 2\nwarn", echo.ToString());

        // the console is routed to the running cell; echoing to it must reach the real console, not loop back
        result = await NotebookRunner.RunAsync(path, new() { OutputDirectory = dir.File("b"), WriteHtml = false, EchoOutput = Console.Out });
        Assert.True(result.Succeeded, result.Error?.ToString());
        var outputs = Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!))[0].Outputs.Cast<StreamOutput>().ToList();
        Assert.Equal([("stdout", "step 0\nstep 1\nstep 2\n"), ("stderr", "warn")], outputs.Select(o => (o.Name, o.Text)));
    }

    [Fact]
    public async Task Cancellation_stops_between_cells_and_writes_what_ran()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var path = Nb.Write(dir.File("cancel.ipynb"), Nb.Code("var a = 1;"), Nb.Code("var b = 2;"));
        var progress = new CancelAfterFirstCell(cts);
        var result = await NotebookRunner.RunAsync(path, Options(dir) with { Progress = progress, WriteHtml = false }, cts.Token);
        Assert.Equal(NotebookErrorKind.Cancelled, result.Error!.Kind);
        Assert.Equal(130, result.ExitCode);
        Assert.Single(result.Cells);
        Assert.Equal([1, null], Nb.CodeCells(Notebook.Load(result.ExecutedNotebookPath!)).Select(c => c.ExecutionCount));
    }

    private sealed class CancelAfterFirstCell(CancellationTokenSource cts) : IProgress<NotebookProgress>
    {
        public void Report(NotebookProgress value)
        {
            if (value.Stage == NotebookProgressStage.CellCompleted) cts.Cancel();
        }
    }

    /// <summary>A progress sink that records reports synchronously, in order.</summary>
    private sealed class Recorder : IProgress<NotebookProgress>
    {
        public List<NotebookProgress> Reports { get; } = [];
        public void Report(NotebookProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }
}
