using System.Diagnostics;
using Microsoft.Playwright;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// The dashboard open on a serve row while its clients run (--dashboard): Debian's headless Chromium
/// (<see cref="Chromium"/>) started as a process of its own on <c>/?namespace=default</c>. Before the
/// row's clock starts, Playwright attaches over the DevTools protocol, sees the page live (its event
/// stream connected, its charts drawn) and detaches again, so that while the clients run the page
/// works alone and nothing of a driver runs in this process (the clients' process) or beside it.
/// </summary>
internal sealed class DashboardWatcher : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly Process _browser;
    private readonly string _profile;

    private DashboardWatcher(Process browser, string profile)
    {
        _browser = browser;
        _profile = profile;
    }

    /// <summary>Starts the browser on the page and returns once the page is live.</summary>
    public static async Task<DashboardWatcher> OpenAsync(Uri server, string @namespace)
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"--dashboard needs Chromium at {Chromium} (apt-get install chromium)");
        var profile = Directory.CreateTempSubdirectory("dashboard-chromium-").FullName;
        var port = HostProcess.FreePort();
        var page = new Uri(server, $"/?namespace={Uri.EscapeDataString(@namespace)}");
        var browser = Process.Start(new ProcessStartInfo(Chromium)
        {
            ArgumentList =
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", $"--remote-debugging-port={port}", page.ToString(),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"{Chromium} did not start");
        browser.OutputDataReceived += (_, _) => { };
        browser.ErrorDataReceived += (_, _) => { };
        browser.BeginOutputReadLine();
        browser.BeginErrorReadLine();
        var watcher = new DashboardWatcher(browser, profile);
        try
        {
            using var playwright = await Playwright.CreateAsync();
            var attached = await ConnectAsync(playwright, port);
            var open = attached.Contexts.SelectMany(c => c.Pages).Single(p => p.Url.StartsWith(page.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal));
            await Assertions.Expect(open.Locator("#live")).ToHaveTextAsync("live", new() { Timeout = 30_000 });
            await Assertions.Expect(open.Locator("#chart-defined svg")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            // Over the DevTools protocol, closing is detaching: the browser and the page go on.
            await attached.CloseAsync();
            return watcher;
        }
        catch
        {
            await watcher.DisposeAsync();
            throw;
        }
    }

    // The DevTools endpoint answers once the browser is up; until then the connection is refused.
    private static async Task<IBrowser> ConnectAsync(IPlaywright playwright, int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await playwright.Chromium.ConnectOverCDPAsync($"http://127.0.0.1:{port}");
            }
            catch (PlaywrightException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
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
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ProcessMemory.Stat(pid) is { } stat
                && stat.Name.StartsWith("chrom", StringComparison.Ordinal))
                total += stat.Cpu;
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _browser.Kill(entireProcessTree: true);
            await _browser.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // It had ended.
        }
        _browser.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A helper still closing its files: the temp folder keeps it.
        }
    }
}
