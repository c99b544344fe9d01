using SaeWorkbench.Cli;
using SaeWorkbench.Tests.Browser;
using Xunit;

namespace SaeWorkbench.Cli.Tests;

/// <summary>
/// An exported notebook page, made end to end by `sae notebooks run`, opened in headless
/// Chromium: no console errors, and each chart's SVG holds the traces and points it should.
/// </summary>
public class NotebookPageBrowserTests
{
    [Fact]
    public async Task AnExportedNotebookPageRendersItsChartsWithoutConsoleErrors()
    {
        var dir = Directory.CreateTempSubdirectory("saewb-nbpage-").FullName;
        try
        {
            var nb = Path.Combine(dir, "charts.ipynb");
            File.WriteAllText(nb, """
            {"nbformat": 4, "nbformat_minor": 5,
             "metadata": {"kernelspec": {"name": ".net-csharp", "display_name": ".NET (C#)", "language": "C#"}, "language_info": {"name": "C#"}},
             "cells": [
              {"cell_type": "markdown", "id": "m0", "metadata": {}, "source": "# Two charts\nA scatter of 5 points and a bar chart of 3 bars."},
              {"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": null, "outputs": [],
               "source": "using SaeWorkbench.Plotting;\ndisplay(new Figure(new Scatter { X = new double[] { 1, 2, 3, 4, 5 }, Y = new double[] { 2, 3, 1, 5, 4 }, Mode = ScatterMode.Markers }));"},
              {"cell_type": "code", "id": "c2", "metadata": {}, "execution_count": null, "outputs": [],
               "source": "new Figure(new Bar { X = new[] { \"a\", \"b\", \"c\" }, Y = new double[] { 3, 1, 2 } })"}
             ]}
            """);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await SaeCli.RunAsync(new[] { "notebooks", "run", nb, "-o", dir, "--quiet" }, stdout, stderr);
            Assert.True(code == 0, stdout.ToString() + stderr);

            await using var browser = await HeadlessChromium.LaunchAsync();
            await using var page = await browser.OpenAsync(Path.Combine(dir, "charts.html"));
            Assert.Equal(2, await page.WaitForFiguresAsync(TimeSpan.FromSeconds(30)));
            var charts = await page.InspectChartsAsync();
            Assert.Equal(2, charts.Count);
            Assert.Equal(5, Assert.Single(charts[0].Scatter).Points);
            Assert.Equal(3, Assert.Single(charts[1].Bars).Bars);
            Assert.Empty(page.Errors);
            var shot = await page.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "artifacts", "browser", "notebook-page.png"));
            Console.WriteLine($"screenshot: {shot}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
