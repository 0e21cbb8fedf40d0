using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.StateManager;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// A snapshot taken while a write is in flight holds the state without that write, so it must be
/// labelled with the last entry the journal confirmed: labelled past its state, recovery from it
/// would skip the write's events, which were acknowledged. The journal and the snapshot store are
/// gated here, so the interleaving is exact and nothing waits on time.
/// </summary>
public sealed class SnapshotLabelSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfigs.TestJournal("""
    orchestrator.snapshots { every = 1, every-fraction-of-tasks = 0 }
    akka.persistence.snapshot-store {
      plugin = "akka.persistence.snapshot-store.test"
      test {
        class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
        plugin-dispatcher = "akka.actor.default-dispatcher"
      }
    }
    """), "snapshot-label-spec", output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_snapshot_taken_while_a_write_is_in_flight_is_labelled_with_what_it_holds_and_recovery_keeps_that_write()
    {
        var settings = OrchestratorSettings.FromConfig(Sys.Settings.Config);
        var journal = TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));
        var snapshots = TestSnapshotStore.FromRef(Persistence.Instance.Apply(Sys).SnapshotStoreFor(null));
        // Saves: the first is held until released, the second passes, later ones are held until released.
        var saves = new GatedSaves();
        await snapshots.OnSave.SetInterceptorAsync(saves);
        // Writes: the one carrying task c is held until released.
        var writeOfC = new GatedWrite(p => p.Payload is TaskDefined { TaskId: "c" });
        await journal.OnWrite.SetInterceptorAsync(writeOfC);
        var stateManager = Sys.ActorOf(StateManagerGateway.Props(settings, TimeProvider.System), "state-manager");

        // a is journaled (entry 1) and its snapshot starts, held.
        Assert.IsType<TaskDefinitionAccepted>(await stateManager.Ask<IOrchestratorReply>(new DefineTask("a", "agent", "a.md"), AskTimeout));
        await saves.FirstStarted.Task.WaitAsync(AskTimeout);
        // b is journaled (entry 2) while it is held; c's write (entry 3) is handed over and held.
        Assert.IsType<TaskDefinitionAccepted>(await stateManager.Ask<IOrchestratorReply>(new DefineTask("b", "agent", "b.md"), AskTimeout));
        var replyToC = stateManager.Ask<IOrchestratorReply>(new DefineTask("c", "agent", "c.md"), AskTimeout);
        await writeOfC.Started.Task.WaitAsync(AskTimeout);

        // The first snapshot finishes: one more is due at once (b came after it), with c in flight.
        saves.ReleaseFirst();
        await AwaitAssertAsync(async () =>
            Assert.Equal(2, (await stateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr));

        // c is journaled and acknowledged, and the snapshot after it (labelled 3) is saved; remove
        // that one, so that the next incarnation starts from the snapshot taken while c was in flight.
        writeOfC.Release();
        Assert.False(Assert.IsType<TaskDefinitionAccepted>(await replyToC).AlreadyDefined);
        saves.ReleaseRest();
        await AwaitAssertAsync(async () =>
            Assert.Equal(3, (await stateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout)).LastSnapshotSequenceNr));
        stateManager.Tell(Protocol.Commands.Shutdown.Instance, TestActor);
        ExpectMsg<ShutdownComplete>();
        Persistence.Instance.Apply(Sys).SnapshotStoreFor(null)
            .Tell(new DeleteSnapshot(new SnapshotMetadata(settings.PersistenceId, 3, DateTime.MinValue)), TestActor);
        ExpectMsg<DeleteSnapshotSuccess>();

        // A new incarnation recovers from the snapshot labelled 2 plus entry 3: c is there.
        var next = Sys.ActorOf(StateManagerGateway.Props(settings, TimeProvider.System), "state-manager-next");
        var stats = await next.Ask<StatsReport>(GetStats.Instance, AskTimeout);
        Assert.Equal((3, 2L, 3L), (stats.Tasks, stats.LastSnapshotSequenceNr, stats.JournalSequenceNr));
        Assert.IsType<TaskFound>(await next.Ask<IOrchestratorReply>(new GetTask("c"), AskTimeout));
    }

    private sealed class GatedSaves : ISnapshotStoreInterceptor
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _rest = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public TaskCompletionSource FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void ReleaseFirst() => _first.TrySetResult();

        public void ReleaseRest() => _rest.TrySetResult();

        public Task InterceptAsync(string persistenceId, SnapshotSelectionCriteria criteria)
        {
            switch (Interlocked.Increment(ref _calls))
            {
                case 1:
                    FirstStarted.TrySetResult();
                    return _first.Task;
                case 2:
                    return Task.CompletedTask;
                default:
                    return _rest.Task;
            }
        }
    }

    private sealed class GatedWrite(Func<IPersistentRepresentation, bool> held) : IJournalInterceptor
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public Task InterceptAsync(IPersistentRepresentation message)
        {
            if (!held(message)) return Task.CompletedTask;
            Started.TrySetResult();
            return _gate.Task;
        }
    }
}
