using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>
/// A running domain for the lifecycle specs: a state, a clock the spec moves, a policy and a jitter
/// source. <see cref="Given"/> runs commands that must succeed; <see cref="When"/> decides one command,
/// applies its events and hands the decision back. Every journaled event is kept in <see cref="Journal"/>
/// so that a spec can replay it. Still plain functions underneath: no Akka, no real clock.
/// </summary>
internal sealed class Scenario(
    LifecyclePolicy? policy = null,
    Func<double>? random = null,
    DateTimeOffset? start = null,
    DomainLimits? limits = null,
    OrchestratorState? state = null)
{
    /// <summary>The state so far (empty, or the state the scenario started from, such as a restored snapshot).</summary>
    public OrchestratorState State { get; private set; } = state ?? OrchestratorState.Empty;

    /// <summary>The time the next command is decided at.</summary>
    public DateTimeOffset Now { get; private set; } = start ?? DomainSpecKit.T0;

    /// <summary>The lifecycle policy of every decision.</summary>
    public LifecyclePolicy Policy { get; } = policy ?? LifecyclePolicy.Default;

    /// <summary>The input limits of every decision.</summary>
    public DomainLimits Limits { get; } = limits ?? DomainLimits.Default;

    /// <summary>The jitter source of every decision; a spec may swap it.</summary>
    public Func<double> Random { get; set; } = random ?? DecisionContext.NoJitter;

    /// <summary>Every event journaled so far by this scenario, in order.</summary>
    public List<IOrchestratorEvent> Journal { get; } = [];

    /// <summary>The context the next decision gets.</summary>
    public DecisionContext Context => new(Now, Limits, Policy, Random) { ClaimSecret = ClaimSecret };

    /// <summary>The secret part of new claim ids, as the state manager makes them; null: bare <c>claim-N</c>.</summary>
    public Func<string>? ClaimSecret { get; set; }

    /// <summary>A task as it is now.</summary>
    public TaskRecord this[string taskId] => State.Tasks[taskId];

    /// <summary>Given: each command succeeded (no rejection, refusal or conflict) and its events are applied.</summary>
    public Scenario Given(params IStateManagerCommand[] commands)
    {
        foreach (var command in commands)
        {
            var decision = When(command);
            Assert.False(IsRefusal(decision.Reply), $"arrange: {command} was refused: {decision.Reply}");
        }
        return this;
    }

    /// <summary>When: <paramref name="command"/> is decided now; its events are applied and journaled.</summary>
    public Decision When(IStateManagerCommand command)
    {
        var decision = OrchestratorDomain.Decide(State, command, Context);
        var applied = OrchestratorDomain.ApplyAll(State, decision.Events);
        // The state a decision hands back (so the actor need not apply its events again) is the one
        // its events give.
        if (decision.After is { } after) DomainSpecKit.AssertSameState(applied, after);
        State = applied;
        Journal.AddRange(decision.Events);
        return decision;
    }

    /// <summary>What <paramref name="command"/> would do now, without applying it.</summary>
    public Decision Decide(IStateManagerCommand command) => OrchestratorDomain.Decide(State, command, Context);

    /// <summary>Given: <paramref name="agent"/> claimed a task; the assignment.</summary>
    public TaskAssigned Claim(string agent, TimeSpan? lease = null)
    {
        var reply = When(new ClaimTask(agent, lease)).Reply;
        return Assert.IsType<TaskAssigned>(reply);
    }

    /// <summary>Given: the holder of <paramref name="assigned"/> completed it.</summary>
    public Scenario Complete(TaskAssigned assigned, string? result = null) =>
        Given(new CompleteTask(assigned.Task.TaskId, assigned.Task.Claim!.Agent, assigned.ClaimId, result));

    /// <summary>Given: the holder of <paramref name="assigned"/> reported a failure.</summary>
    public Scenario Fail(TaskAssigned assigned, string reason = "it broke") =>
        Given(new FailTask(assigned.Task.TaskId, assigned.Task.Claim!.Agent, assigned.ClaimId, reason));

    /// <summary>Given: the clock moved on by <paramref name="by"/>.</summary>
    public Scenario Advance(TimeSpan by)
    {
        Assert.True(by >= TimeSpan.Zero, "time only moves forward");
        Now += by;
        return this;
    }

    /// <summary>Given: the namespace moved to a member whose clock reads <paramref name="skew"/> off the last one's (negative: behind).</summary>
    public Scenario HandedOffTo(TimeSpan skew)
    {
        Now += skew;
        return this;
    }

    /// <summary>Given: the clock is at <paramref name="at"/>.</summary>
    public Scenario AdvanceTo(DateTimeOffset at) => Advance(at - Now);

    /// <summary>When: the actor's timer fired now (expired leases, retries due).</summary>
    public Decision ProcessDeadlines() => When(Domain.ProcessDeadlines.Instance);

    /// <summary>When: <paramref name="query"/> is answered now.</summary>
    public IOrchestratorReply Ask(IStateManagerQuery query) => Ask(query, Limits);

    /// <summary>When: <paramref name="query"/> is answered now under other limits.</summary>
    public IOrchestratorReply Ask(IStateManagerQuery query, DomainLimits limits) => OrchestratorDomain.Answer(State, query, limits, Now);

    /// <summary>The journal replayed onto an empty state.</summary>
    public OrchestratorState Replayed() => OrchestratorDomain.ApplyAll(OrchestratorState.Empty, Journal);

    private static bool IsRefusal(IOrchestratorReply reply) =>
        reply is CommandRejected or TransitionRejected or StaleClaim or TaskNotFound or TaskDefinitionConflict or StateVersionConflict or IdempotencyKeyReused;
}

