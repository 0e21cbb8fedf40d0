using System.Collections.Immutable;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// The pure core: <see cref="Decide(OrchestratorState, IStateManagerCommand, DecisionContext)"/> turns a
/// command into events and a reply, <see cref="Apply"/> folds an event into the state,
/// <see cref="Answer"/> answers a query. No I/O, no clock, no actors.
/// </summary>
public static partial class OrchestratorDomain
{
    /// <summary>Decides with the default lifecycle policy and no jitter.</summary>
    public static Decision Decide(OrchestratorState state, IStateManagerCommand command, DateTimeOffset now, DomainLimits limits) =>
        Decide(state, command, new DecisionContext(now, limits, LifecyclePolicy.Default, DecisionContext.NoJitter));

    /// <summary>
    /// Decides what <paramref name="command"/> does to <paramref name="state"/>. Deadlines that have
    /// passed by <see cref="DecisionContext.Now"/> (a lease end, a retry time) are acted on first, in
    /// the same decision: the outcome never depends on how late the timer fires. A heartbeat after its
    /// lease ended is stale even if the timer has not fired yet.
    /// </summary>
    public static Decision Decide(OrchestratorState state, IStateManagerCommand command, DecisionContext context)
    {
        // The state manager's own commands decide deadlines themselves: resuming leases comes before
        // them (it gives back the leases they would expire), and processing them is them.
        if (command is IOwnCommand || state.NextDeadline is not { } next || next > context.Now)
            return DecideCommand(state, command, context);
        var due = DecideDeadlines(state, context);
        var dueState = due.StateAfter(state);
        var decision = DecideCommand(dueState, command, context);
        return new Decision([.. due.Events, .. decision.Events], decision.Reply) { After = decision.StateAfter(dueState) };
    }

    private static Decision DecideCommand(OrchestratorState state, IStateManagerCommand command, DecisionContext context) =>
        command is NamespacedRequest { IdempotencyKey: { } key } keyed and not IOwnCommand
            ? DecideKeyed(state, keyed, key, context)
            : DecideUnkeyed(state, command, context);

    // A change under an idempotency key: done once. Sent again, it is answered as it was then (after
    // the write that did it, like any answer that depends on a pending write); the key on another
    // request is refused (IdempotencyKeyReused). What did nothing (a refusal) is not remembered: sent again, it is decided again.
    private static Decision DecideKeyed(OrchestratorState state, NamespacedRequest keyed, string key, DecisionContext context)
    {
        var command = (IStateManagerCommand)keyed;
        if (Validation.IdempotencyKey("idempotencyKey", key) is { } invalid) return Decision.Answer(invalid);
        if (!RequestKeys.Remembers(command)) return DecideUnkeyed(state, command, context);
        // Not even written as JSON: refused by the input rules, and never remembered.
        if (RequestKeys.Fingerprint(keyed) is not { } fingerprint) return DecideUnkeyed(state, command, context);
        // A key older than it is kept (not yet dropped: only a newer key drops the old ones) is forgotten.
        if (state.RequestKeys.TryGet(key, out var done) && context.Now - done.At <= RequestKeys.Kept)
            return Decision.Answer(done.Fingerprint == fingerprint
                ? RequestKeys.Repeat(state, command, done)
                : new IdempotencyKeyReused(key, done.At, command.GetType().Name));
        var decision = DecideUnkeyed(state, command, context);
        if (decision.IsReadOnly || RequestKeys.Record(key, fingerprint, decision.Reply, context.Now) is not { } record) return decision;
        return new Decision([.. decision.Events, record], decision.Reply) { After = Apply(decision.StateAfter(state), record) };
    }

