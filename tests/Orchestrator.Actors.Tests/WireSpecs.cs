using Orchestrator.Actors.Domain;
using Akka.Actor;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
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
    # Local messages of Akka's own (a recovery permit, a child's stop) go through Akka's JSON here,
    # which the node's network guard refuses to read (RemotingSpecs): Akka's serializer for this spec.
    akka.actor.serializers.json = "Akka.Serialization.NewtonSoftJsonSerializer, Akka"
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

    [Fact]
    public async Task Every_lifecycle_request_reply_and_notification_survives_serialization()
    {
        var agent = CreateTestProbe();
        var subscriber = CreateTestProbe();
        Task<IOrchestratorReply> Ask(IOrchestratorMessage m)
        {
            StateManager.Tell(m, agent.Ref);
            return Task.FromResult(agent.ExpectMsg<IOrchestratorReply>());
        }

        // Subscriptions are answered by the gateway; notifications go to a real actor, so they cross too.
        StateManager.Tell(new SubscribeToTasks(TaskId: "w-b"), subscriber.Ref);
        var subscribed = subscriber.ExpectMsg<SubscribedToTasks>();
        Assert.Equal((null, "w-b"), (subscribed.Agent, subscribed.TaskId));

        var registered = Assert.IsType<AgentRegistrationAccepted>(await Ask(new RegisterAgent("agent-w", ["build", "test"])));
        Assert.Equal(["build", "test"], registered.Agent.Capabilities);
        Assert.True(registered.Agent.Registered);

        Assert.Equal(TaskState.Ready, Assert.IsType<TaskDefinitionAccepted>(await Ask(new DefineTask("w-a", "*", "w/a.md", "HIGH"))).Task.Status);
        var defined = Assert.IsType<TaskDefinitionAccepted>(await Ask(
            new DefineTask("w-b", "agent-w", "w/b.md", "LOW", DependsOn: ["w-a"], MaxAttempts: 1, Payload: """{"n":[1,2]}""", By: "planner")));
        Assert.Equal((TaskState.Pending, 1), (defined.Task.Status, defined.Task.MaxAttempts));
        Assert.Equal(["w-a"], defined.Task.DependsOn);

        // The lease goes out as a TimeSpan and comes back in the claim.
        var first = Assert.IsType<TaskAssigned>(await Ask(new ClaimTask("agent-w", TimeSpan.FromSeconds(45.5))));
        Assert.Equal("w-a", first.Task.TaskId);
        Assert.Equal(TimeSpan.FromSeconds(45.5), first.Task.Claim!.LeaseDuration);
        Assert.Equal(first.Task.Claim.ClaimedAt + TimeSpan.FromSeconds(45.5), first.LeaseUntil);

        var renewed = Assert.IsType<LeaseRenewed>(await Ask(new Heartbeat("w-a", "agent-w", first.ClaimId, TimeSpan.FromMinutes(50))));
        Assert.Equal(first.ClaimId, renewed.ClaimId);
        Assert.True(renewed.LeaseUntil > first.LeaseUntil);
        Assert.Equal(TimeSpan.FromMinutes(50), Assert.IsType<TaskFound>(await Ask(new GetTask("w-a"))).Task.Claim!.LeaseDuration);

        var completed = Assert.IsType<TaskUpdated>(await Ask(new CompleteTask("w-a", "agent-w", first.ClaimId, """{"ok":true}""")));
        Assert.Equal(TaskState.Completed, completed.Task.Status);
        Assert.Equal("""{"ok":true}""", Assert.IsType<TaskFound>(await Ask(new GetTask("w-a"))).Result);

        var second = Assert.IsType<TaskAssigned>(await Ask(new ClaimTask("agent-w")));
        Assert.Equal(("w-b", """{"n":[1,2]}"""), (second.Task.TaskId, second.Payload));
        Assert.NotEqual(first.ClaimId, second.ClaimId);

        // Its only attempt fails: DEAD at once, no retry timer in the way.
        var dead = Assert.IsType<TaskUpdated>(await Ask(new FailTask("w-b", "agent-w", second.ClaimId, "flaky")));
        Assert.Equal((TaskState.Dead, "flaky", null), (dead.Task.Status, dead.Task.Reason, dead.Task.RetryAt));
        var stale = Assert.IsType<StaleClaim>(await Ask(new Heartbeat("w-b", "agent-w", second.ClaimId)));
        Assert.Equal((second.ClaimId, TaskState.Dead), (stale.ClaimId, stale.Status));
        Assert.Equal("agent-w", Assert.IsType<NoTaskReady>(await Ask(new ClaimTask("agent-w"))).Agent);

        Assert.Equal(TaskState.Ready, Assert.IsType<TaskUpdated>(await Ask(new RequeueDeadTask("w-b", "ops"))).Task.Status);
        var rejected = Assert.IsType<TransitionRejected>(await Ask(new RequeueDeadTask("w-b", "ops")));
        Assert.Equal((TaskState.Ready, "requeue"), (rejected.Status, rejected.Action));
        var cancelled = Assert.IsType<TaskUpdated>(await Ask(new CancelTask("w-b", "not needed", "ops")));
        Assert.Equal((TaskState.Cancelled, "not needed"), (cancelled.Task.Status, cancelled.Task.Reason));

        var history = Assert.IsType<TaskHistory>(await Ask(new GetTaskHistory("w-b")));
        (string, TaskState?, TaskState, string?)[] expected =
        [
            ("task-defined", null, TaskState.Pending, "planner"),
            ("dependencies-met", TaskState.Pending, TaskState.Ready, "agent-w"),
            ("task-claimed", TaskState.Ready, TaskState.Claimed, "agent-w"),
            ("task-failed", TaskState.Claimed, TaskState.Dead, "agent-w"),
            ("task-requeued", TaskState.Dead, TaskState.Ready, "ops"),
            ("task-cancelled", TaskState.Ready, TaskState.Cancelled, "ops"),
        ];
        Assert.Equal(expected, history.Entries.Select(e => (e.Event, e.From, e.To, e.By)));
        Assert.Equal(ClaimIds.Public(second.ClaimId), history.Entries[3].ClaimId);

        var agents = Assert.IsType<AgentList>(await Ask(new ListAgents()));
        var listed = Assert.Single(agents.Agents);
        Assert.Equal(("agent-w", true, 0), (listed.Agent, listed.Registered, listed.ClaimsHeld));
        Assert.Equal(["build", "test"], listed.Capabilities);

        // The subscriber heard of every transition of w-b, as the history has them, and not of w-a's: the
        // notices were sent before the queries above were answered, so the next message is the unsubscription's reply.
        var notices = Enumerable.Range(0, expected.Length).Select(_ => subscriber.ExpectMsg<TaskTransitioned>()).ToList();
        Assert.All(notices, n => Assert.Equal(("w-b", "agent-w", TaskPriority.Low), (n.TaskId, n.Agent, n.Priority)));
        Assert.Equal(history.Entries, notices.Select(n => n.Entry));

        StateManager.Tell(UnsubscribeFromTasks.All, subscriber.Ref);
        subscriber.ExpectMsg<UnsubscribedFromTasks>();
        Assert.IsType<ShutdownComplete>(await Ask(Protocol.Commands.Shutdown.Instance));
    }
}
