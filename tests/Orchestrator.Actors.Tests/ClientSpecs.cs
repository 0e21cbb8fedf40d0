using Orchestrator.Actors.Domain;
using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// The typed client against a node on a fresh SQLite file. Every scenario runs twice: over an
/// in-process <see cref="IActorRef"/> (<see cref="InProcessClientSpecs"/>) and from another
/// ActorSystem over loopback remoting (<see cref="RemoteClientSpecs"/>).
/// </summary>
public abstract class ClientSpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 15s"), output: output), IAsyncLifetime
{
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();

    protected OrchestratorNode Node { get; private set; } = null!;

    protected OrchestratorClient Client { get; private set; } = null!;

    /// <summary>The ActorSystem the client lives in: subscribers are created there.</summary>
    protected ActorSystem ClientSystem { get; private set; } = null!;

    /// <summary>A client of <paramref name="node"/> and the ActorSystem it lives in.</summary>
    protected abstract Task<(OrchestratorClient Client, ActorSystem System)> ConnectAsync(OrchestratorNode node);

    /// <summary>Stops what <see cref="ConnectAsync"/> started.</summary>
    protected abstract Task DisconnectAsync();

    public async Task InitializeAsync()
    {
        Node = OrchestratorNode.Start(TestConfigs.Sqlite(_dataDirectory));
        (Client, ClientSystem) = await ConnectAsync(Node);
    }

    public async Task DisposeAsync()
    {
        await DisconnectAsync();
        await Node.StopAsync();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }

    private Task<TaskDefinitionAccepted> Define(string id, string agent = "*", int? maxAttempts = null, IReadOnlyList<string>? dependsOn = null,
        string? payload = null) =>
        Client.DefineTaskAsync(new DefineTask(id, agent, $"tasks/{id}.md", "HIGH", dependsOn, maxAttempts, payload, "planner"));

    [Fact]
    public async Task Define_answers_a_new_task_then_an_identical_repeat_as_already_defined_and_a_different_one_as_a_conflict_naming_the_id()
    {
        var first = await Define("c-1", payload: """{"n":1}""");
        Assert.False(first.AlreadyDefined);
        Assert.Equal(("c-1", TaskState.Ready, TaskPriority.High), (first.Task.TaskId, first.Task.Status, first.Task.Priority));

        var repeat = await Define("c-1", payload: """{"n":1}""");
        Assert.True(repeat.AlreadyDefined);
        Assert.Equal(first.Task, repeat.Task);

        var conflict = await Assert.ThrowsAsync<OrchestratorConflictException>(() =>
            Client.DefineTaskAsync(new DefineTask("c-1", "*", "tasks/other.md")));
        Assert.Contains("'c-1'", conflict.Message);
        var reply = Assert.IsType<TaskDefinitionConflict>(conflict.Reply);
        Assert.Equal(("c-1", "tasks/c-1.md"), (reply.TaskId, reply.Existing.TaskFile));

        // The conflict wrote nothing: one event, the first definition.
        Assert.Equal(1, (await Client.GetStatsAsync()).EventsJournaled);
    }

    [Fact]
    public async Task A_batch_answers_each_definition_in_order_with_conflicts_and_invalid_ones_as_results_not_exceptions()
    {
        await Define("batch-0");

        var defined = await Client.DefineTasksAsync(new DefineTasks(
        [
            new DefineTask("batch-1", "*", "tasks/batch-1.md"),
            new DefineTask("batch-0", "*", "tasks/batch-0.md", "HIGH", By: "planner"),
            new DefineTask("batch-0", "*", "tasks/elsewhere.md"),
            new DefineTask("batch 3", "*", "tasks/batch-3.md"),
            new DefineTask("batch-4", "coder", "tasks/batch-4.md", DependsOn: ["batch-1"]),
        ]));

        Assert.Equal(
            [DefinitionOutcome.Created, DefinitionOutcome.Unchanged, DefinitionOutcome.Conflict, DefinitionOutcome.Invalid, DefinitionOutcome.Created],
            defined.Results.Select(r => r.Outcome));
        Assert.Equal("tasks/batch-0.md", defined.Results[2].Existing!.TaskFile);
        Assert.Equal(("taskId", "batch 3"), (defined.Results[3].Error!.Field, defined.Results[3].Error!.Value));
        Assert.Equal(TaskState.Pending, defined.Results[4].Task!.Status);
        // Three events: batch-0's own definition and the batch's two new tasks.
        Assert.Equal(3, (await Client.GetStatsAsync()).EventsJournaled);

        var empty = await Assert.ThrowsAsync<OrchestratorRejectedException>(() => Client.DefineTasksAsync(new DefineTasks([])));
        Assert.Equal(("tasks", "0 definitions"), (empty.Rejection.Field, empty.Rejection.Value));
    }

