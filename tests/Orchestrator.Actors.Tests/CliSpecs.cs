using Orchestrator.Actors.Domain;
using System.Diagnostics;
using System.Text.Json;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// The <c>orchestrator</c> command line as a child process against one <c>orchestrator serve</c>:
/// each subcommand's exit code and --json shape, and bad input on each. Every spec uses ids and
/// agent names of its own, so the specs do not see each other's tasks. Invocations that do not
/// depend on each other run at the same time.
/// </summary>
public sealed class CliSpecs(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Define_list_claim_complete_get_takes_a_task_to_COMPLETED()
    {
        const string agent = "cli-flow-agent";

        var defined = Json(await server.RunAsync("define", "flow-1", "--agent", agent, "--file", "tasks/flow-1.md",
            "--priority", "high", "--payload", """{"input":"é"}""", "--max-attempts", "2", "--json"));
        Assert.Equal("flow-1", defined.GetProperty("taskId").GetString());
        Assert.Equal(agent, defined.GetProperty("agent").GetString());
        Assert.Equal("tasks/flow-1.md", defined.GetProperty("taskFile").GetString());
        Assert.Equal("HIGH", defined.GetProperty("priority").GetString());
        Assert.Equal("READY", defined.GetProperty("status").GetString());
        Assert.Equal(0, defined.GetProperty("attempts").GetInt32());
        Assert.Equal(2, defined.GetProperty("maxAttempts").GetInt32());
        Assert.Empty(defined.GetProperty("dependsOn").EnumerateArray());
        Assert.False(defined.GetProperty("alreadyDefined").GetBoolean());

        Assert.Equal("defined task 'flow-0' (READY)",
            Assert.Single(Success(await server.RunAsync("define", "flow-0", "--agent", agent, "--file", "tasks/flow-0.md", "--priority", "LOW"))));
        Assert.Equal("defined task 'flow-2' (PENDING)",
            Assert.Single(Success(await server.RunAsync("define", "flow-2", "--agent", agent, "--file", "tasks/flow-2.md", "--depends-on", "flow-1", "flow-0"))));

        var listed = Json(await server.RunAsync("list", "--agent", agent, "--json"));
        Assert.Equal(["flow-1", "flow-0", "flow-2"], listed.EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        Assert.Equal(["READY", "READY", "PENDING"], listed.EnumerateArray().Select(t => t.GetProperty("status").GetString()));
        Assert.Equal(["flow-0", "flow-1"], listed[2].GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()).Order());

        var claimed = Json(await server.RunAsync("claim", "--agent", agent, "--lease", "2m", "--json"));
        Assert.Equal("flow-1", claimed.GetProperty("taskId").GetString());
        Assert.Equal("CLAIMED", claimed.GetProperty("status").GetString());
        Assert.Equal(1, claimed.GetProperty("attempts").GetInt32());
        var claimId = claimed.GetProperty("claimId").GetString()!;
        Assert.Equal(ClaimIds.Public(claimId), claimed.GetProperty("claim").GetProperty("claimId").GetString());
        var leaseUntil = claimed.GetProperty("leaseUntil").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromMinutes(2), leaseUntil - claimed.GetProperty("claim").GetProperty("claimedAt").GetDateTimeOffset());
        Assert.Equal("é", claimed.GetProperty("payload").GetProperty("input").GetString());

        var renewed = Json(await server.RunAsync("heartbeat", "flow-1", "--agent", agent, "--claim", claimId, "--json"));
        Assert.Equal(claimId, renewed.GetProperty("claimId").GetString());
        Assert.True(renewed.GetProperty("leaseUntil").GetDateTimeOffset() >= leaseUntil);

        var completed = Json(await server.RunAsync("complete", "flow-1", "--agent", agent, "--claim", claimId, "--result", """{"ok":true}""", "--json"));
        Assert.Equal("COMPLETED", completed.GetProperty("status").GetString());

        var gotJson = server.RunAsync("get", "flow-1", "--json");
        var gotHuman = server.RunAsync("get", "flow-1");
        var history = server.RunAsync("history", "flow-1", "--json");
        var ready = server.RunAsync("list", "--agent", agent, "--status", "ready", "--json");
        var byPrefix = server.RunAsync("list", "--agent", agent, "--id-prefix", "flow-", "--status", "ready", "--json");
        var badPrefix = server.RunAsync("list", "--id-prefix", "flow #");
        var got = Json(await gotJson);
        Assert.Equal("COMPLETED", got.GetProperty("status").GetString());
        Assert.True(got.GetProperty("result").GetProperty("ok").GetBoolean());
        Assert.Equal("é", got.GetProperty("payload").GetProperty("input").GetString());
        Assert.Contains(Success(await gotHuman), l => l.StartsWith("status") && l.EndsWith("COMPLETED"));
        var entries = Json(await history).GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["task-defined", "task-claimed", "task-completed"], entries.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal([null, "READY", "CLAIMED"], entries.Select(e => e.GetProperty("from").GetString()));
        // flow-2 still waits for flow-0.
        Assert.Equal(["flow-0"], Json(await ready).EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        Assert.Equal(["flow-0"], Json(await byPrefix).EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        var refused = await badPrefix;
        Assert.True(refused.ExitCode == 2 && refused.Errors.Any(l => l.Contains("idPrefix") && l.Contains("flow #")), refused.ToString());
    }

    [Fact]
    public async Task Define_again_is_a_success_when_identical_and_exit_3_when_different()
    {
        string[] definition = ["define", "twice-1", "--agent", "cli-twice-agent", "--file", "tasks/twice.md", "--payload", "[1,2]"];
        Success(await server.RunAsync(definition));

        var sameJson = server.RunAsync([.. definition, "--json"]);
        var sameHuman = server.RunAsync(definition);
        var different = server.RunAsync("define", "twice-1", "--agent", "cli-twice-agent", "--file", "tasks/other.md");

        Assert.True(Json(await sameJson).GetProperty("alreadyDefined").GetBoolean());
        Assert.Contains("already defined", Assert.Single(Success(await sameHuman)));
        AssertFails(await different, 3, "'twice-1'");
    }

    [Fact]
    public async Task Define_from_file_defines_the_new_lines_prints_the_others_and_a_summary_and_exits_3_on_a_conflict()
    {
        const string agent = "cli-file-agent";
        Success(await server.RunAsync("define", "file-0", "--agent", agent, "--file", "tasks/file-0.md"));
        var file = await DefinitionsFileAsync(
            $$"""{"taskId":"file-1","agent":"{{agent}}","taskFile":"tasks/file-1.md","priority":"high","payload":{"n":[1,2]},"by":"planner"}""",
            "",
            $$"""{"taskId":"file-2","agent":"{{agent}}","taskFile":"tasks/file-2.md","dependsOn":["file-1","file-0"],"maxAttempts":5}""",
            $$"""{"taskId":"file-0","agent":"{{agent}}","taskFile":"tasks/file-0.md"}""",
            $$$"""{"taskId":"file-1","agent":"{{{agent}}}","taskFile":"tasks/file-1.md","priority":"HIGH","payload":{"n":[1,2]}}""",
            $$"""{"taskId":"file-0","agent":"{{agent}}","taskFile":"tasks/elsewhere.md"}""");
        try
        {
            var result = await server.RunAsync("define", "--from-file", file);

            // The two new tasks are defined; every other line says what became of it, then the counts.
            Assert.True(result.ExitCode == 3 && result.Errors.Count == 0, result.ToString());
            Assert.Equal(
            [
                "line 4: task 'file-0' was already defined identically (READY); nothing changed",
                "line 5: task 'file-1' was already defined identically (READY); nothing changed",
                $"line 6: task 'file-0' is already defined differently (agent '{agent}', file 'tasks/file-0.md', priority MEDIUM)",
                "defined 2, unchanged 2, conflicts 1, invalid 0",
            ], result.Output);
            var tasks = Json(await server.RunAsync("list", "--agent", agent, "--json")).EnumerateArray().ToList();
            Assert.Equal(["file-0", "file-1", "file-2"], tasks.Select(t => t.GetProperty("taskId").GetString()));
            Assert.Equal(["READY", "READY", "PENDING"], tasks.Select(t => t.GetProperty("status").GetString()));
            Assert.Equal(5, tasks[2].GetProperty("maxAttempts").GetInt32());
            Assert.Equal(2, Json(await server.RunAsync("get", "file-1", "--json")).GetProperty("payload").GetProperty("n")[1].GetInt32());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Define_from_file_with_a_line_that_is_not_a_definition_sends_nothing_and_exits_2_naming_the_line()
    {
        const string agent = "cli-badfile-agent";
        var notAnObject = await DefinitionsFileAsync(
            $$"""{"taskId":"badfile-1","agent":"{{agent}}","taskFile":"tasks/1.md"}""",
            "",
            "[1,2]");
        var wrongField = await DefinitionsFileAsync(
            $$"""{"taskId":"badfile-1","agent":"{{agent}}","taskFile":"tasks/1.md"}""",
            $$"""{"taskId":"badfile-2","agent":"{{agent}}","taskfile":"tasks/2.md"}""");
        var wrongType = await DefinitionsFileAsync($$"""{"taskId":"badfile-3","agent":"{{agent}}","taskFile":"tasks/3.md","maxAttempts":"2"}""");
        try
        {
            var results = await Task.WhenAll(
                server.RunAsync("define", "--from-file", notAnObject),
                server.RunAsync("define", "--from-file", wrongField, "--json"),
                server.RunAsync("define", "--from-file", wrongType));

            AssertFails(results[0], 2, $"invalid --from-file '{notAnObject}' line 3: expected a JSON object, found an array");
            AssertFails(results[1], 2, $"invalid --from-file '{wrongField}' line 2: unknown field 'taskfile'");
            AssertFails(results[2], 2, $"invalid --from-file '{wrongType}' line 1: 'maxAttempts' must be a whole number, not a string");
            // Nothing was sent, the good lines before the bad one included.
            Assert.Empty(Json(await server.RunAsync("list", "--agent", agent, "--json")).EnumerateArray());
        }
        finally
        {
            File.Delete(notAnObject);
            File.Delete(wrongField);
            File.Delete(wrongType);
        }
    }

    [Fact]
    public async Task Define_from_file_with_json_prints_every_result_and_the_counts_and_sends_a_thousand_lines_to_a_message()
    {
        // 1,500 lines: two messages, in file order, so line 1,200 may depend on line 5.
        const string agent = "cli-bigfile-agent";
        var lines = Enumerable.Range(1, 1500).Select(n => n == 1200
            ? $$"""{"taskId":"big-{{n:D4}}","agent":"{{agent}}","taskFile":"tasks/{{n}}.md","dependsOn":["big-0005"]}"""
            : $$"""{"taskId":"big-{{n:D4}}","agent":"{{agent}}","taskFile":"tasks/{{n}}.md"}""").ToArray();
        var file = await DefinitionsFileAsync(lines);
        var invalid = await DefinitionsFileAsync(
            $$"""{"taskId":"big-0001","agent":"{{agent}}","taskFile":"tasks/1.md"}""",
            $$"""{"taskId":"big-x","agent":"{{agent}}","taskFile":"tasks/x.md","priority":"urgent"}""");
        try
        {
            var before = Json(await server.RunAsync("stats", "--json"));
            var defined = Json(await server.RunAsync("define", "--from-file", file, "--json"));
            var after = Json(await server.RunAsync("stats", "--json"));

            Assert.Equal((1500, 0, 0, 0), (defined.GetProperty("created").GetInt32(), defined.GetProperty("unchanged").GetInt32(),
                defined.GetProperty("conflicts").GetInt32(), defined.GetProperty("invalid").GetInt32()));
            var results = defined.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal(Enumerable.Range(0, 1500), results.Select(r => r.GetProperty("index").GetInt32()));
            Assert.Equal(Enumerable.Range(1, 1500), results.Select(r => r.GetProperty("line").GetInt32()));
            Assert.All(results, r => Assert.Equal("created", r.GetProperty("outcome").GetString()));
            var dependant = results[1199];
            Assert.Equal(("big-1200", "PENDING"), (dependant.GetProperty("taskId").GetString(), dependant.GetProperty("task").GetProperty("status").GetString()));
            Assert.Equal(JsonValueKind.Null, dependant.GetProperty("existing").ValueKind);
            Assert.Equal(JsonValueKind.Null, dependant.GetProperty("error").ValueKind);
            // Two messages, each journaled as one row.
            Assert.Equal(1500, after.GetProperty("eventsJournaled").GetInt64() - before.GetProperty("eventsJournaled").GetInt64());
            Assert.Equal(2, after.GetProperty("journalSequenceNr").GetInt64() - before.GetProperty("journalSequenceNr").GetInt64());

            // An invalid line is a result too, and the exit code says so.
            var rejected = await server.RunAsync("define", "--from-file", invalid, "--json");
            Assert.True(rejected.ExitCode == 2 && rejected.Errors.Count == 0, rejected.ToString());
            using var json = JsonDocument.Parse(Assert.Single(rejected.Output));
            var second = json.RootElement.GetProperty("results")[1];
            Assert.Equal(("invalid", 2), (second.GetProperty("outcome").GetString(), second.GetProperty("line").GetInt32()));
            Assert.Equal(("priority", "urgent"), (second.GetProperty("error").GetProperty("field").GetString(), second.GetProperty("error").GetProperty("value").GetString()));
            Assert.Equal((0, 1, 0, 1), (json.RootElement.GetProperty("created").GetInt32(), json.RootElement.GetProperty("unchanged").GetInt32(),
                json.RootElement.GetProperty("conflicts").GetInt32(), json.RootElement.GetProperty("invalid").GetInt32()));
        }
        finally
        {
            File.Delete(file);
            File.Delete(invalid);
        }
    }

    [Fact]
    public async Task Define_from_file_sends_at_most_4_MiB_of_lines_to_a_message_so_each_fits_in_a_remoting_frame()
    {
        // Five definitions with payloads of 900,000 characters: four to the first message, one to the second.
        var payload = new string('x', 900_000);
        var file = await DefinitionsFileAsync(Enumerable.Range(1, 5)
            .Select(n => $$$"""{"taskId":"heavy-{{{n}}}","agent":"cli-heavy-agent","taskFile":"tasks/{{{n}}}.md","payload":{"text":"{{{payload}}}"}}""").ToArray());
        try
        {
            // A namespace of its own: no lease of another spec's claim runs out in it meanwhile.
            var ns = "cli-heavy-" + Guid.NewGuid().ToString("N")[..8];
            var before = Json(await server.RunAsync("stats", "--json", "--namespace", ns));
            Assert.Equal("defined 5, unchanged 0, conflicts 0, invalid 0", Assert.Single(Success(await server.RunAsync("define", "--from-file", file, "--namespace", ns))));
            var after = Json(await server.RunAsync("stats", "--json", "--namespace", ns));

            Assert.Equal(5, after.GetProperty("eventsJournaled").GetInt64() - before.GetProperty("eventsJournaled").GetInt64());
            Assert.Equal(2, after.GetProperty("journalSequenceNr").GetInt64() - before.GetProperty("journalSequenceNr").GetInt64());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_complete_after_a_cancel_is_a_stale_claim_exit_3_and_a_cancelled_task_cannot_be_requeued()
    {
        const string agent = "cli-stale-agent";
        Success(await server.RunAsync("define", "stale-1", "--agent", agent, "--file", "tasks/stale.md"));
        var claimId = Json(await server.RunAsync("claim", "--agent", agent, "--json")).GetProperty("claimId").GetString()!;

        var cancelled = Json(await server.RunAsync("cancel", "stale-1", "--reason", "no longer needed", "--json"));
        Assert.Equal("CANCELLED", cancelled.GetProperty("status").GetString());
        Assert.Equal("no longer needed", cancelled.GetProperty("reason").GetString());

        var complete = server.RunAsync("complete", "stale-1", "--agent", agent, "--claim", claimId);
        var heartbeat = server.RunAsync("heartbeat", "stale-1", "--agent", agent, "--claim", claimId);
        var requeue = server.RunAsync("requeue", "stale-1");
        AssertFails(await complete, 3, $"'{claimId}'");
        AssertFails(await heartbeat, 3, $"'{claimId}'");
        AssertFails(await requeue, 3, "'stale-1'");
    }

    [Fact]
    public async Task Fail_on_the_last_attempt_makes_a_task_DEAD_and_requeue_makes_it_READY()
    {
        const string agent = "cli-dead-agent";
        Success(await server.RunAsync("define", "dead-1", "--agent", agent, "--file", "tasks/dead.md", "--max-attempts", "1"));
        var claimId = Json(await server.RunAsync("claim", "--agent", agent, "--json")).GetProperty("claimId").GetString()!;

        var failed = Json(await server.RunAsync("fail", "dead-1", "--agent", agent, "--claim", claimId, "--reason", "disk full", "--json"));
        Assert.Equal("DEAD", failed.GetProperty("status").GetString());
        Assert.Equal("disk full", failed.GetProperty("reason").GetString());
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32());

        var requeued = Json(await server.RunAsync("requeue", "dead-1", "--json"));
        Assert.Equal("READY", requeued.GetProperty("status").GetString());
        Assert.Equal(0, requeued.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task Tags_given_to_define_and_in_a_definitions_file_are_shown_by_get_and_listed_by_list_tag()
    {
        var tag = "cli:" + Guid.NewGuid().ToString("N")[..8];
        Success(await server.RunAsync("define", "tag-1", "--agent", "cli-tag-agent", "--file", "tasks/t.md", "--tag", tag, "os=linux"));
        var file = await DefinitionsFileAsync($$"""{"taskId":"tag-2","agent":"cli-tag-agent","taskFile":"tasks/t.md","tags":["{{tag}}"]}""");
        Success(await server.RunAsync("define", "--from-file", file));

        Assert.Equal([tag, "os=linux"], Json(await server.RunAsync("get", "tag-1", "--json")).GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains(Success(await server.RunAsync("get", "tag-1")), line => line.StartsWith("tags ") && line.EndsWith($"  {tag}, os=linux"));
        Assert.Equal(["tag-1", "tag-2"], Json(await server.RunAsync("list", "--tag", tag, "--json")).EnumerateArray().Select(t => t.GetProperty("taskId").GetString()));
        AssertFails(await server.RunAsync("list", "--tag", "two words"), 2, "'two words'");

        // Scheduled an hour ahead: PENDING with its time, shown by get
        var scheduled = Json(await server.RunAsync("define", "tag-3", "--agent", "cli-tag-agent", "--file", "tasks/t.md", "--not-before", "1h", "--json"));
        Assert.Equal("PENDING", scheduled.GetProperty("status").GetString());
        Assert.InRange(scheduled.GetProperty("notBefore").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(50), DateTimeOffset.UtcNow.AddMinutes(61));
        Assert.Contains(Success(await server.RunAsync("get", "tag-3")), line => line.StartsWith("not before "));
    }

    [Fact]
    public async Task Set_claim_limits_sets_them_and_stats_shows_them()
    {
        var ns = "cli-limits-" + Guid.NewGuid().ToString("N")[..8];
        var set = Json(await server.RunAsync("set-claim-limits", "--max-claims", "5", "--tag-limit", "tenant=acme=2", "--fair-by", "tenant=", "--namespace", ns, "--json"));
        Assert.Equal((5, 2, "tenant="), (set.GetProperty("maxClaims").GetInt32(), set.GetProperty("maxClaimsPerTag").GetProperty("tenant=acme").GetInt32(), set.GetProperty("fairBy").GetString()));
        Assert.Contains(Success(await server.RunAsync("stats", "--namespace", ns)), line => line.StartsWith("claim limits") && line.EndsWith("namespace 5, tag tenant=acme 2, fair by tenant="));
        AssertFails(await server.RunAsync("set-claim-limits", "--tag-limit", "tenant", "--namespace", ns), 2, "'tenant'");

        // A rate of 0 for one tag: its task is held back, and the claim says by which limit
        Success(await server.RunAsync("define", "rated-1", "--agent", "*", "--file", "tasks/t.md", "--tag", "model=big", "--namespace", ns));
        var rated = Json(await server.RunAsync("set-claim-limits", "--tag-rate", "model=big=0", "--tag-rate", "model=small=2.5", "--namespace", ns, "--json"));
        Assert.Equal(2.5, rated.GetProperty("maxClaimsPerSecondPerTag").GetProperty("model=small").GetDouble());
        Assert.Contains(Success(await server.RunAsync("stats", "--namespace", ns)), line => line.StartsWith("claim limits") && line.EndsWith("tag model=big 0/s, tag model=small 2.5/s"));
        AssertFails(await server.RunAsync("claim", "--agent", "w", "--namespace", ns), 4, "tag 'model=big' is at its rate limit maxClaimsPerSecondPerTag = 0");
        AssertFails(await server.RunAsync("set-claim-limits", "--tag-rate", "model=big=fast", "--namespace", ns), 2, "'model=big=fast'");
        AssertFails(await server.RunAsync("set-claim-limits", "--tag-rate", "model=big=0.0000001", "--namespace", ns), 2, "maxClaimsPerSecondPerTag[model=big]");
    }

    [Fact]
    public async Task Schedule_define_list_and_remove_a_recurring_schedule()
    {
        var ns = "cli-schedules-" + Guid.NewGuid().ToString("N")[..8];
        var defined = Json(await server.RunAsync("schedule", "define", "standup", "--agent", "*", "--file", "tasks/standup.md", "--cron", "0 9 * * 1-5",
            "--time-zone", "Europe/Berlin", "--catch-up", "none", "--tag", "team:core", "--namespace", ns, "--json"));
        Assert.Equal(("0 9 * * 1-5", "none", false), (defined.GetProperty("schedule").GetProperty("cron").GetString(),
            defined.GetProperty("schedule").GetProperty("catchUp").GetString(), defined.GetProperty("unchanged").GetBoolean()));
        Assert.Contains(Success(await server.RunAsync("schedule", "define", "poll", "--agent", "*", "--file", "f", "--every", "15m", "--namespace", ns)),
            line => line.StartsWith("schedule poll defined: every 15m from "));

        var listed = Success(await server.RunAsync("schedule", "list", "--namespace", ns));
        Assert.Contains(listed, line => line.StartsWith("poll") && line.Contains("every 15m"));
        Assert.Contains(listed, line => line.StartsWith("standup") && line.Contains("cron '0 9 * * 1-5' Europe/Berlin") && line.Contains("none"));
        Assert.Contains(Success(await server.RunAsync("stats", "--namespace", ns)), line => line.StartsWith("schedules") && line.EndsWith(" 2"));

        Assert.Equal(["schedule standup removed"], Success(await server.RunAsync("schedule", "remove", "standup", "--namespace", ns)));
        AssertFails(await server.RunAsync("schedule", "remove", "standup", "--namespace", ns), 4, "'standup'");
        AssertFails(await server.RunAsync("schedule", "define", "both", "--agent", "*", "--file", "f", "--namespace", ns), 2, "'--cron' EXPR or '--every' DURATION");
        AssertFails(await server.RunAsync("schedule", "define", "bad", "--agent", "*", "--file", "f", "--cron", "0 9 * *", "--namespace", ns), 2, "'0 9 * *'");
        AssertFails(await server.RunAsync("schedule", "define", "bad", "--agent", "*", "--file", "f", "--every", "1m", "--catch-up", "some", "--namespace", ns), 2, "'some'");
    }

    [Fact]
    public async Task Purge_all_purges_the_finished_tasks_the_filters_match_and_set_retention_shows_in_stats()
    {
        var ns = "cli-purge-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var id in new[] { "purge-1", "purge-2" })
            Success(await server.RunAsync("define", id, "--agent", "cli-purge-agent", "--file", "tasks/t.md", "--namespace", ns));
        Success(await server.RunAsync("cancel", "purge-1", "--reason", "not needed", "--namespace", ns));

        Assert.Equal(["purged 1 tasks: purge-1"], Success(await server.RunAsync("purge-all", "--agent", "cli-purge-agent", "--namespace", ns)));
        AssertFails(await server.RunAsync("get", "purge-1", "--namespace", ns), 4, "'purge-1'");
        AssertFails(await server.RunAsync("purge-all", "--status", "READY", "--namespace", ns), 2, "'READY'");

        Assert.Equal(["retention: finished tasks kept 720h"], Success(await server.RunAsync("set-retention", "30d", "--namespace", ns)));
        var stats = Success(await server.RunAsync("stats", "--namespace", ns));
        Assert.Contains(stats, line => line.StartsWith("retention") && line.EndsWith("finished tasks kept 720h"));
        Assert.Contains(stats, line => line.StartsWith("purged") && line.EndsWith(" 1"));
        Assert.Equal(["retention: every task kept"], Success(await server.RunAsync("set-retention", "off", "--namespace", ns)));
        AssertFails(await server.RunAsync("set-retention", "forever", "--namespace", ns), 2, "'forever'");
    }

    [Fact]
    public async Task Cancel_all_and_requeue_all_change_every_task_the_filters_match()
    {
        var tag = "wave:" + Guid.NewGuid().ToString("N")[..8];
        foreach (var id in new[] { "all-1", "all-2" })
            Success(await server.RunAsync("define", id, "--agent", "cli-bulk-agent", "--file", "tasks/t.md", "--tag", tag));

        var cancelled = Json(await server.RunAsync("cancel-all", "--tag", tag, "--reason", "called off", "--json"));
        Assert.Equal(["all-1", "all-2"], cancelled.GetProperty("taskIds").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains(Success(await server.RunAsync("cancel-all", "--tag", tag, "--reason", "again")), line => line == "no task cancelled");
        Assert.Equal(0, Json(await server.RunAsync("requeue-all", "--tag", tag, "--json")).GetProperty("count").GetInt32());
        AssertFails(await server.RunAsync("cancel-all", "--tag", "two words", "--reason", "x"), 2, "'two words'");
    }

    [Fact]
    public async Task Request_input_and_provide_input_take_a_task_through_WAITING_and_the_next_claim_shows_the_answer()
    {
        const string agent = "cli-ask-agent";
        Success(await server.RunAsync("define", "ask-1", "--agent", agent, "--file", "tasks/ask.md"));
        var claimId = Json(await server.RunAsync("claim", "--agent", agent, "--json")).GetProperty("claimId").GetString()!;

        var waiting = Json(await server.RunAsync("request-input", "ask-1", "--agent", agent, "--claim", claimId, "--question", "Which region?", "--answer-within", "4h", "--json"));
        Assert.Equal(("WAITING", "Which region?"), (waiting.GetProperty("status").GetString(), waiting.GetProperty("question").GetString()));
        Assert.Equal("READY", Json(await server.RunAsync("provide-input", "ask-1", "--input", """{"region":"eu-west"}""", "--by", "alice", "--json")).GetProperty("status").GetString());
        var again = Json(await server.RunAsync("claim", "--agent", agent, "--json"));
        Assert.Equal("eu-west", again.GetProperty("input").GetProperty("region").GetString());
        AssertFails(await server.RunAsync("provide-input", "ask-1", "--input", "{}"), 3, "'ask-1'");
    }

    [Fact]
    public async Task A_claim_a_save_and_a_requeue_run_again_with_their_idempotency_key_are_done_once_and_the_key_on_another_command_exits_3()
    {
        const string agent = "cli-key-agent";
        var key = Guid.NewGuid().ToString();
        Success(await server.RunAsync("define", "key-1", "--agent", agent, "--file", "tasks/key.md", "--max-attempts", "1"));
        Success(await server.RunAsync("define", "key-2", "--agent", agent, "--file", "tasks/key.md"));

        var claims = new[] { await server.RunAsync("claim", "--agent", agent, "--idempotency-key", key, "--json"), await server.RunAsync("claim", "--agent", agent, "--idempotency-key", key, "--json") }
            .Select(r => Json(r).GetProperty("claimId").GetString()).ToList();
        Assert.Equal(claims[0], claims[1]);
        Assert.Equal("READY", Json(await server.RunAsync("get", "key-2", "--json")).GetProperty("status").GetString());
        AssertFails(await server.RunAsync("cancel", "key-2", "--reason", "no", "--idempotency-key", key), 3, $"idempotency key '{key}' was used at");
        Assert.Equal("READY", Json(await server.RunAsync("get", "key-2", "--json")).GetProperty("status").GetString());

        foreach (var _ in new[] { 1, 2 })
            Assert.Equal(1, Json(await server.RunAsync("save-state", "o", key, "--value", "[]", "--idempotency-key", "s-" + key, "--json")).GetProperty("version").GetInt64());

        Success(await server.RunAsync("fail", "key-1", "--agent", agent, "--claim", claims[0]!, "--reason", "broken"));
        foreach (var _ in new[] { 1, 2 })
            Assert.Equal("READY", Json(await server.RunAsync("requeue", "key-1", "--idempotency-key", "r-" + key, "--json")).GetProperty("status").GetString());
        // Without the key, the same requeue again is refused: the task is not DEAD
        AssertFails(await server.RunAsync("requeue", "key-1"), 3, "'key-1'");
    }

    [Fact]
    public async Task Missing_things_exit_4_with_one_line_naming_them()
    {
        var claim = server.RunAsync("claim", "--agent", "cli-idle-agent", "--json");
        var get = server.RunAsync("get", "no-such-task", "--json");
        var history = server.RunAsync("history", "no-such-task");
        var state = server.RunAsync("get-state", "no-such-owner", "no-such-key");

        AssertFails(await claim, 4, "'cli-idle-agent'");
        AssertFails(await get, 4, "'no-such-task'");
        AssertFails(await history, 4, "'no-such-task'");
        AssertFails(await state, 4, "'no-such-owner/no-such-key'");

        // An agent that found nothing is known all the same.
        var agents = Json(await server.RunAsync("agents", "--json"));
        var idle = Assert.Single(agents.EnumerateArray(), a => a.GetProperty("agent").GetString() == "cli-idle-agent");
        Assert.False(idle.GetProperty("registered").GetBoolean());
        Assert.Equal(0, idle.GetProperty("claimsHeld").GetInt32());
    }

    [Fact]
    public async Task Agents_lists_every_agent_by_name_across_pages()
    {
        // More agents than a page holds (100), registered over remoting in a namespace of their own.
        const string ns = "cli-many-agents";
        var system = Akka.Actor.ActorSystem.Create("cli-agents", Actors.Client.OrchestratorClient.ClientConfig);
        try
        {
            var client = (await Actors.Client.OrchestratorClient.ConnectAsync(system, server.Server)).ForNamespace(ns);
            await Task.WhenAll(Enumerable.Range(0, 130).Select(i => client.RegisterAgentAsync(new Protocol.Commands.RegisterAgent($"many-{i:D3}"))));
        }
        finally
        {
            await system.Terminate();
        }

        var agents = Json(await server.RunAsync("agents", "--json", "--namespace", ns));

        Assert.Equal(Enumerable.Range(0, 130).Select(i => $"many-{i:D3}"), agents.EnumerateArray().Select(a => a.GetProperty("agent").GetString()));
    }

    [Fact]
    public async Task Save_state_then_get_state_gives_the_document_and_its_version()
    {
        var file = Path.Combine(Path.GetTempPath(), $"cli-state-{Guid.NewGuid():N}.json");
        var notJson = Path.ChangeExtension(file, ".txt");
        await File.WriteAllTextAsync(file, """{"step":2,"notes":["a","b"]}""");
        await File.WriteAllTextAsync(notJson, "step two");
        try
        {
            var notSaved = server.RunAsync("save-state", "cli-owner", "progress", "--from-file", notJson);
            var first = Json(await server.RunAsync("save-state", "cli-owner", "progress", "--value", """{"step":1}""", "--expected-version", "0", "--json"));
            AssertFails(await notSaved, 2, $"'{notJson}'");
            Assert.Equal(1, first.GetProperty("version").GetInt64());
            Assert.Equal("cli-owner", first.GetProperty("ownerId").GetString());
            Assert.Equal("progress", first.GetProperty("key").GetString());

            Assert.Equal("saved 'cli-owner/progress' at version 2",
                Assert.Single(Success(await server.RunAsync("save-state", "cli-owner", "progress", "--from-file", file, "--expected-version", "1"))));

            var stale = server.RunAsync("save-state", "cli-owner", "progress", "--value", "{}", "--expected-version", "1");
            var read = server.RunAsync("get-state", "cli-owner", "progress", "--json");
            AssertFails(await stale, 3, "'cli-owner/progress'");
            var document = Json(await read);
            Assert.Equal(2, document.GetProperty("version").GetInt64());
            Assert.Equal(2, document.GetProperty("value").GetProperty("step").GetInt32());
            Assert.Equal(["a", "b"], document.GetProperty("value").GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
            Assert.True(document.GetProperty("savedAt").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);
        }
        finally
        {
            File.Delete(file);
            File.Delete(notJson);
        }
    }

    [Fact]
    public async Task Stats_counts_every_status_and_agents_lists_who_claimed()
    {
        const string agent = "cli-stats-agent";
        Success(await server.RunAsync("define", "stats-1", "--agent", agent, "--file", "tasks/stats.md"));
        Success(await server.RunAsync("claim", "--agent", agent));

        var statsJson = server.RunAsync("stats", "--json");
        var statsHuman = server.RunAsync("stats");
        var agentsJson = server.RunAsync("agents", "--json");
        var stats = Json(await statsJson);
        var byStatus = stats.GetProperty("byStatus").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(["PENDING", "READY", "CLAIMED", "COMPLETED", "FAILED", "DEAD", "CANCELLED", "WAITING"], byStatus.Keys);
        Assert.Equal(stats.GetProperty("tasks").GetInt32(), byStatus.Values.Sum());
        Assert.True(byStatus["CLAIMED"] >= 1);
        Assert.Contains(Success(await statsHuman), l => l.StartsWith("tasks"));
        var known = Assert.Single(Json(await agentsJson).EnumerateArray(), a => a.GetProperty("agent").GetString() == agent);
        Assert.Equal(1, known.GetProperty("claimsHeld").GetInt32());
    }

    [Fact]
    public async Task A_namespace_keeps_its_own_tasks_and_cluster_status_lists_it_with_its_figures()
    {
        // The same id as a default-namespace task of another spec would be: here it is another task.
        Success(await server.RunAsync("define", "ns-1", "--agent", "cli-ns-agent", "--file", "tasks/a.md", "--namespace", "cli-team-a"));
        Success(await server.RunAsync("define", "ns-1", "--agent", "cli-ns-agent", "--file", "tasks/b.md", "--namespace", "cli-team-b"));

        var inA = Json(await server.RunAsync("get", "ns-1", "--namespace", "cli-team-a", "--json"));
        var inB = Json(await server.RunAsync("get", "ns-1", "--namespace", "cli-team-b", "--json"));
        var inDefault = await server.RunAsync("get", "ns-1");
        Assert.Equal("tasks/a.md", inA.GetProperty("taskFile").GetString());
        Assert.Equal("tasks/b.md", inB.GetProperty("taskFile").GetString());
        AssertFails(inDefault, 4, "ns-1");

        var status = Json(await server.RunAsync("cluster", "status", "--json"));
        Assert.False(status.GetProperty("clustered").GetBoolean());
        Assert.Single(status.GetProperty("members").EnumerateArray());
        var namespaces = status.GetProperty("namespaces").EnumerateArray()
            .ToDictionary(n => n.GetProperty("namespace").GetString()!, n => n.GetProperty("tasks").GetInt32());
        Assert.Equal(1, namespaces["cli-team-a"]);
        Assert.Equal(1, namespaces["cli-team-b"]);
        Assert.Contains("default", namespaces.Keys);
        var human = Success(await server.RunAsync("cluster", "status"));
        Assert.Contains(human, l => l.StartsWith("single node akka.tcp://orchestrator@127.0.0.1:"));
        Assert.Contains(human, l => l.StartsWith("cli-team-a "));

        AssertFails(await server.RunAsync("stats", "--namespace", "team a"), 2, "invalid --namespace 'team a'");
    }

    [Fact]
    public async Task Load_defines_every_task_once_and_answers_the_repeats_as_already_defined()
    {
        // A generous timeout: a definition that timed out would be sent again and counted as a repeat.
        var report = Json(await server.RunAsync("load", "--agents", "5", "--tasks", "50", "--json", "--timeout", "60s"));

        Assert.Equal(5, report.GetProperty("agents").GetInt32());
        Assert.Equal(50, report.GetProperty("tasks").GetInt32());
        Assert.Equal(50, report.GetProperty("defined").GetInt32());
        Assert.Equal(5, report.GetProperty("idempotentRepeats").GetInt32());
        Assert.Equal(0, report.GetProperty("conflicts").GetInt32());
        Assert.Equal(0, report.GetProperty("errors").GetInt32());
        Assert.Equal(55, report.GetProperty("requests").GetInt32());
        var elapsedMs = report.GetProperty("elapsedMs").GetDouble();
        Assert.True(elapsedMs > 0);
        Assert.Equal(55 / (elapsedMs / 1000), report.GetProperty("definitionsPerSecond").GetDouble(), tolerance: 55 / (elapsedMs / 1000) * 0.01 + 0.1);
        var latency = report.GetProperty("latencyMs");
        var (p50, p95, p99) = (latency.GetProperty("p50").GetDouble(), latency.GetProperty("p95").GetDouble(), latency.GetProperty("p99").GetDouble());
        Assert.True(0 < p50 && p50 <= p95 && p95 <= p99 && p99 <= elapsedMs, $"p50 {p50}, p95 {p95}, p99 {p99}, elapsed {elapsedMs}");

        var prefix = report.GetProperty("taskPrefix").GetString()!;
        var tasks = Json(await server.RunAsync("list", "--agent", "load-agent-0", "--json")).EnumerateArray()
            .Where(t => t.GetProperty("taskId").GetString()!.StartsWith(prefix)).ToList();
        Assert.Equal(10, tasks.Count);
        Assert.All(tasks, t => Assert.Equal("READY", t.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task List_reads_every_page_and_load_prints_plain_lines_when_not_on_a_terminal()
    {
        var lines = Success(await server.RunAsync("load", "--agents", "2", "--tasks", "250", "--repeat-fraction", "0"));
        Assert.Contains(lines, l => l.StartsWith("defined") && l.EndsWith(" 250"));
        Assert.Contains(lines, l => l.StartsWith("idempotent repeats") && l.EndsWith(" 0"));
        Assert.Contains(lines, l => l.StartsWith("latency p99") && l.EndsWith(" ms"));
        var prefix = lines.Single(l => l.StartsWith("task prefix")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];

        var listJson = server.RunAsync("list", "--agent", "load-agent-1", "--json");
        var listHuman = server.RunAsync("list", "--agent", "load-agent-1", "--priority", "MEDIUM");
        var ids = Json(await listJson).EnumerateArray().Select(t => t.GetProperty("taskId").GetString()!).Where(id => id.StartsWith(prefix)).ToList();
        Assert.Equal(125, ids.Count);
        Assert.Equal(ids.Distinct(), ids);
        var table = Success(await listHuman);
        Assert.Matches(@"^TASK +STATUS +PRIORITY +AGENT +ATTEMPTS +FILE$", table[0]);
        Assert.Equal(125, table.Count(l => l.StartsWith(prefix)));
    }

    [Fact]
    public async Task Bad_input_is_one_line_on_stderr_naming_the_value_and_exit_2_or_1()
    {
        var server1 = server.Server;
        (int ExitCode, string Named, string[] Args)[] cases =
        [
            (2, "taskId ''", ["define", "", "--agent", "a", "--file", "f", "--server", server1]),
            (2, "'urgent'", ["define", "bad-1", "--agent", "a", "--file", "f", "--priority", "urgent", "--server", server1]),
            (2, "'{bad'", ["define", "bad-1", "--agent", "a", "--file", "f", "--payload", "{bad"]),
            (2, "'0'", ["define", "bad-1", "--agent", "a", "--file", "f", "--max-attempts", "0"]),
            (2, "'--file'", ["define", "bad-1", "--agent", "a"]),
            (2, "cannot be combined with TASK_ID, --agent", ["define", "bad-1", "--agent", "a", "--from-file", "tasks.jsonl"]),
            (2, "'/no/such/tasks.jsonl'", ["define", "--from-file", "/no/such/tasks.jsonl", "--server", server1]),
            (2, "'a b'", ["get", "a b", "--server", server1]),
            (2, "'a b'", ["history", "a b", "--server", server1]),
            (2, "'nope'", ["list", "--status", "nope"]),
            (2, "'lowest'", ["list", "--priority", "lowest"]),
            (2, "'5x'", ["claim", "--agent", "a", "--lease", "5x"]),
            (2, "--idempotency-key 'a b'", ["claim", "--agent", "a", "--idempotency-key", "a b"]),
            (2, "--not-before 'soonish'", ["define", "bad-1", "--agent", "a", "--file", "f", "--not-before", "soonish"]),
            (2, "'30'", ["heartbeat", "t", "--agent", "a", "--claim", "claim-1", "--lease", "30"]),
            (2, "'2 minutes'", ["claim", "--agent", "a", "--lease", "2 minutes"]),
            (2, "agent '*'", ["claim", "--agent", "*", "--server", server1]),
            (2, "'not json'", ["complete", "t", "--agent", "a", "--claim", "claim-1", "--result", "not json"]),
            (2, "'--reason'", ["fail", "t", "--agent", "a", "--claim", "claim-1"]),
            (2, "'--claim'", ["complete", "t", "--agent", "a"]),
            (2, "reason ' '", ["cancel", "bad-1", "--reason", " ", "--server", server1]),
            (2, "taskId ''", ["requeue", "", "--server", server1]),
            (2, "'[1,'", ["save-state", "o", "k", "--value", "[1,"]),
            (2, "'/no/such/file.json'", ["save-state", "o", "k", "--from-file", "/no/such/file.json", "--server", server1]),
            (2, "ownerId 'a b'", ["get-state", "a b", "k", "--server", server1]),
            (2, "'0'", ["load", "--agents", "0", "--tasks", "5"]),
            (2, "'nohost'", ["stats", "--server", "nohost"]),
            // A list of nodes is checked entry by entry, naming the bad one.
            (2, "--server '127.0.0.1:x'", ["stats", "--server", "127.0.0.1:4053,127.0.0.1:x"]),
            (2, "'0ms'", ["agents", "--timeout", "0ms"]),
            (2, "'frobnicate'", ["frobnicate"]),
            (1, "127.0.0.1:1", ["get", "t", "--server", "127.0.0.1:1", "--timeout", "5m"]),
            (1, "127.0.0.1:1", ["load", "--agents", "1", "--tasks", "1", "--server", "127.0.0.1:1", "--timeout", "5m"]),
        ];

        var started = Stopwatch.StartNew();
        var results = await Task.WhenAll(cases.Select(c => HostProcess.RunAsync(ServerFixture.Patience, c.Args)));

        foreach (var ((exitCode, named, args), result) in cases.Zip(results))
        {
            var invocation = $"orchestrator {string.Join(" ", args.Select(a => $"'{a}'"))} gave {result}";
            Assert.True(exitCode == result.ExitCode, invocation);
            Assert.True(result.Output.Count == 0, invocation);
            var error = Assert.Single(result.Errors);
            Assert.True(error.StartsWith("orchestrator: ") && error.Contains(named), invocation);
        }
        // A refused connection is reported at once, not after the 5 minute timeout.
        Assert.True(started.Elapsed < TimeSpan.FromMinutes(1), $"took {started.Elapsed}");
    }

    /// <summary>A JSON Lines file of definitions for <c>define --from-file</c>.</summary>
    private static async Task<string> DefinitionsFileAsync(params string[] lines)
    {
        var file = Path.Combine(Path.GetTempPath(), $"cli-definitions-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, lines);
        return file;
    }

    /// <summary>The one line of JSON a successful --json invocation printed.</summary>
    private static JsonElement Json(CliResult result)
    {
        var line = Assert.Single(Success(result));
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    private static IReadOnlyList<string> Success(CliResult result)
    {
        Assert.True(result.ExitCode == 0 && result.Errors.Count == 0, result.ToString());
        return result.Output;
    }

    private static void AssertFails(CliResult result, int exitCode, string named)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("orchestrator: ", error);
        Assert.Contains(named, error);
    }
}
