using Microsoft.Playwright;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// The dashboard open on a serve row while its clients run (--dashboard): headless Chromium (Debian's,
/// at <see cref="Chromium"/>) on <c>/?namespace=default</c>, driven by Playwright as the browser specs
/// drive it. It is open, with its event stream live and its figures read, before the row's clock starts;
/// what it asked of the server while open is counted for the progress line.
/// </summary>
internal sealed class DashboardWatcher : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private int _requests;

    private DashboardWatcher(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>The requests the page made since it was open (its event stream counts once).</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<DashboardWatcher> OpenAsync(Uri server, string @namespace)
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"--dashboard needs Chromium at {Chromium} (apt-get install chromium)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var watcher = new DashboardWatcher(playwright, browser);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server, $"/?namespace={Uri.EscapeDataString(@namespace)}").ToString());
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#chart-defined svg")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        page.Request += (_, _) => Interlocked.Increment(ref watcher._requests);
        return watcher;
    }

    /// <summary>
    /// The CPU time (utime + stime, /proc) of every Chromium process alive now: the browser, its
    /// renderer and its helpers. A process that ended in between takes its time with it, so a
    /// difference of two readings is a lower bound.
    /// </summary>
    public static TimeSpan BrowserCpu()
    {
        var total = TimeSpan.Zero;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // it ended while being read
            }
            var open = stat.IndexOf('(');
            var name = stat[(open + 1)..stat.LastIndexOf(')')];
            if (name.StartsWith("chrom", StringComparison.Ordinal) && ProcessMemory.CpuTime(pid) is { } cpu) total += cpu;
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
