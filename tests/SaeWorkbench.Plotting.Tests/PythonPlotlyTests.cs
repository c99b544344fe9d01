using System.Diagnostics;
using System.Text.Json;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Plotting.Tests;

/// <summary>
/// The figure JSON re-rendered by another plotly front end: Python's <c>plotly.io.from_json</c> (Debian's
/// python3-plotly at /usr/bin/python3, installed by environment/setup.sh), which rejects any property it does not
/// know. An independent check of the JSON next to the schema tests.
/// </summary>
public sealed class PythonPlotlyTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string dir = Directory.CreateTempSubdirectory("saewb-pyplotly-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Python_plotly_reads_every_sample_figure_json_back_with_its_traces_and_title()
    {
        var samples = SampleFigures.All();
        var files = samples.Select(s =>
        {
            var path = Path.Combine(dir, s.Name + ".json");
            s.Figure.WriteJson(path);
            return path;
        }).ToList();

        var (code, stdout, stderr) = FromJson(files);

        Assert.True(code == 0, $"python plotly rejected the JSON:\n{stderr}");
        var read = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(samples.Count, read.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            var fig = samples[i].Figure;
            Assert.Equal(fig.Data.Select(t => t.Type), read[i].GetProperty("types").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(fig.Layout.Title?.Text, read[i].GetProperty("title").GetString());
        }
    }

    [Fact]
    public void Python_plotly_rejects_a_misspelt_attribute_so_the_check_can_fail()
    {
        var path = Path.Combine(dir, "typo.json");
        File.WriteAllText(path, """{"data":[{"type":"scatter","y":[1],"modee":"lines"}],"layout":{}}""");

        var (code, _, stderr) = FromJson([path]);

        Assert.NotEqual(0, code);
        Assert.Contains("modee", stderr, StringComparison.Ordinal);
    }

    private static (int Code, string Stdout, string Stderr) FromJson(IEnumerable<string> files)
    {
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} is missing; run `bash environment/setup.sh`.");
        const string script = """
            import json, sys
            try:
                import plotly.io as pio
            except ImportError:
                sys.exit("python3-plotly is not installed for /usr/bin/python3; run `bash environment/setup.sh`")
            for path in sys.argv[1:]:
                with open(path) as f:
                    fig = pio.from_json(f.read(), skip_invalid=False)
                print(json.dumps({"types": [t.type for t in fig.data], "title": fig.layout.title.text}))
            """;
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var f in files) psi.ArgumentList.Add(f);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("python plotly did not finish within 60 s.");
        }
        var err = stderr.Result;
        if (err.Contains("python3-plotly is not installed", StringComparison.Ordinal)) throw new InvalidOperationException(err.Trim());
        return (p.ExitCode, stdout.Result, err);
    }
}
