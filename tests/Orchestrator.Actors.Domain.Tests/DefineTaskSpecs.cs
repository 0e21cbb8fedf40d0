using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Domain.Tests.DomainSpecKit;

namespace Orchestrator.Actors.Domain.Tests;

public sealed class DefineTaskSpecs
{
    // ---- defined -------------------------------------------------------------------------------

    [Fact]
    public void New_task_is_defined_with_one_event_carrying_the_normalized_priority()
    {
        // Given no tasks
        var state = OrchestratorState.Empty;

        // When a task is defined with a lower-case priority
        var decision = Decide(state, new DefineTask("t-1", "agent-a", "tasks/t-1.md", "high"), T0);

        // Then exactly one TaskDefined is to be journaled, priority parsed to HIGH, with no dependencies,
        // the policy's attempts resolved into the event, and no payload
        var defined = Assert.IsType<TaskDefined>(Assert.Single(decision.Events));
        AssertEvents([defined], new TaskDefined("t-1", "agent-a", "tasks/t-1.md", TaskPriority.High, T0, [], LifecyclePolicy.Default.DefaultMaxAttempts));
        Assert.False(decision.IsReadOnly);
    }

    [Fact]
    public void New_task_is_accepted_as_not_already_defined_and_ready()
    {
        var decision = Decide(OrchestratorState.Empty, new DefineTask("t-1", "agent-a", "tasks/t-1.md", "LOW"), T0);

        var accepted = Assert.IsType<TaskDefinitionAccepted>(decision.Reply);
        Assert.False(accepted.AlreadyDefined);
        Assert.Equal(new TaskView("t-1", "agent-a", "tasks/t-1.md", TaskPriority.Low, TaskState.Ready, T0, [], MaxAttempts: 3, UpdatedAt: T0), accepted.Task);
    }

    [Fact]
    public void Applying_the_defined_event_makes_the_task_ready_at_the_event_time()
    {
        // Given the event of a definition (its time differs from any "now")
        var defined = new TaskDefined("t-1", "agent-a", "tasks/t-1.md", TaskPriority.Critical, T2);

        // When it is applied
        var state = OrchestratorDomain.Apply(OrchestratorState.Empty, defined);

        // Then the task is READY, defined (and last updated) at the event's time, first in definition
        // order and first in the READY queue, with the definition as its history; an event without
        // MaxAttempts (as written before the lifecycle) gets the default attempts
        var task = Assert.Single(state.Tasks.Values);
        Assert.Equal(new TaskRecord("t-1", "agent-a", "tasks/t-1.md", TaskPriority.Critical, TaskState.Ready, T2, 0)
        {
            MaxAttempts = TaskDefined.DefaultMaxAttempts,
            UpdatedAt = T2,
            ReadySeq = 0,
            History = [new TaskHistoryEntry("task-defined", null, TaskState.Ready, T2, null)],
        }, task);
        Assert.Equal(1, state.NextOrdinal);
        Assert.Equal(1, state.NextReadySeq);
        Assert.Equal(new TaskFound(new TaskView("t-1", "agent-a", "tasks/t-1.md", TaskPriority.Critical, TaskState.Ready, T2, [], 3, UpdatedAt: T2)),
            Ask(state, new GetTask("t-1")));
    }

    // ---- idempotent repeat ---------------------------------------------------------------------

    [Fact]
    public void Identical_repeat_is_accepted_as_already_defined_without_an_event()
    {
        // Given a task defined at T0
        var state = Given(Define("t-1", priority: "HIGH"));

        // When the identical definition arrives again later
        var decision = Decide(state, Define("t-1", priority: "HIGH"), T2);

        // Then nothing is journaled and the reply carries the original task, defined at T0
        Assert.Empty(decision.Events);
        var accepted = Assert.IsType<TaskDefinitionAccepted>(decision.Reply);
        Assert.True(accepted.AlreadyDefined);
        Assert.Equal(new TaskView("t-1", "agent-a", "tasks/t.md", TaskPriority.High, TaskState.Ready, T0, [], 3, UpdatedAt: T0), accepted.Task);
    }

    [Theory]
    [InlineData("high", "HIGH")]
    [InlineData("HIGH", "high")]
    [InlineData("Critical", "cRiTiCaL")]
    [InlineData("low", " LOW ")]
    public void Repeat_with_the_priority_in_another_case_is_still_identical(string first, string repeat)
    {
        var state = Given(Define("t-1", priority: first));

        var decision = Decide(state, Define("t-1", priority: repeat), T1);

        Assert.Empty(decision.Events);
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(decision.Reply).AlreadyDefined);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Omitted_priority_means_medium(string? priority)
    {
        var decision = Decide(OrchestratorState.Empty, Define("t-1", priority: priority));

        var defined = Assert.IsType<TaskDefined>(Assert.Single(decision.Events));
        Assert.Equal(TaskPriority.Medium, defined.Priority);
        Assert.Equal(TaskPriority.Medium, Assert.IsType<TaskDefinitionAccepted>(decision.Reply).Task.Priority);
    }