    [Fact]
    public async Task Invalid_input_is_rejected_naming_the_field_and_the_value()
    {
        var badId = await Assert.ThrowsAsync<OrchestratorRejectedException>(() =>
            Client.DefineTaskAsync(new DefineTask("bad id", "*", "tasks/x.md")));
        Assert.Equal(("taskId", "bad id"), (badId.Rejection.Field, badId.Rejection.Value));
        Assert.Contains("'bad id'", badId.Message);
        Assert.Same(badId.Rejection, badId.Reply);

        var badJson = await Assert.ThrowsAsync<OrchestratorRejectedException>(() =>
            Client.SaveStateAsync(new SaveState("owner", "key", "{not json")));
        Assert.Equal(("json", "{not json"), (badJson.Rejection.Field, badJson.Rejection.Value));

        var badLimit = await Assert.ThrowsAsync<OrchestratorRejectedException>(() => Client.ListTasksAsync(new ListTasks(Limit: 0)));
        Assert.Equal(("limit", "0"), (badLimit.Rejection.Field, badLimit.Rejection.Value));

        var badAgent = await Assert.ThrowsAsync<OrchestratorRejectedException>(() => Client.ClaimTaskAsync(new ClaimTask("*")));
        Assert.Equal(("agent", "*"), (badAgent.Rejection.Field, badAgent.Rejection.Value));

        Assert.Equal(0, (await Client.GetStatsAsync()).EventsJournaled);
    }

    [Fact]
    public async Task Tasks_their_history_the_listing_the_stats_and_the_agents_can_be_read()
    {
        await Define("q-a", payload: """{"input":"a"}""");
        await Define("q-b", agent: "agent-q", dependsOn: ["q-a"]);
        var registered = await Client.RegisterAgentAsync(new RegisterAgent("agent-q", ["build"]));
        Assert.Equal(("agent-q", true), (registered.Agent.Agent, registered.Agent.Registered));

        var found = await Client.GetTaskAsync("q-a");
        Assert.Equal(("q-a", TaskState.Ready, """{"input":"a"}"""), (found.Task.TaskId, found.Task.Status, found.Payload));
        var missing = await Assert.ThrowsAsync<OrchestratorNotFoundException>(() => Client.GetTaskAsync("q-missing"));
        Assert.Equal("q-missing", Assert.IsType<TaskNotFound>(missing.Reply).TaskId);
        Assert.Contains("'q-missing'", missing.Message);

        var pending = await Client.ListTasksAsync(new ListTasks(Status: "pending"));
        Assert.Equal((1, "q-b"), (pending.Total, Assert.Single(pending.Tasks).TaskId));
        var all = await Client.ListTasksAsync(new ListTasks(Limit: 1));
        Assert.Equal((2, 1), (all.Total, all.Limit));
        Assert.Equal("q-a", Assert.Single(all.Tasks).TaskId);

        var stats = await Client.GetStatsAsync();
        Assert.Equal((2, 1, 1, 1, 3L), (stats.Tasks, stats.ByStatus["READY"], stats.ByStatus["PENDING"], stats.Agents, stats.EventsJournaled));

        var history = await Client.GetTaskHistoryAsync("q-b");
        var defined = Assert.Single(history.Entries);
        Assert.Equal(("task-defined", TaskState.Pending, "planner"), (defined.Event, defined.To, defined.By));
        await Assert.ThrowsAsync<OrchestratorNotFoundException>(() => Client.GetTaskHistoryAsync("q-missing"));

        var agent = Assert.Single((await Client.ListAgentsAsync()).Agents);
        Assert.Equal(("agent-q", true, 0), (agent.Agent, agent.Registered, agent.ClaimsHeld));
        Assert.Equal(["build"], agent.Capabilities);
    }

    [Fact]
    public async Task A_claim_assigns_the_ready_task_and_a_heartbeat_renews_its_lease_then_a_claim_finds_nothing()
    {
        await Define("l-1", payload: """{"go":true}""");

        var assigned = await Client.ClaimTaskAsync(new ClaimTask("agent-l", TimeSpan.FromSeconds(30)));
        Assert.NotNull(assigned);
        Assert.Equal(("l-1", TaskState.Claimed, """{"go":true}"""), (assigned.Task.TaskId, assigned.Task.Status, assigned.Payload));
        Assert.Equal(ClaimIds.Public(assigned.ClaimId), assigned.Task.Claim!.ClaimId);

        var renewed = await Client.HeartbeatAsync(new Heartbeat("l-1", "agent-l", assigned.ClaimId, TimeSpan.FromMinutes(5)));
        Assert.Equal(("l-1", assigned.ClaimId), (renewed.TaskId, renewed.ClaimId));
        Assert.True(renewed.LeaseUntil > assigned.LeaseUntil);

        Assert.Null(await Client.ClaimTaskAsync(new ClaimTask("agent-l")));
        Assert.Equal(1, (await Client.ListAgentsAsync()).Agents.Single().ClaimsHeld);
    }

