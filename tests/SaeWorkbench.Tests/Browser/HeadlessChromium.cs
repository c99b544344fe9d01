using System.Diagnostics;
using System.Text.Json;

namespace SaeWorkbench.Tests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven over the Chrome DevTools protocol (no Playwright, no network). Launch once,
/// open any number of HTML files with <see cref="OpenAsync"/>; disposing closes the browser and deletes its fresh
/// profile folder. The executable is <c>/usr/bin/chromium</c> (installed by <c>environment/setup.sh</c>) or
/// <c>$SAEWB_CHROMIUM</c>.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where Debian puts Chromium.</summary>
    public const string DefaultPath = "/usr/bin/chromium";

    private readonly Process process;
    private readonly string profileDir;
    private readonly Queue<string> stderrTail;

    private HeadlessChromium(Process process, string profileDir, Queue<string> stderrTail, CdpConnection cdp, string version)
    {
        this.process = process;
        this.profileDir = profileDir;
        this.stderrTail = stderrTail;
        Cdp = cdp;
        Version = version;
    }

    /// <summary>The executable: <c>$SAEWB_CHROMIUM</c> or <see cref="DefaultPath"/>.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("SAEWB_CHROMIUM") is { Length: > 0 } p ? p : DefaultPath;

    /// <summary>The browser-level DevTools connection.</summary>
    public CdpConnection Cdp { get; }

    /// <summary>The browser's product string, e.g. <c>HeadlessChrome/156.0.8078.79</c>.</summary>
    public string Version { get; }

    /// <summary>Starts Chromium. Fails (never skips) when it is missing, naming <c>environment/setup.sh</c>.</summary>
    public static async Task<HeadlessChromium> LaunchAsync(TimeSpan? startTimeout = null)
    {
        var exe = ExecutablePath;
        if (!File.Exists(exe))
            throw new InvalidOperationException(
                $"Chromium is not installed at {exe}. Run `bash environment/setup.sh` as root (it installs Debian's chromium), " +
                "or set SAEWB_CHROMIUM to a Chromium executable.");

        var profileDir = Directory.CreateTempSubdirectory("saewb-chromium-").FullName;
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                     "--allow-file-access-from-files", "--remote-debugging-port=0", $"--user-data-dir={profileDir}",
                     "about:blank",
                 })
            psi.ArgumentList.Add(a);

        var tail = new Queue<string>();
        var process = new Process { StartInfo = psi };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (tail)
            {
                tail.Enqueue(e.Data);
                while (tail.Count > 40) tail.Dequeue();
            }
        };
        process.OutputDataReceived += (_, _) => { };
        if (!process.Start()) throw new InvalidOperationException($"could not start {exe}.");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        try
        {
            var portFile = Path.Combine(profileDir, "DevToolsActivePort");
            var deadline = Stopwatch.StartNew();
            var limit = startTimeout ?? TimeSpan.FromSeconds(30);
            string[]? lines = null;
            while (deadline.Elapsed < limit)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"{exe} exited with code {process.ExitCode} at start-up:\n{Tail(tail)}");
                if (File.Exists(portFile))
                {
                    lines = (await File.ReadAllTextAsync(portFile)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    if (lines.Length >= 2) break;
                }
                await Task.Delay(50);
            }
            if (lines is not { Length: >= 2 })
                throw new TimeoutException($"{exe} did not open its DevTools port within {limit.TotalSeconds:0} s:\n{Tail(tail)}");

            var cdp = await CdpConnection.ConnectAsync(new Uri($"ws://127.0.0.1:{lines[0].Trim()}{lines[1].Trim()}"), CancellationToken.None);
            var version = await cdp.SendAsync("Browser.getVersion");
            return new HeadlessChromium(process, profileDir, tail, cdp, version.GetProperty("product").GetString() ?? "?");
        }
        catch
        {
            Kill(process);
            TryDelete(profileDir);
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="htmlPath"/> in a new tab of <paramref name="width"/> x <paramref name="height"/> px, waits
    /// for its load event and then for every workbench figure on it to finish drawing (or fail), and returns the tab.
    /// Console errors, uncaught exceptions and failed loads are collected from the start.
    /// </summary>
    public async Task<BrowserPage> OpenAsync(string htmlPath, int width = 1280, int height = 900, TimeSpan? timeout = null)
    {
        var full = Path.GetFullPath(htmlPath);
        if (!File.Exists(full)) throw new FileNotFoundException($"no HTML file at {full}", full);
        var limit = timeout ?? TimeSpan.FromSeconds(30);

        var target = await Cdp.SendAsync("Target.createTarget", new { url = "about:blank" });
        var targetId = target.GetProperty("targetId").GetString()!;
        var attach = await Cdp.SendAsync("Target.attachToTarget", new { targetId, flatten = true });
        var session = attach.GetProperty("sessionId").GetString()!;
        var page = new BrowserPage(this, targetId, session, full);
        try
        {
            await Cdp.SendAsync("Runtime.enable", sessionId: session);
            await Cdp.SendAsync("Log.enable", sessionId: session);
            await Cdp.SendAsync("Page.enable", sessionId: session);
            await Cdp.SendAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false }, session);
            await page.NavigateAsync(limit);
            await page.WaitForFiguresAsync(limit);
            return page;
        }
        catch
        {
            await page.DisposeAsync();
            throw;
        }
    }

    /// <summary>The last lines Chromium wrote to stderr (for diagnostics).</summary>
    public string StderrTail() => Tail(stderrTail);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Cdp.SendAsync("Browser.close", timeout: TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is CdpException or TimeoutException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
        }
        await Cdp.DisposeAsync();
        if (!process.WaitForExit(5000)) Kill(process);
        process.Dispose();
        TryDelete(profileDir);
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static void TryDelete(string dir)
    {
        for (var i = 0; i < 5; i++)
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100); // Chromium's helpers may still be writing the profile as they exit.
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private static string Tail(Queue<string> q)
    {
        lock (q) return string.Join('\n', q);
    }

    internal static JsonElement Evaluate(JsonElement reply, string expression)
    {
        if (reply.TryGetProperty("exceptionDetails", out var ex))
            throw new InvalidOperationException($"JavaScript `{(expression.Length > 80 ? expression[..80] + "..." : expression)}` threw: {BrowserPage.Describe(ex)}");
        return reply.GetProperty("result");
    }
}
