using Microsoft.Playwright;

namespace SaeWorkbench.Tests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright (Microsoft.Playwright) through <c>ExecutablePath</c>: Playwright
/// never downloads a browser here (<see cref="NoDownloadVariable"/> is set before it starts, and no
/// <c>playwright install</c> is run), and the launch flags keep Chromium off the network, which this machine does not
/// have anyway. Launch once, open any number of HTML files with <see cref="OpenAsync"/>. The executable is
/// <c>/usr/bin/chromium</c> (installed by <c>environment/setup.sh</c>) or <c>$SAEWB_CHROMIUM</c>.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where Debian puts Chromium.</summary>
    public const string DefaultPath = "/usr/bin/chromium";

    /// <summary>The environment variable that stops Playwright from downloading browsers.</summary>
    public const string NoDownloadVariable = "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD";

    /// <summary>
    /// Flags for a root user on a machine without network: no sandbox (root), no GPU, and none of Chromium's own
    /// background traffic (component updates, sync, first-run, field trials).
    /// </summary>
    public static readonly IReadOnlyList<string> LaunchArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-default-apps", "--disable-extensions", "--disable-quic", "--mute-audio", "--hide-scrollbars",
        "--allow-file-access-from-files",
    ];

    private readonly IPlaywright playwright;
    private readonly IBrowser browser;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        this.playwright = playwright;
        this.browser = browser;
    }

    /// <summary>The executable: <c>$SAEWB_CHROMIUM</c> or <see cref="DefaultPath"/>.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable("SAEWB_CHROMIUM") is { Length: > 0 } p ? p : DefaultPath;

    /// <summary>The browser's version, e.g. <c>156.0.8078.114</c>.</summary>
    public string Version => browser.Version;

    /// <summary>Starts Chromium. Fails (never skips) when it is missing, naming <c>environment/setup.sh</c>.</summary>
    public static async Task<HeadlessChromium> LaunchAsync(TimeSpan? startTimeout = null)
    {
        var exe = ExecutablePath;
        if (!File.Exists(exe))
            throw new InvalidOperationException(
                $"Chromium is not installed at {exe}. Run `bash environment/setup.sh` as root (it installs Debian's chromium), " +
                "or set SAEWB_CHROMIUM to a Chromium executable.");
        Environment.SetEnvironmentVariable(NoDownloadVariable, "1");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = exe,
                Headless = true,
                Args = LaunchArgs,
                Timeout = (float)(startTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds,
            });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="htmlPath"/> in a new page of <paramref name="width"/> x <paramref name="height"/> px, waits
    /// for its load event and then for every workbench figure on it to finish drawing (or fail), and returns the page.
    /// Console errors, uncaught exceptions and failed loads are collected from the start.
    /// </summary>
    public async Task<BrowserPage> OpenAsync(string htmlPath, int width = 1280, int height = 900, TimeSpan? timeout = null)
    {
        var full = Path.GetFullPath(htmlPath);
        if (!File.Exists(full)) throw new FileNotFoundException($"no HTML file at {full}", full);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = new BrowserPage(context, await context.NewPageAsync(), full);
        try
        {
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

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await browser.CloseAsync();
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
