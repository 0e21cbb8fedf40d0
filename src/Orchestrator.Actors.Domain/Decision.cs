using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// What a command does: the events to journal (none for a rejection or an idempotent repeat) and the
/// reply to send once they are journaled.
/// </summary>
public sealed record Decision(IReadOnlyList<IOrchestratorEvent> Events, IOrchestratorReply Reply)
{
    /// <summary>
    /// The state after <see cref="Events"/>, when deciding already computed it (to build the reply);
    /// null otherwise. The caller need not apply the events a second time to get it.
    /// </summary>
    public OrchestratorState? After { get; init; }

    /// <summary>The state after this decision's events, given the state it was decided on.</summary>
    public OrchestratorState StateAfter(OrchestratorState decidedOn) => After ?? OrchestratorDomain.ApplyAll(decidedOn, Events);

    /// <summary>A decision that changes nothing and only answers.</summary>
    public static Decision Answer(IOrchestratorReply reply) => new([], reply);

    /// <summary>A decision that journals one event.</summary>
    public static Decision Persist(IOrchestratorEvent @event, IOrchestratorReply reply) => new([@event], reply);

    /// <summary>True when nothing is to be journaled.</summary>
    public bool IsReadOnly => Events.Count == 0;
}
