using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 17: a claimed task that waits for input (a human's or another agent's), A2A's input-required.
public sealed class WaitingSpecs
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void The_holder_asking_for_input_ends_its_claim_and_the_task_is_WAITING_with_the_question()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 2));
        var assigned = scenario.Claim("agent-a");

        var at = T0 + TimeSpan.FromSeconds(10);
        var decision = scenario.AdvanceTo(at).When(new RequestInput("t-1", "agent-a", assigned.ClaimId, "Which region?", TimeSpan.FromHours(1)));

        Assert.Equal(new InputRequested("t-1", "agent-a", assigned.ClaimId, "Which region?", at + TimeSpan.FromHours(1), at), Assert.Single(decision.Events));
        var view = Assert.IsType<TaskUpdated>(decision.Reply).Task;
        Assert.Equal((TaskState.Waiting, "Which region?", at + TimeSpan.FromHours(1), null), (view.Status, view.Question, view.AnswerBy, view.Claim));
        Assert.Equal(at + TimeSpan.FromHours(1), scenario.State.NextDeadline);
        Assert.Equal(("input-requested", "agent-a"), (scenario["t-1"].History[^1].Event, scenario["t-1"].History[^1].By));
        Assert.IsType<NoTaskReady>(scenario.When(new ClaimTask("agent-a")).Reply);
        // Sent again with the same claim: the same answer, nothing written; the old claim can do nothing else
        Assert.Empty(scenario.When(new RequestInput("t-1", "agent-a", assigned.ClaimId, "Which region?", TimeSpan.FromHours(1))).Events);
        AssertStale(scenario.When(new CompleteTask("t-1", "agent-a", assigned.ClaimId)), "t-1", "agent-a", assigned.ClaimId, TaskState.Waiting);
    }

    [Fact]
    public void The_answer_makes_it_READY_with_its_attempt_given_back_and_the_next_claim_carries_question_and_answer()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 1));
        var assigned = scenario.Claim("agent-a");
        scenario.Given(new RequestInput("t-1", "agent-a", assigned.ClaimId, "Which region?"));

        var decision = scenario.When(new ProvideInput("t-1", """{"region":"eu-west"}""", "alice"));

        Assert.IsType<InputProvided>(Assert.Single(decision.Events));
        Assert.Equal((TaskState.Ready, 0), (scenario["t-1"].Status, scenario["t-1"].Attempts));
        Assert.Equal(("input-provided", "alice"), (scenario["t-1"].History[^1].Event, scenario["t-1"].History[^1].By));
        var again = scenario.Claim("agent-a");
        Assert.Equal(("""{"region":"eu-west"}""", "Which region?", 1), (again.Input, again.Task.Question, again.Task.Attempts));
        Assert.Equal("""{"region":"eu-west"}""", Assert.IsType<TaskFound>(scenario.Ask(new GetTask("t-1"))).Input);
        // On its only attempt it may still fail: the question did not spend it
        scenario.Fail(again);
        Assert.Equal(TaskState.Dead, scenario["t-1"].Status);
    }

    [Fact]
    public void Input_for_a_task_that_is_not_WAITING_is_refused_and_bad_input_names_its_field()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        var assigned = scenario.Claim("agent-a");

        Assert.Equal("provide input", Assert.IsType<TransitionRejected>(scenario.When(new ProvideInput("t-1", "{}")).Reply).Action);
        Assert.IsType<TaskNotFound>(scenario.When(new ProvideInput("nope", "{}")).Reply);
        AssertRejected(scenario.When(new RequestInput("t-1", "agent-a", assigned.ClaimId, " ")), "question");
        AssertRejected(scenario.When(new RequestInput("t-1", "agent-a", assigned.ClaimId, "?", TimeSpan.FromDays(31))), "answerWithin");
        AssertRejected(scenario.When(new RequestInput("t-1", "agent-a", assigned.ClaimId, "?", TimeSpan.FromMilliseconds(10))), "answerWithin");
        Assert.Equal("request input for", Assert.IsType<TransitionRejected>(scenario.When(new RequestInput("t-1", "agent-b", "claim-9", "?")).Reply).Action);
        scenario.Given(new RequestInput("t-1", "agent-a", assigned.ClaimId, "?"));
        AssertRejected(scenario.When(new ProvideInput("t-1", "{not json")), "input");
    }

    [Fact]
    public void No_answer_in_time_fails_the_attempt_retried_later_or_DEAD_with_its_dependants_on_the_last()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 2), Task("d-1", "agent-b", dependsOn: ["t-1"]));
        scenario.Given(new RequestInput("t-1", "agent-a", scenario.Claim("agent-a").ClaimId, "Go?", TimeSpan.FromMinutes(5)));

        var first = scenario.AdvanceTo(T0 + TimeSpan.FromMinutes(5)).ProcessDeadlines();
        var timedOut = Assert.IsType<InputTimedOut>(Assert.Single(first.Events));
        Assert.NotNull(timedOut.RetryAt);
        Assert.Equal((TaskState.Failed, "no answer to: Go?"), (scenario["t-1"].Status, scenario["t-1"].Reason));

        scenario.AdvanceTo(timedOut.RetryAt!.Value).ProcessDeadlines();
        scenario.Given(new RequestInput("t-1", "agent-a", scenario.Claim("agent-a").ClaimId, "Go now?", TimeSpan.FromMinutes(1)));
        var last = scenario.Advance(Minute).ProcessDeadlines();
        Assert.Null(Assert.IsType<InputTimedOut>(last.Events[0]).RetryAt);
        Assert.Equal((TaskState.Dead, TaskState.Dead), (scenario["t-1"].Status, scenario["d-1"].Status));
    }

    [Fact]
    public void A_WAITING_task_can_be_cancelled_and_then_has_no_deadline()
    {
        var scenario = new Scenario().Given(Task("t-1"));
        scenario.Given(new RequestInput("t-1", "agent-a", scenario.Claim("agent-a").ClaimId, "?", TimeSpan.FromHours(1)));

        Assert.Equal(TaskState.Cancelled, Assert.IsType<TaskUpdated>(scenario.When(new CancelTask("t-1", "not needed")).Reply).Task.Status);
        Assert.Null(scenario.State.NextDeadline);
    }

    [Fact]
    public void Waiting_tasks_come_back_alike_from_a_replay_and_a_snapshot_and_time_out_there_alike()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"));
        scenario.Given(new RequestInput("t-1", "agent-a", scenario.Claim("agent-a").ClaimId, "A?", TimeSpan.FromMinutes(5)));
        scenario.Given(new RequestInput("t-2", "agent-a", scenario.Claim("agent-a").ClaimId, "B?"));
        Assert.Equal(2, Assert.IsType<StatsReport>(scenario.Ask(GetStats.Instance)).ByStatus["WAITING"]);

        foreach (var state in new[] { scenario.Replayed(), Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)) })
        {
            AssertSameState(scenario.State, state);
            var restored = new Scenario(state: state, start: scenario.Now).AdvanceTo(T0 + TimeSpan.FromMinutes(5));
            Assert.Equal("t-1", Assert.IsType<InputTimedOut>(Assert.Single(restored.ProcessDeadlines().Events)).TaskId);
        }
    }
}
