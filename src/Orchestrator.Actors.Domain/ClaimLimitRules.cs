using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

// Claim limits: at most N claims held at once per namespace, per agent and per tag, at most R claims
// per second per tag (ClaimRates); and fairness across tags within a priority (FairQueues).
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
        var rates = command.MaxClaimsPerSecondPerTag ?? new Dictionary<string, double>();
        var invalid = Limit("maxClaims", command.MaxClaims) ?? Limit("maxClaimsPerAgent", command.MaxClaimsPerAgent)
                      ?? TooMany("maxClaimsPerTag", tags.Count)
                      ?? tags.Select(t => Validation.Tag("maxClaimsPerTag", t.Key) ?? Limit($"maxClaimsPerTag[{t.Key}]", t.Value)).FirstOrDefault(r => r is not null)
                      ?? TooMany("maxClaimsPerSecondPerTag", rates.Count)
                      ?? rates.Select(t => Validation.Tag("maxClaimsPerSecondPerTag", t.Key) ?? Rate($"maxClaimsPerSecondPerTag[{t.Key}]", t.Value)).FirstOrDefault(r => r is not null)
                      ?? Validation.By("by", command.By)
                      ?? (command.FairBy is null ? null : Validation.Tag("fairBy", command.FairBy));
        if (invalid is not null) return Decision.Answer(invalid);
        var changed = new ClaimLimitsChanged(command.MaxClaims, command.MaxClaimsPerAgent, tags.Count == 0 ? null : new Dictionary<string, int>(tags, StringComparer.Ordinal),
            command.By ?? Causes.Operator, context.Now)
        {
            FairBy = command.FairBy,
            MaxClaimsPerSecondPerTag = rates.Count == 0 ? null : new Dictionary<string, double>(rates, StringComparer.Ordinal),
        };
        return Respond(state, [changed], after => new ClaimLimitsSet(after.ClaimLimits ?? ClaimLimits.None));

        static CommandRejected? Limit(string field, int? value) =>
            value is < 0 or > MaxClaimLimit ? Validation.Reject(field, value.ToString(), $"must be between 0 and {MaxClaimLimit:N0}") : null;

        static CommandRejected? TooMany(string field, int count) =>
            count > MaxTagLimits ? Validation.Reject(field, $"{count} tags", $"lists too many; at most {MaxTagLimits} are allowed") : null;

        static CommandRejected? Rate(string field, double value) =>
            value == 0 || value is >= ClaimRates.LowestRate and <= MaxClaimLimit ? null
                : Validation.Reject(field, value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    $"must be 0 (no claims) or between {ClaimRates.LowestRate.ToString(System.Globalization.CultureInfo.InvariantCulture)} and {MaxClaimLimit:N0} claims per second");
    }

    /// <summary>
    /// The READY task <paramref name="agent"/> may claim under the namespace's claim limits at
    /// <paramref name="now"/>: the first in claim order (its own queue and <c>*</c>'s, merged) that no
    /// tag limit holds back; null with the limit that held the claim back (<paramref name="limited"/>,
    /// and when a rate limit lets the next claim through, <paramref name="until"/>), or with none when
    /// nothing is READY.
    /// </summary>
    private static ReadyEntry? NextEligible(OrchestratorState state, string agent, ClaimLimits limits, DateTimeOffset now, out string? limited, out DateTimeOffset? until)
    {
        (limited, until) = (null, null);
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
        var head = state.NextReadyFor(agent);
        if ((limits.MaxClaimsPerTag.Count == 0 && limits.MaxClaimsPerSecondPerTag.Count == 0) || head is not { } first) return head;

        // The head first, without walking the queues: most claims find it free.
        if (HeldBy(state, state.Tasks[first.TaskId], limits, now) is null) return head;
        // With fairness, the other groups' heads next: a group at its tag's limit does not hold the others back.
        if (state.Fair?.Next(agent, entry => HeldBy(state, state.Tasks[entry.TaskId], limits, now) is null) is { } free) return free;
        var scanned = 0;
        foreach (var entry in ReadyInClaimOrder(state, agent))
        {
            if (HeldBy(state, state.Tasks[entry.TaskId], limits, now) is not { } hold) return entry;
            limited ??= hold.Why(state, limits);
            if (hold.FreeAt is { } freeAt && (until is null || freeAt < until)) until = freeAt;
            if (++scanned == MaxLimitedScan) break;
        }
        return null;
    }

    // A tag limit holding a task back: the tag, and when it is a rate that lets a claim through again, when (null: a rate of 0 or a concurrency limit).
    private readonly record struct Hold(string Tag, bool ByRate, DateTimeOffset? FreeAt)
    {
        public string Why(OrchestratorState state, ClaimLimits limits) => ByRate
            ? $"tag '{Tag}' is at its rate limit maxClaimsPerSecondPerTag = {limits.MaxClaimsPerSecondPerTag[Tag].ToString(System.Globalization.CultureInfo.InvariantCulture)}"
              + (FreeAt is { } at ? $", the next claim from {at:O}" : ", which lets no claim through")
            : $"tag '{Tag}' holds {state.Counts[Tag, TaskState.Claimed]} claims, its limit maxClaimsPerTag = {limits.MaxClaimsPerTag[Tag]}";
    }

    // The first of the task's tags whose claims have reached its limit, or whose rate lets no claim through now, if any.
    private static Hold? HeldBy(OrchestratorState state, TaskRecord task, ClaimLimits limits, DateTimeOffset now)
    {
        foreach (var tag in task.Tags)
        {
            if (limits.MaxClaimsPerTag.TryGetValue(tag, out var most) && state.Counts[tag, TaskState.Claimed] >= most)
                return new Hold(tag, false, null);
            if (limits.MaxClaimsPerSecondPerTag.TryGetValue(tag, out var rate)
                && ClaimRates.FreeAt(rate, state.ClaimRateDue.TryGetValue(tag, out var due) ? due : null) is var free && !(free <= now))
                return new Hold(tag, true, free);
        }
        return null;
    }

    // The agent's READY queue and the any-agent queue (with fairness on, their groups), merged in claim order.
    private static IEnumerable<ReadyEntry> ReadyInClaimOrder(OrchestratorState state, string agent) =>
        state.Fair is null ? Merged(state.Ready.TryGetValue(agent, out var mine) ? mine : [], state.Ready.TryGetValue(ProtocolNames.AnyAgent, out var shared) ? shared : [])
            : Merged(state.ReadySetsFor(agent));

    // Two sorted sets merged in their order.
    private static IEnumerable<ReadyEntry> Merged(ImmutableSortedSet<ReadyEntry> first, ImmutableSortedSet<ReadyEntry> second)
    {
        using var own = first.GetEnumerator();
        using var any = second.GetEnumerator();
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

    // Any number of sorted sets (fairness groups) merged in their order.
    private static IEnumerable<ReadyEntry> Merged(IEnumerable<ImmutableSortedSet<ReadyEntry>> sets)
    {
        var heads = new PriorityQueue<IEnumerator<ReadyEntry>, ReadyEntry>();
        try
        {
            foreach (var set in sets)
            {
                var entries = ((IEnumerable<ReadyEntry>)set).GetEnumerator();
                if (entries.MoveNext()) heads.Enqueue(entries, entries.Current);
                else entries.Dispose();
            }
            while (heads.TryDequeue(out var entries, out var entry))
            {
                yield return entry;
                if (entries.MoveNext()) heads.Enqueue(entries, entries.Current);
                else entries.Dispose();
            }
        }
        finally
        {
            while (heads.TryDequeue(out var entries, out _)) entries.Dispose();
        }
    }
}
