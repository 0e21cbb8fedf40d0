using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

// Claim limits: at most N claims held at once per namespace, per agent and per tag; and fairness
// across tags within a priority (FairQueues).
public static partial class OrchestratorDomain
{
    /// <summary>The highest claim limit.</summary>
    public const int MaxClaimLimit = 1_000_000;

    /// <summary>The most tags with a claim limit.</summary>
    public const int MaxTagLimits = 100;

    /// <summary>The most READY tasks a claim passes over when tag limits hold them back, before it answers none.</summary>
    public const int MaxLimitedScan = 10_000;

    private static Decision DecideSetClaimLimits(OrchestratorState state, SetClaimLimits command, DecisionContext context)
    {
        var tags = command.MaxClaimsPerTag ?? new Dictionary<string, int>();
        var invalid = Limit("maxClaims", command.MaxClaims) ?? Limit("maxClaimsPerAgent", command.MaxClaimsPerAgent)
                      ?? (tags.Count > MaxTagLimits ? Validation.Reject("maxClaimsPerTag", $"{tags.Count} tags", $"lists too many; at most {MaxTagLimits} are allowed") : null)
                      ?? tags.Select(t => Validation.Tag("maxClaimsPerTag", t.Key) ?? Limit($"maxClaimsPerTag[{t.Key}]", t.Value)).FirstOrDefault(r => r is not null)
                      ?? Validation.By("by", command.By)
                      ?? (command.FairBy is null ? null : Validation.Tag("fairBy", command.FairBy));
        if (invalid is not null) return Decision.Answer(invalid);
        var changed = new ClaimLimitsChanged(command.MaxClaims, command.MaxClaimsPerAgent, tags.Count == 0 ? null : new Dictionary<string, int>(tags, StringComparer.Ordinal),
            command.By ?? Causes.Operator, context.Now) { FairBy = command.FairBy };
        return Respond(state, [changed], after => new ClaimLimitsSet(after.ClaimLimits ?? ClaimLimits.None));

        static CommandRejected? Limit(string field, int? value) =>
            value is < 0 or > MaxClaimLimit ? Validation.Reject(field, value.ToString(), $"must be between 0 and {MaxClaimLimit:N0}") : null;
    }

    /// <summary>
    /// The READY task <paramref name="agent"/> may claim under the namespace's claim limits: the first in
    /// claim order (its own queue and <c>*</c>'s, merged) that no tag limit holds back; null with the
    /// limit that held the claim back (<paramref name="limited"/>), or with none when nothing is READY.
    /// </summary>
    private static ReadyEntry? NextEligible(OrchestratorState state, string agent, ClaimLimits limits, out string? limited)
    {
        limited = null;
        if (limits.MaxClaims is { } most && state.Counts[TaskState.Claimed] >= most)
        {
            limited = $"the namespace holds {state.Counts[TaskState.Claimed]} claims, its limit maxClaims = {most}";
            return null;
        }
        if (limits.MaxClaimsPerAgent is { } mine && state.Counts.ClaimsByAgent.GetValueOrDefault(agent) >= mine)
        {
            limited = $"agent '{agent}' holds {state.Counts.ClaimsByAgent.GetValueOrDefault(agent)} claims, its limit maxClaimsPerAgent = {mine}";
            return null;
        }
        var head = state.Fair is { } fair ? fair.Next(agent) : state.NextReadyFor(agent);
        if (limits.MaxClaimsPerTag.Count == 0 || head is not { } first) return head;

        // The head first, without walking the queues: most claims find it free.
        var held = state.Counts.ClaimsByTag;
        if (FullTag(state.Tasks[first.TaskId], limits, held) is null) return head;
        // With fairness, the other groups' heads next: a group at its tag's limit does not hold the others back.
        if (state.Fair?.Next(agent, entry => FullTag(state.Tasks[entry.TaskId], limits, held) is null) is { } free) return free;
        var scanned = 0;
        foreach (var entry in ReadyInClaimOrder(state, agent))
        {
            var full = FullTag(state.Tasks[entry.TaskId], limits, held);
            if (full is null) return entry;
            limited ??= $"tag '{full}' holds {held.GetValueOrDefault(full)} claims, its limit maxClaimsPerTag = {limits.MaxClaimsPerTag[full]}";
            if (++scanned == MaxLimitedScan) break;
        }
        return null;
    }

    // The first of the task's tags whose limit its claims have reached, if any.
    private static string? FullTag(TaskRecord task, ClaimLimits limits, System.Collections.Immutable.ImmutableDictionary<string, int> held)
    {
        foreach (var tag in task.Tags)
            if (limits.MaxClaimsPerTag.TryGetValue(tag, out var most) && held.GetValueOrDefault(tag) >= most)
                return tag;
        return null;
    }

    // The agent's READY queue and the any-agent queue, merged in claim order.
    private static IEnumerable<ReadyEntry> ReadyInClaimOrder(OrchestratorState state, string agent)
    {
        using var own = (state.Ready.TryGetValue(agent, out var mine) ? mine : []).GetEnumerator();
        using var any = (state.Ready.TryGetValue(ProtocolNames.AnyAgent, out var shared) ? shared : []).GetEnumerator();
        var (hasOwn, hasAny) = (own.MoveNext(), any.MoveNext());
        while (hasOwn || hasAny)
        {
            if (hasOwn && (!hasAny || own.Current.CompareTo(any.Current) <= 0))
            {
                yield return own.Current;
                hasOwn = own.MoveNext();
            }
            else
            {
                yield return any.Current;
                hasAny = any.MoveNext();
            }
        }
    }
}
