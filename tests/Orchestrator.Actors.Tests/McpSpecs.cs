using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>The tools, resources and prompt over Streamable HTTP at /mcp of a real Kestrel.</summary>
public sealed class McpSpecs(HttpServerFixture fixture) : McpToolSpecs, IClassFixture<HttpServerFixture>
{
    protected override Task<McpClient> ConnectAsync() => McpTestClients.OverHttp(fixture.Server);
}

/// <summary>
/// The same over stdio: one <c>orchestrator mcp</c> child process for the class, talking over
/// Akka.Remote to a served node in this process.
/// </summary>
public sealed class McpOverStdioSpecs(McpOverStdioSpecs.Fixture fixture) : McpToolSpecs, IClassFixture<McpOverStdioSpecs.Fixture>
{
    protected override bool OwnsClient => false;

    protected override Task<McpClient> ConnectAsync() => Task.FromResult(fixture.Client);

    public sealed class Fixture : IAsyncLifetime
    {
        private HttpServer? _server;

        public McpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _server = await HttpServer.StartAsync();
            var node = _server.App.Services.GetRequiredService<Orchestrator.Server.Gateway.OrchestratorGateway>().Node.Address;
            Client = await McpTestClients.OverStdio($"{node.Host}:{node.Port}");
        }