    [Fact]
    public async Task Complete_fail_and_requeue_move_the_task_and_a_complete_with_a_stale_claim_is_a_conflict()
    {
        await Define("f-1", maxAttempts: 1);
        var first = (await Client.ClaimTaskAsync(new ClaimTask("agent-f")))!;

        // Its only attempt fails: DEAD at once.
        var dead = await Client.FailTaskAsync(new FailTask("f-1", "agent-f", first.ClaimId, "disk full"));
        Assert.Equal((TaskState.Dead, "disk full"), (dead.Task.Status, dead.Task.Reason));

        var stale = await Assert.ThrowsAsync<OrchestratorConflictException>(() =>
            Client.CompleteTaskAsync(new CompleteTask("f-1", "agent-f", first.ClaimId)));
        var staleClaim = Assert.IsType<StaleClaim>(stale.Reply);
        Assert.Equal((first.ClaimId, TaskState.Dead), (staleClaim.ClaimId, staleClaim.Status));
        Assert.Contains($"'{first.ClaimId}'", stale.Message);

        var requeued = await Client.RequeueDeadTaskAsync(new RequeueDeadTask("f-1", "ops"));
        Assert.Equal((TaskState.Ready, 0), (requeued.Task.Status, requeued.Task.Attempts));
        var again = await Assert.ThrowsAsync<OrchestratorConflictException>(() => Client.RequeueDeadTaskAsync(new RequeueDeadTask("f-1", "ops")));
        var notDead = Assert.IsType<TransitionRejected>(again.Reply);
        Assert.Equal((TaskState.Ready, "requeue"), (notDead.Status, notDead.Action));

        var second = (await Client.ClaimTaskAsync(new ClaimTask("agent-f")))!;
        Assert.NotEqual(first.ClaimId, second.ClaimId);
        // The first claim is over, even though the same agent holds the task again.
        await Assert.ThrowsAsync<OrchestratorConflictException>(() =>
            Client.CompleteTaskAsync(new CompleteTask("f-1", "agent-f", first.ClaimId, """{"from":"first"}""")));

        var completed = await Client.CompleteTaskAsync(new CompleteTask("f-1", "agent-f", second.ClaimId, """{"ok":true}"""));
        Assert.Equal(TaskState.Completed, completed.Task.Status);
        Assert.Equal("""{"ok":true}""", (await Client.GetTaskAsync("f-1")).Result);
        // Repeating the completion with the same claim answers the same.
        Assert.Equal(completed.Task, (await Client.CompleteTaskAsync(new CompleteTask("f-1", "agent-f", second.ClaimId, """{"ok":true}"""))).Task);

        Assert.Equal(["task-defined", "task-claimed", "task-failed", "task-requeued", "task-claimed", "task-completed"],
            (await Client.GetTaskHistoryAsync("f-1")).Entries.Select(e => e.Event));
    }

    [Fact]
    public async Task Cancel_ends_a_task_a_repeat_answers_the_same_and_cancelling_a_completed_task_is_a_conflict()
    {
        await Define("x-1");
        var cancelled = await Client.CancelTaskAsync(new CancelTask("x-1", "not needed", "ops"));
        Assert.Equal((TaskState.Cancelled, "not needed"), (cancelled.Task.Status, cancelled.Task.Reason));
        Assert.Equal(cancelled.Task, (await Client.CancelTaskAsync(new CancelTask("x-1", "again"))).Task);
        Assert.Null(await Client.ClaimTaskAsync(new ClaimTask("agent-x")));

        await Define("x-2");
        var claim = (await Client.ClaimTaskAsync(new ClaimTask("agent-x")))!;
        await Client.CompleteTaskAsync(new CompleteTask("x-2", "agent-x", claim.ClaimId));
        var conflict = await Assert.ThrowsAsync<OrchestratorConflictException>(() => Client.CancelTaskAsync(new CancelTask("x-2", "too late")));
        var rejected = Assert.IsType<TransitionRejected>(conflict.Reply);
        Assert.Equal((TaskState.Completed, "cancel"), (rejected.Status, rejected.Action));
        Assert.Contains("'x-2'", conflict.Message);

        await Assert.ThrowsAsync<OrchestratorNotFoundException>(() => Client.CancelTaskAsync(new CancelTask("x-missing", "no such task")));
    }

