using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

// Issue 16, finding 7: a change sent again under its idempotency key is done once.
public sealed class IdempotencyKeySpecs
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static T Keyed<T>(T request, string key) where T : NamespacedRequest => request with { IdempotencyKey = key };

    [Fact]
    public void A_claim_sent_again_under_its_key_gets_the_same_claim_and_claims_nothing_more()
    {
        // Given two READY tasks and a claim made under key k-1 (its answer lost on the way)
        var scenario = new Scenario().Given(Task("t-1", payload: """{"n":1}"""), Task("t-2"));
        var first = Assert.IsType<TaskAssigned>(scenario.When(Keyed(new ClaimTask("agent-a"), "k-1")).Reply);
        var keyed = Assert.IsType<RequestKeyed>(scenario.Journal[^1]);
        Assert.Equal(("k-1", "t-1", first.ClaimId, first.LeaseUntil), (keyed.Key, keyed.TaskId, keyed.ClaimId, keyed.LeaseUntil));

        // When the agent sends the same claim again under k-1
        var again = scenario.Advance(Second).When(Keyed(new ClaimTask("agent-a"), "k-1"));

        // Then it is answered with the first claim, journals nothing, and t-2 is still READY
        Assert.Empty(again.Events);
        var repeat = Assert.IsType<TaskAssigned>(again.Reply);
        Assert.Equal(("t-1", first.ClaimId, first.LeaseUntil, first.Payload), (repeat.Task.TaskId, repeat.ClaimId, repeat.LeaseUntil, repeat.Payload));
        Assert.Equal(TaskState.Ready, scenario["t-2"].Status);
        Assert.Equal(1, scenario["t-1"].Attempts);
    }

    [Fact]
    public void A_claim_sent_again_after_a_heartbeat_gets_the_renewed_lease_and_after_it_ended_the_lease_it_was_granted()
    {
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 5));
        var first = Assert.IsType<TaskAssigned>(scenario.When(Keyed(new ClaimTask("agent-a"), "k-1")).Reply);
        var renewed = Assert.IsType<Protocol.Replies.LeaseRenewed>(scenario.Advance(Second * 10).When(new Heartbeat("t-1", "agent-a", first.ClaimId)).Reply);

        var whileHeld = Assert.IsType<TaskAssigned>(scenario.Decide(Keyed(new ClaimTask("agent-a"), "k-1")).Reply);
        Assert.Equal((first.ClaimId, renewed.LeaseUntil, TaskState.Claimed), (whileHeld.ClaimId, whileHeld.LeaseUntil, whileHeld.Task.Status));

        // The lease runs out: the task is READY again (a new round of its attempts)
        scenario.AdvanceTo(renewed.LeaseUntil).ProcessDeadlines();
        var decision = scenario.Decide(Keyed(new ClaimTask("agent-a"), "k-1"));
        Assert.Empty(decision.Events);
        var afterwards = Assert.IsType<TaskAssigned>(decision.Reply);
        Assert.Equal((first.ClaimId, first.LeaseUntil, TaskState.Ready), (afterwards.ClaimId, afterwards.LeaseUntil, afterwards.Task.Status));
    }

    [Fact]
    public void An_unversioned_save_sent_again_under_its_key_lands_once()
    {
        var scenario = new Scenario();
        var saved = Assert.IsType<StateSaved>(scenario.When(Keyed(new SaveState("agent-a", "notes", """{"n":1}"""), "save-1")).Reply);

        var again = scenario.When(Keyed(new SaveState("agent-a", "notes", """{"n":1}"""), "save-1"));

        Assert.Empty(again.Events);
        Assert.Equal(saved, again.Reply);
        Assert.Equal(1, scenario.State.Documents[new DocumentKey("agent-a", "notes")].Version);
        // Without a key the same save is a second version, as before
        Assert.Equal(2, Assert.IsType<StateSaved>(scenario.When(new SaveState("agent-a", "notes", """{"n":1}""")).Reply).Version);
    }

    [Fact]
    public void A_versioned_save_sent_again_under_its_key_is_answered_saved_not_a_version_conflict()
    {
        var scenario = new Scenario();
        scenario.When(Keyed(new SaveState("agent-a", "notes", "[]", ExpectedVersion: 0), "save-1"));

        Assert.Equal(new StateSaved("agent-a", "notes", 1), scenario.When(Keyed(new SaveState("agent-a", "notes", "[]", ExpectedVersion: 0), "save-1")).Reply);
        Assert.IsType<StateVersionConflict>(scenario.Decide(new SaveState("agent-a", "notes", "[]", ExpectedVersion: 0)).Reply);
    }

    [Fact]
    public void A_requeue_sent_again_under_its_key_is_answered_as_done_not_refused_and_requeues_nothing_more()
    {
        // Given a DEAD task requeued under key r-1, claimed and killed again since
        var scenario = new Scenario().Given(Task("t-1", maxAttempts: 1));
        scenario.Fail(scenario.Claim("agent-a"));
        scenario.When(Keyed(new RequeueDeadTask("t-1", "alice"), "r-1"));
        scenario.Fail(scenario.Claim("agent-a"));
        Assert.Equal(TaskState.Dead, scenario["t-1"].Status);

        // When the first requeue is sent again under its key
        var again = scenario.When(Keyed(new RequeueDeadTask("t-1", "alice"), "r-1"));

        // Then it is answered with the task as it is now, and the task stays DEAD (one requeue, not two)
        Assert.Empty(again.Events);
        Assert.Equal(TaskState.Dead, Assert.IsType<TaskUpdated>(again.Reply).Task.Status);
        Assert.Equal(TaskState.Dead, scenario["t-1"].Status);
    }

    [Fact]
    public void A_completion_a_failure_and_a_cancel_sent_again_under_their_keys_are_answered_with_the_task_and_change_nothing()
    {
        var scenario = new Scenario().Given(Task("done"), Task("broken", maxAttempts: 3), Task("dropped"));
        var done = scenario.Claim("agent-a");
        var broken = scenario.Claim("agent-a");
        var requests = new IStateManagerCommand[]
        {
            Keyed(new CompleteTask("done", "agent-a", done.ClaimId, "[]"), "c-1"),
            Keyed(new FailTask("broken", "agent-a", broken.ClaimId, "it broke"), "f-1"),
            Keyed(new CancelTask("dropped", "not needed"), "x-1"),
        };
        foreach (var request in requests) Assert.IsType<TaskUpdated>(scenario.When(request).Reply);
        var before = scenario.State;

        foreach (var request in requests)
        {
            var again = scenario.When(request);
            Assert.Empty(again.Events);
            Assert.IsType<TaskUpdated>(again.Reply);
        }
        AssertSameState(before, scenario.State);
    }

    [Fact]
    public void The_same_key_on_another_request_is_refused_naming_the_key_when_it_was_used_and_this_request_and_nothing_is_done()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"));
        var usedAt = scenario.Now;
        scenario.When(Keyed(new ClaimTask("agent-a"), "k-1"));
        scenario.Advance(TimeSpan.FromSeconds(5));

        foreach (var other in new IStateManagerCommand[]
                 {
                     Keyed(new ClaimTask("agent-b"), "k-1"),
                     Keyed(new ClaimTask("agent-a", TimeSpan.FromMinutes(5)), "k-1"),
                     Keyed(new SaveState("agent-a", "notes", "[]"), "k-1"),
                 })
        {
            var decision = scenario.When(other);
            Assert.Empty(decision.Events);
            var reused = Assert.IsType<IdempotencyKeyReused>(decision.Reply);
            Assert.Equal(new IdempotencyKeyReused("k-1", usedAt, other.GetType().Name), reused);
            Assert.Contains("another request", reused.Message);
        }
        Assert.Equal(TaskState.Ready, scenario["t-2"].Status);
    }

    [Fact]
    public void The_namespace_trace_context_and_deadline_are_not_part_of_what_a_key_names()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"));
        var first = Assert.IsType<TaskAssigned>(scenario.When(Keyed(new ClaimTask("agent-a"), "k-1")).Reply);

        var again = scenario.When(new ClaimTask("agent-a") { IdempotencyKey = "k-1", Within = TimeSpan.FromSeconds(3), TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });

        Assert.Equal(first.ClaimId, Assert.IsType<TaskAssigned>(again.Reply).ClaimId);
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("has space", "contains '\\u0020'")]
    [InlineData("tab\there", "contains '\\u0009'")]
    [InlineData("naïve", "contains 'ï'")]
    public void A_malformed_key_is_refused_naming_it_whatever_the_request(string key, string reason)
    {
        var scenario = new Scenario().Given(Task("t-1"));
        foreach (var request in new IStateManagerCommand[] { Keyed(new ClaimTask("agent-a"), key), Keyed(Define("t-9"), key), Keyed(new Heartbeat("t-1", "agent-a", "claim-1"), key) })
        {
            var decision = scenario.When(request);
            Assert.Empty(decision.Events);
            Assert.Contains(reason, AssertRejected(decision, "idempotencyKey").Reason);
        }
    }

    [Fact]
    public void A_keyed_request_that_cannot_be_written_as_JSON_is_refused_by_the_input_rules_not_thrown()
    {
        // Found by DomainFuzzSpecs: the digest is of the request's JSON, which a lone surrogate or a null document has none of.
        var scenario = new Scenario();
        Assert.Empty(scenario.When(Keyed(new SaveState("a", "b", "[\"\ud800\"]"), "k-1")).Events);
        AssertRejected(scenario.Decide(Keyed(new SaveState("a", "b", "[\"\ud800\"]"), "k-1")), "json");
        AssertRejected(scenario.Decide(Keyed(new SaveState("a", "b", null!), "k-1")), "json");
        Assert.Equal(0, scenario.State.RequestKeys.Count);
    }

    [Fact]
    public void A_key_longer_than_200_characters_is_refused_with_its_length()
    {
        var decision = new Scenario().When(Keyed(new SaveState("a", "b", "[]"), new string('k', 201)));
        Assert.Contains("201 characters", AssertRejected(decision, "idempotencyKey").Reason);
    }

    [Fact]
    public void What_did_nothing_is_not_remembered_so_the_same_request_sent_again_is_decided_again()
    {
        var scenario = new Scenario();
        Assert.IsType<NoTaskReady>(scenario.When(Keyed(new ClaimTask("agent-a"), "k-1")).Reply);
        Assert.Equal(0, scenario.State.RequestKeys.Count);

        scenario.Given(Task("t-1"));

        Assert.Equal("t-1", Assert.IsType<TaskAssigned>(scenario.When(Keyed(new ClaimTask("agent-a"), "k-1")).Reply).Task.TaskId);
    }

    [Fact]
    public void Definitions_registrations_and_heartbeats_are_idempotent_by_themselves_and_journal_no_key()
    {
        var scenario = new Scenario();
        var defined = scenario.When(Keyed(Task("t-1"), "d-1"));
        var registered = scenario.When(Keyed(new RegisterAgent("agent-a", ["python"]), "r-1"));
        var assigned = scenario.Claim("agent-a");
        var beat = scenario.When(Keyed(new Heartbeat("t-1", "agent-a", assigned.ClaimId), "h-1"));

        Assert.All(new[] { defined, registered, beat }, d => Assert.DoesNotContain(d.Events, e => e is RequestKeyed));
        Assert.Equal(0, scenario.State.RequestKeys.Count);
    }

    [Fact]
    public void A_key_is_forgotten_24_hours_after_its_change_so_the_same_request_then_claims_again()
    {
        var scenario = new Scenario().Given(Task("t-1", "*"), Task("t-2", "*"));
        var first = Assert.IsType<TaskAssigned>(scenario.When(Keyed(new ClaimTask("agent-a", TimeSpan.FromMinutes(10)), "k-1")).Reply);

        scenario.Advance(RequestKeys.Kept);
        Assert.Equal(first.ClaimId, Assert.IsType<TaskAssigned>(scenario.Decide(Keyed(new ClaimTask("agent-a", TimeSpan.FromMinutes(10)), "k-1")).Reply).ClaimId);
        scenario.Advance(Second);
        var later = Assert.IsType<TaskAssigned>(scenario.When(Keyed(new ClaimTask("agent-a", TimeSpan.FromMinutes(10)), "k-1")).Reply);

        Assert.NotEqual(first.ClaimId, later.ClaimId);
        // The key now names the new claim, and only once
        Assert.Equal(later.ClaimId, Assert.Single(scenario.State.RequestKeys.OldestFirst()).ClaimId);
    }

    [Fact]
    public void A_newer_key_drops_those_older_than_24_hours_and_beyond_the_newest_100000()
    {
        var keys = RequestKeys.Empty;
        for (var i = 0; i < RequestKeys.MaxKept + 5; i++)
            keys = keys.Add(new RequestKeyed($"k-{i}", "f", "t", null, null, null, T0 + TimeSpan.FromMilliseconds(i)));
        Assert.Equal(RequestKeys.MaxKept, keys.Count);
        Assert.False(keys.TryGet("k-4", out _));
        Assert.True(keys.TryGet("k-5", out _));

        keys = keys.Add(new RequestKeyed("late", "f", "t", null, null, null, T0 + RequestKeys.Kept + TimeSpan.FromMilliseconds(50_000)));
        Assert.False(keys.TryGet("k-49999", out _));
        Assert.True(keys.TryGet("k-50000", out _));
        Assert.Equal(RequestKeys.MaxKept + 5 - 50_000 + 1, keys.Count);
        Assert.Equal("k-50000", keys.OldestFirst()[0].Key);
    }

    [Fact]
    public void The_keys_survive_a_replay_and_a_snapshot_and_are_answered_alike_there()
    {
        var scenario = new Scenario().Given(Task("t-1"), Task("t-2"));
        var first = Assert.IsType<TaskAssigned>(scenario.When(Keyed(new ClaimTask("agent-a"), "k-1")).Reply);
        scenario.When(Keyed(new SaveState("agent-a", "notes", "[]"), "s-1"));

        foreach (var state in new[] { scenario.Replayed(), Snapshots.FromSnapshot(Snapshots.ToSnapshot(scenario.State)) })
        {
            AssertSameState(scenario.State, state);
            var again = new Scenario(state: state, start: scenario.Now).When(Keyed(new ClaimTask("agent-a"), "k-1"));
            Assert.Empty(again.Events);
            Assert.Equal(first.ClaimId, Assert.IsType<TaskAssigned>(again.Reply).ClaimId);
        }
    }

    [Fact]
    public void A_snapshot_written_before_keys_loads_with_none_remembered()
    {
        var snapshot = Snapshots.ToSnapshot(Scenarios.Rich().State) with { RequestKeys = null };

        Assert.Equal(0, Snapshots.FromSnapshot(snapshot).RequestKeys.Count);
    }
}
