using System.Text.Json;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Domain.Tests;

/// <summary>Given/when helpers shared by the domain specs. No Akka: the domain is plain functions.</summary>
internal static class DomainSpecKit
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset T1 = T0.AddMinutes(1);
    public static readonly DateTimeOffset T2 = T0.AddMinutes(2);

    /// <summary>When: the domain decides <paramref name="command"/> on <paramref name="state"/>.</summary>
    public static Decision Decide(OrchestratorState state, IStateManagerCommand command, DateTimeOffset? at = null, DomainLimits? limits = null) =>
        OrchestratorDomain.Decide(state, command, at ?? T0, limits ?? DomainLimits.Default);

    /// <summary>When: the domain decides <paramref name="command"/> in <paramref name="context"/> (policy, jitter, time).</summary>
    public static Decision Decide(OrchestratorState state, IStateManagerCommand command, DecisionContext context) =>
        OrchestratorDomain.Decide(state, command, context);

    /// <summary>A decision context: <see cref="T0"/>, default limits and policy, no jitter unless given.</summary>
    public static DecisionContext Context(DateTimeOffset? at = null, LifecyclePolicy? policy = null, Func<double>? random = null, DomainLimits? limits = null) =>
        new(at ?? T0, limits ?? DomainLimits.Default, policy ?? LifecyclePolicy.Default, random ?? DecisionContext.NoJitter);

    /// <summary>When: the domain answers <paramref name="query"/> on <paramref name="state"/>.</summary>
    public static IOrchestratorReply Ask(OrchestratorState state, IStateManagerQuery query, DomainLimits? limits = null) =>
        OrchestratorDomain.Answer(state, query, limits ?? DomainLimits.Default, T0);

    /// <summary>Given: the state after each command was decided and its events applied, a minute apart.</summary>
    public static OrchestratorState Given(params IStateManagerCommand[] commands) => Given(OrchestratorState.Empty, commands);

    public static OrchestratorState Given(OrchestratorState state, params IStateManagerCommand[] commands)
    {
        var at = T0;
        foreach (var command in commands)
        {
            var decision = OrchestratorDomain.Decide(state, command, at, DomainLimits.Default);
            Assert.False(decision.Reply is CommandRejected, $"arrange: {command} was rejected: {decision.Reply}");
            state = OrchestratorDomain.ApplyAll(state, decision.Events);
            at = at.AddMinutes(1);
        }
        return state;
    }

    /// <summary>Then: the command was rejected for <paramref name="field"/> and nothing is to be journaled.</summary>
    public static CommandRejected AssertRejected(Decision decision, string field)
    {
        Assert.Empty(decision.Events);
        Assert.True(decision.IsReadOnly);
        var rejected = Assert.IsType<CommandRejected>(decision.Reply);
        Assert.Equal(field, rejected.Field);
        return rejected;
    }

    /// <summary>Then: the query was rejected for <paramref name="field"/>.</summary>
    public static CommandRejected AssertRejected(IOrchestratorReply reply, string field)
    {
        var rejected = Assert.IsType<CommandRejected>(reply);
        Assert.Equal(field, rejected.Field);
        return rejected;
    }

    /// <summary>Then: the transition was refused naming the task's current state, and nothing is to be journaled.</summary>
    public static TransitionRejected AssertTransitionRejected(Decision decision, string taskId, TaskState status, string action)
    {
        Assert.Empty(decision.Events);
        var rejected = Assert.IsType<TransitionRejected>(decision.Reply);
        Assert.Equal((taskId, status, action), (rejected.TaskId, rejected.Status, rejected.Action));
        Assert.Contains(ProtocolNames.Of(status), rejected.Message);
        return rejected;
    }

    /// <summary>Then: the message was refused as coming from a claim that is not current, naming the task's state; nothing is to be journaled.</summary>
    public static StaleClaim AssertStale(Decision decision, string taskId, string agent, string? claimId, TaskState status)
    {
        Assert.Empty(decision.Events);
        var stale = Assert.IsType<StaleClaim>(decision.Reply);
        Assert.Equal((taskId, agent, claimId, status), (stale.TaskId, stale.Agent, stale.ClaimId, stale.Status));
        Assert.Contains(ProtocolNames.Of(status), stale.Message);
        return stale;
    }

    /// <summary>
    /// Then: the events are these, in this order. Compared as their journaled JSON with their type,
    /// since events carrying lists (DependsOn, Capabilities) compare those by reference.
    /// </summary>
    public static void AssertEvents(IEnumerable<Protocol.IOrchestratorEvent> actual, params Protocol.IOrchestratorEvent[] expected) =>
        Assert.Equal(expected.Select(Json).ToList(), actual.Select(Json).ToList());

    /// <summary>A message as its type name and journaled JSON (domain-only replies, which never travel, as their record text).</summary>
    public static string Json(object message) =>
        OrchestratorJsonContext.Default.GetTypeInfo(message.GetType()) is { } info
            ? message.GetType().Name + " " + JsonSerializer.Serialize(message, info)
            : message.ToString()!;

    /// <summary>
    /// Then: two states are the same: tasks (with ordinals, claims, histories), documents, agents,
    /// counters, the idempotency keys remembered, the schedules, and the indexes (READY queues, deadlines, dependants), which decide what happens next.
    /// </summary>
    public static void AssertSameState(OrchestratorState expected, OrchestratorState actual)
    {
        Assert.Equal(
            expected.Tasks.Values.OrderBy(t => t.Ordinal).ToList(),
            actual.Tasks.Values.OrderBy(t => t.Ordinal).ToList());
        Assert.Equal(
            expected.Documents.OrderBy(d => d.Key.OwnerId, StringComparer.Ordinal).ThenBy(d => d.Key.Key, StringComparer.Ordinal).ToList(),
            actual.Documents.OrderBy(d => d.Key.OwnerId, StringComparer.Ordinal).ThenBy(d => d.Key.Key, StringComparer.Ordinal).ToList());
        Assert.Equal(
            expected.Agents.Values.OrderBy(a => a.Agent, StringComparer.Ordinal).ToList(),
            actual.Agents.Values.OrderBy(a => a.Agent, StringComparer.Ordinal).ToList());
        Assert.Equal(expected.Order.ToList(), actual.Order.ToList());
        Assert.Equal(
            expected.OrderByAgent.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (a.Key, string.Join(",", a.Value))),
            actual.OrderByAgent.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (a.Key, string.Join(",", a.Value))));
        Assert.Equal(actual.Order.GroupBy(id => actual.Tasks[id].Agent).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, string.Join(",", g))),
            actual.OrderByAgent.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => (a.Key, string.Join(",", a.Value))));
        Assert.Equal(actual.Tasks.Values.OrderBy(t => t.Ordinal).Select(t => t.TaskId).ToList(), actual.Order.ToList());
        Assert.Equal(expected.NextOrdinal, actual.NextOrdinal);
        Assert.Equal(expected.NextClaim, actual.NextClaim);
        Assert.Equal(expected.NextReadySeq, actual.NextReadySeq);
        Assert.Equal(ReadyQueues(expected), ReadyQueues(actual));
        Assert.Equal(expected.Deadlines.ToList(), actual.Deadlines.ToList());
        Assert.Equal(expected.NextDeadline, actual.NextDeadline);
        Assert.Equal(Dependants(expected), Dependants(actual));
        Assert.Equal(Counted(expected), Counted(actual));
        Assert.Equal(expected.RequestKeys.OldestFirst(), actual.RequestKeys.OldestFirst());
        Assert.Equal(
            expected.OrderByTag.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, string.Join(",", t.Value))),
            actual.OrderByTag.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, string.Join(",", t.Value))));
        Assert.Equal(actual.Tasks.Values.SelectMany(t => t.Tags.Select(tag => (tag, t.Ordinal, t.TaskId))).GroupBy(x => x.tag)
                .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, string.Join(",", g.OrderBy(x => x.Ordinal).Select(x => x.TaskId)))),
            actual.OrderByTag.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, string.Join(",", t.Value))));
        Assert.Equal(expected.ClaimLimits?.FairBy, actual.ClaimLimits?.FairBy);
        Assert.Equal(expected.Fair, actual.Fair);
        Assert.Equal(expected.ClaimRateDue.OrderBy(t => t.Key, StringComparer.Ordinal), actual.ClaimRateDue.OrderBy(t => t.Key, StringComparer.Ordinal));
        if (actual.ClaimLimits?.FairBy is { } prefix)
            Assert.Equal(FairQueues.Of(prefix, actual.ReadyQueues(), actual.Tasks).WithTurns(actual.Fair!.Turns(), actual.Fair.Turn), actual.Fair);
        // With fairness on, the fair queues hold the READY tasks in place of Ready.
        Assert.True(actual.Fair is null || actual.Ready.Values.All(q => q.Count == 0));
        Assert.Equal(actual.Tasks.Values.Where(t => t.Status == TaskState.Ready).GroupBy(t => t.Agent, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(t => t.QueueEntry).Order())}").ToList(), ReadyQueues(actual));
        Assert.Equal(expected.Schedules.Values.ToList(), actual.Schedules.Values.ToList());
        Assert.Equal(expected.ScheduleTimes.ToList(), actual.ScheduleTimes.ToList());
        Assert.Equal(actual.Schedules.Values.Where(s => s.NextAt is not null).Select(s => new Deadline(s.NextAt!.Value, s.ScheduleId)).Order().ToList(),
            actual.ScheduleTimes.ToList());
        AssertCountsMatchTheTasks(actual);
    }

    /// <summary>Then: the counts the state keeps are those of its tasks, counted again.</summary>
    public static void AssertCountsMatchTheTasks(OrchestratorState state) =>
        Assert.Equal(Counted(state), Recounted(state));

    // The kept counts, as text: by status, by priority, claims by agent, tasks by tag and status.
    private static List<string> Counted(OrchestratorState state) =>
    [
        .. Enum.GetValues<TaskState>().Select(s => $"{s}: {state.Counts[s]}"),
        .. Enum.GetValues<TaskPriority>().Select(p => $"{p}: {state.Counts[p]}"),
        .. state.Counts.ClaimsByAgent.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} holds {c.Value}"),
        .. state.Counts.ByTagAndStatus.OrderBy(c => c.Tag, StringComparer.Ordinal).ThenBy(c => c.Status).Select(c => $"tag {c.Tag} {c.Status} {c.Count}"),
    ];

    private static List<string> Recounted(OrchestratorState state) =>
    [
        .. Enum.GetValues<TaskState>().Select(s => $"{s}: {state.Tasks.Values.Count(t => t.Status == s)}"),
        .. Enum.GetValues<TaskPriority>().Select(p => $"{p}: {state.Tasks.Values.Count(t => t.Priority == p)}"),
        .. state.Tasks.Values.Where(t => t is { Status: TaskState.Claimed, Claim: not null })
            .GroupBy(t => t.Claim!.Agent, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} holds {g.Count()}"),
        .. state.Tasks.Values.SelectMany(t => t.Tags.Select(tag => (Tag: tag, t.Status)))
            .GroupBy(c => c).OrderBy(g => g.Key.Tag, StringComparer.Ordinal).ThenBy(g => g.Key.Status).Select(g => $"tag {g.Key.Tag} {g.Key.Status} {g.Count()}"),
    ];

    // Queues that emptied may linger as empty sets; they hold nothing, so they do not count. With fairness on, the groups merged.
    private static List<string> ReadyQueues(OrchestratorState state) =>
        state.ReadyQueues().OrderBy(q => q.Key, StringComparer.Ordinal)
            .Select(q => $"{q.Key}: {string.Join(", ", q.Value)}").ToList();

    private static List<string> Dependants(OrchestratorState state) =>
        state.Dependants.Where(d => d.Value.Count > 0).OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => $"{d.Key} <- {string.Join(", ", d.Value)}").ToList();

    public static DefineTask Define(string id, string agent = "agent-a", string file = "tasks/t.md", string? priority = null) =>
        new(id, agent, file, priority);

    /// <summary>A definition for the lifecycle specs: dependencies, attempts and payload as named arguments.</summary>
    public static DefineTask Task(string id, string agent = "agent-a", string? priority = null, string[]? dependsOn = null, int? maxAttempts = null, string? payload = null,
        string[]? tags = null) =>
        new(id, agent, $"tasks/{id}.md", priority, dependsOn, maxAttempts, payload, Tags: tags);
}