    [Fact]
    public async Task Save_state_counts_versions_and_a_save_expecting_an_old_version_is_a_conflict()
    {
        Assert.Equal(1, (await Client.SaveStateAsync(new SaveState("owner-s", "doc", """{"v":1}""", ExpectedVersion: 0))).Version);
        Assert.Equal(2, (await Client.SaveStateAsync(new SaveState("owner-s", "doc", """{"v":2}""", ExpectedVersion: 1))).Version);

        var conflict = await Assert.ThrowsAsync<OrchestratorConflictException>(() =>
            Client.SaveStateAsync(new SaveState("owner-s", "doc", """{"v":"lost"}""", ExpectedVersion: 1)));
        var reply = Assert.IsType<StateVersionConflict>(conflict.Reply);
        Assert.Equal((1L, 2L), (reply.ExpectedVersion, reply.CurrentVersion));
        Assert.Contains("'owner-s/doc'", conflict.Message);

        var document = await Client.GetStateAsync("owner-s", "doc");
        Assert.Equal(("""{"v":2}""", 2L), (document.Json, document.Version));
    }

    [Fact]
    public async Task Reading_a_document_that_was_never_saved_is_not_found()
    {
        var missing = await Assert.ThrowsAsync<OrchestratorNotFoundException>(() => Client.GetStateAsync("owner-m", "nothing"));
        var notFound = Assert.IsType<StateNotFound>(missing.Reply);
        Assert.Equal(("owner-m", "nothing"), (notFound.OwnerId, notFound.Key));
        Assert.Contains("'owner-m/nothing'", missing.Message);
    }

    [Fact]
    public async Task A_subscriber_in_the_clients_ActorSystem_hears_of_a_definition_made_by_the_client()
    {
        var subscriber = CreateTestProbe(ClientSystem);
        Client.Subscribe(subscriber.Ref, new SubscribeToTasks(TaskId: "s-1"));
        subscriber.ExpectMsg<SubscribedToTasks>(s => Assert.Equal("s-1", s.TaskId));

        await Define("s-2");
        await Define("s-1");

        // Only s-1's definition: s-2 does not match the filter.
        var notice = subscriber.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("s-1", TaskPriority.High), (notice.TaskId, notice.Priority));
        Assert.Equal(("task-defined", TaskState.Ready, "planner"), (notice.Entry.Event, notice.Entry.To, notice.Entry.By));

        Client.Unsubscribe(subscriber.Ref);
        subscriber.ExpectMsg<UnsubscribedFromTasks>(u => Assert.Equal(0, u.Remaining));
        Client.Subscribe(subscriber.Ref, new SubscribeToTasks(TaskId: "s-3"));
        subscriber.ExpectMsg<SubscribedToTasks>(s => Assert.Equal("s-3", s.TaskId));
        await Client.CancelTaskAsync(new CancelTask("s-1", "done with it"));
        await Define("s-3");

        // Notices reach a subscriber in journal order: s-1's cancellation would have come first.
        var next = subscriber.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("s-3", "task-defined"), (next.TaskId, next.Entry.Event));
    }
}

/// <summary>The client scenarios over the node's own <see cref="IActorRef"/>, in its ActorSystem.</summary>
public sealed class InProcessClientSpecs(ITestOutputHelper output) : ClientSpecs(output)
{
    protected override Task<(OrchestratorClient Client, ActorSystem System)> ConnectAsync(OrchestratorNode node) =>
        Task.FromResult((new OrchestratorClient(node.StateManager), node.System));

    protected override Task DisconnectAsync() => Task.CompletedTask;
}

/// <summary>The client scenarios from a separate ActorSystem over loopback remoting.</summary>
public sealed class RemoteClientSpecs(ITestOutputHelper output) : ClientSpecs(output)
{
    private ActorSystem? _clientSystem;

    protected override async Task<(OrchestratorClient Client, ActorSystem System)> ConnectAsync(OrchestratorNode node)
    {
        _clientSystem = OrchestratorClient.CreateSystem();
        var client = await OrchestratorClient.ConnectAsync(_clientSystem, $"127.0.0.1:{node.Address.Port}");
        return (client, _clientSystem);
    }

    protected override async Task DisconnectAsync()
    {
        if (_clientSystem is not null) await _clientSystem.Terminate();
    }

    [Fact]
    public void The_client_holds_a_remote_reference_to_the_nodes_state_manager()
    {
        Assert.Equal($"127.0.0.1:{Node.Address.Port}", Client.Address);
        Assert.False(Client.StateManager.Path.Address.HasLocalScope);
        Assert.Equal(Node.StateManagerAddress, Client.StateManager.Path.ToString());
    }
}