        public async Task DisposeAsync()
        {
            if (Client is not null) await Client.DisposeAsync();
            if (_server is not null) await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// The MCP tools through the SDK's own client, on each transport: every tool's success and its
/// refusals, which are tool results with isError and the problem naming the field and the value,
/// never protocol errors; the resources, their subscriptions and the prompt.
/// </summary>
public abstract class McpToolSpecs : IAsyncLifetime
{
    public static readonly string[] ToolNames =
    [
        "define_task", "define_tasks", "claim_task", "heartbeat", "complete_task", "fail_task", "cancel_task", "requeue_task",
        "get_task", "list_tasks", "task_history", "save_state", "get_state", "stats", "list_agents", "register_agent",
        "request_input", "provide_input", "cancel_tasks", "requeue_tasks", "set_claim_limits", "define_schedule", "remove_schedule", "list_schedules", "purge_tasks", "set_retention",
    ];

    private readonly string _ns = HttpServer.NewNamespace();
    private McpClient _client = null!;

    protected abstract Task<McpClient> ConnectAsync();

    protected virtual bool OwnsClient => true;

    public async Task InitializeAsync() => _client = await ConnectAsync();

    public async Task DisposeAsync()
    {
        if (OwnsClient) await _client.DisposeAsync();
    }

    [Fact]
    public async Task Every_tool_is_listed_with_a_description_an_input_schema_and_an_output_schema()
    {
        var tools = await _client.ListToolsAsync();

        Assert.Equal(ToolNames.Order(), tools.Select(t => t.Name).Order());
        Assert.All(tools, t =>
        {
            Assert.False(string.IsNullOrWhiteSpace(t.Description), t.Name);
            Assert.Equal("object", t.ProtocolTool.InputSchema.GetProperty("type").GetString());
            Assert.True(t.ProtocolTool.OutputSchema is { ValueKind: JsonValueKind.Object }, $"{t.Name} has no output schema");
            // Every subschema an object: the TypeScript SDK refuses the whole list over one `true`.
            Assert.DoesNotContain(":true", t.ProtocolTool.OutputSchema!.Value.GetRawText().Replace(" ", ""));
        });
        var define = tools.Single(t => t.Name == "define_task").ProtocolTool.InputSchema;
        Assert.Equal(["taskId", "agent", "taskFile"], define.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["CRITICAL", "HIGH", "MEDIUM", "LOW"],
            define.GetProperty("properties").GetProperty("priority").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        var list = tools.Single(t => t.Name == "list_tasks").ProtocolTool.InputSchema;
        Assert.Contains("DEAD", list.GetProperty("properties").GetProperty("status").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        // Both listings page alike: offset and limit in, nextOffset out.
        foreach (var listing in new[] { "list_tasks", "list_agents" })
        {
            var tool = tools.Single(t => t.Name == listing).ProtocolTool;
            Assert.True(tool.InputSchema.GetProperty("properties").TryGetProperty("offset", out _), listing);
            Assert.True(tool.InputSchema.GetProperty("properties").TryGetProperty("limit", out _), listing);
            Assert.True(tool.OutputSchema!.Value.GetProperty("properties").TryGetProperty("nextOffset", out _), listing);
        }
    }

    [Fact]
    public async Task Agents_are_listed_a_page_at_a_time_with_where_the_next_page_starts()
    {
        foreach (var agent in new[] { "carol", "alice", "bob" })
            await Call("register_agent", new() { ["agent"] = agent });

        var first = await Raw("list_agents", new() { ["limit"] = 2 });
        var last = await Call("list_agents", new() { ["offset"] = 2, ["limit"] = 2 });

        var page = first.StructuredContent!.Value;
        Assert.Equal(["alice", "bob"], page.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agent").GetString()));
        Assert.Equal((3, 2), (page.GetProperty("total").GetInt32(), page.GetProperty("nextOffset").GetInt32()));
        Assert.Contains("2 of 3 agents (offset 0); the next page starts at offset 2", Text(first));
        Assert.Equal(["carol"], last.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agent").GetString()));
        Assert.Equal(JsonValueKind.Null, last.GetProperty("nextOffset").ValueKind);
    }

    [Fact]
    public async Task A_worker_defines_claims_heartbeats_and_completes_with_a_result_given_as_a_string_of_JSON()
    {
        var defined = await Call("define_task", new() { ["taskId"] = "build-1", ["agent"] = "builder", ["taskFile"] = "tasks/build.md", ["priority"] = "HIGH", ["payload"] = new { target = "linux" } });
        Assert.True(defined.GetProperty("created").GetBoolean());
        Assert.Equal("READY", defined.GetProperty("task").GetProperty("status").GetString());
        var again = await Call("define_task", new() { ["taskId"] = "build-1", ["agent"] = "builder", ["taskFile"] = "tasks/build.md", ["priority"] = "HIGH", ["payload"] = """{"target":"linux"}""" });
        Assert.False(again.GetProperty("created").GetBoolean());

        var claim = await Call("claim_task", new() { ["agent"] = "builder", ["lease"] = "2m" });
        Assert.True(claim.GetProperty("claimed").GetBoolean());
        var task = claim.GetProperty("task");
        var claimId = task.GetProperty("claimId").GetString()!;
        Assert.Equal(("build-1", "CLAIMED", "linux"), (task.GetProperty("taskId").GetString(), task.GetProperty("status").GetString(), task.GetProperty("payload").GetProperty("target").GetString()));

        var renewed = await Call("heartbeat", new() { ["taskId"] = "build-1", ["agent"] = "builder", ["claimId"] = claimId });
        Assert.Equal(claimId, renewed.GetProperty("claimId").GetString());
        var completed = await Call("complete_task", new() { ["taskId"] = "build-1", ["agent"] = "builder", ["claimId"] = claimId, ["result"] = """{"artifact":"build-1.tgz"}""" });
        Assert.Equal("COMPLETED", completed.GetProperty("status").GetString());

        var found = await Call("get_task", new() { ["taskId"] = "build-1" });
        Assert.Equal("build-1.tgz", found.GetProperty("result").GetProperty("artifact").GetString());
        var history = await Call("task_history", new() { ["taskId"] = "build-1" });
        Assert.Equal(["task-defined", "task-claimed", "task-completed"], history.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("event").GetString()));
        var none = await Call("claim_task", new() { ["agent"] = "builder" });
        Assert.False(none.GetProperty("claimed").GetBoolean());
    }

    [Fact]
    public async Task A_claim_and_a_save_called_again_with_their_idempotencyKey_are_done_once_and_another_call_with_the_key_is_refused()
    {
        await Call("define_task", new() { ["taskId"] = "k-1", ["agent"] = "*", ["taskFile"] = "tasks/k.md" });
        await Call("define_task", new() { ["taskId"] = "k-2", ["agent"] = "*", ["taskFile"] = "tasks/k.md" });

        var claims = new[] { await Call("claim_task", new() { ["agent"] = "w", ["idempotencyKey"] = "call-17" }), await Call("claim_task", new() { ["agent"] = "w", ["idempotencyKey"] = "call-17" }) }
            .Select(c => (c.GetProperty("task").GetProperty("taskId").GetString(), c.GetProperty("task").GetProperty("claimId").GetString())).ToList();
        Assert.Equal(claims[0], claims[1]);
        Assert.Equal("READY", (await Call("get_task", new() { ["taskId"] = "k-2" })).GetProperty("status").GetString());
        foreach (var _ in new[] { 1, 2 })
            Assert.Equal(1, (await Call("save_state", new() { ["ownerId"] = "w", ["key"] = "notes", ["json"] = "[]", ["idempotencyKey"] = "call-18" })).GetProperty("version").GetInt64());

        var refused = await Raw("cancel_task", new() { ["taskId"] = "k-2", ["reason"] = "no", ["idempotencyKey"] = "call-17" });
        Assert.True(refused.IsError);
        Assert.Equal((422, "call-17", "CancelTask"),
            (Problem(refused).GetProperty("status").GetInt32(), Problem(refused).GetProperty("idempotencyKey").GetString(), Problem(refused).GetProperty("request").GetString()));
        Assert.Equal("READY", (await Call("get_task", new() { ["taskId"] = "k-2" })).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_agent_asks_for_input_and_another_answers_and_the_next_claim_carries_question_and_answer()
    {
        await Call("define_task", new() { ["taskId"] = "ask-1", ["agent"] = "asker", ["taskFile"] = "tasks/ask.md" });
        var claimId = (await Call("claim_task", new() { ["agent"] = "asker" })).GetProperty("task").GetProperty("claimId").GetString();

        var waiting = await Call("request_input", new() { ["taskId"] = "ask-1", ["agent"] = "asker", ["claimId"] = claimId, ["question"] = "Which region?", ["answerWithin"] = "1h" });
        Assert.Equal(("WAITING", "Which region?"), (waiting.GetProperty("status").GetString(), waiting.GetProperty("question").GetString()));
        Assert.Equal("READY", (await Call("provide_input", new() { ["taskId"] = "ask-1", ["input"] = new { region = "eu-west" }, ["by"] = "alice" })).GetProperty("status").GetString());

        var again = (await Call("claim_task", new() { ["agent"] = "asker" })).GetProperty("task");
        Assert.Equal(("eu-west", "Which region?"), (again.GetProperty("input").GetProperty("region").GetString(), again.GetProperty("question").GetString()));
        var refused = await Raw("provide_input", new() { ["taskId"] = "ask-1", ["input"] = "{}" });
        Assert.True(refused.IsError);
        Assert.Equal(409, Problem(refused).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_waiting_claim_is_answered_when_a_task_is_defined_meanwhile()
    {
        var waiting = Call("claim_task", new() { ["agent"] = "sleeper", ["wait"] = "30s" });
        // The claim waits once its first try found nothing and made the agent known.
        while (!(await Call("list_agents", [])).GetProperty("agents").EnumerateArray().Any(a => a.GetProperty("agent").GetString() == "sleeper")) { }
        Assert.False(waiting.IsCompleted);

        await Call("define_task", new() { ["taskId"] = "late", ["agent"] = "sleeper", ["taskFile"] = "tasks/late.md" });

        var claim = await waiting.WaitAsync(HttpServer.Patience);
        Assert.Equal("late", claim.GetProperty("task").GetProperty("taskId").GetString());
    }

    [Fact]
    public async Task Failures_cancel_requeue_batches_documents_and_the_figures()
    {
        var batch = await Call("define_tasks", new()
        {
            ["tasks"] = new object[]
            {
                new { taskId = "a", agent = "*", taskFile = "tasks/a.md", maxAttempts = 1 },
                new { taskId = "b", agent = "*", taskFile = "tasks/b.md", dependsOn = new[] { "a" } },
                new { taskId = "c", agent = "*", taskFile = "tasks/c.md", priority = "urgent" },
            },
        });
        Assert.Equal((2, 1), (batch.GetProperty("created").GetInt32(), batch.GetProperty("invalid").GetInt32()));
        Assert.Equal("priority", batch.GetProperty("results")[2].GetProperty("error").GetProperty("field").GetString());

        var claim = (await Call("claim_task", new() { ["agent"] = "w" })).GetProperty("task");
        var failed = await Call("fail_task", new() { ["taskId"] = "a", ["agent"] = "w", ["claimId"] = claim.GetProperty("claimId").GetString(), ["reason"] = "disk full" });
        Assert.Equal(("DEAD", "disk full"), (failed.GetProperty("status").GetString(), failed.GetProperty("reason").GetString()));
        Assert.Equal("DEAD", (await Call("get_task", new() { ["taskId"] = "b" })).GetProperty("status").GetString());
        Assert.Equal("READY", (await Call("requeue_task", new() { ["taskId"] = "a", ["by"] = "ops" })).GetProperty("status").GetString());
        Assert.Equal("CANCELLED", (await Call("cancel_task", new() { ["taskId"] = "a", ["reason"] = "not needed" })).GetProperty("status").GetString());
        var page = await Call("list_tasks", new() { ["status"] = "DEAD", ["limit"] = 10 });
        Assert.Equal(["b"], page.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        await Call("define_task", new() { ["taskId"] = "tagged", ["agent"] = "*", ["taskFile"] = "tasks/t.md", ["tags"] = new[] { "team:core", "os=linux" } });
        var scheduled = await Call("define_task", new() { ["taskId"] = "later", ["agent"] = "*", ["taskFile"] = "tasks/t.md", ["notBefore"] = "2099-12-24T09:00:00Z" });
        Assert.Equal(("PENDING", "2099-12-24T09:00:00+00:00"), (scheduled.GetProperty("task").GetProperty("status").GetString(), scheduled.GetProperty("task").GetProperty("notBefore").GetString()));
        var byTag = await Call("list_tasks", new() { ["tag"] = "os=linux" });
        Assert.Equal(["tagged"], byTag.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        Assert.Equal(["team:core", "os=linux"], byTag.GetProperty("tasks")[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        await Call("define_task", new() { ["taskId"] = "wave-1", ["agent"] = "*", ["taskFile"] = "tasks/t.md", ["tags"] = new[] { "wave:1" } });
        var limits = await Call("set_claim_limits", new() { ["maxClaims"] = 0, ["maxClaimsPerTag"] = new Dictionary<string, int> { ["wave:1"] = 0 }, ["fairBy"] = "wave:" });
        Assert.Equal((0, 0, "wave:"), (limits.GetProperty("maxClaims").GetInt32(), limits.GetProperty("maxClaimsPerTag").GetProperty("wave:1").GetInt32(), limits.GetProperty("fairBy").GetString()));
        var held = await Call("claim_task", new() { ["agent"] = "wave-agent" });
        Assert.Equal((false, "the namespace holds 0 claims, its limit maxClaims = 0"), (held.GetProperty("claimed").GetBoolean(), held.GetProperty("limited").GetString()));
        var rated = await Call("set_claim_limits", new() { ["maxClaimsPerSecondPerTag"] = new Dictionary<string, double> { ["wave:1"] = 0 } });
        Assert.Equal(0, rated.GetProperty("maxClaimsPerSecondPerTag").GetProperty("wave:1").GetDouble());
        await Call("set_claim_limits", []);
        var schedule = await Call("define_schedule", new() { ["scheduleId"] = "weekday", ["agent"] = "*", ["taskFile"] = "tasks/t.md", ["cron"] = "0 9 * * 1-5", ["timeZone"] = "America/New_York" });
        Assert.Equal(("0 9 * * 1-5", false), (schedule.GetProperty("schedule").GetProperty("cron").GetString(), schedule.GetProperty("unchanged").GetBoolean()));
        Assert.Equal(["weekday"], (await Call("list_schedules", [])).GetProperty("schedules").EnumerateArray().Select(s => s.GetProperty("scheduleId").GetString()));
        Assert.Equal("weekday", (await Call("remove_schedule", new() { ["scheduleId"] = "weekday" })).GetProperty("scheduleId").GetString());
        Assert.Equal(0, (await Call("list_schedules", [])).GetProperty("total").GetInt32());
        var bulk = await Call("cancel_tasks", new() { ["reason"] = "called off", ["tag"] = "wave:1" });
        Assert.Equal((1, false), (bulk.GetProperty("count").GetInt32(), bulk.GetProperty("more").GetBoolean()));
        Assert.Equal(0, (await Call("requeue_tasks", new() { ["tag"] = "wave:1" })).GetProperty("count").GetInt32());
        var purged = await Call("purge_tasks", new() { ["tag"] = "wave:1", ["status"] = "CANCELLED" });
        Assert.Equal(["wave-1"], purged.GetProperty("taskIds").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("30.00:00:00", (await Call("set_retention", new() { ["finishedFor"] = "30d" })).GetProperty("finishedFor").GetString());
        Assert.Equal(JsonValueKind.Null, (await Call("set_retention", [])).GetProperty("finishedFor").ValueKind);
        var byPrefix = await Call("list_tasks", new() { ["idPrefix"] = "b" });
        Assert.Equal(["b"], byPrefix.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        Assert.Equal(1, byPrefix.GetProperty("total").GetInt32());

        var saved = await Call("save_state", new() { ["ownerId"] = "w", ["key"] = "notes", ["json"] = new { step = 1 } });
        Assert.Equal(1, saved.GetProperty("version").GetInt64());
        await Call("save_state", new() { ["ownerId"] = "w", ["key"] = "notes", ["json"] = """{"step":2}""", ["expectedVersion"] = 1 });
        var document = await Call("get_state", new() { ["ownerId"] = "w", ["key"] = "notes" });
        Assert.Equal((2L, 2), (document.GetProperty("version").GetInt64(), document.GetProperty("value").GetProperty("step").GetInt32()));

        var agent = await Call("register_agent", new() { ["agent"] = "reviewer", ["capabilities"] = new[] { "review" } });
        Assert.Equal("review", agent.GetProperty("capabilities")[0].GetString());
        Assert.Contains("reviewer", (await Call("list_agents", [])).GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agent").GetString()));
        var stats = await Call("stats", []);
        // Five defined, one purged.
        Assert.Equal((4, 1, _ns), (stats.GetProperty("tasks").GetInt32(), stats.GetProperty("purged").GetInt32(), stats.GetProperty("namespace").GetString()));
    }

    [Theory]
    [InlineData("define_task", """{"taskId":"x","agent":"a","taskFile":"f","priority":"urgent"}""", 400, "priority", "urgent")]
    [InlineData("define_task", """{"taskId":"bad id!","agent":"a","taskFile":"f"}""", 400, "taskId", "bad id!")]
    [InlineData("claim_task", """{"agent":"*"}""", 400, "agent", "*")]
    [InlineData("claim_task", """{"agent":"a","lease":"30"}""", 400, "lease", "30")]
    [InlineData("claim_task", """{"agent":"a","wait":"6m"}""", 400, "wait", "6m")]
    [InlineData("list_tasks", """{"status":"SLEEPING"}""", 400, "status", "SLEEPING")]
    [InlineData("list_tasks", """{"idPrefix":"b c"}""", 400, "idPrefix", "b c")]
    [InlineData("list_agents", """{"limit":0}""", 400, "limit", "0")]
    [InlineData("list_agents", """{"offset":-1}""", 400, "offset", "-1")]
    [InlineData("define_tasks", """{"tasks":[{"taskId":"x","agent":"a","taskFile":"f","colour":"red"}]}""", 400, "tasks[0].colour", null)]
    [InlineData("stats", """{"namespace":"-bad"}""", 400, "namespace", "-bad")]
    [InlineData("save_state", """{"ownerId":"o","key":"k"}""", 400, "json", null)]
    [InlineData("define_task", """{"taskId":"x","agent":"a"}""", 400, "taskFile", null)]
    [InlineData("get_task", """{"taskId":"missing"}""", 404, null, null)]
    [InlineData("get_state", """{"ownerId":"o","key":"missing"}""", 404, null, null)]
    [InlineData("complete_task", """{"taskId":"missing","agent":"a","claimId":"claim-1"}""", 404, null, null)]
    [InlineData("complete_task", """{"taskId":"t","agent":"a"}""", 400, "claimId", "")]
    public async Task A_refusal_is_a_tool_error_naming_the_field_and_the_value(string tool, string arguments, int status, string? field, string? value)
    {
        var result = await Raw(tool, JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments)!);

        Assert.True(result.IsError, $"{tool} answered {Text(result)}");
        Assert.Null(result.StructuredContent);
        var problem = Problem(result);
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
            Assert.Equal(value, problem.GetProperty("value").GetString());
            Assert.Contains(value ?? field, Text(result));
        }
    }

    [Fact]
    public async Task Conflicts_and_stale_claims_are_tool_errors_with_their_facts()
    {
        await Call("define_task", new() { ["taskId"] = "t", ["agent"] = "a", ["taskFile"] = "tasks/t.md" });
        var conflict = await Raw("define_task", new() { ["taskId"] = "t", ["agent"] = "a", ["taskFile"] = "tasks/other.md" });
        Assert.True(conflict.IsError);
        Assert.Equal(409, Problem(conflict).GetProperty("status").GetInt32());
        Assert.Equal("tasks/t.md", Problem(conflict).GetProperty("existing").GetProperty("taskFile").GetString());

        var claim = (await Call("claim_task", new() { ["agent"] = "a" })).GetProperty("task");
        var stale = await Raw("complete_task", new() { ["taskId"] = "t", ["agent"] = "a", ["claimId"] = "claim-0" });
        Assert.True(stale.IsError);
        Assert.Equal(("Stale claim", "claim-0"), (Problem(stale).GetProperty("title").GetString(), Problem(stale).GetProperty("claimId").GetString()));
        var version = await Raw("save_state", new() { ["ownerId"] = "o", ["key"] = "k", ["json"] = "1", ["expectedVersion"] = 3 });
        Assert.Equal(412, Problem(version).GetProperty("status").GetInt32());
        Assert.NotEqual(true, (await Raw("complete_task", new() { ["taskId"] = "t", ["agent"] = "a", ["claimId"] = claim.GetProperty("claimId").GetString() })).IsError);
    }

    [Fact]
    public async Task Tasks_and_documents_are_resources_read_through_their_templates()
    {
        var templates = await _client.ListResourceTemplatesAsync();
        Assert.Equal(["orchestrator://{namespace}/state/{ownerId}/{key}", "orchestrator://{namespace}/tasks/{taskId}"],
            templates.Select(t => t.UriTemplate).Order());
        await Call("define_task", new() { ["taskId"] = "r/1", ["agent"] = "a", ["taskFile"] = "tasks/r.md", ["payload"] = new { n = 1 } });
        await Call("save_state", new() { ["ownerId"] = "a", ["key"] = "notes", ["json"] = new { step = 4 } });

        var task = await _client.ReadResourceAsync($"orchestrator://{_ns}/tasks/r%2F1");
        var taskJson = JsonDocument.Parse(Assert.IsType<TextResourceContents>(Assert.Single(task.Contents)).Text).RootElement;
        Assert.Equal(("r/1", "READY", 1), (taskJson.GetProperty("taskId").GetString(), taskJson.GetProperty("status").GetString(), taskJson.GetProperty("payload").GetProperty("n").GetInt32()));
        var document = await _client.ReadResourceAsync($"orchestrator://{_ns}/state/a/notes");
        var documentJson = JsonDocument.Parse(Assert.IsType<TextResourceContents>(Assert.Single(document.Contents)).Text).RootElement;
        Assert.Equal((1L, 4), (documentJson.GetProperty("version").GetInt64(), documentJson.GetProperty("value").GetProperty("step").GetInt32()));

        var missing = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(() => _client.ReadResourceAsync($"orchestrator://{_ns}/tasks/nothing").AsTask());
        Assert.Equal(ModelContextProtocol.McpErrorCode.ResourceNotFound, missing.ErrorCode);
        Assert.Contains("nothing", missing.Message);
    }

    [Fact]
    public async Task A_subscriber_to_a_task_is_told_each_time_it_changes_and_not_of_other_tasks()
    {
        await Call("define_task", new() { ["taskId"] = "watched", ["agent"] = "a", ["taskFile"] = "tasks/w.md" });
        await Call("define_task", new() { ["taskId"] = "other", ["agent"] = "b", ["taskFile"] = "tasks/o.md" });
        var uri = $"orchestrator://{_ns}/tasks/watched";
        await using var following = await Follow(uri);
        var updates = following.Updates;

        await Call("claim_task", new() { ["agent"] = "b" });
        var claim = await Call("claim_task", new() { ["agent"] = "a" });
        await Call("complete_task", new() { ["taskId"] = "watched", ["agent"] = "a", ["claimId"] = claim.GetProperty("task").GetProperty("claimId").GetString() });

        // Two updates, claimed and completed, and none for the other task's claim
        using var patience = new CancellationTokenSource(HttpServer.Patience);
        Assert.Equal(uri, await updates.Reader.ReadAsync(patience.Token));
        Assert.Equal(uri, await updates.Reader.ReadAsync(patience.Token));
        var after = await _client.ReadResourceAsync(uri);
        Assert.Contains("\"COMPLETED\"", Assert.IsType<TextResourceContents>(Assert.Single(after.Contents)).Text);
        await Call("stats", []);
        Assert.False(updates.Reader.TryRead(out var extra), $"an update for {extra}");

        var refused = await Assert.ThrowsAsync<ModelContextProtocol.McpProtocolException>(async () => await Follow("tasks://elsewhere/x"));
        Assert.Contains("orchestrator://{namespace}/tasks/{taskId}", refused.Message);
    }

    [Fact]
    public async Task A_subscriber_to_a_document_is_told_of_each_save()
    {
        var uri = $"orchestrator://{_ns}/state/planner/notes";
        await using var following = await Follow(uri);
        var updates = following.Updates;

        await Call("save_state", new() { ["ownerId"] = "other", ["key"] = "notes", ["json"] = new { step = 0 } });
        await Call("save_state", new() { ["ownerId"] = "planner", ["key"] = "notes", ["json"] = new { step = 1 } });
        await Call("save_state", new() { ["ownerId"] = "planner", ["key"] = "notes", ["json"] = new { step = 2 } });

        using var patience = new CancellationTokenSource(HttpServer.Patience);
        Assert.Equal(uri, await updates.Reader.ReadAsync(patience.Token));
        Assert.Equal(uri, await updates.Reader.ReadAsync(patience.Token));
        var read = await _client.ReadResourceAsync(uri);
        Assert.Contains("\"version\":2", Assert.IsType<TextResourceContents>(Assert.Single(read.Contents)).Text);
        await Call("stats", []);
        Assert.False(updates.Reader.TryRead(out var extra), $"an update for {extra}");
    }

    [Fact]
    public async Task The_work_loop_prompt_tells_a_model_how_to_work_as_the_agent_it_names()
    {
        var prompts = await _client.ListPromptsAsync();
        Assert.Contains("work-loop", prompts.Select(p => p.Name));

        var prompt = await _client.GetPromptAsync("work-loop", new Dictionary<string, object?> { ["agent"] = "builder-7" });

        var text = string.Join("\n", prompt.Messages.Select(m => Assert.IsType<TextContentBlock>(m.Content).Text));
        Assert.Contains("\"builder-7\"", text);
        foreach (var tool in new[] { "claim_task", "heartbeat", "save_state", "complete_task", "fail_task" }) Assert.Contains(tool, text);
    }

    /// <summary>
    /// Follows <paramref name="uri"/> as the negotiated protocol revision has it: resources/subscribe
    /// up to 2025-11-25, subscriptions/listen with resourceSubscriptions from 2026-07-28 (held open
    /// until disposed). The SDK's client has the former only.
    /// </summary>
    private async Task<Following> Follow(string uri)
    {
        var updates = System.Threading.Channels.Channel.CreateUnbounded<string>();
        var notices = _client.RegisterNotificationHandler(NotificationMethods.ResourceUpdatedNotification, (notice, _) =>
        {
            if (notice.Params?["uri"]?.GetValue<string>() is { } updated && updated == uri) updates.Writer.TryWrite(updated);
            return ValueTask.CompletedTask;
        });
        if (string.CompareOrdinal(_client.NegotiatedProtocolVersion, "2026-07-28") < 0)
        {
            try
            {
                await _client.SubscribeToResourceAsync(uri);
            }
            catch
            {
                await notices.DisposeAsync();
                throw;
            }
            return new Following(updates, notices, null);
        }
        var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var acknowledgements = _client.RegisterNotificationHandler(NotificationMethods.SubscriptionsAcknowledgedNotification, (_, _) =>
        {
            acknowledged.TrySetResult();
            return ValueTask.CompletedTask;
        });
        var listening = new CancellationTokenSource();
        var listen = _client.SendRequestAsync(new JsonRpcRequest
        {
            Method = RequestMethods.SubscriptionsListen,
            Params = JsonSerializer.SerializeToNode(new SubscriptionsListenRequestParams { Notifications = new() { ResourceSubscriptions = [uri] } },
                ModelContextProtocol.McpJsonUtilities.DefaultOptions),
        }, listening.Token);
        if (await Task.WhenAny(acknowledged.Task, listen).WaitAsync(HttpServer.Patience) == listen)
        {
            await notices.DisposeAsync();
            await listen; // throws the refusal
        }
        return new Following(updates, notices, listening);
    }

    private sealed record Following(System.Threading.Channels.Channel<string> Updates, IAsyncDisposable Notices, CancellationTokenSource? Listening) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Listening?.Cancel();
            await Notices.DisposeAsync();
        }
    }

    private async Task<JsonElement> Call(string tool, Dictionary<string, object?> arguments)
    {
        var result = await Raw(tool, arguments);
        Assert.False(result.IsError is true, $"{tool} refused: {Text(result)}");
        return result.StructuredContent!.Value;
    }

    private Task<CallToolResult> Raw(string tool, Dictionary<string, object?> arguments)
    {
        arguments.TryAdd("namespace", _ns);
        return _client.CallToolAsync(tool, arguments).AsTask().WaitAsync(HttpServer.Patience);
    }

    /// <summary>The application/problem+json resource a refusal embeds.</summary>
    public static JsonElement Problem(CallToolResult result)
    {
        var embedded = Assert.Single(result.Content.OfType<EmbeddedResourceBlock>());
        var resource = Assert.IsType<TextResourceContents>(embedded.Resource);
        Assert.Equal("application/problem+json", resource.MimeType);
        return JsonDocument.Parse(resource.Text).RootElement.Clone();
    }

    private static string Text(CallToolResult result) => string.Join(" ", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
}