    [Theory]
    [InlineData(null, "medium")]
    [InlineData(null, "MEDIUM")]
    [InlineData("medium", null)]
    [InlineData("Medium", "")]
    public void Omitted_and_explicit_medium_priority_are_identical(string? first, string? repeat)
    {
        var state = Given(Define("t-1", priority: first));

        var decision = Decide(state, Define("t-1", priority: repeat), T1);

        Assert.Empty(decision.Events);
        Assert.True(Assert.IsType<TaskDefinitionAccepted>(decision.Reply).AlreadyDefined);
    }

    // ---- conflict ------------------------------------------------------------------------------

    [Theory]
    [InlineData("agent-b", "tasks/t.md", "HIGH")]   // other agent
    [InlineData("Agent-A", "tasks/t.md", "HIGH")]   // agents match exactly, not ignoring case
    [InlineData("*", "tasks/t.md", "HIGH")]         // "any agent" is not the same as agent-a
    [InlineData("agent-a", "tasks/other.md", "HIGH")] // other file
    [InlineData("agent-a", "tasks/T.md", "HIGH")]   // files match exactly
    [InlineData("agent-a", "tasks/t.md", "LOW")]    // other priority
    [InlineData("agent-a", "tasks/t.md", null)]     // omitted priority is MEDIUM, not HIGH
    public void Different_definition_of_an_existing_id_is_a_conflict_carrying_the_existing_task(string agent, string file, string? priority)
    {
        // Given t-1 defined for agent-a, tasks/t.md, HIGH
        var state = Given(Define("t-1", "agent-a", "tasks/t.md", "HIGH"));

        // When t-1 is defined differently
        var decision = Decide(state, new DefineTask("t-1", agent, file, priority), T1);

        // Then nothing is journaled and the conflict carries the task as it exists
        Assert.Empty(decision.Events);
        var conflict = Assert.IsType<TaskDefinitionConflict>(decision.Reply);
        Assert.Equal("t-1", conflict.TaskId);
        Assert.Equal(new TaskView("t-1", "agent-a", "tasks/t.md", TaskPriority.High, TaskState.Ready, T0, [], 3, UpdatedAt: T0), conflict.Existing);
    }

    [Fact]
    public void Conflicting_definition_leaves_the_existing_task_unchanged()
    {
        var state = Given(Define("t-1", "agent-a", "tasks/t.md", "HIGH"));

        var decision = Decide(state, Define("t-1", "agent-b", "tasks/t.md", "HIGH"), T1);
        var after = OrchestratorDomain.ApplyAll(state, decision.Events);

        var found = Assert.IsType<TaskFound>(Ask(after, new GetTask("t-1")));
        Assert.Equal("agent-a", found.Task.Agent);
    }

    // ---- invalid -------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Empty_task_id_is_rejected(string? id)
    {
        var decision = Decide(OrchestratorState.Empty, new DefineTask(id!, "agent-a", "tasks/t.md"));

        var rejected = AssertRejected(decision, "taskId");
        Assert.Contains("empty", rejected.Reason);
    }

