using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// A SIGKILL of <c>orchestrator serve</c> while HTTP clients define tasks one by one and in batches:
/// every definition the server answered 201 (or a batch answered 200 with <c>created</c>) is there
/// after a restart on the same data, exactly once.
/// </summary>
public sealed class HttpKillSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const int SingleClients = 25, BatchClients = 2, BatchSize = 50, KillAfter = 300;
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    [Fact]
    public async Task A_SIGKILL_under_HTTP_load_loses_no_acknowledged_definition()
    {
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var unexpected = new ConcurrentQueue<string>();

        using (var first = await StartAsync())
        {
            using var http = Client(first.Url);
            // Each client defines until the server is gone; a transport failure ends it, any other
            // answer than 201 (or a batch item other than created) is recorded as unexpected.
            var clients = Enumerable.Range(0, SingleClients).Select(c => Task.Run(async () =>
                {
                    for (var i = 0; ; i++)
                    {
                        var id = $"single-{c:D2}-{i:D5}";
                        var json = $$"""{"taskId":"{{id}}","agent":"worker","taskFile":"tasks/{{id}}.md"}""";
                        if (await PostAsync(http, "/v1/namespaces/default/tasks", json) is not { } answer) return;
                        if (answer.Status == HttpStatusCode.Created) Acknowledge(id);
                        else unexpected.Enqueue($"{id}: {(int)answer.Status} {answer.Body}");
                    }
                }))
                .Concat(Enumerable.Range(0, BatchClients).Select(c => Task.Run(async () =>
                {
                    for (var b = 0; ; b++)
                    {
                        var ids = Enumerable.Range(0, BatchSize).Select(i => $"batch-{c}-{b:D4}-{i:D2}").ToList();
                        var json = "{\"tasks\":[" + string.Join(",", ids.Select(id => $$"""{"taskId":"{{id}}","agent":"worker","taskFile":"tasks/{{id}}.md"}""")) + "]}";
                        if (await PostAsync(http, "/v1/namespaces/default/tasks:batch", json) is not { } answer) return;
                        if (answer.Status != HttpStatusCode.OK)
                        {
                            unexpected.Enqueue($"batch {c}/{b}: {(int)answer.Status} {answer.Body}");
                            continue;
                        }
                        foreach (var result in JsonDocument.Parse(answer.Body).RootElement.GetProperty("results").EnumerateArray())
                        {
                            var id = result.GetProperty("taskId").GetString()!;
                            if (result.GetProperty("outcome").GetString() == "created") Acknowledge(id);
                            else unexpected.Enqueue($"batch {c}/{b} {id}: {result}");
                        }
                    }
                })))
                .ToList();

            await enough.Task.WaitAsync(Patience);
            first.Process.Send(Signal.Kill);
            await first.Process.WaitForExitAsync(Patience);
            await Task.WhenAll(clients).WaitAsync(Patience);
        }

        Assert.True(unexpected.IsEmpty, string.Join(Environment.NewLine, unexpected.Take(5)));
        Assert.True(acknowledged.Count >= KillAfter, $"{acknowledged.Count} acknowledged before the kill");

        using (var second = await StartAsync())
        {
            using var http = Client(second.Url);
            var ids = await AllTaskIdsAsync(http);

            // Every acknowledged definition survived, and no task is there twice.
            Assert.Equal(ids.Count, ids.Distinct().Count());
            var missing = acknowledged.Keys.Except(ids).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged definitions are gone, e.g. {string.Join(", ", missing.Take(5))}");

            second.Process.Send(Signal.Terminate);
            Assert.Equal(0, await second.Process.WaitForExitAsync(Patience));
        }

        var db = new JournalDatabase(Path.Combine(_dataDirectory, "orchestrator.db"));
        Assert.Equal("ok", db.IntegrityCheck());

        void Acknowledge(string id)
        {
            Assert.True(acknowledged.TryAdd(id, 0), $"'{id}' acknowledged twice");
            if (acknowledged.Count >= KillAfter) enough.TrySetResult();
        }
    }

    [Fact]
    public async Task SIGTERM_answers_a_waiting_claim_and_ends_an_event_stream_before_the_node_stops()
    {
        using var served = await StartAsync();
        using var http = Client(served.Url);
        using var events = await http.GetAsync("/v1/namespaces/default/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        var streamEnded = events.Content.ReadAsStringAsync();
        var claim = http.PostAsync("/v1/namespaces/default/claims?wait=60s",
            new StringContent("""{"agent":"nobody"}""", Encoding.UTF8, "application/json"));
        // The claim is waiting once the node has seen its agent.
        for (var seen = false; !seen;)
        {
            using var agents = await http.GetAsync("/v1/namespaces/default/agents");
            seen = (await agents.Content.ReadAsStringAsync()).Contains("\"nobody\"");
        }

        served.Process.Send(Signal.Terminate);

        using var answer = await claim.WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        await streamEnded.WaitAsync(Patience);
        Assert.Equal(0, await served.Process.WaitForExitAsync(Patience));
        // Kestrel was not left waiting for them until a phase of the node's shutdown gave up.
        Assert.DoesNotContain(served.Process.Output.Concat(served.Process.Errors), l => l.Contains("timed out"));
    }

    /// <summary>A served node on this spec's data directory with a free HTTP port, once it has recovered and listens.</summary>
    private async Task<Served> StartAsync()
    {
        var process = HostProcess.Start("serve", "--port", "0", "--data-dir", _dataDirectory);
        try
        {
            var line = await process.WaitForLineAsync("orchestrator: HTTP at ", Patience);
            await process.WaitForLineAsync("Recovered state-manager-default", Patience);
            return new Served(process, line[line.IndexOf("http://", StringComparison.Ordinal)..].Split(' ')[0]);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private static HttpClient Client(string url) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = SingleClients + BatchClients }) { BaseAddress = new Uri(url), Timeout = Patience };

    /// <summary>The answer, or null once the server is unreachable (killed mid-request or before it).</summary>
    private static async Task<(HttpStatusCode Status, string Body)?> PostAsync(HttpClient http, string path, string json)
    {
        try
        {
            using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<List<string>> AllTaskIdsAsync(HttpClient http)
    {
        var ids = new List<string>();
        for (var offset = 0; ; offset += 1000)
        {
            using var response = await http.GetAsync($"/v1/namespaces/default/tasks?offset={offset}&limit=1000");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"list answered {(int)response.StatusCode}: {body}");
            var page = JsonDocument.Parse(body).RootElement;
            var tasks = page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).ToList();
            ids.AddRange(tasks);
            if (tasks.Count == 0 || ids.Count >= page.GetProperty("total").GetInt32()) return ids;
        }
    }

    public void Dispose() => TestConfigs.DeleteDataDirectory(_dataDirectory);

    private sealed record Served(HostProcess Process, string Url) : IDisposable
    {
        public void Dispose() => Process.Dispose();
    }
}
