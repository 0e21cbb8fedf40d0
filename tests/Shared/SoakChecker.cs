using System.Collections.Concurrent;

namespace Orchestrator.Actors.TestProcesses;

// The chaos soak's record of what the orchestrator acknowledged, and the checker that holds a
// recovered state against it. Compiled into the benchmarks (which run the soak) and the tests (which
// show the checker catches each kind of loss). Plain records: no protocol or Akka types, so the
// checker reads the same whichever door an operation went through.

/// <summary>One operation the orchestrator acknowledged: it answered success, so it must be in every later state.</summary>
public abstract record Acknowledged(string Door);

/// <summary>A definition answered as accepted (new or already defined).</summary>
public sealed record AckDefined(string Door, string TaskId, IReadOnlyList<string> DependsOn) : Acknowledged(Door);

/// <summary>A claim granted, or a heartbeat answered, with the lease the orchestrator promised.</summary>
/// <param name="ClaimId">The claim's public id (<c>claim-N</c>, its secret cut off).</param>
public sealed record AckLease(string Door, string TaskId, string ClaimId, DateTimeOffset LeaseUntil, bool Claim) : Acknowledged(Door);

/// <summary>A completion or a failure answered as done under <paramref name="ClaimId"/>.</summary>
public sealed record AckEnded(string Door, string TaskId, string ClaimId, bool Completed) : Acknowledged(Door);

/// <summary>A document saved at <paramref name="Version"/> with <paramref name="Json"/>.</summary>
public sealed record AckSaved(string Door, string OwnerId, string Key, long Version, string Json) : Acknowledged(Door);

/// <summary>One entry of a task's history as read back: the event's name, its claim and its time.</summary>
public sealed record SeenEntry(string Event, string? ClaimId, DateTimeOffset At);

/// <summary>A task as read back after a recovery.</summary>
/// <param name="Status">Its status's name (<c>COMPLETED</c>, <c>CLAIMED</c>, …).</param>
/// <param name="ClaimId">The current claim's public id while CLAIMED.</param>
/// <param name="LeaseUntil">The current claim's lease while CLAIMED.</param>
/// <param name="HistoryDropped">History entries dropped for length; the history checks skip such a task.</param>
public sealed record SeenTask(string TaskId, string Status, IReadOnlyList<string> DependsOn, string? ClaimId, DateTimeOffset? LeaseUntil,
    IReadOnlyList<SeenEntry> History, int HistoryDropped);

/// <summary>A document as read back after a recovery; null when it was not found.</summary>
public sealed record SeenDocument(string OwnerId, string Key, long Version, string Json);

/// <summary>Everything read back from a recovered node: the tasks and documents the ledger names.</summary>
public sealed record SoakObservation(IReadOnlyDictionary<string, SeenTask> Tasks, IReadOnlyDictionary<(string Owner, string Key), SeenDocument> Documents);

/// <summary>The acknowledged operations of a soak, recorded by every agent at once.</summary>
public sealed class SoakLedger
{
    private readonly ConcurrentQueue<Acknowledged> _entries = new();

    public void Record(Acknowledged entry) => _entries.Enqueue(entry);

    public IReadOnlyList<Acknowledged> Entries => _entries.ToArray();

    public int Count => _entries.Count;
}

/// <summary>
/// What must hold of a recovered state, given what was acknowledged before it:
/// every acknowledged change is there, no task was completed under two claims, no two claims of one
/// task were valid at once (a claim granted before an acknowledged lease of another ran out, unless the
/// other ended by its agent's own completion or failure, or a cancel), a completed task's dependencies
/// are completed, and document versions only go up (never two acknowledged saves of one version).
/// </summary>
public static class SoakChecker
{
    /// <summary>The claim id as views and histories show it: <c>claim-N</c> without its secret.</summary>
    public static string PublicClaimId(string claimId)
    {
        var second = claimId.StartsWith("claim-", StringComparison.Ordinal) ? claimId.IndexOf('-', "claim-".Length) : -1;
        return second > 0 ? claimId[..second] : claimId;
    }

