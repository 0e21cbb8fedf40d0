using Akka.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Issue 16, finding 7: "unavailable" or no answer does not mean "not done". A change whose answer
/// was lost is, sent again under its idempotency key after the node died and recovered, answered as
/// done, and done once.
/// </summary>
public sealed class IdempotencyKeyRecoverySpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    // A snapshot after every 3 events: the keys come back through a snapshot and the events after it.
    private Config NodeConfig() => TestConfigs.Sqlite(_dataDirectory, """
        orchestrator.snapshots { every = 3, every-fraction-of-tasks = 0 }
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """);

    [Fact]
    public async Task A_claim_and_a_save_whose_answers_were_lost_are_answered_as_done_after_a_crash_and_done_once()
    {
        var claim = new ClaimTask("agent-a") { IdempotencyKey = "claim-7f3a" };
        var save = new SaveState("agent-a", "notes", """{"step":1}""") { IdempotencyKey = "save-7f3a" };
        TaskAssigned first;
        StateSaved saved;
        var node = OrchestratorNode.Start(NodeConfig(), "first");
        try
        {
            var sm = node.StateManager;
            await sm.Define("t-1", "agent-a");
            await sm.Define("t-2", "agent-a");
            first = await sm.Expect<TaskAssigned>(claim);
            saved = await sm.Expect<StateSaved>(save);
        }
        finally
        {
            // Dies without a graceful stop: as far as the agent knows, its two requests went unanswered.
            await node.System.Terminate();
        }

        await using var second = OrchestratorNode.Start(NodeConfig(), "second");
        var sm2 = second.StateManager;

        var again = await sm2.Expect<TaskAssigned>(claim);
        Assert.Equal((first.Task.TaskId, first.ClaimId), (again.Task.TaskId, again.ClaimId));
        Assert.Equal(saved, await sm2.Expect<StateSaved>(save));
        Assert.Equal(1, (await sm2.Expect<StateDocument>(new Protocol.Queries.GetState("agent-a", "notes"))).Version);
        Assert.Equal(TaskState.Ready, (await sm2.View("t-2")).Status);
        // And the key on another request is still refused after the restart
        var refused = await sm2.Expect<IdempotencyKeyReused>(new ClaimTask("agent-b") { IdempotencyKey = "claim-7f3a" });
        Assert.Equal(("claim-7f3a", nameof(ClaimTask)), (refused.Key, refused.Request));
    }
}