    private static Decision DecideUnkeyed(OrchestratorState state, IStateManagerCommand command, DecisionContext context) =>
        command switch
        {
            DefineTask define => DecideDefine(state, define, context),
            DefineTasks batch => DecideDefineTasks(state, batch, context),
            SaveState save => DecideSave(state, save, context.Now, context.Limits),
            ClaimTask claim => DecideClaim(state, claim, context),
            Heartbeat heartbeat => DecideHeartbeat(state, heartbeat, context),
            CompleteTask complete => DecideComplete(state, complete, context),
            FailTask fail => DecideFail(state, fail, context),
            CancelTask cancel => DecideCancel(state, cancel, context),
            RequeueDeadTask requeue => DecideRequeue(state, requeue, context),
            RequestInput request => DecideRequestInput(state, request, context),
            ProvideInput provide => DecideProvideInput(state, provide, context),
            CancelTasks cancel => DecideCancelTasks(state, cancel, context),
            RequeueTasks requeue => DecideRequeueTasks(state, requeue, context),
            SetClaimLimits limits => DecideSetClaimLimits(state, limits, context),
            DefineSchedule schedule => DecideDefineSchedule(state, schedule, context),
            RemoveSchedule remove => DecideRemoveSchedule(state, remove, context),
            PurgeTasks purge => DecidePurgeTasks(state, purge, context),
            SetRetention retention => DecideSetRetention(state, retention, context),
            SweepRetention sweep => DecideSweepRetention(state, sweep, context),
            RegisterAgent register => DecideRegister(state, register, context),
            ProcessDeadlines => DecideDeadlines(state, context),
            ResumeLeases => DecideResumeLeases(state, context),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}", nameof(command)),
        };

    /// <summary>The state after <paramref name="event"/>. Events are facts: this never rejects.</summary>
    public static OrchestratorState Apply(OrchestratorState state, IOrchestratorEvent @event)
    {
        switch (@event)
        {
            case StateSavedEvent e:
                return state with
                {
                    Documents = state.Documents.SetItem(new DocumentKey(e.OwnerId, e.Key),
                        new DocumentRecord(e.OwnerId, e.Key, e.Json, e.Version, e.SavedAt)),
                };
            case ClaimLimitsChanged e:
            {
                var limits = new ClaimLimits(e.MaxClaims, e.MaxClaimsPerAgent, e.MaxClaimsPerTag ?? new Dictionary<string, int>())
                    { FairBy = e.FairBy, MaxClaimsPerSecondPerTag = e.MaxClaimsPerSecondPerTag ?? new Dictionary<string, double>() };
                return state.WithClaimLimits(limits.IsNone ? null : limits);
            }
            case TasksCancelled or TasksRequeued:
                return Expand(state, @event).After;
            case ScheduleDefined or ScheduleRemovedEvent or ScheduleFired:
                return ApplySchedule(state, @event);
            case TasksPurged e:
                return state.WithoutTasks([.. e.TaskIds.Where(state.Tasks.ContainsKey)]);
            case RetentionChanged e:
                return state with { Retention = e.FinishedFor };
            case RequestKeyed e:
                return state with { RequestKeys = state.RequestKeys.Add(e) };
            case EventsDeleted:
                // Bookkeeping of the journal itself: the state does not change.
                return state;
            case AgentRegistered e:
                // A re-registration updates the capabilities; the agent keeps its first registration time and its tally.
                return state with
                {
                    Agents = state.Agents.SetItem(e.Agent, state.Agents.TryGetValue(e.Agent, out var known)
                        ? known with { Capabilities = [.. e.Capabilities], Registered = true, RegisteredAt = known.RegisteredAt ?? e.At, LastSeen = e.At }
                        : new AgentRecord(e.Agent, [.. e.Capabilities], true, e.At, e.At)),
                };
            case AgentSeen e:
                return Seen(state, e.Agent, e.At);
            case Protocol.Events.LeaseRenewed e:
            {
                var task = state.Tasks[e.TaskId];
                return Seen(state.Put(task with { Claim = task.Claim! with { LeaseDuration = e.LeaseDuration, LeaseUntil = e.LeaseUntil } }),
                    e.Agent, e.At);
            }
            case TaskDefined e:
            {
                var builder = state.ToBuilder();
                ApplyDefined(builder, e);
                return builder.ToState();
            }
            default:
                return ApplyTransition(state, @event);
        }
    }

    /// <summary>
    /// Applies events in order. A run of definitions (a replayed batch, a DefineTasks) is applied on
    /// one <see cref="OrchestratorState.Builder"/>, so that it copies no tree path per definition.
    /// </summary>
    public static OrchestratorState ApplyAll(OrchestratorState state, IEnumerable<IOrchestratorEvent> events)
    {
        OrchestratorState.Builder? definitions = null;
        foreach (var @event in events)
        {
            if (@event is TaskDefined defined)
            {
                ApplyDefined(definitions ??= state.ToBuilder(), defined);
                continue;
            }
            if (definitions is not null)
            {
                state = definitions.ToState();
                definitions = null;
            }
            state = Apply(state, @event);
        }
        return definitions?.ToState() ?? state;
    }

    /// <summary>
    /// Answers a query at <paramref name="now"/>. Journal figures in <see cref="StatsReport"/> are zero
    /// here; the actor that owns the journal fills them in.
    /// </summary>
    public static IOrchestratorReply Answer(OrchestratorState state, IStateManagerQuery query, DomainLimits limits, DateTimeOffset now) =>
        query switch
        {
            GetTask q => Validation.Id("taskId", q.TaskId) as IOrchestratorReply
                         ?? (state.Tasks.TryGetValue(q.TaskId, out var task)
                             ? new TaskFound(task.ToView(), task.Payload, task.Result) { Input = task.Input }
                             : new TaskNotFound(q.TaskId)),
            GetTaskHistory q => Validation.Id("taskId", q.TaskId) as IOrchestratorReply
                                ?? (state.Tasks.TryGetValue(q.TaskId, out var task)
                                    ? History(task, limits)
                                    : new TaskNotFound(q.TaskId)),
            ListTasks q => List(state, q, limits),
            ListAgents q => Agents(state, q, limits),
            ListSchedules q => Schedules(state, q, limits),
            GetStats => Stats(state, now),
            GetState q => Validation.Id("ownerId", q.OwnerId) as IOrchestratorReply
                          ?? Validation.Id("key", q.Key) as IOrchestratorReply
                          ?? (state.Documents.TryGetValue(new DocumentKey(q.OwnerId, q.Key), out var doc)
                              ? new StateDocument(doc.OwnerId, doc.Key, doc.Json, doc.Version, doc.SavedAt)
                              : new StateNotFound(q.OwnerId, q.Key)),
            _ => throw new ArgumentException($"Unknown query {query.GetType().Name}", nameof(query)),
        };

    private static Decision DecideDefine(OrchestratorState state, DefineTask command, DecisionContext context)
    {
        var builder = state.ToBuilder();
        var (reply, defined) = DecideDefine(builder, command, context);
        return defined is null ? Decision.Answer(reply) : new Decision([defined], reply) { After = builder.ToState() };
    }

    // Decides one definition against the tasks of the builder and, when it defines a new task, folds
    // its event into the builder: a batch of definitions is decided on one builder, each seeing the
    // ones before it, without an immutable state per definition.
    private static (IOrchestratorReply Reply, TaskDefined? Defined) DecideDefine(OrchestratorState.Builder state, DefineTask command, DecisionContext context)
    {
        var policy = context.Policy;
        var invalid = Validation.Id("taskId", command.TaskId) ?? Invalid(command, context);
        if (invalid is not null) return (invalid, null);
        Validation.Priority(command.Priority, out var priority);
        var dependsOn = command.DependsOn is not { Count: > 0 } ? [] : command.DependsOn.Distinct(StringComparer.Ordinal).ToImmutableArray();
        var tags = command.Tags is not { Count: > 0 } ? [] : command.Tags.Distinct(StringComparer.Ordinal).ToImmutableArray();

        if (state.TryGetTask(command.TaskId, out var existing))
        {
            var same = existing.HasDefinition(command.Agent, command.TaskFile, priority)
                       && existing.DependsOn.ToHashSet(StringComparer.Ordinal).SetEquals(dependsOn)
                       && (command.MaxAttempts is null || command.MaxAttempts == existing.MaxAttempts)
                       && existing.Payload == command.Payload
                       && existing.Tags.ToHashSet(StringComparer.Ordinal).SetEquals(tags)
                       && existing.NotBefore == command.NotBefore;
            return same
                ? (new TaskDefinitionAccepted(existing.ToView(), AlreadyDefined: true), null)
                : (new TaskDefinitionConflict(command.TaskId, existing.ToView()), null);
        }

        foreach (var dependency in dependsOn)
        {
            if (dependency == command.TaskId)
                return (Validation.Reject("dependsOn", dependency,
                    $"would make a cycle ({command.TaskId} -> {command.TaskId}): a task cannot depend on itself"), null);
            if (!state.TryGetTask(dependency, out var required))
                return (Validation.Reject("dependsOn", dependency,
                    "is not a defined task; define the tasks it depends on first (so that no cycle can form)"), null);
            if (required.Status is TaskState.Dead or TaskState.Cancelled)
                return (Validation.Reject("dependsOn", dependency,
                    $"is {ProtocolNames.Of(required.Status)}, so a task that depends on it could never run"), null);
        }

        // Every task is held in memory until the namespace stops: their number is bounded.
        if (state.TaskCount >= context.Limits.MaxTasks)
            return (Validation.Reject("taskId", command.TaskId,
                $"would be task {state.TaskCount + 1:N0} of the namespace: it holds at most orchestrator.limits.max-tasks = {context.Limits.MaxTasks:N0}; use another namespace"), null);

        var defined = new TaskDefined(command.TaskId, command.Agent, command.TaskFile, priority, context.Now,
            dependsOn, command.MaxAttempts ?? policy.DefaultMaxAttempts, command.Payload, command.By, tags.IsEmpty ? null : tags, command.NotBefore);
        ApplyDefined(state, defined);
        state.TryGetTask(defined.TaskId, out var task);
        return (new TaskDefinitionAccepted(task!.ToView(), AlreadyDefined: false), defined);
    }

    // A definition's input rules (its id aside): a task's, and a schedule's template's.
    private static CommandRejected? Invalid(DefineTask command, DecisionContext context) =>
        (command.Agent == ProtocolNames.AnyAgent ? null : Validation.AgentName("agent", command.Agent))
        ?? Validation.Name("taskFile", command.TaskFile)
        ?? Validation.Priority(command.Priority, out _)
        ?? (command.MaxAttempts is { } max && (max < 1 || max > context.Policy.MaxAttemptsLimit)
            ? Validation.Reject("maxAttempts", max.ToString(), $"must be between 1 and {context.Policy.MaxAttemptsLimit}")
            : null)
        ?? (command.Payload is null ? null : Validation.JsonDocumentText("payload", command.Payload, context.Limits.MaxDocumentBytes))
        ?? Validation.By("by", command.By)
        ?? Validation.Tags("tags", command.Tags)
        ?? ValidateDependencyIds(command.DependsOn, context.Policy);

    private static CommandRejected? ValidateDependencyIds(IReadOnlyList<string>? dependsOn, LifecyclePolicy policy)
    {
        if (dependsOn is null) return null;
        // Every entry counts towards the limit (repeats too), so the work done here stays bounded.
        if (dependsOn.Count > policy.MaxDependencies)
            return Validation.Reject("dependsOn", $"{dependsOn.Count} ids", $"lists too many tasks; at most {policy.MaxDependencies} are allowed");
        return dependsOn.Select(d => Validation.Id("dependsOn", d)).FirstOrDefault(r => r is not null);
    }

    private static void ApplyDefined(OrchestratorState.Builder state, TaskDefined e)
    {
        var dependsOn = e.DependsOn is not { Count: > 0 } ? [] : e.DependsOn.ToImmutableArray();
        var (status, dueAt) = dependsOn.IsEmpty || AllComplete(dependsOn, id => state.TryGetTask(id, out var t) ? t : null)
            ? TaskRecord.Released(e.NotBefore, e.DefinedAt)
            : (TaskState.Pending, null);
        var agent = state.SharedName(e.Agent);
        var by = e.By is null ? null : state.SharedName(e.By);
        var tags = e.Tags is not { Count: > 0 } ? [] : e.Tags.Distinct(StringComparer.Ordinal).Select(state.SharedTag).ToImmutableArray();
        var task = new TaskRecord(e.TaskId, agent, e.TaskFile, e.Priority, status, e.DefinedAt, state.NextOrdinal)
        {
            DependsOn = dependsOn,
            MaxAttempts = e.MaxAttempts ?? TaskDefined.DefaultMaxAttempts,
            Payload = e.Payload,
            DefinedBy = by,
            UpdatedAt = e.DefinedAt,
            ReadySeq = status == TaskState.Ready ? state.NextReadySeq : 0,
            Tags = tags,
            NotBefore = e.NotBefore,
            DueAt = dueAt,
        };
        task = task.WithHistory(new TaskHistoryEntry("task-defined", null, status, e.DefinedAt, by, null, DefinedDetail(dependsOn, e.NotBefore, e.DefinedAt)));
        state.Put(task);
        state.NextOrdinal++;
        if (status == TaskState.Ready) state.NextReadySeq++;
    }

    // What a definition's history entry says it waits for: its dependencies, its time, both, or nothing.
    private static string? DefinedDetail(IReadOnlyCollection<string> dependsOn, DateTimeOffset? notBefore, DateTimeOffset definedAt)
    {
        var waits = dependsOn.Count > 0 ? $"waits for {string.Join(", ", dependsOn)}" : null;
        var scheduled = notBefore is { } time && time > definedAt ? $"not before {time:O}" : null;
        return waits is null ? scheduled : scheduled is null ? waits : $"{waits}; {scheduled}";
    }

    private static bool AllComplete(OrchestratorState state, IEnumerable<string> dependsOn) =>
        AllComplete(dependsOn, id => state.Tasks.TryGetValue(id, out var t) ? t : null);

    // A task waits (PENDING) until every task it depends on is COMPLETED; one not found is not.
    private static bool AllComplete(IEnumerable<string> dependsOn, Func<string, TaskRecord?> task) =>
        dependsOn.All(id => task(id)?.Status == TaskState.Completed);

    private static Decision DecideSave(OrchestratorState state, SaveState command, DateTimeOffset now, DomainLimits limits)
    {
        var invalid = Validation.Id("ownerId", command.OwnerId)
                      ?? Validation.Id("key", command.Key)
                      ?? (command.ExpectedVersion is < 0
                          ? Validation.Reject("expectedVersion", command.ExpectedVersion.Value.ToString(), "must be 0 (no document yet) or a version the document has had")
                          : null)
                      ?? Validation.JsonDocumentText("json", command.Json, limits.MaxDocumentBytes);
        if (invalid is not null) return Decision.Answer(invalid);

        var key = new DocumentKey(command.OwnerId, command.Key);
        var current = state.Documents.TryGetValue(key, out var doc) ? doc.Version : 0;
        if (command.ExpectedVersion is { } expected && expected != current)
            return Decision.Answer(new StateVersionConflict(command.OwnerId, command.Key, expected, current));
        if (current == 0 && state.Documents.Count >= limits.MaxDocuments)
            return Decision.Answer(Validation.Reject("key", command.Key,
                $"would be document {state.Documents.Count + 1:N0} of the namespace: it holds at most orchestrator.limits.max-documents = {limits.MaxDocuments:N0}; save over one that exists, or use another namespace"));

        var saved = new StateSavedEvent(command.OwnerId, command.Key, command.Json, current + 1, now);
        return Decision.Persist(saved, new StateSaved(command.OwnerId, command.Key, saved.Version));
    }

    // The reply describes the state after the events, so it is built from that state.
    private static Decision Respond(OrchestratorState state, IReadOnlyList<IOrchestratorEvent> events, Func<OrchestratorState, IOrchestratorReply> reply)
    {
        var after = ApplyAll(state, events);
        return new Decision(events, reply(after)) { After = after };
    }

    /// <summary>
    /// True when answering <paramref name="query"/> may read every task: a ListTasks by id prefix,
    /// by a status or a priority (read in definition order to the page's end: every task before
    /// its matches when they are rare and the newest), or by two filters at once. Its cost grows
    /// with the state, so the state manager answers it away from its own thread. The others read a
    /// kept figure, or a page from a kept order (every task's, an agent's, a tag's) from its place
    /// (<see cref="TaskSelection.CandidatesAllMatch"/>); a list whose filters are refused reads nothing.
    /// </summary>
    public static bool ReadsEveryTask(IStateManagerQuery query) =>
        query is ListTasks q
        && TaskSelection.Parse(q.Agent, q.Status, q.Priority, q.IdPrefix, q.Tag, out var selection) is null
        && !selection.CandidatesAllMatch;

    // The paging rules every listing shares.
    private static CommandRejected? Page(int offset, int limit, DomainLimits limits) =>
        offset < 0 ? Validation.Reject("offset", offset.ToString(), "must be 0 or more")
        : limit < 1 || limit > limits.MaxPageSize ? Validation.Reject("limit", limit.ToString(), $"must be between 1 and {limits.MaxPageSize}")
        : null;

    private static IOrchestratorReply List(OrchestratorState state, ListTasks query, DomainLimits limits)
    {
        if (Page(query.Offset, query.Limit, limits) is { } badPage)
            return badPage;

        if (TaskSelection.Parse(query.Agent, query.Status, query.Priority, query.IdPrefix, query.Tag, out var selection) is { } badFilter)
            return badFilter;

        // Tasks are read in definition order from the kept orders, never sorted. A page ends at its
        // limit, or before the task that would take it past the reply's budget. An agent or a tag
        // filter reads that agent's or tag's tasks only; with it alone (or none), every candidate
        // matches, so the page is read from its offset on and the total is the order's count.
        var page = new List<TaskView>();
        var bytes = new ReplyBytes(limits.MaxReplyBytes);
        var candidates = selection.Candidates(state);
        if (selection.CandidatesAllMatch)
        {
            // Read from the page's place on: the removed slots of purges are found once, not per task.
            foreach (var entry in candidates.Entries(query.Offset))
            {
                if (page.Count == query.Limit) break;
                var view = state.Tasks[entry.TaskId].ToView();
                if (!bytes.Take(ViewSizes.UpperBound(view))) break;
                page.Add(view);
            }
            return new TaskPage(page, candidates.Count, query.Offset, query.Limit);
        }

        // Otherwise a status or a priority alone, and a tag with a status, have a kept count, and the
        // reading (of the tag's tasks for a tag) stops at the page's end; an id prefix or other pairs
        // of filters read every candidate to count the matches (an id prefix reads only the ids, not
        // the tasks, to rule one out).
        int? total = selection switch
        {
            { Agent: null, Status: { } only, Priority: null, Prefix: null, Tag: null } => state.Counts[only],
            { Agent: null, Status: null, Priority: { } only, Prefix: null, Tag: null } => state.Counts[only],
            { Agent: null, Status: { } status, Priority: null, Prefix: null, Tag: { } tag } => state.Counts[tag, status],
            _ => null,
        };
        var matched = 0;
        var full = false;
        foreach (var taskId in candidates)
        {
            // With the total known, the reading ends at the page's end or at the last match: a status
            // no task has (DEAD, most of the time) reads nothing.
            if (total is not null && (full || matched >= total)) break;
            if (!selection.MayMatch(taskId)) continue;
            var task = state.Tasks[taskId];
            if (!selection.Matches(task)) continue;
            if (matched >= query.Offset && !full)
            {
                // A task the budget has no room for starts the next page; the reading goes on only to count.
                var view = task.ToView();
                if (bytes.Take(ViewSizes.UpperBound(view))) page.Add(view);
                else full = true;
                full |= page.Count == query.Limit;
            }
            matched++;
        }
        return new TaskPage(page, total ?? matched, query.Offset, query.Limit);
    }

    // Agents by name, a page at a time, within the reply's budget as tasks are.
    private static IOrchestratorReply Agents(OrchestratorState state, ListAgents query, DomainLimits limits)
    {
        if (Page(query.Offset, query.Limit, limits) is { } badPage)
            return badPage;
        var held = state.Counts.ClaimsByAgent;
        var page = new List<AgentView>();
        var bytes = new ReplyBytes(limits.MaxReplyBytes);
        foreach (var agent in state.Agents.Values.OrderBy(a => a.Agent, StringComparer.Ordinal).Skip(query.Offset).Take(query.Limit))
        {
            var view = agent.ToView(held.GetValueOrDefault(agent.Agent));
            if (!bytes.Take(ViewSizes.UpperBound(view))) break;
            page.Add(view);
        }
        return new AgentList(page, state.Agents.Count, query.Offset, query.Limit);
    }

    // The newest entries that fit the reply's budget (less the task's id, which the reply names); the
    // older ones count as dropped.
    private static TaskHistory History(TaskRecord task, DomainLimits limits)
    {
        var bytes = new ReplyBytes(limits.MaxReplyBytes - (int)JsonTextSizes.Text(task.TaskId));
        var kept = 0;
        for (var i = task.History.Count - 1; i >= 0 && bytes.Take(ViewSizes.UpperBound(task.History[i])); i--) kept++;
        return kept == task.History.Count
            ? new TaskHistory(task.TaskId, task.History, task.HistoryDropped)
            : new TaskHistory(task.TaskId, task.History.GetRange(task.History.Count - kept, kept), task.HistoryDropped + task.History.Count - kept);
    }

    private static StatsReport Stats(OrchestratorState state, DateTimeOffset now)
    {
        // Kept by every change, not counted here: the same cost at a million tasks as at none.
        var byStatus = Enum.GetValues<TaskState>().ToDictionary(ProtocolNames.Of, s => state.Counts[s]);
        var byPriority = Enum.GetValues<TaskPriority>().ToDictionary(ProtocolNames.Of, p => state.Counts[p]);
        var oldestReady = state.LongestReady()?.UpdatedAt;
        return new StatsReport(state.Tasks.Count, byStatus, byPriority, state.Documents.Count, 0, 0,
            state.Agents.Count, oldestReady is { } since ? (now > since ? now - since : TimeSpan.Zero) : null)
        {
            ClaimLimits = state.ClaimLimits, Retention = state.Retention, Purged = state.Purged, Schedules = state.Schedules.Count,
        };
    }
}
