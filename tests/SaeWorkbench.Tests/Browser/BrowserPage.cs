using System.Text.Json;

namespace SaeWorkbench.Tests.Browser;

/// <summary>
/// One open tab of <see cref="HeadlessChromium"/>: what the page logged, JavaScript evaluation, the charts' SVG
/// contents and screenshots.
/// </summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly HeadlessChromium browser;
    private readonly string targetId;
    private readonly string session;
    private readonly IDisposable subscription;
    private readonly List<string> errors = [];
    private readonly List<string> warnings = [];
    private TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal BrowserPage(HeadlessChromium browser, string targetId, string session, string path)
    {
        this.browser = browser;
        this.targetId = targetId;
        this.session = session;
        Path = path;
        subscription = browser.Cdp.Subscribe(OnEvent);
    }

    /// <summary>The HTML file shown.</summary>
    public string Path { get; }

    /// <summary>console.error and console.assert messages, uncaught exceptions and failed loads, in order.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (errors) return errors.ToList();
        }
    }

    /// <summary>console.warn messages and browser warnings.</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (errors) return warnings.ToList();
        }
    }

    private void OnEvent(string? sessionId, string method, JsonElement p)
    {
        if (sessionId != session) return;
        switch (method)
        {
            case "Page.loadEventFired":
                loaded.TrySetResult();
                break;
            case "Runtime.consoleAPICalled":
            {
                var type = p.GetProperty("type").GetString();
                var text = string.Join(" ", p.GetProperty("args").EnumerateArray().Select(ArgText));
                lock (errors)
                {
                    if (type is "error" or "assert") errors.Add($"console.{type}: {text}");
                    else if (type == "warning") warnings.Add($"console.warn: {text}");
                }
                break;
            }
            case "Runtime.exceptionThrown":
                lock (errors) errors.Add("uncaught: " + Describe(p.GetProperty("exceptionDetails")));
                break;
            case "Log.entryAdded":
            {
                var e = p.GetProperty("entry");
                var line = $"{e.GetProperty("source").GetString()}: {e.GetProperty("text").GetString()}" +
                           (e.TryGetProperty("url", out var u) ? $" ({u.GetString()})" : "");
                lock (errors)
                {
                    if (e.GetProperty("level").GetString() == "error") errors.Add(line);
                    else if (e.GetProperty("level").GetString() == "warning") warnings.Add(line);
                }
                break;
            }
        }
    }

    private static string ArgText(JsonElement a) =>
        a.TryGetProperty("value", out var v) ? v.ToString() :
        a.TryGetProperty("description", out var d) ? d.GetString() ?? "" : a.GetProperty("type").GetString() ?? "";

    internal static string Describe(JsonElement details)
    {
        var text = details.TryGetProperty("text", out var t) ? t.GetString() : "";
        if (details.TryGetProperty("exception", out var ex) && ex.TryGetProperty("description", out var d)) text += " " + d.GetString();
        if (details.TryGetProperty("url", out var url)) text += $" at {url.GetString()}:{details.GetProperty("lineNumber").GetInt32() + 1}";
        return text ?? "";
    }

    internal async Task NavigateAsync(TimeSpan limit)
    {
        loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nav = await browser.Cdp.SendAsync("Page.navigate", new { url = new Uri(Path).AbsoluteUri }, session);
        if (nav.TryGetProperty("errorText", out var err) && err.GetString() is { Length: > 0 } msg)
            throw new InvalidOperationException($"Chromium could not open {Path}: {msg}");
        if (await Task.WhenAny(loaded.Task, Task.Delay(limit)) != loaded.Task)
            throw new TimeoutException($"{Path} did not finish loading within {limit.TotalSeconds:0} s.");
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
        var n = (await EvaluateAsync(js, limit + TimeSpan.FromSeconds(5))).GetInt32();
        if (n < 0) throw new TimeoutException($"{-n} figure(s) on {Path} did not finish drawing within {limit.TotalSeconds:0} s.");
        return n;
    }

    /// <summary>Evaluates a JavaScript expression (awaiting a promise) and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, TimeSpan? timeout = null)
    {
        var reply = await browser.Cdp.SendAsync("Runtime.evaluate",
            new { expression, returnByValue = true, awaitPromise = true }, session, timeout);
        var result = HeadlessChromium.Evaluate(reply, expression);
        return result.TryGetProperty("value", out var v) ? v : default;
    }

    /// <summary>What each plotly chart on the page drew, read from its SVG.</summary>
    public async Task<IReadOnlyList<ChartInfo>> InspectChartsAsync()
    {
        var v = await EvaluateAsync(ChartInfo.InspectScript);
        return JsonSerializer.Deserialize<List<ChartInfo>>(v.GetRawText(), ChartInfo.JsonOptions)!;
    }

    /// <summary>Saves a PNG of the whole page (beyond the viewport) to <paramref name="path"/>; returns the full path.</summary>
    public async Task<string> ScreenshotAsync(string path)
    {
        var metrics = await browser.Cdp.SendAsync("Page.getLayoutMetrics", sessionId: session);
        var size = metrics.GetProperty("cssContentSize");
        var clip = new { x = 0, y = 0, width = Math.Ceiling(size.GetProperty("width").GetDouble()), height = Math.Ceiling(size.GetProperty("height").GetDouble()), scale = 1 };
        var shot = await browser.Cdp.SendAsync("Page.captureScreenshot",
            new { format = "png", captureBeyondViewport = true, clip }, session, TimeSpan.FromSeconds(60));
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        await File.WriteAllBytesAsync(full, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
        return full;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        subscription.Dispose();
        try
        {
            await browser.Cdp.SendAsync("Target.closeTarget", new { targetId }, timeout: TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is CdpException or TimeoutException or ObjectDisposedException)
        {
        }
    }
}
