using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;

namespace Orchestrator.Actors.Benchmarks.Micro;

/// <summary>
/// The states the micro-benchmarks run on: <c>n</c> tasks defined through
/// <see cref="OrchestratorDomain.Apply"/>, as a replay of their <c>task-defined.v1</c> events builds them.
/// </summary>
internal static class BenchmarkStates
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    // Spread over a few agents and all priorities, so that the READY queues look like a busy node's.
    private const int AgentCount = 8;

    public static string TaskId(int i) => $"task-{i:D7}";

    public static string Agent(int i) => $"agent-{i % AgentCount}";

    public static TaskDefined Defined(int i) =>
        new(TaskId(i), Agent(i), $"tasks/{TaskId(i)}.md", (TaskPriority)(i / AgentCount % 4), T0.AddMilliseconds(i),
            [], TaskDefined.DefaultMaxAttempts, Payload: null, By: "bench");

    /// <summary><paramref name="count"/> READY tasks without dependencies, each with its definition as its history.</summary>
    public static OrchestratorState WithTasks(int count)
    {
        var state = OrchestratorState.Empty;
        for (var i = 0; i < count; i++)
            state = OrchestratorDomain.Apply(state, Defined(i));
        return state;
    }

    /// <summary>A decision context as the state manager builds it: default limits and policy, no jitter.</summary>
    public static DecisionContext Context(DateTimeOffset now) =>
        new(now, DomainLimits.Default, LifecyclePolicy.Default, DecisionContext.NoJitter);
}
