using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Snapshots;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class ApplyAndSnapshotSpecs
{
    private static readonly IStateManagerCommand[] History =
    [
        Define("zeta", "agent-a", "tasks/zeta.md", "HIGH"),
        new SaveState("agent-a", "progress", """{"step":1}"""),
        Define("alpha", "*", "tasks/alpha.md", "low"),
        new SaveState("agent-a", "progress", """{"step":2}"""),
        new SaveState("agent-b", "notes", "[]"),
        Define("mid", "agent-b", "tasks/mid.md"),
        Define("zeta", "agent-a", "tasks/zeta.md", "HIGH"), // idempotent repeat: no event
    ];

    /// <summary>Runs the history through Decide and Apply, collecting the journaled events.</summary>
    private static (OrchestratorState State, List<IOrchestratorEvent> Journal) Run(IEnumerable<IStateManagerCommand> commands)
    {
        var state = OrchestratorState.Empty;
        var journal = new List<IOrchestratorEvent>();
        var at = T0;
        foreach (var command in commands)
        {
            var decision = Decide(state, command, at);
            journal.AddRange(decision.Events);
            state = OrchestratorDomain.ApplyAll(state, decision.Events);
            at = at.AddSeconds(30);
        }
        return (state, journal);
    }

    // ---- Apply / ApplyAll ----------------------------------------------------------------------

    [Fact]
    public void Folding_the_journal_rebuilds_the_state()
    {
        // Given the events a history journaled
        var (live, journal) = Run(History);

        // When they are replayed onto an empty state
        var replayed = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, journal);

        // Then the state is the one the history built
        Assert.Equal(6, journal.Count);
        AssertSameState(live, replayed);
    }

    [Fact]
    public void Folding_the_journal_gives_tasks_ordinals_in_definition_order_and_documents_their_latest_version()
    {
        var (_, journal) = Run(History);

        var state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, journal);

        Assert.Equal(["zeta", "alpha", "mid"], state.Tasks.Values.OrderBy(t => t.Ordinal).Select(t => t.TaskId));
        Assert.Equal([0L, 1L, 2L], state.Tasks.Values.Select(t => t.Ordinal).Order());
        Assert.Equal(3, state.NextOrdinal);
        Assert.All(state.Tasks.Values, t => Assert.Equal(TaskState.Ready, t.Status));
        Assert.Equal(TaskPriority.Medium, state.Tasks["mid"].Priority);
        Assert.Equal(
            new DocumentRecord("agent-a", "progress", """{"step":2}""", 2, T0.AddSeconds(90)),
            state.Documents[new DocumentKey("agent-a", "progress")]);
        Assert.Equal(1, state.Documents[new DocumentKey("agent-b", "notes")].Version);
    }

    [Fact]
    public void Folding_no_events_leaves_the_state_as_it_was()
    {
        var state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty, []);

        Assert.Empty(state.Tasks);
        Assert.Empty(state.Documents);
        Assert.Equal(0, state.NextOrdinal);
    }

    [Fact]
    public void Applying_a_state_saved_event_replaces_the_document_with_the_event_version()
    {
        var state = OrchestratorDomain.ApplyAll(OrchestratorState.Empty,
        [
            new StateSavedEvent("o", "k", "1", 1, T0),
            new StateSavedEvent("o", "k", "2", 2, T1),
        ]);

        Assert.Equal(new DocumentRecord("o", "k", "2", 2, T1), Assert.Single(state.Documents).Value);
    }

    [Fact]
    public void Apply_does_not_change_the_state_it_was_given()
    {
        var before = OrchestratorState.Empty;

        var after = OrchestratorDomain.Apply(before, new TaskDefined("t-1", "a", "f", TaskPriority.Low, T0));

        Assert.Empty(before.Tasks);
        Assert.Equal(0, before.NextOrdinal);
        Assert.Single(after.Tasks);
    }

    // ---- snapshots -----------------------------------------------------------------------------

    [Fact]
    public void Snapshot_round_trip_gives_an_equal_state()
    {
        var (state, _) = Run(History);

        var restored = Snapshots.FromSnapshot(Snapshots.ToSnapshot(state));

        AssertSameState(state, restored);
    }

    [Fact]
    public void Snapshot_round_trip_of_many_tasks_keeps_every_ordinal()
    {
        var ids = Enumerable.Range(0, 100).Select(i => $"t-{(i * 37) % 100:D3}").ToList();
        var (state, _) = Run(ids.Select(id => (IStateManagerCommand)Define(id)));

        var restored = Snapshots.FromSnapshot(Snapshots.ToSnapshot(state));

        AssertSameState(state, restored);
        Assert.Equal(ids, Assert.IsType<TaskPage>(Ask(restored, new ListTasks(Limit: 1000))).Tasks.Select(t => t.TaskId));
    }

    [Fact]
    public void Snapshot_of_an_empty_state_round_trips()
    {
        var restored = Snapshots.FromSnapshot(Snapshots.ToSnapshot(OrchestratorState.Empty));

        AssertSameState(OrchestratorState.Empty, restored);
    }

    [Fact]
    public void Snapshot_carries_format_version_2_and_tasks_in_definition_order()
    {
        var (state, _) = Run(History);

        var snapshot = Snapshots.ToSnapshot(state);

        Assert.Equal(2, snapshot.FormatVersion);
        Assert.Equal(OrchestratorSnapshotV2.Version, snapshot.FormatVersion);
        Assert.Equal(["zeta", "alpha", "mid"], snapshot.Tasks.Select(t => t.TaskId));
        Assert.Equal([0L, 1L, 2L], snapshot.Tasks.Select(t => t.Ordinal));
        Assert.Equal(3, snapshot.NextOrdinal);
        Assert.Equal(3, snapshot.NextReadySeq);
        Assert.Equal(1, snapshot.NextClaim);
        Assert.Equal(2, snapshot.Documents.Count);
        Assert.Empty(snapshot.Agents);
    }

    [Fact]
    public void State_restored_from_a_snapshot_keeps_deciding_like_the_original()
    {
        var (state, _) = Run(History);
        var restored = Snapshots.FromSnapshot(Snapshots.ToSnapshot(state));

        // A repeat is still recognised, a new task goes to the end, a document continues its versions.
        var repeat = Decide(restored, Define("alpha", "*", "tasks/alpha.md", "LOW"), T2);
        var afterNew = OrchestratorDomain.ApplyAll(restored, Decide(restored, Define("new"), T2).Events);
        var save = Decide(restored, new SaveState("agent-a", "progress", "{}", ExpectedVersion: 2), T2);

        Assert.True(Assert.IsType<TaskDefinitionAccepted>(repeat.Reply).AlreadyDefined);
        Assert.Equal(["zeta", "alpha", "mid", "new"],
            Assert.IsType<TaskPage>(Ask(afterNew, new ListTasks())).Tasks.Select(t => t.TaskId));
        Assert.Equal(new StateSaved("agent-a", "progress", 3), save.Reply);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(-1)]
    public void Snapshot_of_another_format_version_is_refused(int formatVersion)
    {
        var snapshot = Snapshots.ToSnapshot(Run(History).State) with { FormatVersion = formatVersion };

        var error = Assert.Throws<ArgumentException>(() => Snapshots.FromSnapshot(snapshot));

        Assert.Contains(formatVersion.ToString(), error.Message);
    }
}
