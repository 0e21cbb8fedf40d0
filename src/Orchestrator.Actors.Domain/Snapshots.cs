using System.Collections.Concurrent;
using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Snapshots;

namespace Orchestrator.Actors.Domain;

/// <summary>Turns the state into its snapshot and back, and upcasts older snapshot formats.</summary>
public static class Snapshots
{
    /// <summary>
    /// The snapshot of <paramref name="state"/>, tasks in definition order. The task list is a view:
    /// each task's record is made when the list is read (by the serializer, one at a time), so a
    /// snapshot of a million tasks never holds a million records at once.
    /// </summary>
    public static OrchestratorSnapshotV2 ToSnapshot(OrchestratorState state)
    {
        // Sorting the records by ordinal is quicker than a million lookups by id in the kept order.
        var tasks = state.Tasks.Values.ToArray();
        Array.Sort(tasks, static (a, b) => a.Ordinal.CompareTo(b.Ordinal));
        return new OrchestratorSnapshotV2(
            OrchestratorSnapshotV2.Version,
            state.NextOrdinal,
            state.NextClaim,
            state.NextReadySeq,
            new TaskSnapshotView(tasks),
            state.Documents.Values.OrderBy(d => d.OwnerId, StringComparer.Ordinal).ThenBy(d => d.Key, StringComparer.Ordinal)
                .Select(d => new StateSavedEvent(d.OwnerId, d.Key, d.Json, d.Version, d.SavedAt))
                .ToList(),
            state.Agents.Values.OrderBy(a => a.Agent, StringComparer.Ordinal)
                .Select(a => new AgentSnapshotV2(a.Agent, a.Capabilities, a.Registered, a.RegisteredAt, a.LastSeen, a.Completed, a.Failed, a.LeasesExpired))
                .ToList())
        {
            RequestKeys = state.RequestKeys.Count == 0 ? null : state.RequestKeys.OldestFirst(),
            ClaimLimits = state.ClaimLimits,
            Schedules = state.Schedules.IsEmpty ? null : [.. state.Schedules.Values],
            Retention = state.Retention,
            Purged = state.Purged,
            FairServed = state.Fair?.Turns(),
            FairTurn = state.Fair?.Turn ?? 0,
            ClaimRateDue = state.ClaimRateDue.IsEmpty ? null : state.ClaimRateDue,
        };
    }

    private static TaskSnapshotV2 ToSnapshot(TaskRecord t) => new(
        t.TaskId, t.Agent, t.TaskFile, t.Priority, t.Status, t.DefinedAt, t.Ordinal, t.DependsOn, t.MaxAttempts, t.Payload,
        t.DefinedBy, t.Attempts, t.Claim, t.RetryAt, t.Result, t.Reason, t.KilledBy, t.UpdatedAt, t.ReadySeq, t.LastClaim,
        t.LastClaimOutcome, t.History, t.HistoryDropped) { Tags = t.Tags.IsEmpty ? null : t.Tags, NotBefore = t.NotBefore, DueAt = t.DueAt, Question = t.Question, AnswerBy = t.AnswerBy, Input = t.Input };

    // The tasks of a snapshot as a read-only list made on demand from the (immutable) records.
    private sealed class TaskSnapshotView(TaskRecord[] tasks) : IReadOnlyList<TaskSnapshotV2>
    {
        public int Count => tasks.Length;

        public TaskSnapshotV2 this[int index] => ToSnapshot(tasks[index]);

