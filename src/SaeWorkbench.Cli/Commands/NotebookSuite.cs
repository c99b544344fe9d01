using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SaeWorkbench.Experiments;
using SaeWorkbench.IO;
using SaeWorkbench.Notebooks;
using SaeWorkbench.Plotting;

namespace SaeWorkbench.Cli.Commands;

/// <summary>What one notebook of the suite gave: its page, whether every cell and check passed, and its one-line result
/// (the closing "ok: ..." line its checks print, or the error).</summary>
public sealed record NotebookOutcome(string Name, string Title, bool Succeeded, string Line, double Seconds, string SourceHash, string RunKey);

/// <summary>
/// <c>sae reproduce</c>'s notebooks: executes every notebook of <c>notebooks/</c> in order at one scale, in this process (so
/// they share the artifact cache and the loaded assemblies), writes each executed notebook and its HTML page into
/// <c>OUT/notebooks/</c>, and the index page <c>OUT/index.html</c> linking them with their one-line results. A run that was
/// stopped resumes: a notebook whose page exists, whose source is unchanged and that passed for the same config
/// (<c>status.json</c>) is not run again.
/// </summary>
public static class NotebookSuite
{
    public const string StatusFile = "status.json";
    public const string IndexFile = "index.html";

    /// <summary>The notebooks folder of the clone the current folder is in (or the CLI's), or null.</summary>
    public static string? FindNotebooks()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            if (Workbench.CloneAbove(start) is { } clone && Directory.Exists(Path.Combine(clone, "notebooks")))
                return Path.Combine(clone, "notebooks");
        return null;
    }

    /// <summary>Every notebook of the folder in reading order (file name order: 01_, 02_, ...).</summary>
    public static IReadOnlyList<string> Notebooks(string folder) =>
        Directory.GetFiles(folder, "*.ipynb").Where(p => !Path.GetFileName(p).StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    /// <summary>Runs the suite (see the class summary); returns every notebook's outcome, in order.</summary>
    /// <param name="notebooksFolder">The notebooks to run.</param>
    /// <param name="outDir">The reproduction's output folder (pages go to its notebooks/).</param>
    /// <param name="scale">The value of every notebook's <c>scale</c> parameter.</param>
    /// <param name="runKey">Names the config and model the notebooks run with (the artifact cache's run folder): a passed
    /// notebook is kept only for the same key.</param>
    /// <param name="log">Progress lines and the cells' console output.</param>
    /// <param name="ct">Stops between cells.</param>
    public static async Task<IReadOnlyList<NotebookOutcome>> RunAsync(string notebooksFolder, string outDir, string scale, string runKey,
        TextWriter log, CancellationToken ct)
    {
        var pages = Path.Combine(outDir, "notebooks");
        Directory.CreateDirectory(pages);
        var statusPath = Path.Combine(pages, StatusFile);
        var previous = ReadStatus(statusPath);
        var outcomes = new List<NotebookOutcome>();
        var notebooks = Notebooks(notebooksFolder);
        foreach (var path in notebooks)
        {
            ct.ThrowIfCancellationRequested();
            var name = Path.GetFileNameWithoutExtension(path);
            var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))[..16];
            var html = Path.Combine(pages, name + ".html");
            if (previous.FirstOrDefault(o => o.Name == name) is { Succeeded: true } done && done.SourceHash == hash && done.RunKey == runKey
                && File.Exists(html) && File.Exists(Path.Combine(pages, name + ".ipynb")))
            {
                log.WriteLine($"[notebook {name}] passed in an earlier run for this config; kept ({done.Line})");
                outcomes.Add(done);
                continue;
            }
            log.WriteLine($"[notebook {name}] running at scale {scale}");
            var result = await NotebookRunner.RunAsync(path, new NotebookRunOptions
            {
                Parameters = new Dictionary<string, string> { ["scale"] = scale },
                OutputDirectory = pages,
                PageHeadHtml = () => PlotlyJs.ScriptElement(),
                EchoOutput = log,
            }, ct).ConfigureAwait(false);
            var title = Title(path);
            var line = result.Succeeded ? OkLine(result.ExecutedNotebookPath) ?? "ran to the end (no ok: line)" : "FAILED: " + result.Error;
            var outcome = new NotebookOutcome(name, title, result.Succeeded, line, result.Duration.TotalSeconds, hash, runKey);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[notebook {name}] {(result.Succeeded ? "passed" : "FAILED")} in {result.Duration.TotalSeconds:F1} s: {line}"));
            outcomes.Add(outcome);
            // Notebooks hold tensors in their kernels' variables; free them before the next one starts.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            WriteStatus(statusPath, outcomes.Concat(previous.Where(p => outcomes.All(o => o.Name != p.Name))).ToList());
        }
        WriteStatus(statusPath, outcomes);
        return outcomes;
    }

    private static List<NotebookOutcome> ReadStatus(string path)
    {
        if (!File.Exists(path)) return [];
        try { return JsonSerializer.Deserialize<List<NotebookOutcome>>(File.ReadAllText(path)) ?? []; }
        catch (JsonException) { return []; }   // a status file that cannot be read: every notebook runs again
    }

    private static void WriteStatus(string path, IReadOnlyList<NotebookOutcome> outcomes) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(outcomes, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The notebook's title: its first markdown heading, without the leading '#'s.</summary>
    public static string Title(string notebookPath)
    {
        var nb = Notebook.Load(notebookPath);
        var heading = nb.Cells.Where(c => c.CellType == NotebookCell.MarkdownType)
            .SelectMany(c => c.Source.Split('\n')).FirstOrDefault(l => l.StartsWith('#'));
        return heading?.TrimStart('#', ' ').Trim() ?? Path.GetFileNameWithoutExtension(notebookPath);
    }

    /// <summary>The last "ok: ..." line a notebook printed (its checks' closing line), without the "ok: ".</summary>
    public static string? OkLine(string? executedNotebook)
    {
        if (executedNotebook is null || !File.Exists(executedNotebook)) return null;
        var nb = Notebook.Load(executedNotebook);
        return nb.Cells.SelectMany(c => c.Outputs).OfType<StreamOutput>().SelectMany(o => o.Text.Split('\n'))
            .LastOrDefault(l => l.StartsWith("ok: ", StringComparison.Ordinal))?[4..].Trim();
    }

    /// <summary>Writes <c>OUT/index.html</c>: every notebook with its one-line result and a link to its page, then the one-page
    /// report and results.json. Renders offline (no scripts).</summary>
    /// <param name="outDir">The reproduction's output folder.</param>
    /// <param name="outcomes">Every notebook's outcome, in order.</param>
    /// <param name="scale">The scale they ran at.</param>
    /// <param name="command">The command line, as shown.</param>
    /// <param name="reportPage">The one-page report, linked when given.</param>
    /// <param name="seconds">The whole run's wall time.</param>
    /// <param name="headline">A sentence of the experiments' key numbers, shown above the list (plain text), or null.</param>
    public static string WriteIndex(string outDir, IReadOnlyList<NotebookOutcome> outcomes, string scale, string command, string? reportPage, double seconds,
        string? headline = null)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SaeWorkbench: reproduction</title>\n<style>")
          .Append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
          .Append("table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.45em;text-align:left;vertical-align:top}")
          .Append(".ok{color:#1a7f37}.fail{color:#cf222e}code{background:#f4f4f4;padding:0 .2em}</style></head><body>\n")
          .Append("<h1>SaeWorkbench: the papers' experiments, step by step</h1>\n<p>")
          .AppendEscaped(string.Create(CultureInfo.InvariantCulture,
              $"{outcomes.Count(o => o.Succeeded)} of {outcomes.Count} notebooks passed their checks at scale {scale} ({command}, {seconds:F0} s). "))
          .Append("Each notebook follows one section of Gao et al. 2024 (TopK SAEs) or the JumpReLU and Gated SAE papers and ends by checking what it shows; ")
          .Append("the line beside it is that check's result.</p>\n");
        if (headline is not null) sb.Append("<p><b>").AppendEscaped(headline).Append("</b></p>\n");
        sb.Append("<table><thead><tr><th>notebook</th><th>result</th><th>s</th></tr></thead><tbody>\n");
        foreach (var o in outcomes)
        {
            sb.Append("<tr><td><a href=\"notebooks/").AppendEscaped(Uri.EscapeDataString(o.Name) + ".html").Append("\">").AppendEscaped(o.Title).Append("</a></td>")
              .Append(o.Succeeded ? "<td class=\"ok\">" : "<td class=\"fail\">").AppendEscaped(o.Line).Append("</td>")
              .Append(string.Create(CultureInfo.InvariantCulture, $"<td>{o.Seconds:F0}</td></tr>\n"));
        }
        sb.Append("</tbody></table>\n");
        if (reportPage is not null)
            sb.Append("<p>Every number on one page: <a href=\"").AppendEscaped(Path.GetFileName(reportPage)).Append("\">the report</a>; ")
              .Append("all of them as data: <a href=\"results.json\">results.json</a>. The executed notebooks (<code>.ipynb</code>) are beside their pages in ")
              .Append("<a href=\"notebooks/\">notebooks/</a>.</p>\n");
        sb.Append("</body></html>\n");
        var path = Path.Combine(outDir, IndexFile);
        AtomicFile.WriteAllText(path, sb.ToString());
        return path;
    }
}
