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
internal sealed class Scenario(LifecyclePolicy? policy = null, Func<double>? random = null, DateTimeOffset? start = null, DomainLimits? limits = null)
{
    /// <summary>The state so far.</summary>
    public OrchestratorState State { get; private set; } = OrchestratorState.Empty;

    /// <summary>The time the next command is decided at.</summary>
    public DateTimeOffset Now { get; private set; } = start ?? DomainSpecKit.T0;

    /// <summary>The lifecycle policy of every decision.</summary>
    public LifecyclePolicy Policy { get; } = policy ?? LifecyclePolicy.Default;

    /// <summary>The input limits of every decision.</summary>
    public DomainLimits Limits { get; } = limits ?? DomainLimits.Default;

    /// <summary>The jitter source of every decision; a spec may swap it.</summary>
    public Func<double> Random { get; set; } = random ?? DecisionContext.NoJitter;

    /// <summary>Every event journaled so far, in order.</summary>
    public List<IOrchestratorEvent> Journal { get; } = [];

    /// <summary>The context the next decision gets.</summary>
    public DecisionContext Context => new(Now, Limits, Policy, Random);

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
        State = OrchestratorDomain.ApplyAll(State, decision.Events);
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

    /// <summary>Given: the clock is at <paramref name="at"/>.</summary>
    public Scenario AdvanceTo(DateTimeOffset at) => Advance(at - Now);

    /// <summary>When: the actor's timer fired now (expired leases, retries due).</summary>
    public Decision ProcessDeadlines() => When(Domain.ProcessDeadlines.Instance);

    /// <summary>When: <paramref name="query"/> is answered now.</summary>
    public IOrchestratorReply Ask(IStateManagerQuery query) => OrchestratorDomain.Answer(State, query, Limits, Now);

    /// <summary>The journal replayed onto an empty state.</summary>
    public OrchestratorState Replayed() => OrchestratorDomain.ApplyAll(OrchestratorState.Empty, Journal);

    private static bool IsRefusal(IOrchestratorReply reply) =>
        reply is CommandRejected or TransitionRejected or StaleClaim or TaskNotFound or TaskDefinitionConflict or StateVersionConflict;
}
