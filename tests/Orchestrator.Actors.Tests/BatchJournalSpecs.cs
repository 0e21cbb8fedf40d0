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
/// Group commit on disk: requests that waited together share one journal entry (event-batch.v1);
/// recovery reads such entries as their events; snapshots come at a pace that grows with the state
/// and live in a file of their own, into which an older layout's snapshots are moved.
/// </summary>
public sealed class BatchJournalSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);
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
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={settings.DatabasePath};Pooling=False"))
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
