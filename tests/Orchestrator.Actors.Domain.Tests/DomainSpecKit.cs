using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;

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

    /// <summary>Then: two states hold the same tasks (with the same ordinals), the same documents and the same next ordinal.</summary>
    public static void AssertSameState(OrchestratorState expected, OrchestratorState actual)
    {
        Assert.Equal(
            expected.Tasks.Values.OrderBy(t => t.Ordinal).ToList(),
            actual.Tasks.Values.OrderBy(t => t.Ordinal).ToList());
        Assert.Equal(
            expected.Documents.OrderBy(d => d.Key.OwnerId, StringComparer.Ordinal).ThenBy(d => d.Key.Key, StringComparer.Ordinal).ToList(),
            actual.Documents.OrderBy(d => d.Key.OwnerId, StringComparer.Ordinal).ThenBy(d => d.Key.Key, StringComparer.Ordinal).ToList());
        Assert.Equal(expected.NextOrdinal, actual.NextOrdinal);
    }

    public static DefineTask Define(string id, string agent = "agent-a", string file = "tasks/t.md", string? priority = null) =>
        new(id, agent, file, priority);
}