    /// <summary>
    /// The violations (one line each, naming the task or document); empty when the state keeps every
    /// promise. <paramref name="previousVersions"/> holds the versions seen by earlier checks and is
    /// raised to the versions seen now.
    /// </summary>
    public static IReadOnlyList<string> Check(IReadOnlyList<Acknowledged> ledger, SoakObservation seen, IDictionary<(string Owner, string Key), long> previousVersions)
    {
        var violations = new List<string>();
        foreach (var defined in ledger.OfType<AckDefined>())
            if (!seen.Tasks.ContainsKey(defined.TaskId))
                violations.Add($"task '{defined.TaskId}': definition acknowledged over {defined.Door}, but the task is gone");

        foreach (var group in ledger.OfType<AckLease>().GroupBy(l => l.TaskId))
            if (seen.Tasks.TryGetValue(group.Key, out var task)) CheckLeases(task, group.ToList(), violations);
            else violations.Add($"task '{group.Key}': claimed, but the task is gone");

        foreach (var group in ledger.OfType<AckEnded>().GroupBy(e => e.TaskId))
        {
            if (!seen.Tasks.TryGetValue(group.Key, out var task))
            {
                violations.Add($"task '{group.Key}': ended under a claim, but the task is gone");
                continue;
            }
            var completions = group.Where(e => e.Completed).Select(e => e.ClaimId).Distinct().ToList();
            if (completions.Count > 1)
                violations.Add($"task '{task.TaskId}': completion acknowledged under {completions.Count} claims ({string.Join(", ", completions)})");
            if (completions.Count > 0 && task.Status != "COMPLETED")
                violations.Add($"task '{task.TaskId}': completion acknowledged under {completions[0]}, but the task is {task.Status}");
            if (task.HistoryDropped > 0) continue;
            foreach (var ended in group)
            {
                var name = ended.Completed ? "task-completed" : "task-failed";
                if (!task.History.Any(h => h.Event == name && h.ClaimId == ended.ClaimId))
                    violations.Add($"task '{task.TaskId}': {name} under {ended.ClaimId} acknowledged over {ended.Door}, but not in its history");
            }
        }

        foreach (var task in seen.Tasks.Values)
        {
            if (task.HistoryDropped == 0)
            {
                var completed = task.History.Count(h => h.Event == "task-completed");
                if (completed > 1) violations.Add($"task '{task.TaskId}': completed {completed} times in its history");
                CheckClaimsDoNotOverlap(task, violations);
            }
            if (task.Status == "COMPLETED")
                foreach (var dependency in task.DependsOn)
                    if (seen.Tasks.TryGetValue(dependency, out var before) && before.Status != "COMPLETED")
                        violations.Add($"task '{task.TaskId}': COMPLETED while its dependency '{dependency}' is {before.Status}");
        }

        foreach (var group in ledger.OfType<AckSaved>().GroupBy(s => (s.OwnerId, s.Key)))
        {
            var name = $"document {group.Key.OwnerId}/{group.Key.Key}";
            foreach (var twice in group.GroupBy(s => s.Version).Where(v => v.Select(s => s.Json).Distinct().Count() > 1))
                violations.Add($"{name}: version {twice.Key} acknowledged for {twice.Select(s => s.Json).Distinct().Count()} different saves (a lost update)");
            var latest = group.MaxBy(s => s.Version)!;
            if (!seen.Documents.TryGetValue(group.Key, out var document))
            {
                violations.Add($"{name}: saved at version {latest.Version}, but the document is gone");
                continue;
            }
            if (document.Version < latest.Version)
                violations.Add($"{name}: saved at version {latest.Version}, but recovered at version {document.Version}");
            else if (document.Version == latest.Version && document.Json != latest.Json)
                violations.Add($"{name}: version {latest.Version} recovered with other content than was acknowledged");
        }
        foreach (var document in seen.Documents.Values)
        {
            var key = (document.OwnerId, document.Key);
            if (previousVersions.TryGetValue(key, out var before) && document.Version < before)
                violations.Add($"document {document.OwnerId}/{document.Key}: version went down from {before} to {document.Version}");
            previousVersions[key] = Math.Max(document.Version, before);
        }
        return violations;
    }

    // Every acknowledged claim is in the history; a claim still current keeps at least its
    // acknowledged lease; and a lease the orchestrator promised was not cut short by a claim of
    // another (only an end by the holder itself or a cancel may come before the lease runs out).
    private static void CheckLeases(SeenTask task, IReadOnlyList<AckLease> leases, List<string> violations)
    {
        foreach (var claim in leases.Where(l => l.Claim))
            if (task.HistoryDropped == 0 && !task.History.Any(h => h.Event == "task-claimed" && h.ClaimId == claim.ClaimId))
                violations.Add($"task '{task.TaskId}': claim {claim.ClaimId} acknowledged over {claim.Door}, but not in its history");
        foreach (var byClaim in leases.GroupBy(l => l.ClaimId))
        {
            var promised = byClaim.Max(l => l.LeaseUntil);
            if (task.Status == "CLAIMED" && task.ClaimId == byClaim.Key && task.LeaseUntil < promised)
                violations.Add($"task '{task.TaskId}': {byClaim.Key}'s lease recovered until {task.LeaseUntil:O}, but {promised:O} was acknowledged");
            if (task.HistoryDropped > 0) continue;
            var endedByHolder = task.History.FirstOrDefault(h =>
                h.ClaimId == byClaim.Key && h.Event is "task-completed" or "task-failed" or "task-cancelled");
            var ownClaim = task.History.FirstOrDefault(h => h.Event == "task-claimed" && h.ClaimId == byClaim.Key);
            foreach (var other in task.History.Where(h => h.Event == "task-claimed" && h.ClaimId != byClaim.Key && h.At < promised))
            {
                if (ownClaim is not null && other.At < ownClaim.At) continue; // an earlier claim, before this one existed
                if (endedByHolder is null || endedByHolder.At > other.At)
                    violations.Add($"task '{task.TaskId}': {other.ClaimId} granted at {other.At:O} while {byClaim.Key}'s acknowledged lease ran until {promised:O}");
            }
        }
    }

    // In the history, a claim opens at task-claimed and closes at the first entry naming it that ends
    // it; a second task-claimed while one is open means two claims were valid at once.
    private static void CheckClaimsDoNotOverlap(SeenTask task, List<string> violations)
    {
        string? open = null;
        foreach (var entry in task.History)
        {
            if (entry.Event == "task-claimed")
            {
                if (open is not null)
                    violations.Add($"task '{task.TaskId}': {entry.ClaimId} granted while {open} was still current");
                open = entry.ClaimId;
            }
            else if (entry.Event is "task-completed" or "task-failed" or "lease-expired" or "task-cancelled" && entry.ClaimId == open)
                open = null;
            else if (entry.Event is "task-completed" or "task-failed" && entry.ClaimId != open)
                violations.Add($"task '{task.TaskId}': {entry.Event} under {entry.ClaimId}, which was not the current claim ({open ?? "none"})");
        }
    }
}