    [Fact]
    public void Task_id_of_200_characters_is_accepted()
    {
        var id = new string('a', 200);

        var decision = Decide(OrchestratorState.Empty, Define(id));

        Assert.Equal(id, Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).TaskId);
    }

    [Fact]
    public void Task_id_of_201_characters_is_rejected_with_its_length()
    {
        var id = new string('a', 201);

        var decision = Decide(OrchestratorState.Empty, Define(id));

        var rejected = AssertRejected(decision, "taskId");
        Assert.Contains("201", rejected.Reason);
        Assert.Contains("200", rejected.Reason);
    }

    [Theory]
    [InlineData("a#b", "'#'")]
    [InlineData("a b", "'\\u0020'")]   // white space is named by its code, so that it is visible
    [InlineData("a\tb", "'\\u0009'")]
    [InlineData("a\\b", "'\\'")]
    [InlineData("a*b", "'*'")]
    [InlineData("tâche", "'â'")]       // letters beyond ASCII are not allowed
    public void Task_id_with_a_forbidden_character_is_rejected_naming_the_character(string id, string named)
    {
        var decision = Decide(OrchestratorState.Empty, Define(id));

        var rejected = AssertRejected(decision, "taskId");
        Assert.Contains(named, rejected.Reason);
        // Echoed as given, a control character escaped (the echo reaches terminals and logs).
        Assert.Equal(id.Replace("\t", "\\u0009"), rejected.Value);
    }

    [Theory]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ")]
    [InlineData("abcdefghijklmnopqrstuvwxyz")]
    [InlineData("0123456789")]
    [InlineData("._:/-")]
    [InlineData("project/feature:step_1.v-2")]
    [InlineData(".")]
    [InlineData("-")]
    public void Task_id_of_ascii_letters_digits_and_dot_underscore_colon_slash_dash_is_accepted(string id)
    {
        var decision = Decide(OrchestratorState.Empty, Define(id));

        Assert.Equal(id, Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).TaskId);
        Assert.False(Assert.IsType<TaskDefinitionAccepted>(decision.Reply).AlreadyDefined);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    [InlineData(null)]
    public void Empty_or_blank_agent_is_rejected(string? agent)
    {
        var decision = Decide(OrchestratorState.Empty, new DefineTask("t-1", agent!, "tasks/t.md"));

        AssertRejected(decision, "agent");
    }

    [Fact]
    public void Agent_of_1000_characters_is_accepted()
    {
        var agent = new string('x', 1000);

        var decision = Decide(OrchestratorState.Empty, Define("t-1", agent: agent));

        Assert.Equal(agent, Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).Agent);
    }

    [Fact]
    public void Agent_of_1001_characters_is_rejected()
    {
        var decision = Decide(OrchestratorState.Empty, Define("t-1", agent: new string('x', 1001)));

        var rejected = AssertRejected(decision, "agent");
        Assert.Contains("1001", rejected.Reason);
    }

    [Fact]
    public void Any_agent_star_is_a_valid_agent()
    {
        var decision = Decide(OrchestratorState.Empty, Define("t-1", agent: ProtocolNames.AnyAgent));

        Assert.Equal("*", Assert.IsType<TaskDefined>(Assert.Single(decision.Events)).Agent);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void Empty_task_file_is_rejected(string? file)
    {
        var decision = Decide(OrchestratorState.Empty, new DefineTask("t-1", "agent-a", file!));

        AssertRejected(decision, "taskFile");
    }

    [Fact]
    public void Task_file_of_1001_characters_is_rejected_and_1000_accepted()
    {
        var tooLong = Decide(OrchestratorState.Empty, Define("t-1", file: new string('f', 1001)));
        var longest = Decide(OrchestratorState.Empty, Define("t-1", file: new string('f', 1000)));

        AssertRejected(tooLong, "taskFile");
        Assert.Single(longest.Events);
    }

    [Fact]
    public void Unknown_priority_is_rejected_listing_the_allowed_priorities()
    {
        var decision = Decide(OrchestratorState.Empty, Define("t-1", priority: "URGENT"));

        var rejected = AssertRejected(decision, "priority");
        Assert.Equal("URGENT", rejected.Value);
        Assert.Contains("CRITICAL, HIGH, MEDIUM, LOW", rejected.Reason);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1,2")]
    public void Numeric_priority_is_rejected(string priority)
    {
        var decision = Decide(OrchestratorState.Empty, Define("t-1", priority: priority));

        var rejected = AssertRejected(decision, "priority");
        Assert.Equal(priority, rejected.Value);
    }

    [Theory]
    [InlineData("HIGH,LOW")]   // Enum.TryParse reads this as the flags HIGH|LOW = 1|3 = LOW
    [InlineData("critical,high")]
    [InlineData("HIGH,2")]
    public void Priority_naming_several_priorities_is_rejected(string priority)
    {
        var decision = Decide(OrchestratorState.Empty, Define("t-1", priority: priority));

        var rejected = AssertRejected(decision, "priority");
        Assert.Equal(priority, rejected.Value);
    }

    [Fact]
    public void Long_rejected_value_is_shortened_to_100_characters_and_an_ellipsis()
    {
        var id = string.Concat(Enumerable.Range(0, 300).Select(i => (char)('a' + i % 26)));

        var decision = Decide(OrchestratorState.Empty, Define(id));

        var rejected = AssertRejected(decision, "taskId");
        Assert.Equal(id[..100] + "…", rejected.Value);
    }

    [Fact]
    public void Long_rejected_agent_is_shortened_too()
    {
        var agent = new string('y', 5000);

        var decision = Decide(OrchestratorState.Empty, Define("t-1", agent: agent));

        var rejected = AssertRejected(decision, "agent");
        Assert.Equal(new string('y', 100) + "…", rejected.Value);
    }

    [Fact]
    public void Rejected_value_of_100_characters_is_echoed_whole()
    {
        var id = new string('a', 99) + "#";

        var decision = Decide(OrchestratorState.Empty, Define(id));

        Assert.Equal(id, AssertRejected(decision, "taskId").Value);
    }

    [Fact]
    public void Invalid_definition_of_an_existing_id_is_rejected_not_a_conflict()
    {
        var state = Given(Define("t-1", priority: "HIGH"));

        var decision = Decide(state, Define("t-1", priority: "URGENT"), T1);

        AssertRejected(decision, "priority");
    }
}
