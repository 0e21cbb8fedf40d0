using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Stop the ActorSystem, start a new one on the same SQLite file: the state is identical.</summary>
public sealed class RecoverySpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    private Config NodeConfig(string extra = "") =>
        TestConfigs.Sqlite(_dataDirectory, "orchestrator.snapshots { every = 10, every-fraction-of-tasks = 0 }\n" + extra);

    [Fact]
    public async Task A_data_directory_whose_path_holds_semicolons_and_equals_signs_is_one_directory_not_more_connection_keywords()
    {
        // Interpolated into "Data Source=…;Pooling=True", this path read as the keywords Mode and Cache.
        var odd = Path.Combine(_dataDirectory, "team;Mode=ReadOnly;Cache=Shared=x");
        Directory.CreateDirectory(odd);
        var config = TestConfigs.Sqlite(odd);
        await using (var node = OrchestratorNode.Start(config, "odd-path"))
        {
            var defined = await node.StateManager.Ask<object>(new DefineTask("t-1", "agent-a", "tasks/t-1.md"), AskTimeout);
            Assert.IsType<TaskDefinitionAccepted>(defined);
        }

        Assert.True(File.Exists(Path.Combine(odd, "orchestrator.db")), string.Join(", ", Directory.EnumerateFileSystemEntries(odd)));
        await using (var again = OrchestratorNode.Start(config, "odd-path-again"))
            Assert.IsType<TaskFound>(await again.StateManager.Ask<object>(new GetTask("t-1"), AskTimeout));
    }

    [Fact]
    public async Task A_new_ActorSystem_on_the_same_file_recovers_identical_state_from_snapshot_and_later_events()
    {
        var config = NodeConfig();
        var db = new JournalDatabase(OrchestratorSettingsOf(config).DatabasePath);
        Picture before;
        await using (var node = OrchestratorNode.Start(config, "first"))
        {
            await PopulateAsync(node);
            before = await PictureAsync(node.StateManager);
            // Old snapshots are deleted behind a new one, asynchronously: all but the newest two go.
            await AwaitAssertAsync(() =>
                Assert.Equal([20L, 30L], db.SnapshotSequenceNumbers(OrchestratorSettingsOf(config).PersistenceId)));
        }

        using (var snapshot = JsonDocument.Parse(db.SnapshotText(OrchestratorSettingsOf(config).PersistenceId, 30)))
        {
            // Readable JSON: the format version and the tasks in definition order.
            Assert.Equal(2, snapshot.RootElement.GetProperty("formatVersion").GetInt32());
            Assert.Equal("t-00", snapshot.RootElement.GetProperty("tasks")[0].GetProperty("taskId").GetString());
        }

        await using (var node = OrchestratorNode.Start(config, "second"))
        {
            var after = await PictureAsync(node.StateManager);
            before.AssertSameAs(after);
            Assert.Equal(30, after.Stats.LastSnapshotSequenceNr);
        }

        Assert.Equal("ok", db.IntegrityCheck());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("unknown-format")]
    [InlineData("foreign-type")]
    [InlineData("wrong-version")]
    [InlineData("null-task")]
    public async Task A_corrupt_latest_snapshot_falls_back_to_the_older_one_and_recovers_everything(string damage)
    {
        var config = NodeConfig();
        var settings = OrchestratorSettingsOf(config);
        var before = await PopulateAndStopAsync(config);

        var db = new JournalDatabase(settings.DatabasePath);
        Damage(db, settings.PersistenceId, db.SnapshotSequenceNumbers(settings.PersistenceId)[^1], damage);

        await using (var node = OrchestratorNode.Start(config, "second"))
        {
            before.AssertSameAs(await PictureAsync(node.StateManager));
            // The unreadable snapshot is replaced by a fresh one of the recovered state.
            await AwaitAssertAsync(() =>
            {
                foreach (var seqNr in db.SnapshotSequenceNumbers(settings.PersistenceId))
                    Assert.Contains("\"formatVersion\":2", db.SnapshotText(settings.PersistenceId, seqNr));
            });
        }

        await AssertRecoversAsync(config, before);
    }

    [Fact]
    public async Task When_every_snapshot_is_corrupt_a_full_replay_recovers_everything()
    {
        var config = NodeConfig();
        var settings = OrchestratorSettingsOf(config);
        var before = await PopulateAndStopAsync(config);

        var db = new JournalDatabase(settings.DatabasePath);
        DamageAll(db, settings.PersistenceId);

        await AssertRecoversAsync(config, before);
    }

    [Fact]
    public async Task With_event_deletion_on_the_events_behind_the_older_kept_snapshot_go_and_recovery_is_still_complete()
    {
        var config = NodeConfig("orchestrator.snapshots.delete-events = on");
        var settings = OrchestratorSettingsOf(config);
        var db = new JournalDatabase(settings.DatabasePath);
        Picture before;
        await using (var node = OrchestratorNode.Start(config, "first"))
        {
            await PopulateAsync(node);
            // The deletion runs in the background after the snapshot that allows it; a stop before it
            // ends would leave the events in place (harmless, but not what this spec is about).
            await AwaitAssertAsync(() => Assert.Equal(0, db.Scalar(
                "SELECT COUNT(*) FROM journal WHERE persistence_id = $p AND deleted = 0 AND sequence_number <= 20", ("$p", settings.PersistenceId))));
            // Pictured once the deletion is done: its events-deleted.v1 marker, journaled before the
            // deletion, counts in the events journaled (pictured earlier, it raced the marker: 38 vs 39).
            before = await PictureAsync(node.StateManager);
        }

        Damage(db, settings.PersistenceId, db.SnapshotSequenceNumbers(settings.PersistenceId)[^1], "garbage");

        await AssertRecoversAsync(config, before);
    }

    [Fact]
    public async Task When_deleted_events_leave_no_readable_snapshot_the_state_manager_refuses_to_serve_partial_state()
    {
        var config = NodeConfig("orchestrator.snapshots.delete-events = on");
        var settings = OrchestratorSettingsOf(config);
        await PopulateAndStopAsync(config);

        var db = new JournalDatabase(settings.DatabasePath);
        DamageAll(db, settings.PersistenceId);

        // Requests wait for a state manager that never comes up, until the hold timeout answers them.
        var impatient = NodeConfig("orchestrator.snapshots.delete-events = on\norchestrator.hold.timeout = 2s");
        await using (var node = OrchestratorNode.Start(impatient, "second"))
        {
            var reply = await node.StateManager.Ask<IOrchestratorReply>(new ListTasks(Limit: 1000), AskTimeout);
            Assert.IsType<OrchestratorUnavailable>(reply);
        }
    }

    [Fact]
    public async Task After_a_restart_older_snapshots_are_still_pruned_and_losing_both_kept_ones_refuses_instead_of_serving_partial_state()
    {
        var config = NodeConfig("orchestrator.snapshots.delete-events = on");
        var settings = OrchestratorSettingsOf(config);
        var db = new JournalDatabase(settings.DatabasePath);
        await PopulateAndStopAsync(config);

        await using (var node = OrchestratorNode.Start(config, "restarted"))
        {
            var before = (await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr;
            for (var i = 0; i < 10; i++)
                Assert.IsType<TaskDefinitionAccepted>(await node.StateManager.Ask<IOrchestratorReply>(
                    new DefineTask($"x-{i}", "*", "x.md"), AskTimeout));
            await AwaitAssertAsync(async () =>
                Assert.True((await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr > before));
            // Snapshots saved before the restart are pruned too: only the newest two remain.
            await AwaitAssertAsync(() => Assert.Equal(2, db.SnapshotSequenceNumbers(settings.PersistenceId).Count));
        }

        DamageAll(db, settings.PersistenceId);
        var impatient = NodeConfig("orchestrator.snapshots.delete-events = on\norchestrator.hold.timeout = 2s");
        await using (var node = OrchestratorNode.Start(impatient, "third"))
            Assert.IsType<OrchestratorUnavailable>(await node.StateManager.Ask<IOrchestratorReply>(new ListTasks(Limit: 1000), AskTimeout));
    }

    /// <summary>Populates a node on <paramref name="config"/>, pictures its state, and stops it.</summary>
    private async Task<Picture> PopulateAndStopAsync(Config config)
    {
        await using var node = OrchestratorNode.Start(config, "first");
        await PopulateAsync(node);
        return await PictureAsync(node.StateManager);
    }

    /// <summary>Starts a new node on <paramref name="config"/> and asserts it recovered <paramref name="before"/>.</summary>
    private static async Task AssertRecoversAsync(Config config, Picture before)
    {
        await using var node = OrchestratorNode.Start(config, "recovered");
        before.AssertSameAs(await PictureAsync(node.StateManager));
    }

    /// <summary>
    /// 36 commands, one per round trip. Each tenth waits for its snapshot, so that snapshots fall at
    /// exactly 10, 20 and 30 however slow the disk is (with event deletion on, the journal's
    /// deletion markers shift them by one each: 10, 20, 31).
    /// </summary>
    private async Task PopulateAsync(OrchestratorNode node)
    {
        var commands = new List<IStateManagerCommand>();
        for (var i = 0; i < 25; i++)
            commands.Add(new DefineTask($"t-{i:D2}", i % 2 == 0 ? "*" : "coder", $"tasks/{i}.md", ((TaskPriority)(i % 4)).ToString()));
        for (var i = 0; i < 3; i++)
            commands.Add(new SaveState("planner", $"doc-{i}", $$"""{"i":{{i}},"text":"é ✓"}"""));
        for (var i = 25; i < 30; i++)
            commands.Add(new DefineTask($"t-{i:D2}", "reviewer", $"tasks/{i}.md"));
        commands.Add(new SaveState("planner", "late", "[1,2,3]"));
        commands.Add(new SaveState("planner", "late", "[1,2,3,4]", ExpectedVersion: 1));
        commands.Add(new DefineTask("t-30", "reviewer", "tasks/30.md", "critical"));

        for (var n = 1; n <= commands.Count; n++)
        {
            var reply = await node.StateManager.Ask<IOrchestratorReply>(commands[n - 1], AskTimeout);
            Assert.True(reply is TaskDefinitionAccepted { AlreadyDefined: false } or StateSaved, $"command {n}: {reply}");
            if (n % 10 == 0)
                await AwaitAssertAsync(async () =>
                    Assert.True((await node.StateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr >= n),
                    TimeSpan.FromSeconds(20));
        }
    }

    private static async Task<Picture> PictureAsync(IActorRef stateManager)
    {
        var page = await stateManager.Ask<TaskPage>(new ListTasks(Limit: 1000), AskTimeout);
        var documents = new List<StateDocument>();
        foreach (var key in new[] { "doc-0", "doc-1", "doc-2", "late" })
            documents.Add(await stateManager.Ask<StateDocument>(new GetState("planner", key), AskTimeout));
        var stats = await stateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
        return new Picture(page.Tasks, documents, stats);
    }

    private static void DamageAll(JournalDatabase db, string persistenceId)
    {
        var snapshots = db.SnapshotSequenceNumbers(persistenceId);
        Assert.Equal(2, snapshots.Count);
        foreach (var seqNr in snapshots) Damage(db, persistenceId, seqNr, "garbage");
    }

    private static void Damage(JournalDatabase db, string persistenceId, long sequenceNr, string damage)
    {
        // Content damage is written the way the row is encoded (gzip chunks for snapshot.v4, gzip for
        // snapshot.v3), so it is the content, not the encoding, that the state manager meets.
        var manifest = db.SnapshotManifest(persistenceId, sequenceNr);
        byte[] Encoded(string json) => manifest switch
        {
            "snapshot.v4" => JournalDatabase.Chunked(json),
            "snapshot.v3" => JournalDatabase.Gzip(System.Text.Encoding.UTF8.GetBytes(json)),
            _ => System.Text.Encoding.UTF8.GetBytes(json),
        };
        var changed = damage switch
        {
            "garbage" => db.Snapshots.Execute("UPDATE snapshot SET snapshot = $b WHERE persistence_id = $p AND sequence_number = $s",
                ("$b", new byte[] { 0x7B, 0x00, 0xFF, 0x22 }), ("$p", persistenceId), ("$s", sequenceNr)),
            "wrong-version" => db.Snapshots.Execute("UPDATE snapshot SET snapshot = $b WHERE persistence_id = $p AND sequence_number = $s",
                ("$b", Encoded("{\"formatVersion\":3,\"nextOrdinal\":0,\"nextClaim\":1,\"nextReadySeq\":0,\"tasks\":[],\"documents\":[],\"agents\":[]}")), ("$p", persistenceId), ("$s", sequenceNr)),
            "null-task" => db.Snapshots.Execute("UPDATE snapshot SET snapshot = $b WHERE persistence_id = $p AND sequence_number = $s",
                ("$b", Encoded("{\"formatVersion\":2,\"nextOrdinal\":0,\"nextClaim\":1,\"nextReadySeq\":0,\"tasks\":[null],\"documents\":[],\"agents\":[]}")), ("$p", persistenceId), ("$s", sequenceNr)),
            "unknown-format" => db.Snapshots.Execute("UPDATE snapshot SET manifest = 'snapshot.v99' WHERE persistence_id = $p AND sequence_number = $s",
                ("$p", persistenceId), ("$s", sequenceNr)),
            // Another serializer's row (Akka's byte-array serializer, id 4): a snapshot object that is no state of ours.
            "foreign-type" => db.Snapshots.Execute("UPDATE snapshot SET serializer_id = 4, manifest = '' WHERE persistence_id = $p AND sequence_number = $s",
                ("$p", persistenceId), ("$s", sequenceNr)),
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        };
        Assert.Equal(1, changed);
    }

    private static Configuration.OrchestratorSettings OrchestratorSettingsOf(Config config) =>
        Configuration.OrchestratorSettings.FromConfig(config);

    private sealed record Picture(IReadOnlyList<TaskView> Tasks, IReadOnlyList<StateDocument> Documents, StatsReport Stats)
    {
        public void AssertSameAs(Picture other)
        {
            Assert.Equal(31, Tasks.Count);
            Assert.Equal(Tasks, other.Tasks);
            Assert.Equal(Documents, other.Documents);
            Assert.Equal(Stats.Tasks, other.Stats.Tasks);
            Assert.Equal(Stats.ByPriority, other.Stats.ByPriority);
            Assert.Equal(Stats.EventsJournaled, other.Stats.EventsJournaled);
        }
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }
}