/// <summary>Scenarios several spec classes share.</summary>
internal static class Scenarios
{
    /// <summary>
    /// A state with a bit of everything: a task in every status, a claim held (renewed by a heartbeat),
    /// a failure waiting for its retry, deaths by failure and by a dependency, a cancellation, an
    /// expired lease, payloads and a result, documents, a registered agent and agents only seen.
    /// Jitter draws 0.5. Ends at T0 + 37 s.
    /// </summary>
    public static Scenario Rich()
    {
        var scenario = new Scenario(random: () => 0.5);
        scenario.Given(new ClaimTask("agent-z")); // nothing to do yet: seen
        scenario.Given(
            new RegisterAgent("agent-a", ["python", "sql"]),
            new SaveState("agent-a", "progress", """{"step":1}"""),
            new SaveState("agent-a", "progress", """{"step":2}"""),
            new SaveState("agent-b", "notes", "[]"),
            DomainSpecKit.Task("root", "*", "HIGH", payload: """{"n":1}""", tags: ["team:core", "tenant=acme"]),
            DomainSpecKit.Task("left", "*", dependsOn: ["root"], tags: ["team:core"]),
            DomainSpecKit.Task("right", "agent-b", dependsOn: ["root"], tags: ["tenant=acme", "team:edge", "tenant=acme"]),
            DomainSpecKit.Task("join", "*", "CRITICAL", dependsOn: ["left", "right"]),
            DomainSpecKit.Task("doomed", "agent-a", "CRITICAL", maxAttempts: 1),
            DomainSpecKit.Task("doomed-child", "agent-b", dependsOn: ["doomed"]),
            DomainSpecKit.Task("flaky", "agent-a", "HIGH", maxAttempts: 5),
            DomainSpecKit.Task("dropped", "*", "LOW"),
            DomainSpecKit.Task("dropped-child", "agent-b", dependsOn: ["dropped"]),
            DomainSpecKit.Task("idle-1", "*", "LOW"),
            DomainSpecKit.Task("idle-2", "agent-b", "LOW"));
        scenario.Advance(TimeSpan.FromSeconds(1));
        scenario.Fail(Expect(scenario.Claim("agent-a"), "doomed"), "fatal");                 // DEAD, kills doomed-child
        scenario.Advance(TimeSpan.FromSeconds(1));
        scenario.Complete(Expect(scenario.Claim("agent-a"), "root"), """{"ok":true}""");      // left, right READY
        scenario.Fail(Expect(scenario.Claim("agent-a"), "flaky"), "flaky");                  // FAILED, retry in 1.1 s
        scenario.Given(new CancelTask("dropped", "not needed", "alice"));                     // kills dropped-child
        var left = Expect(scenario.Claim("agent-b", TimeSpan.FromMinutes(2)), "left");
        // Will expire; claimed and saved under idempotency keys, which the state remembers.
        Expect(Assert.IsType<TaskAssigned>(scenario.When(new ClaimTask("agent-c") { IdempotencyKey = "agent-c-claim-1" }).Reply), "idle-1");
        scenario.Given(new SaveState("agent-c", "seen", """{"idle":1}""") { IdempotencyKey = "agent-c-save-1" });
        scenario.Advance(TimeSpan.FromSeconds(10)).Given(new Heartbeat("left", "agent-b", left.ClaimId));
        scenario.Advance(TimeSpan.FromSeconds(25)).ProcessDeadlines();                        // flaky due, idle-1 expired
        scenario.Fail(Expect(scenario.Claim("agent-a"), "flaky"), "flaky again");            // FAILED, retry in 2.2 s
        scenario.Given(DomainSpecKit.Task("ask", "agent-q"));                                  // WAITING for an answer within the hour
        scenario.Given(new RequestInput("ask", "agent-q", Expect(scenario.Claim("agent-q"), "ask").ClaimId, "Which region?", TimeSpan.FromHours(1)));
        return scenario;
    }

