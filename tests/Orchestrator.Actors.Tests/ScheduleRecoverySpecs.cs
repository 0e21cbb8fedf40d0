using Akka.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Issue 17: scheduled tasks, tasks waiting for input and claim limits survive a crash. Times are
/// deadlines in the journal: one that passed while the node was down is acted on at once after
/// recovery, one still ahead falls due on time, on the TestKit scheduler and a manual clock (no sleeps).
/// </summary>
public sealed class ScheduleRecoverySpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();
    private readonly ManualClock _clock = new(ManualTime.Start);

    // A snapshot every 2 events: the times come back through a snapshot and the events after it.
    private Config NodeConfig() => TestConfigs.Sqlite(_dataDirectory, ManualTime.SchedulerConfig + """

        orchestrator.snapshots { every = 2, every-fraction-of-tasks = 0 }
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """);

    // The node down for a while, then a new one on the same journal, with a subscriber to every
    // transition; answered a query, so recovered, with its timer armed.
    private async Task<(OrchestratorNode Node, ManualTime Time, Akka.TestKit.TestProbe Transitions)> RecoverAfterAsync(TimeSpan down)
    {
        _clock.Advance(down);
        var node = OrchestratorNode.Start(NodeConfig(), "second", _clock);
        var transitions = CreateTestProbe();
        node.StateManager.Tell(new SubscribeToTasks(), transitions.Ref);
        transitions.ExpectMsg<SubscribedToTasks>();
        await node.StateManager.Barrier();
        return (node, new ManualTime(_clock, node.System), transitions);
    }

    // A first node on the journal does the work given, then is killed (no shutdown message).
    private async Task BeforeTheKillAsync(Func<OrchestratorNode, Task> work)
    {
        var first = OrchestratorNode.Start(NodeConfig(), "first", _clock);
        try
        {
            await work(first);
        }
        finally
        {
            await first.System.Terminate();
        }
    }

    [Fact]
    public async Task A_time_that_passed_while_the_node_was_down_is_acted_on_at_recovery_and_one_ahead_falls_due_on_time()
    {
        var start = ManualTime.Start;
        await BeforeTheKillAsync(async first =>
        {
            var sm = first.StateManager;
            await sm.Expect<TaskDefinitionAccepted>(new DefineTask("soon", "*", "tasks/soon.md", NotBefore: start + TimeSpan.FromSeconds(10)));
            await sm.Expect<TaskDefinitionAccepted>(new DefineTask("later", "*", "tasks/later.md", NotBefore: start + TimeSpan.FromMinutes(1)));
            await sm.Define("plain", "*");
            Assert.Equal(TaskState.Pending, (await sm.View("soon")).Status);
        });

        // Down for 30 s: soon's time (+10 s) passes meanwhile; later's (+1 min) does not.
        var (second, time, transitions) = await RecoverAfterAsync(TimeSpan.FromSeconds(30));
        await using var _ = second;
        var sm2 = second.StateManager;

        time.RunDueTimers();
        var due = transitions.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("soon", "task-due", TaskState.Ready, start + TimeSpan.FromSeconds(30)), (due.TaskId, due.Entry.Event, due.Entry.To, due.Entry.At));
        Assert.Equal(TaskState.Ready, (await sm2.View("soon")).Status);

        time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        await sm2.Barrier();
        Assert.Equal(TaskState.Pending, (await sm2.View("later")).Status);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var later = transitions.ExpectMsg<TaskTransitioned>(t => t.TaskId == "later");
        Assert.Equal(("task-due", start + TimeSpan.FromMinutes(1)), (later.Entry.Event, later.Entry.At));
    }

    [Fact]
    public async Task A_waiting_task_and_the_claim_limits_come_back_and_the_answers_deadline_fires_on_time()
    {
        var start = ManualTime.Start;
        await BeforeTheKillAsync(async first =>
        {
            var sm = first.StateManager;
            await sm.Expect<TaskDefinitionAccepted>(new DefineTask("ask", "asker", "tasks/ask.md", MaxAttempts: 2, Tags: ["tenant=a"]));
            await sm.Expect<TaskDefinitionAccepted>(new DefineTask("other", "asker", "tasks/other.md", Tags: ["tenant=a"]));
            var claim = await sm.Claim("asker");
            Assert.Equal("ask", claim.Task.TaskId);
            await sm.Expect<TaskUpdated>(new RequestInput("ask", "asker", claim.ClaimId, "Which region?", TimeSpan.FromMinutes(5)));
            await sm.Expect<ClaimLimitsSet>(new SetClaimLimits(MaxClaimsPerTag: new Dictionary<string, int> { ["tenant=a"] = 0 }));
        });

        var (second, time, transitions) = await RecoverAfterAsync(TimeSpan.FromMinutes(1));
        await using var _ = second;
        var sm2 = second.StateManager;

        // The question and the limits are back: the READY task of tenant=a is held back
        var waiting = await sm2.View("ask");
        Assert.Equal((TaskState.Waiting, "Which region?", start + TimeSpan.FromMinutes(5)), (waiting.Status, waiting.Question, waiting.AnswerBy));
        Assert.Equal(0, (await sm2.Expect<StatsReport>(Protocol.Queries.GetStats.Instance)).ClaimLimits!.MaxClaimsPerTag["tenant=a"]);
        Assert.StartsWith("tag 'tenant=a' holds 0 claims", (await sm2.Expect<NoTaskReady>(new ClaimTask("asker"))).Limited);

        // No answer by +5 min: the attempt fails on time, and a retry is set
        time.Advance(TimeSpan.FromMinutes(4) - TimeSpan.FromMilliseconds(1));
        await sm2.Barrier();
        Assert.Equal(TaskState.Waiting, (await sm2.View("ask")).Status);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var timedOut = transitions.ExpectMsg<TaskTransitioned>(t => t.TaskId == "ask");
        Assert.Equal(("input-timed-out", TaskState.Failed, start + TimeSpan.FromMinutes(5)), (timedOut.Entry.Event, timedOut.Entry.To, timedOut.Entry.At));
    }

    [Fact]
    public async Task A_rate_limits_spacing_survives_a_kill_the_claim_after_recovery_waits_out_the_rest_of_it()
    {
        var start = ManualTime.Start;
        await BeforeTheKillAsync(async first =>
        {
            var sm = first.StateManager;
            await sm.Expect<TaskDefinitionAccepted>(new DefineTask("r-1", "*", "tasks/r.md", Tags: ["model=slow"]));
            await sm.Expect<TaskDefinitionAccepted>(new DefineTask("r-2", "*", "tasks/r.md", Tags: ["model=slow"]));
            // One claim a minute
            await sm.Expect<ClaimLimitsSet>(new SetClaimLimits(MaxClaimsPerSecondPerTag: new Dictionary<string, double> { ["model=slow"] = 1.0 / 60 }));
            Assert.Equal("r-1", (await sm.Claim("worker")).Task.TaskId);
        });

        // Down for 20 s: the minute's spacing runs from the journaled claim, not from the recovery
        var (second, time, _) = await RecoverAfterAsync(TimeSpan.FromSeconds(20));
        await using var _ = second;
        var sm2 = second.StateManager;
        var held = await sm2.Expect<NoTaskReady>(new ClaimTask("worker"));
        Assert.Equal(start + TimeSpan.FromMinutes(1), held.LimitedUntil);
        time.Advance(TimeSpan.FromSeconds(40) - TimeSpan.FromMilliseconds(1));
        await sm2.Expect<NoTaskReady>(new ClaimTask("worker"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("r-2", (await sm2.Claim("worker")).Task.TaskId);
    }

    [Fact]
    public async Task A_recurring_schedule_catches_up_the_occurrences_missed_while_down_and_goes_on_on_time()
    {
        var start = ManualTime.Start;
        var minute = TimeSpan.FromMinutes(1);
        await BeforeTheKillAsync(async first =>
        {
            var sm = first.StateManager;
            var accepted = await sm.Expect<ScheduleAccepted>(new DefineSchedule("tick", "*", "tasks/tick.md", Every: minute, CatchUp: "all"));
            Assert.Equal(start + minute, accepted.Schedule.NextAt);
            var time = new ManualTime(_clock, first.System);
            time.Advance(minute);
            await sm.Barrier();
            Assert.Equal(TaskState.Ready, (await sm.View(Domain.OrchestratorDomain.OccurrenceId("tick", start + minute))).Status);
        });

        // Down from +1 min to +3.5 min: the occurrences at +2 and +3 are missed, and caught up (all) at recovery.
        var (second, time2, transitions) = await RecoverAfterAsync(TimeSpan.FromSeconds(150));
        await using var _ = second;
        var sm2 = second.StateManager;
        time2.RunDueTimers();
        foreach (var at in new[] { start + 2 * minute, start + 3 * minute })
        {
            var defined = transitions.ExpectMsg<TaskTransitioned>();
            Assert.Equal((Domain.OrchestratorDomain.OccurrenceId("tick", at), "task-defined"), (defined.TaskId, defined.Entry.Event));
        }
        var schedule = Assert.Single((await sm2.Expect<ScheduleList>(new Protocol.Queries.ListSchedules())).Schedules);
        Assert.Equal((3, 0, start + 4 * minute), (schedule.Occurrences, schedule.Missed, schedule.NextAt));

        // The next one falls due on time.
        time2.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        await sm2.Barrier();
        transitions.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        time2.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Domain.OrchestratorDomain.OccurrenceId("tick", start + 4 * minute), transitions.ExpectMsg<TaskTransitioned>().TaskId);
    }

    [Fact]
    public async Task The_retention_sweep_runs_every_minute_and_purges_what_has_been_finished_longer_than_the_retention()
    {
        var node = OrchestratorNode.Start(NodeConfig(), "retention", _clock);
        await using var _ = node;
        var sm = node.StateManager;
        var time = new ManualTime(_clock, node.System);
        await sm.Define("done", "*");
        await sm.Define("open", "*");
        var claim = await sm.Claim("worker");
        await sm.Expect<TaskUpdated>(new CompleteTask(claim.Task.TaskId, "worker", claim.ClaimId));
        Assert.Equal(new RetentionSet(TimeSpan.FromMinutes(2)), await sm.Expect<RetentionSet>(new SetRetention(TimeSpan.FromMinutes(2))));

        // The sweep at +1 min finds it finished for less than two minutes: it stays.
        time.Advance(Orchestrator.Actors.StateManager.StateManagerActor.RetentionSweepEvery);
        await sm.Barrier();
        Assert.Equal(TaskState.Completed, (await sm.View("done")).Status);

        // The sweep at +2 min finds it finished for two: it is purged.
        time.Advance(Orchestrator.Actors.StateManager.StateManagerActor.RetentionSweepEvery);
        await sm.Barrier();
        Assert.IsType<TaskNotFound>(await sm.Expect<IOrchestratorReply>(new Protocol.Queries.GetTask("done")));
        var stats = await sm.Expect<StatsReport>(Protocol.Queries.GetStats.Instance);
        Assert.Equal((1, 1L, TimeSpan.FromMinutes(2)), (stats.Tasks, stats.Purged, stats.Retention));
    }
}