        public IEnumerator<TaskSnapshotV2> GetEnumerator()
        {
            foreach (var task in tasks) yield return ToSnapshot(task);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The state a v2 snapshot holds.</summary>
    /// <exception cref="ArgumentException">The snapshot's format version is not 2, or it contradicts itself.</exception>
    public static OrchestratorState FromSnapshot(OrchestratorSnapshotV2 snapshot)
    {
        if (snapshot.FormatVersion != OrchestratorSnapshotV2.Version)
            throw new ArgumentException($"snapshot.v2 carries format version {snapshot.FormatVersion}", nameof(snapshot));

        var state = OrchestratorState.Empty with
        {
            NextOrdinal = snapshot.NextOrdinal,
            NextClaim = snapshot.NextClaim,
            NextReadySeq = snapshot.NextReadySeq,
        };
        // In definition order, so that each task's dependants are listed in definition order too. The
        // records are made a range at a time on every core; each range holds its agent and history
        // event names once (they repeat across a million tasks). One worker per core, not as many as
        // the thread pool would give: the host's other work needs threads meanwhile.
        var source = InDefinitionOrder(snapshot.Tasks);
        var tasks = new TaskRecord[source.Count];
        try
        {
            if (source.Count > 0)
                Parallel.ForEach(Partitioner.Create(0, source.Count, 32_768), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, range =>
                {
                    var names = new Dictionary<string, string>(StringComparer.Ordinal);
                    for (var i = range.Item1; i < range.Item2; i++) tasks[i] = ToRecord(source[i], names);
                });
            state = state.WithTasks(tasks);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
        catch (ArgumentException ex) when (!ex.Message.StartsWith("snapshot.v2", StringComparison.Ordinal))
        {
            throw new ArgumentException($"snapshot.v2 {ex.Message}", nameof(snapshot), ex);
        }

        // A dependency the snapshot does not hold would fail the first completion of its dependant's
        // other dependencies; such a snapshot is unreadable, not loadable.
        foreach (var task in tasks)
        {
            if (task.DependsOn.FirstOrDefault(d => !state.Tasks.ContainsKey(d)) is { } missing)
                throw new ArgumentException($"snapshot.v2 has task '{task.TaskId}' depending on '{missing}', which it does not hold", nameof(snapshot));
        }

        var documents = ImmutableDictionary.CreateBuilder<DocumentKey, DocumentRecord>();
        foreach (var d in snapshot.Documents)
            documents[new DocumentKey(d.OwnerId, d.Key)] = new DocumentRecord(d.OwnerId, d.Key, d.Json, d.Version, d.SavedAt);
        var agents = ImmutableDictionary.CreateBuilder<string, AgentRecord>(StringComparer.Ordinal);
        foreach (var a in snapshot.Agents)
            agents[a.Agent] = new AgentRecord(a.Agent, [.. a.Capabilities], a.Registered, a.RegisteredAt, a.LastSeen)
                { Completed = a.Completed, Failed = a.Failed, LeasesExpired = a.LeasesExpired };

        state = (state with { Documents = documents.ToImmutable(), Agents = agents.ToImmutable(), RequestKeys = RequestKeys.Of(snapshot.RequestKeys),
                Retention = snapshot.Retention, Purged = snapshot.Purged })
            .WithClaimLimits(snapshot.ClaimLimits is { IsNone: false } limits ? limits : null)
            .WithFairTurns(snapshot.FairServed ?? new Dictionary<string, IReadOnlyDictionary<string, long>>(), snapshot.FairTurn);
        if (snapshot.ClaimRateDue is { } due) state = state with { ClaimRateDue = state.ClaimRateDue.SetItems(due) };
        foreach (var schedule in snapshot.Schedules ?? []) state = state.WithSchedule(schedule);
        return state;
    }

    // Snapshots list their tasks in definition order; one written otherwise is sorted first.
    private static IReadOnlyList<TaskSnapshotV2> InDefinitionOrder(IReadOnlyList<TaskSnapshotV2> tasks)
    {
        for (var i = 1; i < tasks.Count; i++)
            if (tasks[i - 1] is { } before && tasks[i] is { } after && before.Ordinal > after.Ordinal)
                return [.. tasks.OrderBy(t => t.Ordinal)];
        return tasks;
    }

    private static TaskRecord ToRecord(TaskSnapshotV2 t, Dictionary<string, string> names)
    {
        if (t.Status == TaskState.Claimed && t.Claim is null)
            throw new ArgumentException($"snapshot.v2 has task '{t.TaskId}' CLAIMED without a claim");
        if (t.Status == TaskState.Failed && t.RetryAt is null)
            throw new ArgumentException($"snapshot.v2 has task '{t.TaskId}' FAILED without a retry time");
        return new TaskRecord(t.TaskId, Shared(names, t.Agent), t.TaskFile, t.Priority, t.Status, t.DefinedAt, t.Ordinal)
        {
            DependsOn = [.. t.DependsOn],
            MaxAttempts = t.MaxAttempts,
            Payload = t.Payload,
            DefinedBy = t.DefinedBy is null ? null : Shared(names, t.DefinedBy),
            Attempts = t.Attempts,
            Claim = t.Claim,
            RetryAt = t.RetryAt,
            Result = t.Result,
            Reason = t.Reason,
            KilledBy = t.KilledBy,
            UpdatedAt = t.UpdatedAt,
            ReadySeq = t.ReadySeq,
            LastClaim = t.LastClaim,
            LastClaimOutcome = t.LastClaimOutcome,
            History = [.. t.History.Select(h => WithSharedNames(names, h))],
            HistoryDropped = t.HistoryDropped,
            Tags = t.Tags is not { Count: > 0 } tags ? [] : [.. tags.Select(tag => Shared(names, tag))],
            NotBefore = t.NotBefore,
            DueAt = t.Status == TaskState.Pending ? t.DueAt : null,
            Question = t.Question,
            AnswerBy = t.Status == TaskState.Waiting ? t.AnswerBy : null,
            Input = t.Input,
        };
    }

    private static string Shared(Dictionary<string, string> names, string name)
    {
        if (names.TryGetValue(name, out var held)) return held;
        names[name] = name;
        return name;
    }

    private static TaskHistoryEntry WithSharedNames(Dictionary<string, string> names, TaskHistoryEntry entry)
    {
        var name = Shared(names, entry.Event);
        var by = entry.By is null ? null : Shared(names, entry.By);
        return ReferenceEquals(name, entry.Event) && ReferenceEquals(by, entry.By) ? entry : entry with { Event = name, By = by };
    }

    /// <summary>The state a v1 snapshot (written before the task lifecycle) holds, through <see cref="Upcast"/>.</summary>
    /// <exception cref="ArgumentException">The snapshot's format version is not 1.</exception>
    public static OrchestratorState FromSnapshot(OrchestratorSnapshotV1 snapshot) => FromSnapshot(Upcast(snapshot));

    /// <summary>
    /// A v1 snapshot in the v2 format: the state that replaying its tasks' <c>task-defined.v1</c> events
    /// gives. Every v1 task is READY (v1 had no lifecycle), in definition order, with
    /// <see cref="TaskDefined.DefaultMaxAttempts"/> attempts and its definition as its only history.
    /// </summary>
    /// <exception cref="ArgumentException">The snapshot's format version is not 1.</exception>
    public static OrchestratorSnapshotV2 Upcast(OrchestratorSnapshotV1 snapshot)
    {
        if (snapshot.FormatVersion != OrchestratorSnapshotV1.Version)
            throw new ArgumentException($"snapshot.v1 carries format version {snapshot.FormatVersion}", nameof(snapshot));

        var tasks = snapshot.Tasks.Select((t, i) => new TaskSnapshotV2(
            t.TaskId, t.Agent, t.TaskFile, t.Priority, TaskState.Ready, t.DefinedAt, i, [], TaskDefined.DefaultMaxAttempts,
            Payload: null, DefinedBy: null, Attempts: 0, Claim: null, RetryAt: null, Result: null, Reason: null, KilledBy: null,
            UpdatedAt: t.DefinedAt, ReadySeq: i, LastClaim: null, LastClaimOutcome: null,
            History: [new TaskHistoryEntry("task-defined", null, TaskState.Ready, t.DefinedAt, null)], HistoryDropped: 0)).ToList();
        return new OrchestratorSnapshotV2(OrchestratorSnapshotV2.Version, tasks.Count, 1, tasks.Count, tasks, snapshot.Documents, []);
    }
}
