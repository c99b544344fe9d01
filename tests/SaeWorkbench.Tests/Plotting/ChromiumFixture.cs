using SaeWorkbench.Plotting;
using SaeWorkbench.Tests.Browser;

namespace SaeWorkbench.Tests.Plotting;

/// <summary>
/// One headless Chromium for all browser tests, and plotly.js's plot schema read through it. When Chromium cannot
/// start, every test that needs it fails with the reason (run environment/setup.sh); none is skipped.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private HeadlessChromium? browser;
    private Exception? launchFailure;
    private PlotSchema? schema;
    private readonly SemaphoreSlim schemaLock = new(1, 1);

    /// <summary>Where screenshots, pages and the schema are kept: <c>bin/.../artifacts/browser</c> of this test project.</summary>
    public static string ArtifactsDir { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "browser");

    /// <summary>The browser, or the reason it could not start.</summary>
    public HeadlessChromium Browser =>
        browser ?? throw new InvalidOperationException($"headless Chromium is not available: {launchFailure?.Message}", launchFailure);

    /// <summary>plotly.js's plot schema, from the bundle embedded in SaeWorkbench.dll (read once, kept as an artifact).</summary>
    public async Task<PlotSchema> SchemaAsync()
    {
        await schemaLock.WaitAsync();
        try
        {
            if (schema is not null) return schema;
            var page = Path.Combine(ArtifactsDir, "plot-schema.html");
            await File.WriteAllTextAsync(page,
                $"<!DOCTYPE html><html><head><meta charset=\"utf-8\">{PlotlyJs.ScriptElement()}</head><body></body></html>");
            await using var tab = await Browser.OpenAsync(page);
            var json = (await tab.EvaluateAsync("JSON.stringify(Plotly.PlotSchema.get())")).GetString()!;
            if (tab.Errors.Count > 0) throw new InvalidOperationException("loading plotly.js logged errors:\n" + string.Join("\n", tab.Errors));
            await File.WriteAllTextAsync(Path.Combine(ArtifactsDir, "plot-schema.json"), json);
            return schema = PlotSchema.Parse(json);
        }
        finally
        {
            schemaLock.Release();
        }
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
