using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// One namespace written by two nodes on one journal, in turn, as after a split brain (a node paused
/// past its downing resumes and serves for a moment a namespace another node took over) or a hand-off
/// and back. The journal's unique key refuses the stale node's write; its state manager stops,
/// recovers what the other wrote, and writes on after it. Every acknowledged change is then in the
/// journal and must come back at recovery: before, Akka's replay filter, which took Akka.Persistence.Sql's
/// per-node writer id for a per-incarnation one, dropped the first node's later events as an old
/// writer's (the chaos soak's cluster form found it).
/// </summary>
public sealed class StaleWriterSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public async Task On_PostgreSQL_what_two_nodes_acknowledged_in_turn_all_comes_back()
    {
        using var db = PostgresDatabase.Create();
        await TwoWritersInTurnAsync(() => db.NodeConfig());
    }

    [Fact]
    public async Task On_SQLite_what_two_nodes_acknowledged_in_turn_all_comes_back()
    {
        var dataDirectory = TestConfigs.NewDataDirectory();
        try
        {
            await TwoWritersInTurnAsync(() => TestConfigs.Sqlite(dataDirectory));
        }
        finally
        {
            TestConfigs.DeleteDataDirectory(dataDirectory);
        }
    }

    private static async Task TwoWritersInTurnAsync(Func<Config> config)
    {
        await using var first = OrchestratorNode.Start(config(), "first-node");
        var stale = first.StateManager;
        Assert.IsType<TaskDefinitionAccepted>(await stale.Ask<object>(new DefineTask("t-1", "*", "tasks/t-1.md"), AskTimeout));
        TaskAssigned held;
        await using (var second = OrchestratorNode.Start(config(), "second-node"))
        {
            // The other node recovers t-1 and claims it.
            held = Assert.IsType<TaskAssigned>(await second.StateManager.Ask<object>(new ClaimTask("agent-b", TimeSpan.FromMinutes(5)), AskTimeout));
        }

        // The first node still sees t-1 READY: its claim takes the sequence number the other wrote, is
        // refused, and its state manager recovers before it decides again.
        Assert.IsType<OrchestratorUnavailable>(await stale.Ask<object>(new ClaimTask("agent-a", TimeSpan.FromMinutes(5)), AskTimeout));
        Assert.IsType<NoTaskReady>(await stale.Ask<object>(new ClaimTask("agent-a", TimeSpan.FromMinutes(5)), AskTimeout));
        Assert.IsType<TaskDefinitionAccepted>(await stale.Ask<object>(new DefineTask("t-2", "*", "tasks/t-2.md"), AskTimeout));

        // A third node recovers all three acknowledged changes: the first node's, the second's, the first's again.
        await using var third = OrchestratorNode.Start(config(), "third-node");
        var claimed = Assert.IsType<TaskFound>(await third.StateManager.Ask<object>(new GetTask("t-1"), AskTimeout)).Task;
        Assert.Equal(("agent-b", SoakChecker.PublicClaimId(held.ClaimId)), (claimed.Claim?.Agent, claimed.Claim?.ClaimId));
        Assert.IsType<TaskFound>(await third.StateManager.Ask<object>(new GetTask("t-2"), AskTimeout));
    }
}
