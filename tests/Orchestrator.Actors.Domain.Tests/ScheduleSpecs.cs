using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: a scheduled task (notBefore) is not READY before its time.
public sealed class ScheduleSpecs
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static DefineTask Scheduled(string id, DateTimeOffset notBefore, string[]? dependsOn = null) =>
        Task(id, dependsOn: dependsOn) with { NotBefore = notBefore };

    [Fact]
    public void A_task_defined_for_later_is_PENDING_with_its_time_as_deadline_and_cannot_be_claimed_before_it()
    {
        var scenario = new Scenario();

        var decision = scenario.When(Scheduled("t-1", T0 + 10 * Minute));

        Assert.Equal(T0 + 10 * Minute, Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).NotBefore);
        var view = Assert.IsType<TaskDefinitionAccepted>(decision.Reply).Task;
        Assert.Equal((TaskState.Pending, T0 + 10 * Minute), (view.Status, view.NotBefore));
        Assert.Equal(T0 + 10 * Minute, scenario.State.NextDeadline);
        Assert.Equal($"not before {T0 + 10 * Minute:O}", scenario["t-1"].History[0].Detail);
        Assert.IsType<NoTaskReady>(scenario.Advance(10 * Minute - TimeSpan.FromTicks(1)).When(new ClaimTask("agent-a")).Reply);
    }

    [Fact]
    public void At_its_time_the_timer_makes_it_READY_with_task_due_in_its_history_and_a_claim_after_the_time_acts_on_it_first()
    {
        var scenario = new Scenario().Given(Scheduled("t-1", T0 + 10 * Minute));

        var due = scenario.AdvanceTo(T0 + 10 * Minute).ProcessDeadlines();

        Assert.Equal(new TaskDue("t-1", T0 + 10 * Minute), Assert.Single(due.Events));
        Assert.Equal(1, Assert.IsType<DeadlinesProcessed>(due.Reply).Count);
        Assert.Equal((TaskState.Ready, null), (scenario["t-1"].Status, scenario["t-1"].DueAt));
        Assert.Equal(("task-due", Causes.Orchestrator, TaskState.Pending, TaskState.Ready),
            (scenario["t-1"].History[^1].Event, scenario["t-1"].History[^1].By, scenario["t-1"].History[^1].From, scenario["t-1"].History[^1].To));
        Assert.Null(scenario.State.NextDeadline);

        // Without the timer: a claim decided after the time acts on it first, as on any passed deadline.
        var other = new Scenario().Given(Scheduled("t-1", T0 + 10 * Minute)).Advance(11 * Minute);
        var claim = other.When(new ClaimTask("agent-a"));
        Assert.IsType<TaskDue>(claim.Events[0]);
        Assert.Equal("t-1", Assert.IsType<TaskAssigned>(claim.Reply).Task.TaskId);
    }

    [Fact]
    public void A_time_already_passed_or_none_is_READY_at_once()
    {
        var scenario = new Scenario().Advance(Minute);
        Assert.Equal(TaskState.Ready, Assert.IsType<TaskDefinitionAccepted>(scenario.When(Scheduled("past", T0)).Reply).Task.Status);
        Assert.Equal(TaskState.Ready, Assert.IsType<TaskDefinitionAccepted>(scenario.When(Scheduled("now", scenario.Now)).Reply).Task.Status);
        Assert.Null(scenario.State.NextDeadline);
    }

    [Fact]
    public void A_scheduled_task_waits_for_both_its_dependencies_and_its_time_whichever_comes_last()
    {
        // Given: early waits for dep and for +10 min; late waits for dep and for +1 min
        var scenario = new Scenario().Given(Task("dep"), Scheduled("early", T0 + 10 * Minute, ["dep"]), Scheduled("late", T0 + Minute, ["dep"]));
        Assert.Null(scenario.State.NextDeadline);

        // The dependency completes at +5 min: late's time has passed (READY); early's has not (PENDING until +10 min)
        var assigned = scenario.Advance(5 * Minute).Claim("agent-a");
        scenario.Complete(assigned);
        Assert.Equal((TaskState.Ready, TaskState.Pending), (scenario["late"].Status, scenario["early"].Status));
        Assert.Equal(T0 + 10 * Minute, scenario["early"].DueAt);
        Assert.Equal(T0 + 10 * Minute, scenario.State.NextDeadline);
        Assert.EndsWith($"completed; not before {T0 + 10 * Minute:O}", scenario["early"].History[^1].Detail);

        scenario.AdvanceTo(T0 + 10 * Minute).ProcessDeadlines();
        Assert.Equal(TaskState.Ready, scenario["early"].Status);
    }

    [Fact]
    public void A_cancelled_scheduled_task_has_no_deadline_left_and_a_requeued_one_waits_for_its_time_again()
    {
        var scenario = new Scenario().Given(Scheduled("t-1", T0 + 10 * Minute));
        scenario.Given(new CancelTask("t-1", "not needed"));
        Assert.Null(scenario["t-1"].DueAt);
        Assert.Null(scenario.State.NextDeadline);

        // A one-attempt task scheduled for +1 min, claimed and failed at +2 min, requeued: READY (its time passed)
        var other = new Scenario().Given(Scheduled("t-2", T0 + Minute) with { MaxAttempts = 1 });
        other.AdvanceTo(T0 + 2 * Minute).ProcessDeadlines();
        other.Fail(other.Claim("agent-a"));
        other.Given(new RequeueDeadTask("t-2"));
        Assert.Equal(TaskState.Ready, other["t-2"].Status);
    }

    [Fact]
    public void The_time_is_part_of_the_definition_a_repeat_must_match()
    {
        var scenario = new Scenario().Given(Scheduled("t-1", T0 + Minute));

        Assert.True(Assert.IsType<TaskDefinitionAccepted>(scenario.When(Scheduled("t-1", T0 + Minute)).Reply).AlreadyDefined);
        Assert.IsType<TaskDefinitionConflict>(scenario.When(Scheduled("t-1", T0 + 2 * Minute)).Reply);
        Assert.IsType<TaskDefinitionConflict>(scenario.When(Task("t-1")).Reply);
    }

    [Fact]
    public void Scheduled_tasks_come_back_alike_from_a_replay_and_a_snapshot_and_fall_due_there_alike()
    {
        var scenario = new Scenario().Given(Task("dep"), Scheduled("a", T0 + 10 * Minute), Scheduled("b", T0 + 20 * Minute, ["dep"]));
        scenario.Advance(Minute);
        scenario.Complete(scenario.Claim("agent-a"));

        foreach (var state in new[] { scenario.Replayed(), Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)) })
        {
            AssertSameState(scenario.State, state);
            var restored = new Scenario(state: state, start: scenario.Now).AdvanceTo(T0 + 20 * Minute);
            Assert.Equal(["a", "b"], restored.ProcessDeadlines().Events.Cast<TaskDue>().Select(d => d.TaskId));
        }
    }

    [Fact]
    public void A_scheduled_task_is_listed_PENDING_with_its_time_and_counted_as_PENDING()
    {
        var scenario = new Scenario().Given(Scheduled("t-1", T0 + Minute), Task("t-2"));

        var page = Assert.IsType<TaskPage>(scenario.Ask(new ListTasks(Status: "PENDING")));
        Assert.Equal(T0 + Minute, Assert.Single(page.Tasks).NotBefore);
        Assert.Equal(1, Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance)).ByStatus["PENDING"]);
    }
}
