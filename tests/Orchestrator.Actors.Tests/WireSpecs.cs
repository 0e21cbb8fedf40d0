using Akka.Actor;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// With serialize-messages on, Akka serializes every message it delivers, as remoting would: every
/// request and reply of a real conversation must go through the orchestrator's serializer intact.
/// </summary>
public sealed class WireSpecs(ITestOutputHelper output) : SqliteSpec(output, """
    akka.actor.serialize-messages = on
    akka.actor.serialize-creators = off
    """)
{
    [Fact]
    public async Task Every_request_and_reply_of_a_conversation_survives_serialization()
    {
        // A probe is a real actor, so the replies to it are serialized too (an ask's temporary ref is not).
        var agent = CreateTestProbe();
        Task<IOrchestratorReply> Ask(IOrchestratorMessage m)
        {
            StateManager.Tell(m, agent.Ref);
            return Task.FromResult(agent.ExpectMsg<IOrchestratorReply>());
        }

        Assert.False(Assert.IsType<TaskDefinitionAccepted>(await Ask(new DefineTask("w-1", "*", "w/1.md", "high"))).AlreadyDefined);
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(await Ask(new DefineTask("w-1", "*", "w/1.md", "HIGH"))).AlreadyDefined);
        Assert.Equal("w-1", Assert.IsType<TaskDefinitionConflict>(await Ask(new DefineTask("w-1", "*", "other.md"))).Existing.TaskId);
        Assert.Equal("taskId", Assert.IsType<CommandRejected>(await Ask(new DefineTask("", "*", "x"))).Field);
        Assert.Equal(1, Assert.IsType<StateSaved>(await Ask(new SaveState("o", "k", """{"a":[1,2]}"""))).Version);
        Assert.Equal(1, Assert.IsType<StateVersionConflict>(await Ask(new SaveState("o", "k", "{}", 0))).CurrentVersion);
        Assert.Equal("""{"a":[1,2]}""", Assert.IsType<StateDocument>(await Ask(new GetState("o", "k"))).Json);
        Assert.IsType<StateNotFound>(await Ask(new GetState("o", "missing")));
        Assert.Equal(TaskPriority.High, Assert.IsType<TaskFound>(await Ask(new GetTask("w-1"))).Task.Priority);
        Assert.IsType<TaskNotFound>(await Ask(new GetTask("nope")));
        Assert.Equal(1, Assert.IsType<TaskPage>(await Ask(new ListTasks(Status: "ready"))).Total);
        var stats = Assert.IsType<StatsReport>(await Ask(GetStats.Instance));
        Assert.Equal((1, 2L), (stats.ByPriority["HIGH"], stats.EventsJournaled));
        Assert.IsType<ShutdownComplete>(await Ask(Protocol.Commands.Shutdown.Instance));
    }
}
