using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// The orchestrator over its HTTP/JSON door. <c>orchestrator serve</c> runs as a child process (Akka.Remote
/// and HTTP each on a free port); this process is the HTTP client, over one <see cref="HttpClient"/> whose
/// <see cref="SocketsHttpHandler"/> allows as many connections as there are concurrent clients (HTTP/1.1,
/// keep-alive: each client keeps its connection). Two rows:
/// <list type="bullet">
/// <item><see cref="Name"/>: N clients, each defining its share of distinct tasks one POST .../tasks at a time,
/// every answer checked to be 201 with its own task.</item>
/// <item><see cref="BatchName"/>: a few concurrent requests (<see cref="BatchRequests"/> by default) of <see cref="BatchSize"/>
/// definitions each (POST .../tasks:batch), every item checked to be created in order.</item>
/// </list>
/// Then GET .../stats must count preexisting + defined, the server's VmHWM is its peak memory, and
/// SIGTERM must stop it with exit code 0. The timing starts after one GET .../stats has opened the
/// first connection (as <c>orchestrator load</c> connects before its clock starts) and includes the other connections' set-up.
/// </summary>
internal static partial class HttpRow
{
    public const string Name = "orchestrator over HTTP";
    public const string BatchName = "orchestrator over HTTP, tasks:batch";

    /// <summary>Definitions per tasks:batch request: the route's (and orchestrator.limits.max-batch-definitions') maximum.</summary>
    public const int BatchSize = 1_000;

    /// <summary>
    /// Concurrent tasks:batch requests. The namespace's state manager decides and journals one batch at a
    /// time, so more requests in flight only wait in its mailbox (200 × 1,000 definitions would measure the
    /// queue); a few keep it busy while the next batches are sent, parsed and the last ones answered.
    /// </summary>
    public const int BatchRequests = 4;

    /// <summary>The concurrent tasks:batch requests for <paramref name="tasks"/> definitions: <paramref name="requests"/>, or fewer if there are fewer batches.</summary>
    public static int BatchConcurrency(int tasks, int requests) => Math.Min(requests, (tasks + BatchSize - 1) / BatchSize);

    private const string Namespace = "default";
    private const string TaskPrefix = "http-";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    // As the Akka.Remote row's --timeout 60s: a server busy with a snapshot of P tasks must not turn a slow answer into an error.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    /// <summary>What the clients did: acknowledged definitions, errors, and the latency of every request.</summary>
    private sealed record ClientRun(long Acknowledged, long Errors, string? FirstError, TimeSpan Elapsed, double[] LatenciesMs);

    /// <summary><paramref name="clients"/> concurrent clients, each on its own connection, define <paramref name="tasks"/> tasks one request each.</summary>
    public static Task<RowResult> RunAsync(string dataDirectory, int clients, int tasks, int preexisting, TimeSpan limit, Action<string> progress) =>
        RunRowAsync(RowKind.Http, Name, dataDirectory, clients, tasks, preexisting, limit, progress,
            (http, stop) => DefineEachAsync(http, clients, tasks, stop));

    /// <summary><paramref name="requests"/> concurrent requests (fewer if there are fewer batches) define <paramref name="tasks"/> tasks, <see cref="BatchSize"/> a request.</summary>
    public static Task<RowResult> RunBatchAsync(string dataDirectory, int tasks, int requests, int preexisting, TimeSpan limit, Action<string> progress)
    {
        var concurrency = BatchConcurrency(tasks, requests);
        return RunRowAsync(RowKind.HttpBatch, BatchName, dataDirectory, concurrency, tasks, preexisting, limit, progress,
            (http, stop) => DefineBatchesAsync(http, concurrency, tasks, stop));
    }

