using Orchestrator.Actors.Domain;
using Akka.Actor;
using Akka.Configuration;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Orchestrator.Actors.Tests;

/// <summary>
/// Kill the ActorSystem with claims, leases, retries, dead and cancelled tasks in flight; a new one on
/// the same file recovers the same state, and its leases and retries run on from their journaled deadlines.
/// </summary>
public sealed class LifecycleRecoverySpecs(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.test.single-expect-default = 20s"), output: output)
{
    private readonly string _dataDirectory = TestConfigs.NewDataDirectory();
    private readonly ManualClock _clock = new(ManualTime.Start);

    // Snapshots every 7 events, so that recovery goes through a v2 snapshot and the events after it.
    // No graceful stop on Terminate: the system just dies, as in a crash of the process.
    private Config NodeConfig() => TestConfigs.Sqlite(_dataDirectory, ManualTime.SchedulerConfig + """

        orchestrator.snapshots { every = 7, every-fraction-of-tasks = 0 }
        orchestrator.lifecycle.retry { base = 20s, jitter = 0 }
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """);

    [Fact]
    public async Task A_killed_system_recovers_the_same_lifecycle_state_and_its_deadlines_fire_on_time()
    {
        Picture before;
        string bClaimId;
        var first = OrchestratorNode.Start(NodeConfig(), "first", _clock);
        try
        {
            var sm = first.StateManager;
            await sm.Expect<AgentRegistrationAccepted>(new RegisterAgent("agent-x", ["python", "sql"]));
            await sm.Define("lease-1", "agent-a", "CRITICAL");
            await sm.Define("retry-1", "agent-r");
            await sm.Define("dead-1", "agent-d", maxAttempts: 1);
            await sm.Define("dead-2", "agent-e", dependsOn: ["dead-1"]);
            await sm.Define("cancel-1", "agent-c");
            await sm.Define("A", "agent-x");
            await sm.Define("B", "agent-x", "HIGH", dependsOn: ["A"]);
            await sm.Define("C", "agent-x", "LOW", dependsOn: ["A"]);
            await sm.Define("D", "agent-x", dependsOn: ["B", "C"]);

            var lease = await sm.Claim("agent-a", TimeSpan.FromSeconds(30));           // lease ends at +30 s
            var retry = await sm.Claim("agent-r");
            await sm.Expect<TaskUpdated>(new FailTask("retry-1", "agent-r", retry.ClaimId, "flaky")); // retry at +20 s
            var dead = await sm.Claim("agent-d");
            await sm.Expect<TaskUpdated>(new FailTask("dead-1", "agent-d", dead.ClaimId, "broken"));   // DEAD, dead-2 killed
            await sm.Expect<TaskUpdated>(new CancelTask("cancel-1", "not needed", "ops"));
            var a = await sm.Claim("agent-x");
            await sm.Expect<TaskUpdated>(new CompleteTask("A", "agent-x", a.ClaimId, """{"rows":3}"""));
            var b = await sm.Claim("agent-x", TimeSpan.FromMinutes(5));                 // B (HIGH) before C
            bClaimId = b.ClaimId;

            Assert.Equal(("lease-1", "retry-1", "dead-1", "A", "B"), (lease.Task.TaskId, retry.Task.TaskId, dead.Task.TaskId, a.Task.TaskId, b.Task.TaskId));
            await sm.Barrier();
            // Snapshots are saved in the background: wait until the last one due has been stored.
            await AwaitAssertAsync(async () =>
            {
                var stats = await sm.Expect<StatsReport>(GetStats.Instance);
                // Sequence numbers count journal entries (a batch is one): the newest snapshot is within
                // the last 7 of them.
                Assert.True(stats.LastSnapshotSequenceNr > stats.JournalSequenceNr - 7, $"snapshot at {stats.LastSnapshotSequenceNr} of {stats.JournalSequenceNr} entries");
            });
            before = await Picture.TakeAsync(sm);
            Assert.Contains(before.Tasks, t => t.Status == TaskState.Failed);
            Assert.True(before.Stats.LastSnapshotSequenceNr > 0);
        }
        finally
        {
            // Killed at +10 s of work: no shutdown message, the journal holds what it confirmed.
            new ManualTime(_clock, first.System).Advance(TimeSpan.FromSeconds(10));
            await first.System.Terminate();
        }

        // Down for 15 s: the retry (+20 s) comes due meanwhile; the lease (+30 s) does not.
        _clock.Advance(TimeSpan.FromSeconds(15));
        await using var second = OrchestratorNode.Start(NodeConfig(), "second", _clock);
        var time = new ManualTime(_clock, second.System);
        var sm2 = second.StateManager;

        // Queries only: a command would act on the passed retry deadline.
        var after = await Picture.TakeAsync(sm2);
        before.AssertSameAs(after);

        var transitions = CreateTestProbe();
        sm2.Tell(new SubscribeToTasks(), transitions.Ref);
        transitions.ExpectMsg<SubscribedToTasks>();

        // The deadline that passed while the system was down is acted on at once.
        time.RunDueTimers();
        var due = transitions.ExpectMsg<TaskTransitioned>();
        Assert.Equal(("retry-1", "retry-due", TaskState.Ready), (due.TaskId, due.Entry.Event, due.Entry.To));
        Assert.Equal(ManualTime.Start + TimeSpan.FromSeconds(25), due.Entry.At);

        // The lease runs to its journaled end, +30 s, not a moment less.
        time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        await sm2.Barrier();
        Assert.Equal(TaskState.Claimed, (await sm2.View("lease-1")).Status);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var expired = transitions.ExpectMsg<TaskTransitioned>(t => t.TaskId == "lease-1");
        Assert.Equal(("lease-expired", TaskState.Ready, ManualTime.Start + TimeSpan.FromSeconds(30)),
            (expired.Entry.Event, expired.Entry.To, expired.Entry.At));

        // Claims taken before the kill still count: the holder of B finishes the diamond.
        Assert.Equal(ClaimIds.Public(bClaimId), after.Tasks.Single(t => t.TaskId == "B").Claim!.ClaimId);
        await sm2.Expect<TaskUpdated>(new CompleteTask("B", "agent-x", bClaimId));
        var c = await sm2.Claim("agent-x");
        Assert.Equal("C", c.Task.TaskId);
        await sm2.Expect<TaskUpdated>(new CompleteTask("C", "agent-x", c.ClaimId));
        Assert.Equal(TaskState.Ready, (await sm2.View("D")).Status);
        // Claim ids go on from where the first system left off.
        Assert.DoesNotContain(ClaimIds.Public(c.ClaimId), after.Tasks.SelectMany(t => t.History).Select(e => e.ClaimId));
    }

    [Fact]
    public async Task A_lease_that_ended_while_the_node_was_down_is_given_back_so_its_last_attempt_and_dependant_survive()
    {
        string claimId;
        var first = OrchestratorNode.Start(NodeConfig(), "first", _clock);
        try
        {
            var sm = first.StateManager;
            await sm.Define("last-try", "agent-l", maxAttempts: 1);
            await sm.Define("needs-it", "agent-n", dependsOn: ["last-try"]);
            claimId = (await sm.Claim("agent-l", TimeSpan.FromSeconds(30))).ClaimId;   // lease ends at +30 s
            await sm.Barrier();
        }
        finally
        {
            await first.System.Terminate();
        }

        // Down for five minutes, far past the lease: the agent's heartbeats had nowhere to go.
        _clock.Advance(TimeSpan.FromMinutes(5));
        var restartedAt = _clock.GetUtcNow();
        await using var second = OrchestratorNode.Start(NodeConfig(), "second", _clock);
        var time = new ManualTime(_clock, second.System);
        var sm2 = second.StateManager;
        time.RunDueTimers();
        await sm2.Barrier();

        var task = await sm2.View("last-try");
        Assert.Equal((TaskState.Claimed, ClaimIds.Public(claimId), restartedAt + TimeSpan.FromSeconds(30)), (task.Status, task.Claim?.ClaimId, task.Claim?.LeaseUntil));
        Assert.Equal(TaskState.Pending, (await sm2.View("needs-it")).Status);
        // The holder goes on where it was.
        await sm2.Expect<LeaseRenewed>(new Heartbeat("last-try", "agent-l", claimId));
        await sm2.Expect<TaskUpdated>(new CompleteTask("last-try", "agent-l", claimId));
        Assert.Equal(TaskState.Ready, (await sm2.View("needs-it")).Status);
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        TestConfigs.DeleteDataDirectory(_dataDirectory);
    }

    private sealed record TaskPicture(TaskView View, string? Payload, string? Result, IReadOnlyList<TaskHistoryEntry> History)
    {
        public string TaskId => View.TaskId;
        public TaskState Status => View.Status;
        public ClaimInfo? Claim => View.Claim;
    }

    private sealed record Picture(IReadOnlyList<TaskPicture> Tasks, IReadOnlyList<AgentView> Agents, StatsReport Stats)
    {
        public static async Task<Picture> TakeAsync(IActorRef sm)
        {
            var page = await sm.Expect<TaskPage>(new ListTasks(Limit: 1000));
            var tasks = new List<TaskPicture>();
            foreach (var view in page.Tasks)
            {
                var found = await sm.Expect<TaskFound>(new GetTask(view.TaskId));
                var history = await sm.Expect<TaskHistory>(new GetTaskHistory(view.TaskId));
                tasks.Add(new TaskPicture(view, found.Payload, found.Result, history.Entries));
            }
            var agents = await sm.Expect<AgentList>(new ListAgents());
            var stats = await sm.Expect<StatsReport>(GetStats.Instance);
            return new Picture(tasks, agents.Agents, stats);
        }

        public void AssertSameAs(Picture other)
        {
            Assert.Equal(Tasks.Select(t => t.TaskId), other.Tasks.Select(t => t.TaskId));
            foreach (var (mine, theirs) in Tasks.Zip(other.Tasks))
            {
                Assert.Equal(mine.View, theirs.View);
                Assert.Equal((mine.Payload, mine.Result), (theirs.Payload, theirs.Result));
                Assert.Equal(mine.History, theirs.History);
            }
            Assert.Equal(Agents, other.Agents);
            Assert.Equal(Stats.ByStatus, other.Stats.ByStatus);
            Assert.Equal((Stats.Tasks, Stats.Agents, Stats.EventsJournaled), (other.Stats.Tasks, other.Stats.Agents, other.Stats.EventsJournaled));
            // A snapshot still being written when this picture was taken may have landed before the kill.
            Assert.InRange(other.Stats.LastSnapshotSequenceNr, Stats.LastSnapshotSequenceNr, Stats.JournalSequenceNr);
        }
    }
}
