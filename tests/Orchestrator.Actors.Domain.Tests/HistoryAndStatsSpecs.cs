using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class HistoryAndStatsSpecs
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static TaskHistory History(Scenario scenario, string taskId) =>
        Assert.IsType<TaskHistory>(scenario.Ask(new GetTaskHistory(taskId)));

    private static List<(string Event, TaskState? From, TaskState To, string? By, string? ClaimId)> Steps(TaskHistory history) =>
        history.Entries.Select(e => (e.Event, e.From, e.To, e.By, e.ClaimId)).ToList();

    /// <summary>One task in each state: pending, ready, claimed, completed, failed, dead, cancelled.</summary>
    private static Scenario OneOfEach()
    {
        var scenario = new Scenario().Given(
            Task("completed"), Task("failed"), Task("pending", "agent-b", dependsOn: ["failed"]), Task("dead", maxAttempts: 1),
            Task("claimed"), Task("cancelled", "agent-b"), new CancelTask("cancelled", "dropped"));
        scenario.Complete(scenario.Claim("agent-a"));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.Claim("agent-a");
        scenario.Given(Task("waiting", "agent-c"));
        scenario.Given(new RequestInput("waiting", "agent-c", scenario.Claim("agent-c").ClaimId, "Which one?"));
        scenario.Given(Task("ready", "agent-b"));
        return scenario;
    }

    // ---- GetTaskHistory ------------------------------------------------------------------------

    [Fact]
    public void History_lists_every_transition_in_order_with_who_caused_it_and_the_claim()
    {
        // Given a task defined, failed once, retried, lost by an expired lease, and completed
        var scenario = new Scenario().Given(new DefineTask("t", "*", "tasks/t.md", By: "planner"));
        var first = scenario.Advance(Second).Claim("agent-a");
        scenario.Advance(Second).Fail(first, "flaky");
        scenario.AdvanceTo(scenario["t"].RetryAt!.Value).ProcessDeadlines();
        var second = scenario.Advance(Second).Claim("agent-b");
        scenario.AdvanceTo(second.LeaseUntil).ProcessDeadlines();
        var third = scenario.Advance(Second).Claim("agent-a");
        scenario.Advance(Second).Complete(third);

        // When its history is asked for
        var history = History(scenario, "t");

        // Then it reads, oldest first
        Assert.Equal(
            [
                ("task-defined", null, TaskState.Ready, "planner", null),
                ("task-claimed", TaskState.Ready, TaskState.Claimed, "agent-a", "claim-1"),
                ("task-failed", TaskState.Claimed, TaskState.Failed, "agent-a", "claim-1"),
                ("retry-due", TaskState.Failed, TaskState.Ready, Causes.Orchestrator, null),
                ("task-claimed", TaskState.Ready, TaskState.Claimed, "agent-b", "claim-2"),
                ("lease-expired", TaskState.Claimed, TaskState.Ready, Causes.Orchestrator, "claim-2"),
                ("task-claimed", TaskState.Ready, TaskState.Claimed, "agent-a", "claim-3"),
                ("task-completed", TaskState.Claimed, TaskState.Completed, "agent-a", "claim-3"),
            ],
            Steps(history));
        Assert.Equal(0, history.Dropped);
        Assert.Equal(scenario.Journal.Select(EventTime), history.Entries.Select(e => e.At));
        Assert.Contains("flaky", history.Entries[2].Detail);
        Assert.Contains("agent-b", history.Entries[5].Detail);
    }

    private static DateTimeOffset EventTime(IOrchestratorEvent e) => e switch
    {
        TaskDefined d => d.DefinedAt,
        TaskClaimed c => c.At,
        TaskFailed f => f.At,
        RetryDue r => r.At,
        LeaseExpired l => l.At,
        TaskCompleted c => c.At,
        _ => throw new ArgumentException(e.ToString()),
    };

    [Fact]
    public void History_of_dependants_shows_waiting_being_killed_and_coming_back()
    {
        var scenario = new Scenario().Given(Task("a", maxAttempts: 1), Task("b", dependsOn: ["a"]));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.Given(new RequeueDeadTask("a", "alice"));
        scenario.Complete(scenario.Claim("agent-a"));

        var history = History(scenario, "b");

        Assert.Equal(
            [
                ("task-defined", null, TaskState.Pending, null, null),
                ("task-killed", TaskState.Pending, TaskState.Dead, "agent-a", null),
                ("task-requeued", TaskState.Dead, TaskState.Pending, "alice", null),
                ("dependencies-met", TaskState.Pending, TaskState.Ready, "agent-a", null),
            ],
            Steps(history));
        Assert.Equal(["waits for a", "dependency 'a' is DEAD", "came back with 'a'", "'a' completed"], history.Entries.Select(e => e.Detail));
    }

    [Fact]
    public void History_of_a_cancelled_or_dead_end_names_the_cause()
    {
        var scenario = new Scenario().Given(Task("c"), Task("d", maxAttempts: 1));
        var claimed = scenario.Claim("agent-a");
        scenario.Given(new CancelTask("c", "obsolete", "alice"));
        scenario.Fail(scenario.Claim("agent-a"), "fatal");

        var cancelled = History(scenario, "c").Entries.Last();
        var dead = History(scenario, "d").Entries.Last();

        Assert.Equal(("task-cancelled", TaskState.Claimed, TaskState.Cancelled, "alice", claimed.ClaimId, "obsolete"),
            (cancelled.Event, cancelled.From, cancelled.To, cancelled.By, cancelled.ClaimId, cancelled.Detail));
        Assert.Equal(("task-failed", TaskState.Claimed, TaskState.Dead), (dead.Event, dead.From, dead.To));
        Assert.Contains("fatal", dead.Detail);
        Assert.Contains("the last", dead.Detail);
    }

    [Fact]
    public void History_keeps_the_newest_200_entries_and_counts_the_dropped_ones()
    {
        // Given 1 definition and 101 claims that each expired: 203 transitions
        var scenario = new Scenario().Given(Task("t", maxAttempts: 1000));
        for (var i = 0; i < 101; i++) scenario.AdvanceTo(scenario.Claim("agent-a").LeaseUntil).ProcessDeadlines();

        var history = History(scenario, "t");

        Assert.Equal(TaskRecord.HistoryLimit, history.Entries.Count);
        Assert.Equal(3, history.Dropped);
        Assert.Equal(("task-claimed", "claim-2"), (history.Entries[0].Event, history.Entries[0].ClaimId));
        Assert.Equal(("lease-expired", "claim-101"), (history.Entries[^1].Event, history.Entries[^1].ClaimId));
    }

    [Fact]
    public void History_of_an_unknown_task_is_not_found_and_of_an_invalid_id_rejected()
    {
        var scenario = new Scenario().Given(Task("t"));

        Assert.Equal(new TaskNotFound("ghost"), scenario.Ask(new GetTaskHistory("ghost")));
        AssertRejected(scenario.Ask(new GetTaskHistory("a b")), "taskId");
    }

    // ---- Describe ------------------------------------------------------------------------------

    [Fact]
    public void Describe_returns_null_for_events_that_are_not_task_transitions()
    {
        var scenario = new Scenario().Given(Task("t"));
        var assigned = scenario.Claim("agent-a");
        var state = scenario.State;

        Assert.Null(OrchestratorDomain.Describe(state, new StateSavedEvent("o", "k", "{}", 1, T0)));
        Assert.Null(OrchestratorDomain.Describe(state, new EventsDeleted(10, T0)));
        Assert.Null(OrchestratorDomain.Describe(state, new AgentRegistered("agent-a", ["x"], T0)));
        Assert.Null(OrchestratorDomain.Describe(state, new AgentSeen("agent-a", T0)));
        Assert.Null(OrchestratorDomain.Describe(state,
            new Protocol.Events.LeaseRenewed("t", "agent-a", assigned.ClaimId, TimeSpan.FromSeconds(30), T1, T0)));
    }

    [Fact]
    public void Describe_tells_each_transition_as_the_task_s_history_records_it()
    {
        // Given a scenario with every kind of transition
        var scenario = new Scenario().Given(
            Task("a", "*", maxAttempts: 2), Task("b", "*", dependsOn: ["a"]), Task("c", "*", dependsOn: ["b"], priority: "HIGH"),
            Task("x", "agent-x"), new RegisterAgent("agent-x"), new SaveState("o", "k", "{}"));
        scenario.AdvanceTo(scenario.Claim("agent-1").LeaseUntil).ProcessDeadlines();
        scenario.Fail(scenario.Claim("agent-1"));
        scenario.Given(new RequeueDeadTask("a"));
        var a = scenario.Claim("agent-2");
        scenario.Given(new Heartbeat("a", "agent-2", a.ClaimId));
        scenario.Fail(a);
        scenario.AdvanceTo(scenario["a"].RetryAt!.Value).ProcessDeadlines();
        scenario.Complete(scenario.Claim("agent-2"));
        scenario.Given(new CancelTask("x", "never mind"));

        // When each journaled event is described on the state before it
        var state = OrchestratorState.Empty;
        var described = 0;
        foreach (var e in scenario.Journal)
        {
            var transition = OrchestratorDomain.Describe(state, e);
            state = OrchestratorDomain.Apply(state, e);
            if (transition is null) continue;
            described++;

            // Then the description is the entry the task's history got, with the task's agent and priority
            var task = state.Tasks[transition.TaskId];
            Assert.Equal(task.History.Last(), transition.Entry);
            Assert.Equal((task.Agent, task.Priority), (transition.Agent, transition.Priority));
        }
        Assert.Equal(scenario.State.Tasks.Values.Sum(t => t.History.Count), described);
        Assert.Contains(scenario.Journal, e => e is TaskKilled);
        Assert.Contains(scenario.Journal, e => e is TaskRequeued);
        Assert.Contains(scenario.Journal, e => e is DependenciesMet);
    }

    // ---- GetStats ------------------------------------------------------------------------------

    [Fact]
    public void Stats_count_every_lifecycle_state_and_the_known_agents()
    {
        var scenario = OneOfEach();

        var stats = Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance));

        Assert.Equal(Enum.GetValues<TaskState>().Length, stats.Tasks);
        Assert.Equal(Enum.GetValues<TaskState>().ToDictionary(ProtocolNames.Of, _ => 1), stats.ByStatus.ToDictionary());
        Assert.Equal(2, stats.Agents); // agent-a, and agent-c, which asked for input
    }

    [Fact]
    public void Stats_give_how_long_the_longest_waiting_ready_task_has_waited_since_it_became_ready()
    {
        // Given "old" READY at T0 but claimed, failed and READY again at its retry; "young" READY at +5 s
        var scenario = new Scenario().Given(Task("old"));
        scenario.Fail(scenario.Claim("agent-a"));
        var backAt = scenario["old"].RetryAt!.Value;
        scenario.AdvanceTo(backAt).ProcessDeadlines();
        scenario.Advance(TimeSpan.FromSeconds(5)).Given(Task("young"));
        scenario.Advance(TimeSpan.FromSeconds(10));

        var stats = Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance));

        Assert.Equal(scenario.Now - backAt, stats.OldestReadyAge);
    }

    [Fact]
    public void Stats_have_no_oldest_ready_age_when_nothing_is_ready()
    {
        var scenario = new Scenario().Given(Task("t"));
        scenario.Claim("agent-a");

        var stats = Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance));

        Assert.Null(stats.OldestReadyAge);
        Assert.Equal(1, stats.ByStatus["CLAIMED"]);
    }

    // ---- ListTasks and GetTask for lifecycle states ----------------------------------------------

    [Theory]
    [InlineData("PENDING", "pending")]
    [InlineData("ready", "ready")]
    [InlineData("Claimed", "claimed")]
    [InlineData("COMPLETED", "completed")]
    [InlineData("failed", "failed")]
    [InlineData("DEAD", "dead")]
    [InlineData("cancelled", "cancelled")]
    public void List_by_status_finds_the_task_in_that_state(string status, string taskId)
    {
        var page = Assert.IsType<TaskPage>(OneOfEach().Ask(new ListTasks(Status: status)));

        Assert.Equal(taskId, Assert.Single(page.Tasks).TaskId);
    }

    [Fact]
    public void List_by_status_combines_with_agent()
    {
        var scenario = OneOfEach();

        var page = Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Agent: "agent-b", Status: "PENDING")));

        Assert.Equal("pending", Assert.Single(page.Tasks).TaskId);
        Assert.Empty(Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Agent: "agent-a", Status: "PENDING"))).Tasks);
    }

    [Fact]
    public void Get_task_shows_the_claim_while_claimed_and_the_result_once_completed()
    {
        var scenario = new Scenario().Given(Task("t", payload: "[1]"));
        var assigned = scenario.Claim("agent-a");

        var whileClaimed = Assert.IsType<TaskFound>(scenario.Ask(new GetTask("t")));
        scenario.Complete(assigned, "[2]");
        var done = Assert.IsType<TaskFound>(scenario.Ask(new GetTask("t")));

        Assert.Equal(assigned.Task.Claim, whileClaimed.Task.Claim);
        Assert.Equal(("[1]", (string?)null), (whileClaimed.Payload, whileClaimed.Result));
        Assert.Equal(("[1]", "[2]", TaskState.Completed), (done.Payload, done.Result, done.Task.Status));
        Assert.Null(done.Task.Claim);
    }
}
