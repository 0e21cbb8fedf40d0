using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// The pure core: <see cref="Decide"/> turns a command into events and a reply, <see cref="Apply"/>
/// folds an event into the state, <see cref="Answer"/> answers a query. No I/O, no clock, no actors.
/// </summary>
public static class OrchestratorDomain
{
    /// <summary>Decides what <paramref name="command"/> does to <paramref name="state"/> at <paramref name="now"/>.</summary>
    public static Decision Decide(OrchestratorState state, IStateManagerCommand command, DateTimeOffset now, DomainLimits limits) =>
        command switch
        {
            DefineTask define => DecideDefine(state, define, now),
            SaveState save => DecideSave(state, save, now, limits),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}", nameof(command)),
        };

    /// <summary>The state after <paramref name="event"/>. Events are facts: this never rejects.</summary>
    public static OrchestratorState Apply(OrchestratorState state, IOrchestratorEvent @event) =>
        @event switch
        {
            TaskDefined e => state with
            {
                Tasks = state.Tasks.SetItem(e.TaskId,
                    new TaskRecord(e.TaskId, e.Agent, e.TaskFile, e.Priority, TaskState.Ready, e.DefinedAt, state.NextOrdinal)),
                NextOrdinal = state.NextOrdinal + 1,
            },
            StateSavedEvent e => state with
            {
                Documents = state.Documents.SetItem(new DocumentKey(e.OwnerId, e.Key),
                    new DocumentRecord(e.OwnerId, e.Key, e.Json, e.Version, e.SavedAt)),
            },
            // Bookkeeping of the journal itself: the state does not change.
            EventsDeleted => state,
            _ => throw new ArgumentException($"Unknown event {@event.GetType().Name}", nameof(@event)),
        };

    /// <summary>Applies events in order.</summary>
    public static OrchestratorState ApplyAll(OrchestratorState state, IEnumerable<IOrchestratorEvent> events) =>
        events.Aggregate(state, Apply);

    /// <summary>
    /// Answers a query. Journal figures in <see cref="StatsReport"/> are zero here; the actor that
    /// owns the journal fills them in.
    /// </summary>
    public static IOrchestratorReply Answer(OrchestratorState state, IStateManagerQuery query, DomainLimits limits) =>
        query switch
        {
            GetTask q => Validation.Id("taskId", q.TaskId) as IOrchestratorReply
                         ?? (state.Tasks.TryGetValue(q.TaskId, out var task)
                             ? new TaskFound(task.ToView())
                             : new TaskNotFound(q.TaskId) as IOrchestratorReply),
            ListTasks q => List(state, q, limits),
            GetStats => Stats(state),
            GetState q => Validation.Id("ownerId", q.OwnerId) as IOrchestratorReply
                          ?? Validation.Id("key", q.Key) as IOrchestratorReply
                          ?? (state.Documents.TryGetValue(new DocumentKey(q.OwnerId, q.Key), out var doc)
                              ? new StateDocument(doc.OwnerId, doc.Key, doc.Json, doc.Version, doc.SavedAt)
                              : new StateNotFound(q.OwnerId, q.Key) as IOrchestratorReply),
            _ => throw new ArgumentException($"Unknown query {query.GetType().Name}", nameof(query)),
        };

    private static Decision DecideDefine(OrchestratorState state, DefineTask command, DateTimeOffset now)
    {
        var invalid = Validation.Id("taskId", command.TaskId)
                      ?? Validation.Text("agent", command.Agent)
                      ?? Validation.Text("taskFile", command.TaskFile)
                      ?? Validation.Priority(command.Priority, out _);
        if (invalid is not null) return Decision.Answer(invalid);
        Validation.Priority(command.Priority, out var priority);

        if (state.Tasks.TryGetValue(command.TaskId, out var existing))
        {
            return existing.HasDefinition(command.Agent, command.TaskFile, priority)
                ? Decision.Answer(new TaskDefinitionAccepted(existing.ToView(), AlreadyDefined: true))
                : Decision.Answer(new TaskDefinitionConflict(command.TaskId, existing.ToView()));
        }

        var defined = new TaskDefined(command.TaskId, command.Agent, command.TaskFile, priority, now);
        var view = new TaskView(defined.TaskId, defined.Agent, defined.TaskFile, defined.Priority, TaskState.Ready, now);
        return Decision.Persist(defined, new TaskDefinitionAccepted(view, AlreadyDefined: false));
    }

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

        var saved = new StateSavedEvent(command.OwnerId, command.Key, command.Json, current + 1, now);
        return Decision.Persist(saved, new StateSaved(command.OwnerId, command.Key, saved.Version));
    }

    private static IOrchestratorReply List(OrchestratorState state, ListTasks query, DomainLimits limits)
    {
        if (query.Offset < 0)
            return Validation.Reject("offset", query.Offset.ToString(), "must be 0 or more");
        if (query.Limit < 1 || query.Limit > limits.MaxPageSize)
            return Validation.Reject("limit", query.Limit.ToString(), $"must be between 1 and {limits.MaxPageSize}");

        TaskState? status = null;
        if (!string.IsNullOrWhiteSpace(query.Status))
        {
            if (!ProtocolNames.TryParseStatus(query.Status, out var s))
                return Validation.Reject("status", query.Status, $"unknown status; expected one of {ProtocolNames.AllNames<TaskState>()}");
            status = s;
        }

        TaskPriority? priority = null;
        if (!string.IsNullOrWhiteSpace(query.Priority))
        {
            if (!ProtocolNames.TryParsePriority(query.Priority, out var p))
                return Validation.Reject("priority", query.Priority, $"unknown priority; expected one of {ProtocolNames.AllNames<TaskPriority>()}");
            priority = p;
        }

        var matching = state.Tasks.Values
            .Where(t => (string.IsNullOrEmpty(query.Agent) || t.Agent == query.Agent)
                        && (status is null || t.Status == status)
                        && (priority is null || t.Priority == priority))
            .OrderBy(t => t.Ordinal)
            .ToList();
        var page = matching.Skip(query.Offset).Take(query.Limit).Select(t => t.ToView()).ToList();
        return new TaskPage(page, matching.Count, query.Offset, query.Limit);
    }

    private static StatsReport Stats(OrchestratorState state)
    {
        var byStatus = Enum.GetValues<TaskState>().ToDictionary(ProtocolNames.Of, _ => 0);
        var byPriority = Enum.GetValues<TaskPriority>().ToDictionary(ProtocolNames.Of, _ => 0);
        foreach (var task in state.Tasks.Values)
        {
            byStatus[ProtocolNames.Of(task.Status)]++;
            byPriority[ProtocolNames.Of(task.Priority)]++;
        }
        return new StatsReport(state.Tasks.Count, byStatus, byPriority, state.Documents.Count, 0, 0);
    }
}
