using System.Collections.Concurrent;
using Xunit;

namespace SaeWorkbench.Tests.Browser;

/// <summary>
/// One headless Chromium for all browser tests of a test assembly (xunit collection <see cref="ChromiumCollection"/>).
/// When Chromium cannot start, every test that uses it fails with the reason (run environment/setup.sh); none is
/// skipped. Other test projects can link this folder (<c>&lt;Compile Include="..\SaeWorkbench.Plotting.Tests\Browser\*.cs"
/// LinkBase="Browser" /&gt;</c>) and open any HTML file, e.g. an exported notebook page.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private HeadlessChromium? browser;
    private Exception? launchFailure;
    private readonly ConcurrentDictionary<string, Lazy<Task<object>>> shared = new();

    /// <summary>Where screenshots and pages are kept: <c>bin/.../artifacts/browser</c> of the test project.</summary>
    public static string ArtifactsDir { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "browser");

    /// <summary>The browser, or the reason it could not start.</summary>
    public HeadlessChromium Browser =>
        browser ?? throw new InvalidOperationException($"headless Chromium is not available: {launchFailure?.Message}", launchFailure);

    /// <summary>
    /// A value made once per test run with the browser (e.g. plotly.js's plot schema) and shared by the tests that ask
    /// for it under <paramref name="key"/>.
    /// </summary>
    public async Task<T> SharedAsync<T>(string key, Func<HeadlessChromium, Task<T>> make)
    {
        var browserNow = Browser;
        var lazy = shared.GetOrAdd(key, _ => new Lazy<Task<object>>(async () => (await make(browserNow))!));
        return (T)await lazy.Value;
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ArtifactsDir);
        try
        {
            browser = await HeadlessChromium.LaunchAsync();
        }
        catch (Exception e)
        {
            launchFailure = e;
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
    }
}

/// <summary>Tests that share <see cref="ChromiumFixture"/> (run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<ChromiumFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "Chromium";
}
