using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// config/postgres.conf as shipped, on a real PostgreSQL (.ci/run starts one): every acknowledged
/// change survives a restart, snapshots are written and used, <c>orchestrator serve</c> runs on it,
/// and an unreachable server is answered "unavailable" rather than waited on forever. Each spec has
/// a database of its own, dropped after it. Without a server the specs are skipped (fail under CI).
/// </summary>
public sealed class PostgresJournalSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public async Task A_new_node_on_the_same_database_recovers_every_acknowledged_change_and_the_tables_were_created_on_first_start()
    {
        using var db = PostgresDatabase.Create();
        var config = db.NodeConfig();
        Assert.Empty(db.Tables());

        Picture before;
        await using (var node = OrchestratorNode.Start(config, "first"))
        {
            var sm = node.StateManager;
            for (var i = 0; i < 5; i++)
                Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask($"pg-{i}", "coder", $"tasks/{i}.md")));
            var claimed = Assert.IsType<TaskAssigned>(await Ask(sm, new ClaimTask("coder")));
            Assert.IsType<TaskUpdated>(await Ask(sm, new CompleteTask(claimed.Task.TaskId, "coder", claimed.ClaimId, """{"ok":true}""")));
            Assert.IsType<TaskAssigned>(await Ask(sm, new ClaimTask("coder")));
            Assert.Equal(1, Assert.IsType<StateSaved>(await Ask(sm, new SaveState("planner", "plan", """{"step":1,"text":"é ✓"}"""))).Version);
            Assert.Equal(2, Assert.IsType<StateSaved>(await Ask(sm, new SaveState("planner", "plan", """{"step":2}""", ExpectedVersion: 1))).Version);
            before = await PictureAsync(sm);
        }

        // Akka.Persistence.Sql's default schema, created by auto-initialize.
        Assert.Superset(new HashSet<string> { "journal", "snapshot" }, db.Tables().ToHashSet());
        // Every acknowledged write is a row; the last one carries the state manager's sequence number.
        Assert.True(before.Stats.JournalSequenceNr > 0);
        Assert.Equal(before.Stats.JournalSequenceNr, db.Scalar("SELECT MAX(sequence_number) FROM journal WHERE persistence_id = 'state-manager-default'"));
        Assert.Equal(before.Stats.JournalSequenceNr, db.Scalar("SELECT COUNT(*) FROM journal WHERE persistence_id = 'state-manager-default'"));

        await using (var node = OrchestratorNode.Start(config, "second"))
        {
            var after = await PictureAsync(node.StateManager);
            before.AssertSameAs(after);
            Assert.Equal(["COMPLETED", "CLAIMED", "READY", "READY", "READY"], after.Tasks.Select(t => t.Status.ToString().ToUpperInvariant()));
            Assert.Equal(2, after.Document.Version);
            Assert.Equal("""{"step":2}""", after.Document.Json);
        }
    }

    [SkippableFact]
    public async Task Snapshots_are_written_to_the_snapshot_table_and_recovery_from_snapshot_plus_events_gives_the_same_state()
    {
        using var db = PostgresDatabase.Create();
        var config = db.NodeConfig("orchestrator.snapshots { every = 5, every-fraction-of-tasks = 0 }");

        Picture before;
        await using (var node = OrchestratorNode.Start(config, "first"))
        {
            var sm = node.StateManager;
            for (var i = 0; i < 12; i++)
                Assert.IsType<TaskDefinitionAccepted>(await Ask(sm, new DefineTask($"snap-{i:D2}", "*", $"tasks/{i}.md")));
            // Saved in the background; with every = 5 the second falls at or just after the tenth event.
            await AwaitAssertAsync(async () => Assert.True((await sm.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr >= 10));
            Assert.IsType<StateSaved>(await Ask(sm, new SaveState("planner", "plan", "[1]")));
            before = await PictureAsync(sm);
        }

        var latest = before.Stats.LastSnapshotSequenceNr;
        Assert.Equal(latest, db.Scalar("SELECT MAX(sequence_number) FROM snapshot WHERE persistence_id = 'state-manager-default'"));
        Assert.InRange(db.Scalar("SELECT COUNT(*) FROM snapshot WHERE persistence_id = 'state-manager-default'"), 1, 2);
        Assert.True(db.Scalar("SELECT MAX(octet_length(snapshot)) FROM snapshot") > 0);
        Assert.True(before.Stats.EventsJournaled > latest, "events after the snapshot, for the recovery to replay");

        await using (var node = OrchestratorNode.Start(config, "second"))
        {
            var after = await PictureAsync(node.StateManager);
            before.AssertSameAs(after);
            Assert.Equal(latest, after.Stats.LastSnapshotSequenceNr);
        }
    }

    [SkippableFact]
    public async Task A_snapshot_that_takes_longer_to_read_than_the_idle_in_transaction_limit_is_still_used_by_recovery()
    {
        // Akka.Persistence.Sql deserializes a snapshot inside its read transaction. With the journal's
        // idle-in-transaction limit on the snapshot store too, the server ended that session while a
        // large snapshot was read; the load failed and recovery replayed every event instead.
        const int tasks = 100_000;
        using var db = PostgresDatabase.Create();
        var config = db.NodeConfig($"""
            orchestrator.postgres.idle-in-transaction-timeout = 100ms
            orchestrator.snapshots.every = {tasks}
            orchestrator.snapshots.every-fraction-of-tasks = 0
            """);

        long snapshotAt = 0;
        await using (var node = OrchestratorNode.Start(config, "first"))
        {
            for (var batch = 0; batch < tasks / 1000; batch++)
            {
                var definitions = Enumerable.Range(batch * 1000, 1000).Select(i => new DefineTask($"big-{i:D6}", "*", "tasks/big.md")).ToList();
                var defined = Assert.IsType<TasksDefined>(await Ask(node.StateManager, new DefineTasks(definitions)));
                Assert.Equal(1000, defined.Count(DefinitionOutcome.Created));
            }
            // Saved in the background after the last definition.
            await AwaitAssertAsync(async () =>
            {
                snapshotAt = (await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr;
                Assert.True(snapshotAt > 0, "no snapshot yet");
            }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        }
        Assert.Equal(snapshotAt, db.Scalar("SELECT MAX(sequence_number) FROM snapshot WHERE persistence_id = 'state-manager-default'"));

        await using (var node = OrchestratorNode.Start(config, "second"))
        {
            var stats = await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
            Assert.Equal(tasks, stats.Tasks);
            // Recovered from the snapshot: a replay of the events alone would leave this 0.
            Assert.Equal(snapshotAt, stats.LastSnapshotSequenceNr);
        }
    }

    [SkippableFact]
    public async Task Serve_with_the_postgres_overlay_takes_the_connection_from_ORCHESTRATOR_POSTGRES_and_a_cli_define_lands_in_the_database()
    {
        using var db = PostgresDatabase.Create();
        var patience = TimeSpan.FromSeconds(60);
        var port = HostProcess.FreePort();
        using var host = HostProcess.Start(new Dictionary<string, string> { ["ORCHESTRATOR_POSTGRES"] = db.ConnectionString },
            "serve", "--config", PostgresDatabase.OverlayPath, "--port", port.ToString());
        var started = await host.WaitForLineAsync("data in", patience);
        Assert.Contains($"data in PostgreSQL.15 database '{db.Name}' on 127.0.0.1", started);
        Assert.DoesNotContain("Password", started, StringComparison.OrdinalIgnoreCase);
        await host.WaitForLineAsync("Recovered state-manager-default", patience);

        var defined = await HostProcess.RunAsync(patience, "define", "pg-cli", "--agent", "coder", "--file", "tasks/pg-cli.md", "--server", $"127.0.0.1:{port}");

        Assert.Equal(0, defined.ExitCode);
        Assert.Equal(1, db.Scalar("SELECT COUNT(*) FROM journal WHERE persistence_id = 'state-manager-default'"));
        host.Send(Signal.Terminate);
        Assert.Equal(0, await host.WaitForExitAsync(patience));
    }

    /// <remarks>
    /// What happens: Akka.Persistence.Sql logs "Failed to initialize SQL Journal ... Failed to connect to
    /// HOST:PORT" and retries about once a second; the state manager's recovery waits for the journal
    /// until recovery-event-timeout (30 s by default) and is then restarted by its backoff supervisor.
    /// Meanwhile the gateway holds requests and answers them "unavailable" after hold.timeout, and a
    /// stop waits for the recovery to time out (the timeout is shortened here to keep the spec fast).
    /// </remarks>
    [SkippableFact]
    public async Task An_unreachable_server_is_answered_unavailable_instead_of_waited_on()
    {
        using var db = PostgresDatabase.Create();
        var unreachable = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = HostProcess.FreePort() }.ConnectionString;
        var config = db.NodeConfig($"""
            orchestrator.hold.timeout = 2s
            akka.persistence.journal.sql.recovery-event-timeout = 3s
            akka.persistence.journal.sql.connection-string = {OrchestratorConfig.Quote(unreachable)}
            akka.persistence.snapshot-store.sql.connection-string = {OrchestratorConfig.Quote(unreachable)}
            """);

        var node = OrchestratorNode.Start(config, "unreachable");
        var first = await Ask(node.StateManager, new DefineTask("never", "*", "never.md"));
        // Still answering once a recovery attempt has timed out and the state manager restarts.
        await AwaitAssertAsync(async () => Assert.IsType<OrchestratorUnavailable>(await Ask(node.StateManager, new ListTasks(Limit: 10))));
        await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Contains("orchestrator.hold.timeout", Assert.IsType<OrchestratorUnavailable>(first).Reason);
    }

    private static Task<IOrchestratorReply> Ask(IActorRef stateManager, object message) =>
        stateManager.Ask<IOrchestratorReply>(message, AskTimeout);

    private static async Task<Picture> PictureAsync(IActorRef stateManager)
    {
        var page = await stateManager.Ask<TaskPage>(new ListTasks(Limit: 1000), AskTimeout);
        var document = await stateManager.Ask<StateDocument>(new GetState("planner", "plan"), AskTimeout);
        var stats = await stateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
        return new Picture(page.Tasks, document, stats);
    }

    private sealed record Picture(IReadOnlyList<TaskView> Tasks, StateDocument Document, StatsReport Stats)
    {
        public void AssertSameAs(Picture other)
        {
            Assert.Equal(Tasks, other.Tasks);
            Assert.Equal(Document, other.Document);
            Assert.Equal(Stats.Tasks, other.Stats.Tasks);
            Assert.Equal(Stats.ByStatus, other.Stats.ByStatus);
            Assert.Equal(Stats.EventsJournaled, other.Stats.EventsJournaled);
        }
    }
}
