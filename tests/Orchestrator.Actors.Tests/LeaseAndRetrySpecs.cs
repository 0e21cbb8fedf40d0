using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>Leases and retries on the real actor and journal, with time moved by the spec (TestScheduler).</summary>
public sealed class LeaseAndRetrySpecs(ITestOutputHelper output) : LifecycleSpec(output, """
    orchestrator.lifecycle {
      lease = 30s
      retry { base = 1s, cap = 4s, jitter = 0 }
    }
    """)
{
    [Fact]
    public async Task An_agent_that_stops_heartbeating_loses_the_task_and_its_late_completion_is_stale()
    {
        var transitions = Subscriber(new SubscribeToTasks(TaskId: "report"));
        await StateManager.Define("report");
        transitions.ExpectMsg<TaskTransitioned>(t => t.Entry.Event == "task-defined");

        var first = await StateManager.Claim("agent-a");
        Assert.Equal(Time.Now + TimeSpan.FromSeconds(30), first.LeaseUntil);
        transitions.ExpectMsg<TaskTransitioned>(t => t.Entry.Event == "task-claimed" && t.Entry.By == "agent-a");

        // A heartbeat at +20 s moves the lease end to +50 s.
        Time.Advance(TimeSpan.FromSeconds(20));
        var renewed = await StateManager.Expect<LeaseRenewed>(new Heartbeat("report", "agent-a", first.ClaimId));
        Assert.Equal(ManualTime.Start + TimeSpan.FromSeconds(50), renewed.LeaseUntil);

        // Just before the lease end nothing happens...
        Time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        await StateManager.Barrier();
        Assert.Equal(TaskState.Claimed, (await StateManager.View("report")).Status);

        // ...at the lease end the task is READY again, the attempt counted.
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var expired = transitions.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("lease-expired", TaskState.Claimed, TaskState.Ready, "orchestrator", ClaimIds.Public(first.ClaimId)),
            (expired.Entry.Event, expired.Entry.From, expired.Entry.To, expired.Entry.By, expired.Entry.ClaimId));
        Assert.Equal(ManualTime.Start + TimeSpan.FromSeconds(50), expired.Entry.At);

        var second = await StateManager.Claim("agent-b");
        Assert.Equal("report", second.Task.TaskId);
        Assert.Equal(2, second.Task.Attempts);
        Assert.NotEqual(first.ClaimId, second.ClaimId);

        var late = await StateManager.Expect<StaleClaim>(new CompleteTask("report", "agent-a", first.ClaimId, """{"late":true}"""));
        Assert.Equal(TaskState.Claimed, late.Status);
        Assert.Contains(first.ClaimId, late.Reason);
        var lateHeartbeat = await StateManager.Expect<StaleClaim>(new Heartbeat("report", "agent-a", first.ClaimId));
        Assert.Equal(TaskState.Claimed, lateHeartbeat.Status);

        var done = await StateManager.Expect<TaskUpdated>(new CompleteTask("report", "agent-b", second.ClaimId, """{"ok":true}"""));
        Assert.Equal(TaskState.Completed, done.Task.Status);
        var found = await StateManager.Expect<TaskFound>(new GetTask("report"));
        Assert.Equal("""{"ok":true}""", found.Result);

        var history = await StateManager.Expect<TaskHistory>(new GetTaskHistory("report"));
        Assert.Equal(["task-defined", "task-claimed", "lease-expired", "task-claimed", "task-completed"],
            history.Entries.Select(e => e.Event));
        Assert.Single(history.Entries, e => e.Event == "task-completed");
    }

    [Fact]
    public async Task A_failing_task_is_retried_on_the_backoff_schedule_until_dead_then_requeued()
    {
        var transitions = Subscriber(new SubscribeToTasks(TaskId: "flaky"));
        await StateManager.Define("flaky", maxAttempts: 4);
        transitions.ExpectMsg<TaskTransitioned>(t => t.Entry.Event == "task-defined");

        // base 1 s doubling, capped at 4 s: the waits after failures 1, 2, 3 are 1 s, 2 s, 4 s.
        TimeSpan[] expectedWaits = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];
        foreach (var wait in expectedWaits)
        {
            var claim = await StateManager.Claim("worker");
            transitions.ExpectMsg<TaskTransitioned>(t => t.Entry.Event == "task-claimed");
            var failed = await StateManager.Expect<TaskUpdated>(new FailTask("flaky", "worker", claim.ClaimId, "tool crashed"));
            Assert.Equal(TaskState.Failed, failed.Task.Status);
            Assert.Equal(Time.Now + wait, failed.Task.RetryAt);
            transitions.ExpectMsg<TaskTransitioned>(t => t.Entry.Event == "task-failed" && t.Entry.To == TaskState.Failed);

            // Not READY a millisecond early: nothing to claim.
            Time.Advance(wait - TimeSpan.FromMilliseconds(1));
            await StateManager.Barrier();
            await StateManager.Expect<NoTaskReady>(new ClaimTask("worker"));

            Time.Advance(TimeSpan.FromMilliseconds(1));
            var due = transitions.ExpectMsg<TaskTransitioned>();
            Assert.Equal(("retry-due", TaskState.Failed, TaskState.Ready), (due.Entry.Event, due.Entry.From, due.Entry.To));
        }

        var last = await StateManager.Claim("worker");
        Assert.Equal(4, last.Task.Attempts);
        var dead = await StateManager.Expect<TaskUpdated>(new FailTask("flaky", "worker", last.ClaimId, "tool crashed again"));
        Assert.Equal(TaskState.Dead, dead.Task.Status);
        Assert.Null(dead.Task.RetryAt);
        await StateManager.Barrier();
        await StateManager.Expect<NoTaskReady>(new ClaimTask("worker"));
        var stats = await StateManager.Expect<StatsReport>(GetStats.Instance);
        Assert.Equal(1, stats.ByStatus["DEAD"]);

        var requeued = await StateManager.Expect<TaskUpdated>(new RequeueDeadTask("flaky", "ops"));
        Assert.Equal((TaskState.Ready, 0), (requeued.Task.Status, requeued.Task.Attempts));
        var again = await StateManager.Claim("worker");
        Assert.Equal(1, again.Task.Attempts);
    }

    [Fact]
    public async Task A_task_out_of_attempts_dies_when_its_last_lease_expires_and_takes_its_dependants_with_it()
    {
        await StateManager.Define("build", maxAttempts: 1);
        await StateManager.Define("deploy", dependsOn: ["build"]);
        var transitions = Subscriber(new SubscribeToTasks());
        await StateManager.Claim("agent-a", TimeSpan.FromSeconds(5));

        Time.Advance(TimeSpan.FromSeconds(5));

        transitions.ExpectMsg<TaskTransitioned>(t => t.TaskId == "build" && t.Entry.Event == "task-claimed");
        var expired = transitions.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("build", "lease-expired", TaskState.Dead), (expired.TaskId, expired.Entry.Event, expired.Entry.To));
        var killed = transitions.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("deploy", "task-killed", TaskState.Dead), (killed.TaskId, killed.Entry.Event, killed.Entry.To));
        Assert.Contains("'build'", killed.Entry.Detail);
    }
}
