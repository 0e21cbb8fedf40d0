using Akka.Actor;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// akka.net#3538: a journal and snapshot store in one SQLite file collided on locks under snapshot
/// writes and deletes. Here (each in its own file, WAL) snapshots come every few events, and old
/// snapshots and the events behind them are deleted, while writes pour in.
/// </summary>
public sealed class SnapshotUnderLoadSpecs(ITestOutputHelper output)
    : SqliteSpec(output, "orchestrator.snapshots { every = 7, every-fraction-of-tasks = 0, delete-events = on }\norchestrator.max-batch-events = 25")
{
    [Fact]
    public async Task Writes_keep_succeeding_while_snapshots_and_deletes_run_beside_them()
    {
        var asks = Enumerable.Range(0, 1500)
            .Select(i => i % 5 == 4
                ? StateManager.Ask<IOrchestratorReply>(new SaveState($"agent-{i % 25}", "scratch", $$"""{"n":{{i}}}"""), TimeSpan.FromSeconds(60))
                : StateManager.Ask<IOrchestratorReply>(new DefineTask($"load-{i}", $"agent-{i % 25}", $"l/{i}.md"), TimeSpan.FromSeconds(60)))
            .ToList();
        var replies = await Task.WhenAll(asks);

        Assert.All(replies, r => Assert.True(r is TaskDefinitionAccepted { AlreadyDefined: false } or StateSaved, r.ToString()));
        var stats = await StateManager.Ask<StatsReport>(GetStats.Instance, TimeSpan.FromSeconds(20));
        Assert.Equal(1200, stats.Tasks);
        // 1,500 changes plus one deletion marker per snapshot after the second.
        Assert.InRange(stats.EventsJournaled, 1500, 1500 + 1500 / 7);
        Assert.Equal(5, stats.StateDocuments); // owners agent-4, -9, -14, -19, -24

        // At most the newest two snapshots remain (snapshots finish after the replies, so wait for them), and the events behind the older one are gone.
        await AwaitAssertAsync(() =>
        {
            var snapshots = Database.SnapshotSequenceNumbers(Settings.PersistenceId);
            Assert.InRange(snapshots.Count, 1, 2);
            Assert.True(snapshots[^1] > stats.JournalSequenceNr - 7 * 2, $"newest snapshot at {snapshots[^1]} of {stats.JournalSequenceNr} entries");
            Assert.Equal(0, Database.Scalar(
                "SELECT COUNT(*) FROM journal WHERE persistence_id = $p AND deleted = 0 AND sequence_number <= $s",
                ("$p", Settings.PersistenceId), ("$s", snapshots.Count == 2 ? snapshots[0] : 0L)));
        }, TimeSpan.FromSeconds(20));
        Assert.Equal("ok", Database.IntegrityCheck());

        // And a new incarnation recovers the same state from what is left.
        StateManager.Tell(Protocol.Commands.Shutdown.Instance, TestActor);
        ExpectMsg<ShutdownComplete>();
        var next = Sys.ActorOf(global::Orchestrator.Actors.StateManager.StateManagerGateway.Props(Settings, TimeProvider.System), "state-manager-next");
        var recovered = await next.Ask<StatsReport>(GetStats.Instance, TimeSpan.FromSeconds(20));
        Assert.Equal((stats.Tasks, stats.StateDocuments), (recovered.Tasks, recovered.StateDocuments));
        // Deletion markers written after the stats above (behind the last snapshots) may add a few.
        Assert.True(recovered.EventsJournaled >= stats.EventsJournaled);
    }
}
