using BenchmarkDotNet.Attributes;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// The pure domain on the define hot path, on a state of <see cref="Tasks"/> READY tasks (plus the three
/// the benchmarks need: two dependencies and one task to repeat). The state is immutable, so every
/// invocation decides or applies on the same input.
/// </summary>
/// <remarks>
/// No forced full GC between iterations: the state of a million tasks is about 750 MB of small objects,
/// a forced full collection of it takes over a second, and BenchmarkDotNet would force one before each of
/// some forty iterations per case, for a heap that the benchmarks do not change. The collections the
/// benchmarks cause themselves are measured, as they would be in the state manager.
/// </remarks>
[MemoryDiagnoser]
[ShortRunJob]
[GcForce(false)]
public class DomainBenchmarks
{
    private const string Payload = """{"repo":"orchestrator","branch":"main","steps":["build","test"],"retries":2}""";

    private OrchestratorState _state = null!;
    private DecisionContext _context = null!;
    private DefineTask _defineNew = null!;
    private DefineTask _defineNewWithPayloadAndDependencies = null!;
    private DefineTask _defineRepeat = null!;
    private TaskDefined _defined = null!;
    private ClaimTask _claim = null!;

    /// <summary>Tasks defined before the benchmark.</summary>
    [Params(0, 100_000, 1_000_000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var state = BenchmarkStates.WithTasks(Tasks);
        var at = BenchmarkStates.T0.AddHours(1);
        state = OrchestratorDomain.ApplyAll(state,
        [
            new TaskDefined("bench-dep-a", "agent-0", "tasks/bench-dep-a.md", TaskPriority.Medium, at, [], 3),
            new TaskDefined("bench-dep-b", "agent-0", "tasks/bench-dep-b.md", TaskPriority.Medium, at, [], 3),
            new TaskDefined("bench-existing", "agent-0", "tasks/bench-existing.md", TaskPriority.High, at, [], 3, Payload: null, By: "bench"),
        ]);
        _state = state;
        _context = BenchmarkStates.Context(at.AddMinutes(1));

        _defineNew = new DefineTask("bench-new", "agent-0", "tasks/bench-new.md", "HIGH", By: "bench");
        _defineNewWithPayloadAndDependencies = new DefineTask("bench-new", "agent-0", "tasks/bench-new.md", "HIGH",
            ["bench-dep-a", "bench-dep-b"], MaxAttempts: 5, Payload, By: "bench");
        _defineRepeat = new DefineTask("bench-existing", "agent-0", "tasks/bench-existing.md", "HIGH", By: "bench");
        _defined = new TaskDefined("bench-new", "agent-0", "tasks/bench-new.md", TaskPriority.High, _context.Now, [], 3, Payload: null, By: "bench");
        _claim = new ClaimTask("agent-0");

        // Fail here rather than measure the wrong path.
        Expect(OrchestratorDomain.Decide(_state, _defineNew, _context), isNew: true);
        Expect(OrchestratorDomain.Decide(_state, _defineNewWithPayloadAndDependencies, _context), isNew: true);
        Expect(OrchestratorDomain.Decide(_state, _defineRepeat, _context), isNew: false);
        if (OrchestratorDomain.Decide(_state, _claim, _context).Reply is not TaskAssigned)
            throw new InvalidOperationException("the claim found no READY task");
    }

    /// <summary>A definition of a new id: validation, the event, and the state after it (for the reply).</summary>
    /// <summary>GetStats: tasks by status and priority, the age of the task READY the longest.</summary>
    [Benchmark]
    public IOrchestratorReply Answer_stats() => OrchestratorDomain.Answer(_state, Protocol.Queries.GetStats.Instance, DomainLimits.Default, _context.Now);

    /// <summary>ListAgents, with the claims each holds.</summary>
    [Benchmark]
    public IOrchestratorReply Answer_list_agents() => OrchestratorDomain.Answer(_state, new Protocol.Queries.ListAgents(), DomainLimits.Default, _context.Now);

    /// <summary>The first page of ListTasks, unfiltered (the CLI's and the dashboard's first view).</summary>
    [Benchmark]
    public IOrchestratorReply Answer_list_tasks_first_page() =>
        OrchestratorDomain.Answer(_state, new Protocol.Queries.ListTasks(), DomainLimits.Default, _context.Now);

    /// <summary>The first page of READY tasks (a status filter: the total is a kept count).</summary>
    [Benchmark]
    public IOrchestratorReply Answer_list_ready_first_page() =>
        OrchestratorDomain.Answer(_state, new Protocol.Queries.ListTasks(Status: "READY"), DomainLimits.Default, _context.Now);

    [Benchmark]
    public Decision Decide_define_new() => OrchestratorDomain.Decide(_state, _defineNew, _context);

    /// <summary>The same with a JSON payload (parsed to validate it) and two dependencies (looked up).</summary>
    [Benchmark]
    public Decision Decide_define_new_with_payload_and_dependencies() =>
        OrchestratorDomain.Decide(_state, _defineNewWithPayloadAndDependencies, _context);

    /// <summary>An identical repeat of an existing definition: no event, the existing task as the reply.</summary>
    [Benchmark]
    public Decision Decide_define_repeat() => OrchestratorDomain.Decide(_state, _defineRepeat, _context);

    /// <summary>Folding one <c>task-defined.v1</c> into the state (recovery, and the actor's journal callback).</summary>
    [Benchmark]
    public OrchestratorState Apply_task_defined() => OrchestratorDomain.Apply(_state, _defined);

    /// <summary>The history entry and subscriber notice of a <c>task-defined.v1</c>.</summary>
    [Benchmark]
    public TaskTransitioned? Describe_task_defined() => OrchestratorDomain.Describe(_state, _defined);

    /// <summary>A claim of the head of agent-0's READY queue.</summary>
    [Benchmark]
    public Decision Decide_claim() => OrchestratorDomain.Decide(_state, _claim, _context);

    /// <summary>
    /// One definition as the state manager handles it: decide on the projected state (which applies
    /// the event, for the reply); once journaled, the notice is described against the state the
    /// decision met and the confirmed state becomes the decision's own (no second apply).
    /// </summary>
    [Benchmark]
    public (OrchestratorState Confirmed, TaskTransitioned? Notice) Define_as_the_state_manager_does()
    {
        var decision = OrchestratorDomain.Decide(_state, _defineNew, _context);
        var confirmed = decision.StateAfter(_state);
        TaskTransitioned? notice = null;
        foreach (var e in decision.Events) notice = OrchestratorDomain.Describe(_state, e);
        return (confirmed, notice);
    }

    private static void Expect(Decision decision, bool isNew)
    {
        if (decision.Reply is not TaskDefinitionAccepted reply || reply.AlreadyDefined == isNew || decision.Events.Count != (isNew ? 1 : 0))
            throw new InvalidOperationException($"unexpected decision: {decision.Reply}");
    }
}
