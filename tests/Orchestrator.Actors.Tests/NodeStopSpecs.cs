using Akka.Actor;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>A node serves or stops, never neither: without its router it would listen and answer nothing.</summary>
public sealed class NodeStopSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    [Fact]
    public async Task A_node_whose_router_stops_while_it_serves_stops_itself_and_says_why()
    {
        var node = OrchestratorNode.Start(TestConfigs.Sqlite(_dataDirectory));

        // Local, as only a bug could do it now: a remote peer's PoisonPill is refused (RemotingSpecs).
        node.StateManager.Tell(PoisonPill.Instance);

        await node.System.WhenTerminated.WaitAsync(Patience);
        Assert.IsType<OrchestratorNode.RouterStopped>(CoordinatedShutdown.Get(node.System).ShutdownReason);
    }

    [Fact]
    public async Task A_node_stopped_by_its_owner_is_not_taken_for_one_whose_router_stopped()
    {
        var node = OrchestratorNode.Start(TestConfigs.Sqlite(_dataDirectory));

        await node.StopAsync();

        await node.System.WhenTerminated.WaitAsync(Patience);
        Assert.IsType<CoordinatedShutdown.ClrExitReason>(CoordinatedShutdown.Get(node.System).ShutdownReason);
    }

    public void Dispose() => TestConfigs.DeleteDataDirectory(_dataDirectory);
}