    private static TaskAssigned Expect(TaskAssigned assigned, string taskId)
    {
        Assert.Equal(taskId, assigned.Task.TaskId);
        return assigned;
    }

    /// <summary>
    /// What happens next, as every decision's journaled JSON and reply: claims by several agents,
    /// deadlines, completions that release dependants, a requeue. Run on two states, it tells
    /// whether they behave alike.
    /// </summary>
    public static List<string> Continue(Scenario scenario)
    {
        var log = new List<string>();
        void Run(IStateManagerCommand command)
        {
            var decision = scenario.When(command);
            log.Add($"{scenario.Now:O} {command.GetType().Name}: {string.Join(" | ", decision.Events.Select(DomainSpecKit.Json))} => {DomainSpecKit.Json(decision.Reply)}");
        }

        // Sent again under their keys: answered as the first time, nothing done again.
        Run(new ClaimTask("agent-c") { IdempotencyKey = "agent-c-claim-1" });
        Run(new SaveState("agent-c", "seen", """{"idle":1}""") { IdempotencyKey = "agent-c-save-1" });
        foreach (var agent in new[] { "agent-b", "agent-a", "agent-c", "agent-b", "agent-a", "agent-z" }) Run(new ClaimTask(agent));
        scenario.Advance(TimeSpan.FromMinutes(3));
        Run(ProcessDeadlines.Instance);
        Run(new RequeueDeadTask("doomed", "alice"));
        foreach (var agent in new[] { "agent-a", "agent-b", "agent-c", "agent-a" }) Run(new ClaimTask(agent));
        foreach (var task in scenario.State.Tasks.Values.Where(t => t.Status == TaskState.Claimed).OrderBy(t => t.Ordinal).ToList())
            Run(new CompleteTask(task.TaskId, task.Claim!.Agent, task.Claim.ClaimId, "[]"));
        foreach (var agent in new[] { "agent-c", "agent-b", "agent-a" }) Run(new ClaimTask(agent));
        scenario.Advance(TimeSpan.FromMinutes(10));
        Run(ProcessDeadlines.Instance);
        return log;
    }
}
