using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Task subscriptions kept by the gateway: filters, unsubscribing, and surviving a restart of the state manager.</summary>
public sealed class SubscriptionSpecs(ITestOutputHelper output) : LifecycleSpec(output, """
    orchestrator.lifecycle.lease = 10s
    orchestrator.subscriptions.max-filters = 3
    """)
{
    private static readonly TimeSpan Absent = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task An_agent_subscription_hears_its_own_tasks_its_own_actions_and_the_end_of_its_claims_on_shared_tasks()
    {
        var agentA = Subscriber(new SubscribeToTasks(Agent: "agent-a"));
        await StateManager.Define("mine", "agent-a");
        await StateManager.Define("shared", "*", "LOW");
        await StateManager.Define("theirs", "agent-b");

        var defined = agentA.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("mine", "task-defined"), (defined.TaskId, defined.Entry.Event));

        var claim = await StateManager.Claim("agent-a");               // "mine" (MEDIUM) before "shared" (LOW)
        var shared = await StateManager.Claim("agent-a");
        Assert.Equal(("mine", "shared"), (claim.Task.TaskId, shared.Task.TaskId));
        Assert.Equal(("mine", "task-claimed"), Of(agentA.ExpectMsg<TaskTransitioned>()));
        Assert.Equal(("shared", "task-claimed"), Of(agentA.ExpectMsg<TaskTransitioned>()));

        // The lease on the shared task runs out: by the orchestrator, but about agent-a's claim.
        await StateManager.Expect<LeaseRenewed>(new Heartbeat("mine", "agent-a", claim.ClaimId, TimeSpan.FromMinutes(5)));
        Time.Advance(TimeSpan.FromSeconds(10));
        var expired = agentA.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("shared", "lease-expired", "orchestrator", "agent-a"), (expired.TaskId, expired.Entry.Event, expired.Entry.By, expired.ClaimAgent));

        // agent-b's task and agent-b's claim of the shared task are not agent-a's business.
        await StateManager.Claim("agent-b");
        await StateManager.Claim("agent-b");
        await StateManager.Barrier();
        agentA.ExpectNoMsg(Absent);
    }

    [Fact]
    public async Task A_task_subscription_hears_only_that_task_and_unsubscribing_removes_one_filter_or_all()
    {
        var watcher = Subscriber(new SubscribeToTasks(TaskId: "t-1"));
        StateManager.Tell(new SubscribeToTasks(Agent: "agent-z"), watcher.Ref);
        watcher.ExpectMsg<SubscribedToTasks>();
        var everything = Subscriber();

        await StateManager.Define("t-2");
        await StateManager.Define("t-1");
        Assert.Equal("t-2", everything.ExpectMsg<TaskTransitioned>().TaskId);
        Assert.Equal("t-1", everything.ExpectMsg<TaskTransitioned>().TaskId);
        Assert.Equal("t-1", watcher.ExpectMsg<TaskTransitioned>().TaskId);

        StateManager.Tell(new UnsubscribeFromTasks(TaskId: "t-1"), watcher.Ref);
        Assert.Equal(1, watcher.ExpectMsg<UnsubscribedFromTasks>().Remaining);
        await StateManager.Expect<TaskUpdated>(new CancelTask("t-1", "changed plans"));
        Assert.Equal(("t-1", "task-cancelled"), Of(everything.ExpectMsg<TaskTransitioned>()));
        watcher.ExpectNoMsg(Absent);

        // The agent-z filter is still there, until everything goes.
        await StateManager.Define("z-1", "agent-z");
        Assert.Equal("z-1", watcher.ExpectMsg<TaskTransitioned>().TaskId);
        StateManager.Tell(UnsubscribeFromTasks.All, watcher.Ref);
        Assert.Equal(0, watcher.ExpectMsg<UnsubscribedFromTasks>().Remaining);
        await StateManager.Define("z-2", "agent-z");
        Assert.Equal("z-2", everything.FishForMessage<TaskTransitioned>(t => t.TaskId == "z-2").TaskId);
        watcher.ExpectNoMsg(Absent);
    }

    [Fact]
    public async Task A_document_subscription_hears_each_save_after_it_is_journaled_and_an_owner_filter_only_that_owners()
    {
        var all = CreateTestProbe();
        StateManager.Tell(new SubscribeToDocuments(), all.Ref);
        all.ExpectMsg<SubscribedToDocuments>();
        var notes = CreateTestProbe();
        StateManager.Tell(new SubscribeToDocuments("agent-a"), notes.Ref);
        Assert.Equal("agent-a", notes.ExpectMsg<SubscribedToDocuments>().OwnerId);
        var tasks = Subscriber();

        var saved = await StateManager.Expect<StateSaved>(new SaveState("agent-a", "notes", """{"step":1}"""));
        await StateManager.Expect<StateSaved>(new SaveState("agent-b", "notes", """{"step":9}"""));
        await StateManager.Define("t-1");

        var heard = all.ExpectMsg<StateChanged>();
        Assert.Equal(("agent-a", "notes", saved.Version), (heard.OwnerId, heard.Key, heard.Version));
        Assert.Equal("agent-b", all.ExpectMsg<StateChanged>().OwnerId);
        Assert.Equal("agent-a", notes.ExpectMsg<StateChanged>().OwnerId);
        notes.ExpectNoMsg(Absent);
        // A task filter hears no saves, a document filter no transitions.
        Assert.Equal("t-1", tasks.ExpectMsg<TaskTransitioned>().TaskId);
        all.ExpectNoMsg(Absent);

        StateManager.Tell(UnsubscribeFromTasks.All, all.Ref);
        Assert.Equal(0, all.ExpectMsg<UnsubscribedFromTasks>().Remaining);
        await StateManager.Expect<StateSaved>(new SaveState("agent-a", "notes", """{"step":2}"""));
        Assert.Equal(2, notes.ExpectMsg<StateChanged>().Version);
        all.ExpectNoMsg(Absent);

        StateManager.Tell(new SubscribeToDocuments("bad owner!"), all.Ref);
        Assert.Equal("ownerId", all.ExpectMsg<CommandRejected>().Field);
    }

    [Fact]
    public void A_subscriber_holds_at_most_the_configured_filters_and_an_identical_one_counts_once()
    {
        var probe = CreateTestProbe();
        foreach (var taskId in new[] { "a", "b", "c", "c" })
        {
            StateManager.Tell(new SubscribeToTasks(TaskId: taskId), probe.Ref);
            probe.ExpectMsg<SubscribedToTasks>();
        }

        StateManager.Tell(new SubscribeToTasks(TaskId: "d"), probe.Ref);

        var rejected = probe.ExpectMsg<CommandRejected>();
        Assert.Equal(("subscription", "d"), (rejected.Field, rejected.Value));
        Assert.Contains("3 filters", rejected.Reason);
    }

    [Theory]
    [InlineData("orchestrator")]
    [InlineData("operator")]
    public void A_filter_on_a_reserved_cause_name_is_rejected(string name)
    {
        var probe = CreateTestProbe();
        StateManager.Tell(new SubscribeToTasks(Agent: name), probe.Ref);

        Assert.Equal(("agent", name), (probe.ExpectMsg<CommandRejected>() is var r ? (r.Field, r.Value) : default));
    }

    [Fact]
    public void A_filter_with_a_bad_id_is_rejected_naming_it()
    {
        var probe = CreateTestProbe();
        StateManager.Tell(new SubscribeToTasks(TaskId: "no spaces"), probe.Ref);

        var rejected = probe.ExpectMsg<CommandRejected>();
        Assert.Equal(("taskId", "no spaces"), (rejected.Field, rejected.Value));
    }

    [Fact]
    public async Task Subscriptions_outlive_a_restart_of_the_state_manager()
    {
        var everything = Subscriber();
        await StateManager.Define("before");
        Assert.Equal("before", everything.ExpectMsg<TaskTransitioned>().TaskId);

        Time.Clock.FailNextRead();
        await StateManager.Expect<OrchestratorUnavailable>(new DefineTask("boom", "*", "tasks/boom.md"));
        // The supervisor restarts it after its backoff, on the spec's scheduler; the restart is
        // scheduled once the supervisor has seen the stop, so time moves on until it has happened.
        var after = StateManager.Define("after");
        await AwaitAssertAsync(() =>
        {
            Time.Advance(Settings.MinBackoff);
            Assert.True(after.IsCompletedSuccessfully, "the state manager has not been restarted yet");
        });

        var notice = everything.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("after", "task-defined"), Of(notice));
    }

    private static (string, string) Of(TaskTransitioned t) => (t.TaskId, t.Entry.Event);
}
