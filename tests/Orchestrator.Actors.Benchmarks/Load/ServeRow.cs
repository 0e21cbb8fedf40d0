using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>What a row's clients did: acknowledged definitions, errors, and the latency of every request.</summary>
internal sealed record ClientRun(long Acknowledged, long Errors, string? FirstError, TimeSpan Elapsed, double[] LatenciesMs);

/// <summary>
/// The clients of one row against <c>orchestrator serve</c> (made once its URL is known): over the HTTP
/// routes or over MCP. <see cref="ServeRow"/> asks <see cref="Http"/> for GET .../stats before and after them.
/// </summary>
internal abstract class ServeClients : IAsyncDisposable
{
    /// <summary>The client of GET .../stats.</summary>
    public abstract HttpClient Http { get; }

    /// <summary>What the clients set up before the clock starts (not timed, not in the server's CPU figure).</summary>
    public virtual Task PrepareAsync(CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>The definitions, timed; cancelled by <paramref name="stop"/> at the row's limit or a server error.</summary>
    public abstract Task<ClientRun> RunAsync(CancellationToken stop);

    /// <summary>How the clients were connected, for the progress line ("over 25 connection(s) (at most 25)").</summary>
    public abstract string Connections { get; }

    /// <summary>Checks of the clients' own, after the definitions.</summary>
    public virtual void Check(Checks checks)
    {
    }

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// The rows whose clients talk to the orchestrator over HTTP: <c>orchestrator serve</c> runs as a child
/// process (Akka.Remote and HTTP each on a free port), this process is the client. After the clients
/// (<see cref="ServeClients"/>), GET .../stats must count preexisting + defined, the server's VmHWM is its
/// peak memory, and SIGTERM must stop it with exit code 0. The server's CPU time while the clients ran is
/// its CPU per definition; an error in its log stops the row.
/// </summary>
internal static partial class ServeRow
{
    public const string Namespace = "default";
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    // As the Akka.Remote row's --timeout 60s: a server busy with a snapshot of P tasks must not turn a slow answer into an error.
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    public static async Task<RowResult> RunAsync(
        RowKind kind, string name, string dataDirectory, int agents, int tasks, int preexisting, TimeSpan limit, Action<string> progress,
        Func<Uri, ServeClients> clientsAt, ServeSettings? settings = null)
    {
        settings ??= ServeSettings.Default;
        var checks = new Checks();
        var step = Stopwatch.StartNew();
        var overlay = Path.Combine(dataDirectory, "serve-row.conf");
        // --serve-config last, so that it may change anything of the server's (metrics off, say).
        await File.WriteAllTextAsync(overlay, $"orchestrator.http.request-timeout = {RequestTimeout.TotalSeconds:0}s\n{settings.Config}\n");
        // Both ports free ones: a serve child never takes 4053 or 8080 from anything else on the machine.
        using var serve = HostProcess.Start("serve", "--port", "0", "--http-port", "0", "--data-dir", dataDirectory, "--config", overlay);
        ServeClients? clients = null;
        DashboardWatcher? dashboard = null;
        try
        {
            var line = await serve.WaitForLineAsync("orchestrator: HTTP at ", Patience);
            await serve.WaitForLineAsync("Recovered state-manager-", Patience);
            var url = HttpAt().Match(line) is { Success: true } match ? match.Groups[1].Value
                : throw new InvalidOperationException($"no URL in the server's line '{line}'");
            progress($"  server recovered after {step.Elapsed.TotalSeconds:0.0} s, HTTP at {url}");

            // An error of the server's own (Akka's [ERROR], ASP.NET Core's fail/crit) stops the row.
            var serverError = serve.LineMatching(l => (l.Contains("[ERROR]") || l.Contains(" fail: ") || l.Contains(" crit: ")) && !l.Contains("Disassociated"));
            clients = clientsAt(new Uri(url));

            if (settings.Dashboard)
            {
                dashboard = await DashboardWatcher.OpenAsync(new Uri(url), Namespace);
                progress($"  the dashboard is open in headless Chromium (a process of its own), its event stream live, after {step.Elapsed.TotalSeconds:0.0} s");
            }

            var before = await CountTasksAsync(clients.Http);
            checks.That(before == preexisting, $"GET .../stats counted {before} tasks before the row, not {preexisting}");
            step.Restart();
            using (var prepare = new CancellationTokenSource(limit))
                await clients.PrepareAsync(prepare.Token);
            if (step.Elapsed > TimeSpan.FromMilliseconds(100)) progress($"  the clients were set up in {step.Elapsed.TotalSeconds:0.0} s");
            step.Restart();

            ClientRun? run = null;
            string? stopped = null;
            var cpuBefore = ProcessMemory.CpuTime(serve.Id);
            var browserCpuBefore = dashboard is null ? TimeSpan.Zero : DashboardWatcher.BrowserCpu();
            var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            using (var stop = new CancellationTokenSource(limit))
            {
                _ = serverError.ContinueWith(_ =>
                {
                    try
                    {
                        stop.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The row had ended.
                    }
                }, TaskScheduler.Default);
                try
                {
                    run = await clients.RunAsync(stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    stopped = serverError.IsCompleted
                        ? $"when the server logged an error: {await serverError}"
                        : $"at the row's limit of {limit.TotalSeconds:0} s";
                }
                if (run is not null && stop.IsCancellationRequested)
                    stopped = serverError.IsCompleted ? $"when the server logged an error: {await serverError}" : $"at the row's limit of {limit.TotalSeconds:0} s";
            }
            var serverCpu = ProcessMemory.CpuTime(serve.Id) - cpuBefore;
            var browserCpu = dashboard is null ? TimeSpan.Zero : DashboardWatcher.BrowserCpu() - browserCpuBefore;
            var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore;
            progress(run is null
                ? $"  the clients were stopped after {step.Elapsed.TotalSeconds:0.0} s {stopped}"
                : $"  the clients took {run.Elapsed.TotalSeconds:0.0} s {clients.Connections}");
            if (dashboard is not null)
                progress($"  the dashboard's browser used {browserCpu.TotalSeconds:0.00} s of CPU while the clients ran" +
                         (run is { Acknowledged: > 0 } ? $", {browserCpu.TotalMicroseconds / run.Acknowledged:0} µs per definition" : ""));
            step.Restart();

            var defined = run?.Acknowledged ?? 0;
            if (stopped is not null) checks.That(false, $"the clients were stopped {stopped}");
            if (run is not null)
            {
                checks.That(run.Acknowledged == tasks, $"{run.Acknowledged} of {tasks} tasks acknowledged as created");
                checks.That(run.Errors == 0, $"{run.Errors} errors; first: {run.FirstError}");
            }
            clients.Check(checks);

            long? after = null;
            try
            {
                after = await CountTasksAsync(clients.Http);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                checks.That(false, $"GET .../stats failed after the row: {ex.Message}");
            }
            progress($"  GET .../stats: {after?.ToString("N0") ?? "no answer"} tasks");
            if (after is not null)
                checks.That(after == preexisting + defined, $"GET .../stats counts {after} tasks, not {preexisting} + {defined}");

            // The clients and the dashboard leave (an MCP session ends with its DELETE) before the server is stopped.
            await clients.DisposeAsync();
            clients = null;
            if (dashboard is not null) await dashboard.DisposeAsync();
            dashboard = null;
            var peak = ProcessMemory.PeakResidentBytes(serve.Id);
            serve.Send(Signal.Terminate);
            var exit = await serve.WaitForExitAsync(Patience);
            progress($"  the server stopped {step.Elapsed.TotalSeconds:0.0} s after SIGTERM");
            checks.That(exit == 0, $"orchestrator serve exited {exit} after SIGTERM");

            return new RowResult(kind, name, agents, preexisting, defined,
                run?.Elapsed ?? TimeSpan.Zero,
                run is null ? null : LatencySummary.Of(run.LatenciesMs),
                peak is { } bytes ? new PeakMemory(bytes, "server RSS peak") : null,
                checks.Failures,
                ServerCpu: serverCpu,
                ClientCpu: clientCpu);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or OperationCanceledException or HttpRequestException
                                       or JsonException or KeyNotFoundException)
        {
            checks.That(false, $"{ex.GetType().Name}: {ex.Message}");
            return new RowResult(kind, name, agents, preexisting, 0, TimeSpan.Zero, null, null, checks.Failures);
        }
        finally
        {
            if (clients is not null) await clients.DisposeAsync();
            if (dashboard is not null) await dashboard.DisposeAsync();
        }
    }

    /// <summary>
    /// A handler for plain HTTP/1.1 with keep-alive (no proxy, cookies, redirects or decompression) whose
    /// connections, Nagle off, are counted in <paramref name="opened"/>.
    /// </summary>
    public static SocketsHttpHandler CountingHandler(int maxConnections, ConnectionCount opened) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectCallback = async (context, cancellation) =>
        {
            Interlocked.Increment(ref opened.Value);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>An HTTP/1.1 client of <paramref name="url"/> over <paramref name="handler"/>, <see cref="RequestTimeout"/> a request.</summary>
    public static HttpClient Client(Uri url, HttpMessageHandler handler, bool disposeHandler = true) => new(handler, disposeHandler)
    {
        BaseAddress = url,
        Timeout = RequestTimeout,
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    private static async Task<long> CountTasksAsync(HttpClient http)
    {
        using var response = await http.GetAsync($"/v1/namespaces/{Namespace}/stats");
        var reply = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"GET .../stats answered {(int)response.StatusCode} {Snippet(reply)}");
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.GetProperty("tasks").GetInt64();
    }

    /// <summary>The start of an answer, for an error message.</summary>
    /// <summary>
    /// <paramref name="clients"/> clients, each defining every Nth of <paramref name="tasks"/> distinct
    /// tasks one at a time through <paramref name="define"/>, which answers null when the task was
    /// acknowledged and what was wrong otherwise; every call's latency is kept, and a failure that
    /// <paramref name="isFailure"/> names (the transport's) counts as an error, not the end of the run.
    /// </summary>
    public static async Task<ClientRun> DefineEachAsync(int clients, int tasks, string prefix,
        Func<int, string, string, CancellationToken, Task<string?>> define, Func<Exception, bool> isFailure, CancellationToken stop)
    {
        long acknowledged = 0, errors = 0;
        string? firstError = null;
        var stopwatch = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            // Each client starts on the thread pool, so that all of them send concurrently from the start.
            await Task.Yield();
            var agent = $"load-agent-{client:D4}";
            var mine = new List<double>(tasks / clients + 1);
            for (var i = client; i < tasks && !stop.IsCancellationRequested; i += clients)
            {
                var taskId = DefiningAgents.TaskId(prefix, i);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var wrong = await define(client, agent, taskId, stop);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (wrong is null) Interlocked.Increment(ref acknowledged);
                    else Error($"{taskId}: {wrong}");
                }
                catch (Exception ex) when (!stop.IsCancellationRequested && isFailure(ex))
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Error($"{taskId}: {ex.GetType().Name}: {ex.Message}");
                }
            }
            stop.ThrowIfCancellationRequested();
            return mine;
        }));
        stopwatch.Stop();
        return new ClientRun(acknowledged, errors, firstError, stopwatch.Elapsed, [.. latencies.SelectMany(l => l)]);

        void Error(string message)
        {
            Interlocked.Increment(ref errors);
            Interlocked.CompareExchange(ref firstError, message, null);
        }
    }

    public static string Snippet(byte[] reply) => Snippet(Encoding.UTF8.GetString(reply, 0, Math.Min(reply.Length, 301)));

    public static string Snippet(string text) => text.Length > 300 ? text[..300] + "…" : text;

    [GeneratedRegex(@"HTTP at (\S+)")]
    private static partial Regex HttpAt();
}

/// <summary>How a serve row runs its server: HOCON laid over its configuration (--serve-config), and whether the dashboard is open (--dashboard).</summary>
internal sealed record ServeSettings(string Config = "", bool Dashboard = false)
{
    public static readonly ServeSettings Default = new();
}

/// <summary>The connections a <see cref="ServeRow.CountingHandler"/> opened (shared by reference among handlers).</summary>
internal sealed class ConnectionCount
{
    public int Value;
}
