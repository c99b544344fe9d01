using System.Text.Json;
using Microsoft.Playwright;

namespace SaeWorkbench.Tests.Browser;

/// <summary>
/// One open page of <see cref="HeadlessChromium"/>: what the page logged, JavaScript evaluation, the charts' SVG
/// contents and screenshots.
/// </summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly IBrowserContext context;
    private readonly IPage page;
    private readonly List<string> errors = [];
    private readonly List<string> warnings = [];

    internal BrowserPage(IBrowserContext context, IPage page, string path)
    {
        this.context = context;
        this.page = page;
        Path = path;
        page.Console += (_, m) =>
        {
            lock (errors)
            {
                if (m.Type is "error" or "assert") errors.Add($"console.{m.Type}: {m.Text}" + (m.Location is { Length: > 0 } l ? $" ({l})" : ""));
                else if (m.Type == "warning") warnings.Add($"console.warn: {m.Text}");
            }
        };
        page.PageError += (_, e) =>
        {
            lock (errors) errors.Add("uncaught: " + e);
        };
        page.RequestFailed += (_, r) =>
        {
            lock (errors) errors.Add($"failed to load {r.Url}: {r.Failure}");
        };
    }

    /// <summary>The HTML file shown.</summary>
    public string Path { get; }

    /// <summary>The Playwright page, for checks this class does not wrap.</summary>
    public IPage Page => page;

    /// <summary>console.error and console.assert messages, uncaught exceptions and failed loads, in order.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (errors) return errors.ToList();
        }
    }

    /// <summary>console.warn messages.</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (errors) return warnings.ToList();
        }
    }

    internal async Task NavigateAsync(TimeSpan limit)
    {
        try
        {
            await page.GotoAsync(new Uri(Path).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = (float)limit.TotalMilliseconds });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Path} did not finish loading within {limit.TotalSeconds:0} s.", e);
        }
    }

    /// <summary>
    /// Waits until every workbench figure on the page (<c>[data-saewb-figure]</c>) has drawn or failed; returns how
    /// many there are.
    /// </summary>
    public async Task<int> WaitForFiguresAsync(TimeSpan limit)
    {
        var ms = (int)limit.TotalMilliseconds;
        var js = $$"""
            new Promise(function (resolve) {
              var t0 = Date.now();
              (function poll() {
                var figs = document.querySelectorAll("[data-saewb-figure]");
                var waiting = Array.prototype.filter.call(figs, function (d) {
                  var s = d.getAttribute("data-saewb-state"); return s !== "rendered" && s !== "error"; });
                if (waiting.length === 0) { setTimeout(function () { resolve(figs.length); }, 50); return; }
                if (Date.now() - t0 > {{ms}}) { resolve(-waiting.length); return; }
                setTimeout(poll, 25);
              })();
            })
            """;
        var n = (await EvaluateAsync(js)).GetInt32();
        if (n < 0) throw new TimeoutException($"{-n} figure(s) on {Path} did not finish drawing within {limit.TotalSeconds:0} s.");
        return n;
    }

    /// <summary>Evaluates a JavaScript expression (awaiting a promise) and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression) =>
        await page.EvaluateAsync<JsonElement>(expression);

    /// <summary>What each plotly chart on the page drew, read from its SVG.</summary>
    public async Task<IReadOnlyList<ChartInfo>> InspectChartsAsync()
    {
        var v = await EvaluateAsync(ChartInfo.InspectScript);
        return JsonSerializer.Deserialize<List<ChartInfo>>(v.GetRawText(), ChartInfo.JsonOptions)!;
    }

    /// <summary>Saves a PNG of the whole page (beyond the viewport) to <paramref name="path"/>; returns the full path.</summary>
    public async Task<string> ScreenshotAsync(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = full, FullPage = true, Timeout = 60_000 });
        return full;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await context.CloseAsync();
        await context.DisposeAsync();
    }
}
