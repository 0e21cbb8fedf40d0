using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

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
/// Then, as for every <see cref="ServeRow"/>, GET .../stats must count preexisting + defined, the server's VmHWM is its
/// peak memory, and SIGTERM must stop it with exit code 0. The timing starts after one GET .../stats has opened the
/// first connection (as <c>orchestrator load</c> connects before its clock starts) and includes the other connections' set-up.
/// </summary>
internal static class HttpRow
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

    private const string TaskPrefix = "http-";
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    /// <summary><paramref name="clients"/> concurrent clients, each on its own connection, define <paramref name="tasks"/> tasks one request each.</summary>
    public static Task<RowResult> RunAsync(string dataDirectory, int clients, int tasks, int preexisting, TimeSpan limit, Action<string> progress, ServeSettings? serve = null) =>
        RunRowAsync(RowKind.Http, Name, dataDirectory, clients, tasks, preexisting, limit, progress,
            (http, stop) => DefineEachAsync(http, clients, tasks, stop), serve);

    /// <summary><paramref name="requests"/> concurrent requests (fewer if there are fewer batches) define <paramref name="tasks"/> tasks, <see cref="BatchSize"/> a request.</summary>
    public static Task<RowResult> RunBatchAsync(string dataDirectory, int tasks, int requests, int preexisting, TimeSpan limit, Action<string> progress, ServeSettings? serve = null)
    {
        var concurrency = BatchConcurrency(tasks, requests);
        return RunRowAsync(RowKind.HttpBatch, BatchName, dataDirectory, concurrency, tasks, preexisting, limit, progress,
            (http, stop) => DefineBatchesAsync(http, concurrency, tasks, stop), serve);
    }

    private static Task<RowResult> RunRowAsync(
        RowKind kind, string name, string dataDirectory, int connections, int tasks, int preexisting, TimeSpan limit, Action<string> progress,
        Func<HttpClient, CancellationToken, Task<ClientRun>> load, ServeSettings? serve) =>
        ServeRow.RunAsync(kind, name, dataDirectory, connections, tasks, preexisting, limit, progress,
            url => new Clients(url, connections, load), serve);

    /// <summary>One <see cref="HttpClient"/> for the row, GET .../stats included, whose connections are counted.</summary>
    private sealed class Clients : ServeClients
    {
        private readonly ConnectionCount _opened = new();
        private readonly int _connections;
        private readonly Func<HttpClient, CancellationToken, Task<ClientRun>> _load;

        public Clients(Uri url, int connections, Func<HttpClient, CancellationToken, Task<ClientRun>> load)
        {
            _connections = connections;
            _load = load;
            Http = ServeRow.Client(url, ServeRow.CountingHandler(connections, _opened));
        }

        public override HttpClient Http { get; }

        public override Task<ClientRun> RunAsync(CancellationToken stop) => _load(Http, stop);

        public override string Connections => $"over {_opened.Value} connection(s) (at most {_connections})";

        // With keep-alive there are at most `connections` of them.
        public override void Check(Checks checks) =>
            checks.That(_opened.Value <= _connections, $"{_opened.Value} connections opened for {_connections} concurrent clients: keep-alive was not kept");

        public override ValueTask DisposeAsync()
        {
            Http.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Each client defines every Nth task, one POST .../tasks at a time; each answer must be 201 with its task.</summary>
    private static Task<ClientRun> DefineEachAsync(HttpClient http, int clients, int tasks, CancellationToken stop)
    {
        var path = $"/v1/namespaces/{ServeRow.Namespace}/tasks";
        return ServeRow.DefineEachAsync(clients, tasks, TaskPrefix, async (_, agent, taskId, cancel) =>
            {
                var body = Encoding.UTF8.GetBytes($$"""{"taskId":"{{taskId}}","agent":"{{agent}}","taskFile":"tasks/{{taskId}}.md","by":"{{agent}}"}""");
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Content(body) };
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel);
                var reply = await response.Content.ReadAsByteArrayAsync(cancel);
                return response.StatusCode == HttpStatusCode.Created && TaskIdOf(reply) == taskId
                    ? null
                    : $"{(int)response.StatusCode} {ServeRow.Snippet(reply)}";
            },
            ex => ex is HttpRequestException or TaskCanceledException or JsonException, stop);
    }

    /// <summary>
    /// <paramref name="concurrency"/> clients take the next batch of <see cref="BatchSize"/> tasks until none is left;
    /// each answer must be 200 with every item created, in order, and the counts to match.
    /// </summary>
    private static async Task<ClientRun> DefineBatchesAsync(HttpClient http, int concurrency, int tasks, CancellationToken stop)
    {
        var path = $"/v1/namespaces/{ServeRow.Namespace}/tasks:batch";
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
                        Error($"batch {batch}: {(int)response.StatusCode} {ServeRow.Snippet(reply)}", count);
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
            else problem ??= $"item {index} ({taskId}): {outcome} {ServeRow.Snippet(Encoding.UTF8.GetBytes(item.GetRawText()))}";
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
}
