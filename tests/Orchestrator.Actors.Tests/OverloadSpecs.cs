using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.StateManager;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// What waits behind a write is bounded: with the journal held, a state manager lets
/// <c>max-pending-requests</c> changes wait and answers the rest at once "overloaded, retry", and
/// nothing it refused is done; the ones that waited are journaled and acknowledged once the write ends.
/// </summary>
public sealed class OverloadSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.TestJournal("orchestrator.max-pending-requests = 5"), "overload-spec", output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Beyond_max_pending_requests_a_change_is_answered_overloaded_at_once_and_is_not_done()
    {
        var settings = OrchestratorSettings.FromConfig(Sys.Settings.Config);
        var journal = TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor(null));
        var held = new HeldWrite();
        await journal.OnWrite.SetInterceptorAsync(held);
        var stateManager = Sys.ActorOf(StateManagerGateway.Props(settings, TimeProvider.System), "state-manager");
        Task<IOrchestratorReply> Define(string id) => stateManager.Ask<IOrchestratorReply>(new DefineTask(id, "agent", $"tasks/{id}.md"), AskTimeout);

        var first = Define("first");
        await held.Started.Task.WaitAsync(AskTimeout);
        var waiting = Enumerable.Range(0, 5).Select(i => Define($"waits-{i}")).ToList();
        var beyond = Enumerable.Range(0, 7).Select(i => Define($"beyond-{i}")).ToList();

        // Answered while the write is still held: nothing waited for them.
        foreach (var reply in await Task.WhenAll(beyond))
        {
            var unavailable = Assert.IsType<OrchestratorUnavailable>(reply);
            Assert.StartsWith("overloaded: 5 requests wait for the journal (orchestrator.max-pending-requests = 5)", unavailable.Reason);
        }
        Assert.DoesNotContain(waiting, w => w.IsCompleted);
        held.Release();

        Assert.All(await Task.WhenAll([first, .. waiting]), reply => Assert.False(Assert.IsType<TaskDefinitionAccepted>(reply).AlreadyDefined));
        var stats = await stateManager.Ask<StatsReport>(GetStats.Instance, AskTimeout);
        Assert.Equal(6, stats.Tasks);
        Assert.IsType<TaskNotFound>(await stateManager.Ask<IOrchestratorReply>(new GetTask("beyond-0"), AskTimeout));
        // Room again: the next change waits for the journal as usual.
        Assert.IsType<TaskDefinitionAccepted>(await Define("after"));
    }

    private sealed class HeldWrite : IJournalInterceptor
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        // The first write is held until released; the others pass.
        public Task InterceptAsync(IPersistentRepresentation message)
        {
            if (Interlocked.Increment(ref _writes) != 1) return Task.CompletedTask;
            Started.TrySetResult();
            return _gate.Task;
        }
    }
}
