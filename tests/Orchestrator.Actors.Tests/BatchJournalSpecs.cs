using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Group commit on disk: requests that waited together share one journal entry (event-batch.v1);
/// one DefineTasks is one entry however many definitions it creates, answered once the entry is
/// confirmed; recovery reads such entries as their events; snapshots come at a pace that grows with
/// the state and live in a file of their own, into which an older layout's snapshots are moved.
/// </summary>
public sealed class BatchJournalSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Absent = TimeSpan.FromMilliseconds(300);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    private Config NodeConfig(string extra) => TestConfigs.Sqlite(_dataDirectory, extra);

    [Fact]
    public async Task Definitions_that_wait_together_share_a_journal_entry_and_recover_as_their_events()
    {
        // Snapshots never: recovery replays the entries.
        var config = NodeConfig("orchestrator.snapshots.every = 1000000");
        var settings = OrchestratorSettings.FromConfig(config);
        var db = new JournalDatabase(settings.DatabasePath);
        StatsReport before;
        IReadOnlyList<TaskView> tasksBefore;
        await using (var node = OrchestratorNode.Start(config, "first"))
        {
            var replies = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
                node.StateManager.Ask<IOrchestratorReply>(new DefineTask($"t-{i:D3}", $"agent-{i % 7}", $"tasks/{i}.md", i % 3 == 0 ? "high" : null), AskTimeout)));
            Assert.All(replies, r => Assert.False(Assert.IsType<TaskDefinitionAccepted>(r).AlreadyDefined));
            // A change that came after them, alone in its entry.
            Assert.IsType<StateSaved>(await node.StateManager.Ask<IOrchestratorReply>(new SaveState("agent-1", "notes", "{\"n\":1}"), AskTimeout));
            before = await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
            tasksBefore = (await node.StateManager.Ask<TaskPage>(new ListTasks(Limit: 1000), AskTimeout)).Tasks;
        }

        // 301 events in fewer entries: at least one entry held several definitions.
        var entries = db.Scalar("SELECT COUNT(*) FROM journal WHERE persistence_id = $p", ("$p", settings.PersistenceId));
        Assert.True(entries < 301, $"{entries} journal entries for 301 events");
        Assert.True(db.Scalar("SELECT COUNT(*) FROM journal WHERE manifest = 'event-batch.v1'") > 0);
        Assert.Equal(300, db.EventManifests(settings.PersistenceId).Count(m => m == "task-defined.v1"));
        Assert.Equal((301L, entries), (before.EventsJournaled, before.JournalSequenceNr));

        await using (var node = OrchestratorNode.Start(config, "second"))
        {
            var after = await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
            var tasksAfter = (await node.StateManager.Ask<TaskPage>(new ListTasks(Limit: 1000), AskTimeout)).Tasks;
            Assert.Equal((before.Tasks, before.EventsJournaled, before.JournalSequenceNr, before.StateDocuments),
                (after.Tasks, after.EventsJournaled, after.JournalSequenceNr, after.StateDocuments));
            Assert.Equal(tasksBefore, tasksAfter);
            // Definition order survives batching: the list comes back in the order the replies were decided.
            Assert.Equal(tasksBefore.Select(t => t.TaskId), tasksAfter.Select(t => t.TaskId));
        }
    }

    [Fact]
    public async Task No_journal_entry_exceeds_max_write_bytes_when_large_documents_wait_together_and_all_recover()
    {
        // 40 documents of 8,000 non-ASCII characters, sent at once: each may take about 48 KB escaped,
        // so at most one fits in a 64 KiB write (uncapped, those that waited together shared one entry).
        var config = NodeConfig("orchestrator.max-write-bytes = 64KiB\norchestrator.snapshots.every = 1000000");
        var settings = OrchestratorSettings.FromConfig(config);
        var document = $$"""{"d":"{{new string('é', 8_000)}}"}""";
        await using (var node = OrchestratorNode.Start(config, "capped"))
        {
            var replies = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
                node.StateManager.Ask<IOrchestratorReply>(new SaveState("owner", $"doc-{i}", document), AskTimeout)));
            Assert.All(replies, r => Assert.Equal(1, Assert.IsType<StateSaved>(r).Version));
        }

        var db = new JournalDatabase(settings.DatabasePath);
        var largest = db.Scalar("SELECT MAX(LENGTH(message)) FROM journal WHERE persistence_id = $p", ("$p", settings.PersistenceId));
        Assert.True(largest <= 64 * 1024, $"the largest journal entry holds {largest} bytes");
        await using (var node = OrchestratorNode.Start(config, "recovered"))
            Assert.Equal(40, (await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).StateDocuments);
    }

    // Every tenth depends on the one before it, so dependencies within the batch are recovered too.
    private static List<DefineTask> Definitions(int count) => Enumerable.Range(0, count)
        .Select(i => new DefineTask($"b-{i:D4}", $"agent-{i % 7}", $"tasks/{i}.md", i % 3 == 0 ? "HIGH" : null,
            i % 10 == 9 ? [$"b-{i - 1:D4}"] : null))
        .ToList();

    [Fact]
    public async Task A_batch_of_a_thousand_definitions_is_one_journal_row_acknowledged_once_heard_per_task_and_recovered_whole()
    {
        var config = NodeConfig("orchestrator.snapshots.every = 1000000");
        var settings = OrchestratorSettings.FromConfig(config);
        var db = new JournalDatabase(settings.DatabasePath);
        var definitions = Definitions(1000);
        IReadOnlyList<TaskView> tasksBefore;
        await using (var node = OrchestratorNode.Start(config, "batch-first"))
        {
            var subscriber = CreateTestProbe();
            node.StateManager.Tell(new SubscribeToTasks(), subscriber);
            subscriber.ExpectMsg<SubscribedToTasks>();
            Assert.IsType<TaskDefinitionAccepted>(await node.StateManager.Ask<IOrchestratorReply>(new DefineTask("before", "agent-0", "tasks/before.md"), AskTimeout));
            subscriber.ExpectMsg<TaskTransitioned>();
            var rowsBefore = Rows(db, settings);

            // When one agent sends the batch
            var agent = CreateTestProbe();
            node.StateManager.Tell(new DefineTasks(definitions), agent);

            // Then it is answered once, every definition created, in order
            var results = agent.ExpectMsg<TasksDefined>().Results;
            agent.ExpectNoMsg(Absent);
            Assert.Equal(definitions.Select(d => d.TaskId), results.Select(r => r.TaskId));
            Assert.All(results, r => Assert.Equal(DefinitionOutcome.Created, r.Outcome));
            Assert.Equal(100, results.Count(r => r.Task!.Status == TaskState.Pending));

            // And the journal holds exactly one new row, the batch of its thousand events
            Assert.Equal(rowsBefore + 1, Rows(db, settings));
            Assert.Equal("event-batch.v1", db.Strings("SELECT manifest FROM journal WHERE persistence_id = 'state-manager-default' ORDER BY sequence_number DESC LIMIT 1").Single());
            Assert.Equal(1001, db.EventManifests(settings.PersistenceId).Count(m => m == "task-defined.v1"));
            var stats = await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
            Assert.Equal((1001, 1001L, rowsBefore + 1), (stats.Tasks, stats.EventsJournaled, stats.JournalSequenceNr));

            // And the subscriber hears each created task's definition, in order
            var heard = subscriber.ReceiveN(1000).Cast<TaskTransitioned>().ToList();
            Assert.Equal(definitions.Select(d => d.TaskId), heard.Select(n => n.TaskId));
            Assert.All(heard, n => Assert.Equal("task-defined", n.Entry.Event));
            Assert.Equal(results.Select(r => r.Task!.Status), heard.Select(n => n.Entry.To));
            subscriber.ExpectNoMsg(Absent);

            tasksBefore = (await node.StateManager.Ask<TaskPage>(new ListTasks(Limit: 1000, Offset: 1), AskTimeout)).Tasks;
        }

        // When a new node starts on the same file
        await using (var node = OrchestratorNode.Start(config, "batch-second"))
        {
            // Then every task of the batch is there as it was, in definition order
            var tasksAfter = (await node.StateManager.Ask<TaskPage>(new ListTasks(Limit: 1000, Offset: 1), AskTimeout)).Tasks;
            Assert.Equal(definitions.Select(d => d.TaskId), tasksAfter.Select(t => t.TaskId));
            Assert.Equal(tasksBefore, tasksAfter);

            // And the same batch again (a client whose reply was lost) is unchanged, writing nothing
            var rows = Rows(db, settings);
            var again = await node.StateManager.Ask<TasksDefined>(new DefineTasks(definitions), AskTimeout);
            Assert.All(again.Results, r => Assert.Equal(DefinitionOutcome.Unchanged, r.Outcome));
            Assert.Equal(rows, Rows(db, settings));
        }
    }

    [Fact]
    public async Task A_batch_larger_than_max_batch_events_is_still_one_row_and_its_neighbours_get_rows_of_their_own()
    {
        // max-batch-events caps how many requests share a write; it does not split one decision.
        var config = NodeConfig("orchestrator.max-batch-events = 10");
        var settings = OrchestratorSettings.FromConfig(config);
        var db = new JournalDatabase(settings.DatabasePath);
        await using var node = OrchestratorNode.Start(config, "batch-split");

        var agents = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        node.StateManager.Tell(new DefineTask("single-1", "agent-0", "tasks/s1.md"), agents[0]);
        node.StateManager.Tell(new DefineTasks(Definitions(50)), agents[1]);
        node.StateManager.Tell(new DefineTask("single-2", "agent-0", "tasks/s2.md"), agents[2]);

        Assert.False(agents[0].ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        Assert.All(agents[1].ExpectMsg<TasksDefined>().Results, r => Assert.Equal(DefinitionOutcome.Created, r.Outcome));
        Assert.False(agents[2].ExpectMsg<TaskDefinitionAccepted>().AlreadyDefined);
        // A row each: the batch's fifty events together, the definitions before and after it alone.
        Assert.Equal(["task-defined.v1", "event-batch.v1", "task-defined.v1"],
            db.Strings("SELECT manifest FROM journal WHERE persistence_id = 'state-manager-default' ORDER BY sequence_number"));
        Assert.Equal(52, db.EventCount(settings.PersistenceId));
    }

    [Fact]
    public async Task The_next_snapshot_waits_for_a_share_of_the_last_snapshots_task_count()
    {
        // every = 10 and a fraction of 1: snapshots after 10, 20 and 40 definitions (each waits for as
        // many new events as the last one had tasks), not after 30.
        var config = NodeConfig("orchestrator.snapshots { every = 10, every-fraction-of-tasks = 1.0 }");
        await using var node = OrchestratorNode.Start(config, "cadence");
        var snapshotsSeen = new List<long>();
        for (var i = 1; i <= 40; i++)
        {
            Assert.IsType<TaskDefinitionAccepted>(await node.StateManager.Ask<IOrchestratorReply>(
                new DefineTask($"t-{i:D2}", "agent", $"tasks/{i}.md"), AskTimeout));
            if (i is 10 or 20 or 40)
            {
                // The snapshot is saved after the reply: wait for it.
                var at = i;
                await AwaitAssertAsync(async () =>
                    Assert.Equal(at, (await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr));
            }
            snapshotsSeen.Add((await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr);
        }

        // Between 20 and 40 no snapshot was taken, although 10 events (snapshots.every) had passed at 30.
        Assert.All(snapshotsSeen.Skip(20).Take(19), s => Assert.Equal(20, s));
    }

    [Fact]
    public async Task Snapshots_an_older_version_kept_in_the_journal_file_are_moved_to_their_own_and_used()
    {
        // Events behind the older kept snapshot are deleted, so the state cannot come back without them.
        var config = NodeConfig("orchestrator.snapshots { every = 10, every-fraction-of-tasks = 0, delete-events = on }");
        var settings = OrchestratorSettings.FromConfig(config);
        await using (var node = OrchestratorNode.Start(config, "old-layout"))
        {
            for (var i = 0; i < 45; i++)
                Assert.IsType<TaskDefinitionAccepted>(await node.StateManager.Ask<IOrchestratorReply>(
                    new DefineTask($"t-{i:D2}", "agent", $"tasks/{i}.md"), AskTimeout));
            var db = new JournalDatabase(settings.DatabasePath);
            await AwaitAssertAsync(() => Assert.True(db.Scalar("SELECT COUNT(*) FROM journal WHERE deleted = 0 AND sequence_number <= 10") == 0));
        }

        // The layout before this version: the snapshot table in the journal's file, no snapshot file.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var journal = new JournalDatabase(settings.DatabasePath, settings.DatabasePath);
        var snapshotDdl = new JournalDatabase(settings.SnapshotDatabasePath, settings.SnapshotDatabasePath);
        var kept = snapshotDdl.SnapshotSequenceNumbers(settings.PersistenceId);
        Assert.Equal(2, kept.Count);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(settings.DatabasePath, pooling: false)))
        {
            connection.Open();
            // The table and indexes exactly as Akka created them, then the rows.
            foreach (var ddl in snapshotDdl.Strings("SELECT sql FROM sqlite_master WHERE tbl_name = 'snapshot' AND sql IS NOT NULL ORDER BY type DESC"))
                Run(connection, ddl);
            Run(connection, $"ATTACH DATABASE '{settings.SnapshotDatabasePath}' AS s");
            Run(connection, "INSERT INTO main.snapshot SELECT * FROM s.snapshot");
            Run(connection, "DETACH DATABASE s");
        }
        foreach (var file in Directory.GetFiles(_dataDirectory, Path.GetFileName(settings.SnapshotDatabasePath) + "*")) File.Delete(file);
        Assert.Equal(2, journal.Scalar("SELECT COUNT(*) FROM snapshot"));

        await using (var node = OrchestratorNode.Start(config, "new-layout"))
        {
            var stats = await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
            Assert.Equal(45, stats.Tasks);
            Assert.Equal(kept[^1], stats.LastSnapshotSequenceNr);
        }

        // Moved, not copied: the journal's file no longer holds them.
        Assert.Equal(0, journal.Scalar("SELECT COUNT(*) FROM snapshot"));
        Assert.Equal(kept, new JournalDatabase(settings.DatabasePath).SnapshotSequenceNumbers(settings.PersistenceId).Take(2));
        Assert.Equal("ok", journal.IntegrityCheck());
    }

    private static long Rows(JournalDatabase db, OrchestratorSettings settings) =>
        db.Scalar("SELECT COUNT(*) FROM journal WHERE persistence_id = $p", ("$p", settings.PersistenceId));

    private static void Run(Microsoft.Data.Sqlite.SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }
}