    private static async Task<RowResult> RunRowAsync(
        RowKind kind, string name, string dataDirectory, int connections, int tasks, int preexisting, TimeSpan limit, Action<string> progress,
        Func<HttpClient, CancellationToken, Task<ClientRun>> load)
    {
        var checks = new Checks();
        var step = Stopwatch.StartNew();
        var overlay = Path.Combine(dataDirectory, "http-row.conf");
        await File.WriteAllTextAsync(overlay, $"orchestrator.http.request-timeout = {RequestTimeout.TotalSeconds:0}s\n");
        // Both ports free ones: a serve child never takes 4053 or 8080 from anything else on the machine.
        using var serve = HostProcess.Start("serve", "--port", "0", "--http-port", "0", "--data-dir", dataDirectory, "--config", overlay);
        try
        {
            var line = await serve.WaitForLineAsync("orchestrator: HTTP at ", Patience);
            await serve.WaitForLineAsync("Recovered state-manager-", Patience);
            var url = HttpAt().Match(line) is { Success: true } match ? match.Groups[1].Value
                : throw new InvalidOperationException($"no URL in the server's line '{line}'");
            progress($"  server recovered after {step.Elapsed.TotalSeconds:0.0} s, HTTP at {url}");

            // An error of the server's own (Akka's [ERROR], ASP.NET Core's fail/crit) stops the row.
            var serverError = serve.LineMatching(l => (l.Contains("[ERROR]") || l.Contains(" fail: ") || l.Contains(" crit: ")) && !l.Contains("Disassociated"));
            var opened = 0;
            using var handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = connections,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                // Counts the connections: with keep-alive there are at most `connections` of them.
                ConnectCallback = async (context, cancellation) =>
                {
                    Interlocked.Increment(ref opened);
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
            using var http = new HttpClient(handler)
            {
                BaseAddress = new Uri(url),
                Timeout = RequestTimeout,
                DefaultRequestVersion = HttpVersion.Version11,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };

            var before = await CountTasksAsync(http);
            checks.That(before == preexisting, $"GET .../stats counted {before} tasks before the row, not {preexisting}");
            step.Restart();

            ClientRun? run = null;
            string? stopped = null;
            var cpuBefore = ProcessMemory.CpuTime(serve.Id);
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
                    run = await load(http, stop.Token);
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
            progress(run is null
                ? $"  the clients were stopped after {step.Elapsed.TotalSeconds:0.0} s {stopped}"
                : $"  the clients took {run.Elapsed.TotalSeconds:0.0} s over {opened} connection(s) (at most {connections})");
            step.Restart();

            var defined = run?.Acknowledged ?? 0;
            if (stopped is not null) checks.That(false, $"the clients were stopped {stopped}");
            if (run is not null)
            {
                checks.That(run.Acknowledged == tasks, $"{run.Acknowledged} of {tasks} tasks acknowledged as created");
                checks.That(run.Errors == 0, $"{run.Errors} errors; first: {run.FirstError}");
            }
            checks.That(opened <= connections, $"{opened} connections opened for {connections} concurrent clients: keep-alive was not kept");

            long? after = null;
            try
            {
                after = await CountTasksAsync(http);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                checks.That(false, $"GET .../stats failed after the row: {ex.Message}");
            }
            progress($"  GET .../stats: {after?.ToString("N0") ?? "no answer"} tasks");
            if (after is not null)
                checks.That(after == preexisting + defined, $"GET .../stats counts {after} tasks, not {preexisting} + {defined}");

            var peak = ProcessMemory.PeakResidentBytes(serve.Id);
            serve.Send(Signal.Terminate);
            var exit = await serve.WaitForExitAsync(Patience);
            progress($"  the server stopped {step.Elapsed.TotalSeconds:0.0} s after SIGTERM");
            checks.That(exit == 0, $"orchestrator serve exited {exit} after SIGTERM");

            return new RowResult(kind, name, connections, preexisting, defined,
                run?.Elapsed ?? TimeSpan.Zero,
                run is null ? null : LatencySummary.Of(run.LatenciesMs),
                peak is { } bytes ? new PeakMemory(bytes, "server RSS peak") : null,
                checks.Failures,
                ServerCpu: serverCpu);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or OperationCanceledException or HttpRequestException
                                       or JsonException or KeyNotFoundException)
        {
            checks.That(false, $"{ex.GetType().Name}: {ex.Message}");
            return new RowResult(kind, name, connections, preexisting, 0, TimeSpan.Zero, null, null, checks.Failures);
        }
    }

    /// <summary>Each client defines every Nth task, one POST .../tasks at a time; each answer must be 201 with its task.</summary>
    private static async Task<ClientRun> DefineEachAsync(HttpClient http, int clients, int tasks, CancellationToken stop)
    {
        var path = $"/v1/namespaces/{Namespace}/tasks";
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
                var taskId = DefiningAgents.TaskId(TaskPrefix, i);
                var body = Encoding.UTF8.GetBytes($$"""{"taskId":"{{taskId}}","agent":"{{agent}}","taskFile":"tasks/{{taskId}}.md","by":"{{agent}}"}""");
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Content(body) };
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, stop);
                    var reply = await response.Content.ReadAsByteArrayAsync(stop);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (response.StatusCode == HttpStatusCode.Created && TaskIdOf(reply) == taskId) Interlocked.Increment(ref acknowledged);
                    else Error($"{taskId}: {(int)response.StatusCode} {Snippet(reply)}");
                }
                catch (Exception ex) when (!stop.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or JsonException)
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

    /// <summary>
    /// <paramref name="concurrency"/> clients take the next batch of <see cref="BatchSize"/> tasks until none is left;
    /// each answer must be 200 with every item created, in order, and the counts to match.
    /// </summary>
    private static async Task<ClientRun> DefineBatchesAsync(HttpClient http, int concurrency, int tasks, CancellationToken stop)
    {
        var path = $"/v1/namespaces/{Namespace}/tasks:batch";
        var batches = (tasks + BatchSize - 1) / BatchSize;
        long acknowledged = 0, errors = 0;
        string? firstError = null;
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async client =>
        {
            await Task.Yield();
            var agent = $"load-agent-{client:D4}";
            var mine = new List<double>(batches / concurrency + 1);
            int batch;
            while (!stop.IsCancellationRequested && (batch = Interlocked.Increment(ref next)) < batches)
            {
                var first = batch * BatchSize;
                var count = Math.Min(BatchSize, tasks - first);
                var body = BatchBody(first, count, agent);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Content(body) };
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, stop);
                    var reply = await response.Content.ReadAsByteArrayAsync(stop);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Error($"batch {batch}: {(int)response.StatusCode} {Snippet(reply)}", count);
                        continue;
                    }
                    var (created, problem) = CheckBatch(reply, first, count);
                    Interlocked.Add(ref acknowledged, created);
                    if (problem is not null) Error($"batch {batch}: {problem}", count - created);
                }
                catch (Exception ex) when (!stop.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or JsonException
                                               or InvalidOperationException or KeyNotFoundException)
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Error($"batch {batch}: {ex.GetType().Name}: {ex.Message}", count);
                }
            }
            stop.ThrowIfCancellationRequested();
            return mine;
        }));
        stopwatch.Stop();
        return new ClientRun(acknowledged, errors, firstError, stopwatch.Elapsed, [.. latencies.SelectMany(l => l)]);

        void Error(string message, long definitions)
        {
            Interlocked.Add(ref errors, Math.Max(1, definitions));
            Interlocked.CompareExchange(ref firstError, message, null);
        }
    }

    /// <summary>{"tasks":[...]} with tasks <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
    private static byte[] BatchBody(int first, int count, string agent)
    {
        var text = new StringBuilder(count * 112 + 16).Append("{\"tasks\":[");
        for (var i = first; i < first + count; i++)
        {
            var taskId = DefiningAgents.TaskId(TaskPrefix, i);
            if (i > first) text.Append(',');
            text.Append($$"""{"taskId":"{{taskId}}","agent":"{{agent}}","taskFile":"tasks/{{taskId}}.md","by":"{{agent}}"}""");
        }
        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }

    /// <summary>How many items were created as sent (index and task id in order), and what was wrong otherwise.</summary>
    private static (long Created, string? Problem) CheckBatch(byte[] reply, int first, int count)
    {
        using var document = JsonDocument.Parse(reply);
        var root = document.RootElement;
        var results = root.GetProperty("results");
        long created = 0;
        string? problem = null;
        var index = 0;
        foreach (var item in results.EnumerateArray())
        {
            var taskId = DefiningAgents.TaskId(TaskPrefix, first + index);
            var outcome = item.GetProperty("outcome").GetString();
            if (item.GetProperty("index").GetInt32() == index && item.GetProperty("taskId").GetString() == taskId && outcome == "created") created++;
            else problem ??= $"item {index} ({taskId}): {outcome} {Snippet(Encoding.UTF8.GetBytes(item.GetRawText()))}";
            index++;
        }
        if (index != count) problem ??= $"{index} results for {count} definitions";
        var counted = root.GetProperty("created").GetInt64();
        if (counted != created) problem ??= $"the answer counts {counted} created, its items {created}";
        return (created, problem);
    }

    private static ByteArrayContent Content(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        return content;
    }

    private static async Task<long> CountTasksAsync(HttpClient http)
    {
        using var response = await http.GetAsync($"/v1/namespaces/{Namespace}/stats");
        var reply = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"GET .../stats answered {(int)response.StatusCode} {Snippet(reply)}");
        using var document = JsonDocument.Parse(reply);
        return document.RootElement.GetProperty("tasks").GetInt64();
    }

    /// <summary>The top-level "taskId" of a task's JSON, read without building a document.</summary>
    private static string? TaskIdOf(byte[] reply)
    {
        var reader = new Utf8JsonReader(reply);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("taskId"u8))
                return reader.Read() ? reader.GetString() : null;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= 1) reader.Skip();
        }
        return null;
    }

    private static string Snippet(byte[] reply)
    {
        var text = Encoding.UTF8.GetString(reply, 0, Math.Min(reply.Length, 300));
        return reply.Length > 300 ? text + "…" : text;
    }

    [GeneratedRegex(@"HTTP at (\S+)")]
    private static partial Regex HttpAt();
}
