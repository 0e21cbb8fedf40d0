using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.StateManager;
using Xunit;

namespace Orchestrator.Actors.Tests;

/// <summary>The state manager's group commit as a pure class: no actors, no journal, no TestKit.</summary>
public sealed class GroupCommitSpecs
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
    private static readonly DecisionContext Context = new(Now, DomainLimits.Default, LifecyclePolicy.Default, DecisionContext.NoJitter);

    private static GroupCommit<string> Empty(int maxBatchEvents = 1_000) => new(OrchestratorState.Empty, maxBatchEvents);

    private static DefineTask Define(string id, params string[] dependsOn) => new(id, "agent-a", $"tasks/{id}.md", DependsOn: dependsOn);

    [Fact]
    public void A_change_waits_for_the_journal_and_is_decided_on_the_projected_state()
    {
        var commit = Empty();

        Assert.Null(commit.Submit(Define("a"), "asker-1", Context));
        // Decided against what is pending: the same id again is a repeat, not a second definition.
        Assert.Null(commit.Submit(Define("a"), "asker-2", Context));

        Assert.True(commit.Projected.Tasks.ContainsKey("a"));
        Assert.False(commit.Confirmed.Tasks.ContainsKey("a"));
        Assert.Equal(2, commit.Pending);
    }

    [Fact]
    public void A_read_only_request_is_answered_at_once_only_when_nothing_is_before_it()
    {
        var commit = Empty();
        commit.Submit(Define("confirmed"), "writer", Context);
        commit.TakeWrite();
        commit.Confirm();
        // A repeat of a confirmed definition journals nothing: answered at once.
        var idle = commit.Submit(Define("confirmed"), "reader", Context);
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(idle).AlreadyDefined);

        commit.Submit(Define("a"), "writer", Context);
        // Its answer depends on the pending definition: it waits behind it instead of overtaking it.
        Assert.Null(commit.Submit(Define("a"), "repeat", Context));
        var write = commit.TakeWrite()!;
        Assert.Single(write.Events);
        var confirmed = commit.Confirm();
        Assert.Equal(["writer", "repeat"], confirmed.Replies.Select(r => r.Asker));
        Assert.True(((TaskDefinitionAccepted)confirmed.Replies[1].Reply).AlreadyDefined);
    }

    [Fact]
    public void One_write_takes_what_waits_up_to_the_event_limit_and_replies_go_out_only_on_confirmation()
    {
        var commit = Empty(maxBatchEvents: 2);
        foreach (var id in new[] { "a", "b", "c" }) commit.Submit(Define(id), $"asker-{id}", Context);

        var first = commit.TakeWrite()!;
        Assert.Equal(["a", "b"], first.Events.Cast<TaskDefined>().Select(e => e.TaskId));
        Assert.Empty(first.Answered);
        Assert.True(commit.IsWriting);
        // One write at a time.
        Assert.Null(commit.TakeWrite());

        var confirmed = commit.Confirm();
        Assert.Equal(["asker-a", "asker-b"], confirmed.Replies.Select(r => r.Asker));
        Assert.Equal(["a", "b"], confirmed.Notices.Cast<TaskTransitioned>().Select(n => n.TaskId));
        Assert.Equal(["a", "b"], commit.Confirmed.Tasks.Keys.Order());

        var second = commit.TakeWrite()!;
        Assert.Equal(["c"], second.Events.Cast<TaskDefined>().Select(e => e.TaskId));
        commit.Confirm();
        Assert.True(commit.IsIdle);
        Assert.Equal(3, commit.Confirmed.Tasks.Count);
    }

    [Fact]
    public void One_write_holds_at_most_the_byte_limit_by_its_events_upper_bound()
    {
        // Five documents of 100,000 non-ASCII characters: each may take about 600,000 bytes escaped.
        var document = $$"""{"d":"{{new string('é', 100_000)}}"}""";
        var save = new SaveState("owner", "k", document);
        var each = EventSizes.UpperBound(new StateSavedEvent("owner", "k", document, 1, Now));
        var commit = new GroupCommit<string>(OrchestratorState.Empty, 1_000, maxBatchBytes: 2 * each + each / 2);
        var uncapped = Empty();
        for (var i = 0; i < 5; i++)
        {
            commit.Submit(save with { Key = $"k{i}" }, $"asker-{i}", Context);
            uncapped.Submit(save with { Key = $"k{i}" }, $"asker-{i}", Context);
        }

        var writes = new List<int>();
        while (commit.TakeWrite() is { } write)
        {
            writes.Add(write.Events.Count);
            commit.Confirm();
        }

        Assert.Equal([2, 2, 1], writes);
        Assert.Equal(5, uncapped.TakeWrite()!.Events.Count);
        Assert.Equal(5, commit.Confirmed.Documents.Count);
    }

    [Fact]
    public void A_request_larger_than_the_limit_is_written_alone()
    {
        var commit = Empty(maxBatchEvents: 2);
        commit.Submit(new DefineTasks([Define("a"), Define("b"), Define("c")]), "batch", Context);

        Assert.Equal(3, commit.TakeWrite()!.Events.Count);
    }

    [Fact]
    public void A_bulk_cancel_is_one_event_and_its_notices_are_one_per_transition_it_stands_for()
    {
        var commit = Empty();
        commit.Submit(Define("a"), "x", Context);
        commit.Submit(Define("b", "a"), "x", Context);
        commit.Submit(Define("c"), "x", Context);
        commit.TakeWrite();
        commit.Confirm();

        commit.Submit(new CancelTasks(new TaskFilter(IdPrefix: "a"), "called off"), "canceller", Context);
        commit.Submit(new CancelTasks(new TaskFilter(IdPrefix: "c"), "called off"), "canceller", Context);
        var write = commit.TakeWrite()!;
        var confirmed = commit.Confirm();

        Assert.Equal(2, write.Events.Count);
        // a CANCELLED and its dependant b DEAD (one event), then c CANCELLED (the next): each from the status it had
        var transitions = confirmed.Notices.Cast<TaskTransitioned>().Select(n => (n.TaskId, n.Entry.From, n.Entry.To)).ToList();
        Assert.Equal([("a", (TaskState?)TaskState.Ready, TaskState.Cancelled), ("b", TaskState.Pending, TaskState.Dead), ("c", TaskState.Ready, TaskState.Cancelled)], transitions);
    }

    [Fact]
    public void Notices_describe_each_transition_against_the_state_it_met()
    {
        var commit = Empty();
        commit.Submit(Define("a"), "x", Context);
        commit.Submit(Define("b", "a"), "x", Context);
        commit.TakeWrite();
        commit.Confirm();
        commit.Submit(new ClaimTask("agent-a"), "claimer", Context);
        commit.TakeWrite();
        var claimed = commit.Confirm();
        var assigned = (TaskAssigned)claimed.Replies.Single().Reply;

        commit.Submit(new CompleteTask("a", "agent-a", assigned.ClaimId), "completer", Context);
        commit.TakeWrite();
        var completed = commit.Confirm();

        // Completing a makes b READY in the same decision: two transitions, each from the status it had.
        var transitions = completed.Notices.Cast<TaskTransitioned>().Select(n => (n.TaskId, n.Entry.From, n.Entry.To)).ToList();
        Assert.Equal([("a", (TaskState?)TaskState.Claimed, TaskState.Completed), ("b", TaskState.Pending, TaskState.Ready)], transitions);
    }

    [Fact]
    public void A_rejected_write_is_answered_as_not_written_and_what_waited_is_decided_again_on_the_confirmed_state()
    {
        var commit = Empty(maxBatchEvents: 1);
        commit.Submit(Define("a"), "first", Context);
        commit.TakeWrite();
        // Decided while "a" was in flight: a repeat of it, with no event of its own.
        commit.Submit(Define("a"), "repeat", Context);
        commit.Submit(Define("b"), "other", Context);

        var (answers, failure) = commit.Reject(Context);

        Assert.Null(failure);
        var rejected = Assert.IsType<OrchestratorUnavailable>(Assert.Single(answers).Reply);
        Assert.Contains("rejected the write of DefineTask", rejected.Reason);
        Assert.Equal("first", answers[0].Asker);
        // Decided again without "a": now the repeat defines it.
        Assert.Equal(["a", "b"], commit.Projected.Tasks.Keys.Order());
        Assert.Empty(commit.Confirmed.Tasks);
        var write = commit.TakeWrite()!;
        Assert.Equal(["a"], write.Events.Cast<TaskDefined>().Select(e => e.TaskId));
        Assert.False(((TaskDefinitionAccepted)commit.Confirm().Replies.Single().Reply).AlreadyDefined);
        Assert.Equal(["b"], commit.TakeWrite()!.Events.Cast<TaskDefined>().Select(e => e.TaskId));
    }

    [Fact]
    public void A_read_only_request_decided_again_on_an_idle_state_is_answered_at_once()
    {
        var commit = Empty();
        commit.Submit(Define("confirmed"), "writer", Context);
        commit.TakeWrite();
        commit.Confirm();
        commit.Submit(Define("a"), "writer", Context);
        commit.TakeWrite();
        // Waits behind the write in flight, though it journals nothing.
        Assert.Null(commit.Submit(Define("confirmed"), "reader", Context));

        var (answers, _) = commit.Reject(Context);

        Assert.Equal(["writer", "reader"], answers.Select(a => a.Asker));
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(answers[1].Reply).AlreadyDefined);
        Assert.True(commit.IsIdle);
    }

    [Fact]
    public void Confirming_or_rejecting_with_nothing_in_flight_is_a_bug_and_says_so()
    {
        var commit = Empty();
        Assert.Throws<InvalidOperationException>(() => commit.Confirm());
        Assert.Throws<InvalidOperationException>(() => commit.Reject(Context));
    }

    [Fact]
    public void Abandoning_gives_what_was_in_flight_apart_from_what_was_only_decided()
    {
        var commit = Empty(maxBatchEvents: 1);
        commit.Submit(Define("a"), "in-flight", Context);
        commit.TakeWrite();
        commit.Submit(Define("b"), "decided", Context);

        var (inFlight, decided) = commit.Abandon();

        Assert.Equal(["in-flight"], inFlight.Select(r => r.Asker));
        Assert.Equal(["decided"], decided.Select(r => r.Asker));
        Assert.True(commit.IsIdle);
        Assert.Empty(commit.Projected.Tasks);
    }
}
