using System.Net;
using System.Text.Json;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>GET .../events: Server-Sent Events of task transitions, replay with Last-Event-ID, reset, filters, keep-alive.</summary>
public sealed class HttpEventStreamSpecs(HttpEventStreamSpecs.Fixture fixture) : IClassFixture<HttpEventStreamSpecs.Fixture>
{
    public sealed class Fixture : HttpServerFixture
    {
        // A buffer of 3 notices, so that missing 4 overruns it; a keep-alive short enough to wait for.
        protected override string Overlay => "orchestrator.http.events { buffer = 3, keep-alive = 300ms }\n";
    }

    private readonly HttpServer _server = fixture.Server;
    private readonly string _ns = HttpServer.NewNamespace();

    private string Events => $"/v1/namespaces/{_ns}/events";

    [Fact]
    public async Task A_notice_arrives_with_its_id_its_event_name_and_the_notice_as_data()
    {
        await using var stream = await SseReader.OpenAsync(_server.Client, Events);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);

        await _server.Define(_ns, """{"taskId":"e1","agent":"planner","taskFile":"f","priority":"HIGH","by":"lead"}""");

        var block = await stream.NextEventAsync();
        Assert.Equal("task-transitioned", block.Event);
        Assert.Matches("^[0-9a-f]{12}-[0-9]+$", block.Id);
        // The data is the notice itself, on one line (not an SseItem wrapped around it).
        var notice = JsonDocument.Parse(block.Data!).RootElement;
        Assert.Equal(["taskId", "agent", "priority", "entry", "claimAgent"], notice.EnumerateObject().Select(p => p.Name));
        Assert.Equal("e1", notice.GetProperty("taskId").GetString());
        Assert.Equal("planner", notice.GetProperty("agent").GetString());
        Assert.Equal("HIGH", notice.GetProperty("priority").GetString());
        var entry = notice.GetProperty("entry");
        Assert.Equal("task-defined", entry.GetProperty("event").GetString());
        Assert.Equal("READY", entry.GetProperty("to").GetString());
        Assert.Equal("lead", entry.GetProperty("by").GetString());
        Assert.Equal(["data", "event", "id"], block.Lines.Select(l => l[..l.IndexOf(':')]).Order());
    }

    [Fact]
    public async Task A_reconnect_with_Last_Event_ID_gets_what_it_missed_then_follows_on()
    {
        var first = await IdOfDefinition("r1");
        await _server.Define(_ns, """{"taskId":"r2","agent":"a","taskFile":"f"}""");
        await _server.Define(_ns, """{"taskId":"r3","agent":"a","taskFile":"f"}""");

        await using var again = await SseReader.OpenAsync(_server.Client, Events, lastEventId: first);
        var missed = new[] { await again.NextEventAsync(), await again.NextEventAsync() };
        await _server.Define(_ns, """{"taskId":"r4","agent":"a","taskFile":"f"}""");
        var live = await again.NextEventAsync();

        Assert.Equal(["task-transitioned", "task-transitioned", "task-transitioned"], missed.Append(live).Select(b => b.Event));
        Assert.Equal(["r2", "r3", "r4"], missed.Append(live).Select(TaskId));
        var epoch = first[..first.LastIndexOf('-')];
        var seq = long.Parse(first[(first.LastIndexOf('-') + 1)..]);
        Assert.Equal([$"{epoch}-{seq + 1}", $"{epoch}-{seq + 2}", $"{epoch}-{seq + 3}"], missed.Append(live).Select(b => b.Id));
    }

    [Theory]
    [InlineData("not-an-id")]
    [InlineData("0123456789ab-1")]
    public async Task An_id_from_another_server_start_gets_a_reset_first_then_the_live_notices(string lastEventId)
    {
        await using var stream = await SseReader.OpenAsync(_server.Client, Events, lastEventId);

        var reset = await stream.NextEventAsync();
        Assert.Equal("reset", reset.Event);
        Assert.Contains(lastEventId, JsonDocument.Parse(reset.Data!).RootElement.GetProperty("reason").GetString());
        Assert.NotNull(reset.Id);

        await _server.Define(_ns, """{"taskId":"after-reset","agent":"a","taskFile":"f"}""");
        var live = await stream.NextEventAsync();
        Assert.Equal("task-transitioned", live.Event);
        Assert.Equal("after-reset", TaskId(live));
    }

    [Fact]
    public async Task When_the_node_ends_the_subscription_the_stream_says_so_and_why_then_resets_and_follows_on()
    {
        await using var stream = await SseReader.OpenAsync(_server.Client, Events);
        var system = _server.App.Services.GetRequiredService<ActorSystem>();
        var gateway = await system.ActorSelection($"/user/state-manager/{_ns}").ResolveOne(HttpServer.Patience);

        // What the namespace's gateway tells its subscribers when the namespace moves to another node
        // (only the feed that subscribed at this gateway takes it).
        system.ActorSelection("/user/task-feed-*").Tell(new SubscriptionEnded(_ns, "the namespace is moving to another node"), gateway);

        var ended = await stream.NextEventAsync();
        Assert.Equal("subscription-ended", ended.Event);
        var data = JsonDocument.Parse(ended.Data!).RootElement;
        Assert.Equal((_ns, "the namespace is moving to another node"), (data.GetProperty("namespace").GetString(), data.GetProperty("reason").GetString()));
        Assert.Equal("reset", (await stream.NextEventAsync()).Event);
        await _server.Define(_ns, """{"taskId":"after-end","agent":"a","taskFile":"f"}""");
        Assert.Equal("after-end", TaskId(await stream.NextEventAsync()));
    }

    [Fact]
    public async Task A_reconnect_that_missed_more_than_the_buffer_holds_gets_a_reset()
    {
        var first = await IdOfDefinition("o0");
        for (var i = 1; i <= 4; i++) await _server.Define(_ns, $$"""{"taskId":"o{{i}}","agent":"a","taskFile":"f"}""");

        await using var again = await SseReader.OpenAsync(_server.Client, Events, lastEventId: first);
        var reset = await again.NextEventAsync();

        Assert.Equal("reset", reset.Event);
        // Its id is where it follows on from: a reconnect with it misses nothing after the reset.
        await _server.Define(_ns, """{"taskId":"o5","agent":"a","taskFile":"f"}""");
        Assert.Equal("o5", TaskId(await again.NextEventAsync()));
        await using var resumed = await SseReader.OpenAsync(_server.Client, Events, lastEventId: reset.Id);
        var replayed = await resumed.NextEventAsync();
        Assert.Equal(("task-transitioned", "o5"), (replayed.Event, TaskId(replayed)));
    }

    [Fact]
    public async Task Filters_by_agent_and_task_match_as_the_protocol_subscriptions_do()
    {
        await _server.Define(_ns, """{"taskId":"any-1","agent":"*","taskFile":"f"}""");
        await using var byAgent = await SseReader.OpenAsync(_server.Client, $"{Events}?agent=coder");
        await using var byTask = await SseReader.OpenAsync(_server.Client, $"{Events}?taskId=t-2");

        await _server.Define(_ns, """{"taskId":"t-1","agent":"reviewer","taskFile":"f"}""");
        await _server.Define(_ns, """{"taskId":"t-2","agent":"coder","taskFile":"f"}""");
        // A claim by coder on a task for any agent: coder's filter hears of it (claimAgent), as the protocol's does.
        using var claim = await _server.Post($"/v1/namespaces/{_ns}/claims", """{"agent":"coder"}""");
        Assert.Equal("any-1", (await HttpServer.Json(claim)).GetProperty("taskId").GetString());

        Assert.Equal("t-2", TaskId(await byAgent.NextEventAsync()));
        var claimed = await byAgent.NextEventAsync();
        Assert.Equal(("any-1", "task-claimed"), (TaskId(claimed), JsonDocument.Parse(claimed.Data!).RootElement.GetProperty("entry").GetProperty("event").GetString()));
        Assert.Equal("t-2", TaskId(await byTask.NextEventAsync()));
        await _server.Define(_ns, """{"taskId":"t-3","agent":"reviewer","taskFile":"f"}""");
        await _server.Post($"{Events[..Events.LastIndexOf('/')]}/tasks/t-2/cancel", """{"reason":"enough"}""");
        Assert.Equal(("t-2", "task-cancelled"), Describe(await byTask.NextEventAsync()));
        Assert.Equal(("t-2", "task-cancelled"), Describe(await byAgent.NextEventAsync()));
    }

    [Fact]
    public async Task A_digest_stream_counts_the_transitions_and_carries_the_last_one_s_id()
    {
        await using var full = await SseReader.OpenAsync(_server.Client, Events);
        await using var digests = await SseReader.OpenAsync(_server.Client, $"{Events}?digest=1s");

        // One write of 20 definitions: one burst, told at once as one digest.
        var items = string.Join(",", Enumerable.Range(0, 20).Select(i => $$"""{"taskId":"b{{i}}","agent":"a","taskFile":"f"}"""));
        using (var batch = await _server.Post($"/v1/namespaces/{_ns}/tasks:batch", $$"""{"tasks":[{{items}}]}"""))
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        var notices = new List<SseBlock>();
        for (var i = 0; i < 20; i++) notices.Add(await full.NextEventAsync());
        var first = await digests.NextEventAsync();
        Assert.Equal(("digest", 20), (first.Event, JsonDocument.Parse(first.Data!).RootElement.GetProperty("transitions").GetInt32()));
        Assert.Equal(notices[^1].Id, first.Id);

        // Ten definitions one after another, within the second the next digest waits for: fewer digests than transitions.
        for (var i = 0; i < 10; i++) await _server.Define(_ns, $$"""{"taskId":"s{{i}}","agent":"a","taskFile":"f"}""");
        var told = 0;
        var later = new List<SseBlock>();
        while (told < 10)
        {
            var next = await digests.NextEventAsync();
            later.Add(next);
            told += JsonDocument.Parse(next.Data!).RootElement.GetProperty("transitions").GetInt32();
        }
        Assert.Equal(10, told);
        Assert.True(later.Count < 10, $"{later.Count} digests for 10 transitions");
        for (var i = 0; i < 10; i++) notices.Add(await full.NextEventAsync());
        Assert.Equal(notices[^1].Id, later[^1].Id);
    }

    [Theory]
    [InlineData("digest=10ms", "digest", "10ms")]
    [InlineData("digest=often", "digest", "often")]
    [InlineData("agent=orchestrator", "agent", "orchestrator")]
    [InlineData("taskId=bad%20id", "taskId", "bad id")]
    public async Task A_bad_filter_is_400_naming_it(string query, string field, string value)
    {
        using var response = await _server.Get($"{Events}?{query}", ("Accept", "text/event-stream"));

        var problem = await HttpServer.Problem(response, 400);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(value, problem.GetProperty("value").GetString());
    }

    [Fact]
    public async Task A_quiet_stream_sends_keep_alive_comments()
    {
        await using var stream = await SseReader.OpenAsync(_server.Client, Events);

        var block = await stream.NextAsync();

        Assert.NotNull(block);
        Assert.Equal(["keep-alive"], block.Comments);
        Assert.Null(block.Event);
    }

    // Defines a task while a stream is open and returns the id of its notice, the stream closed again.
    private async Task<string> IdOfDefinition(string taskId)
    {
        await using var stream = await SseReader.OpenAsync(_server.Client, Events);
        await _server.Define(_ns, $$"""{"taskId":"{{taskId}}","agent":"a","taskFile":"f"}""");
        return (await stream.NextEventAsync()).Id!;
    }

    private static string TaskId(SseBlock block) => JsonDocument.Parse(block.Data!).RootElement.GetProperty("taskId").GetString()!;

    private static (string, string) Describe(SseBlock block)
    {
        var notice = JsonDocument.Parse(block.Data!).RootElement;
        return (notice.GetProperty("taskId").GetString()!, notice.GetProperty("entry").GetProperty("event").GetString()!);
    }
}

/// <summary>The event stream ends when the host stops, rather than holding the stop up.</summary>
public sealed class HttpEventStreamShutdownSpecs
{
    [Fact]
    public async Task An_open_stream_ends_when_the_host_stops()
    {
        var server = await HttpServer.StartAsync();
        await using var stream = await SseReader.OpenAsync(server.Client, $"/v1/namespaces/{HttpServer.NewNamespace()}/events");
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var stopping = server.DisposeAsync().AsTask();
        var end = await stream.NextAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Null(end);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {watch.Elapsed} with a stream open");
    }
}
