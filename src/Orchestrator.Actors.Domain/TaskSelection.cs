using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Domain;

/// <summary>
/// The filters ListTasks and the bulk commands select tasks by, checked: each one optional, combined
/// with AND. <see cref="Candidates"/> reads the kept index of the agent's or the tag's tasks (the
/// shorter), else every task, in definition order.
/// </summary>
internal sealed record TaskSelection(string? Agent, TaskState? Status, TaskPriority? Priority, string? Prefix, string? Tag)
{
    /// <summary>Null with the selection, or the rejection of the first bad filter (naming it).</summary>
    public static CommandRejected? Parse(string? agent, string? status, string? priority, string? idPrefix, string? tag, out TaskSelection selection)
    {
        selection = new TaskSelection(null, null, null, null, null);
        TaskState? parsedStatus = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!ProtocolNames.TryParseStatus(status, out var s))
                return Validation.Reject("status", status, $"unknown status; expected one of {ProtocolNames.AllNames<TaskState>()}");
            parsedStatus = s;
        }
        TaskPriority? parsedPriority = null;
        if (!string.IsNullOrWhiteSpace(priority))
        {
            if (!ProtocolNames.TryParsePriority(priority, out var p))
                return Validation.Reject("priority", priority, $"unknown priority; expected one of {ProtocolNames.AllNames<TaskPriority>()}");
            parsedPriority = p;
        }
        var prefix = string.IsNullOrEmpty(idPrefix) ? null : idPrefix;
        if (prefix is not null && Validation.Id("idPrefix", prefix) is { } badPrefix) return badPrefix;
        var oneTag = string.IsNullOrEmpty(tag) ? null : tag;
        if (oneTag is not null && Validation.Tag("tag", oneTag) is { } badTag) return badTag;
        selection = new TaskSelection(string.IsNullOrEmpty(agent) ? null : agent, parsedStatus, parsedPriority, prefix, oneTag);
        return null;
    }

    /// <summary>True when nothing is filtered.</summary>
    public bool IsEmpty => Agent is null && Status is null && Priority is null && Prefix is null && Tag is null;

    /// <summary>True when the candidates are exactly the matches (one index filter and nothing else).</summary>
    public bool CandidatesAllMatch => Status is null && Priority is null && Prefix is null && (Agent is null || Tag is null);

    /// <summary>The ids to look at, in definition order: the agent's or the tag's kept order (the shorter), else every task's.</summary>
    public TaskOrder Candidates(OrchestratorState state)
    {
        var candidates = state.Order;
        if (Agent is not null) candidates = state.OrderByAgent.TryGetValue(Agent, out var mine) ? mine : TaskOrder.Empty;
        if (Tag is not null && (state.OrderByTag.TryGetValue(Tag, out var tagged) ? tagged : TaskOrder.Empty) is var byTag
            && (Agent is null || byTag.Count < candidates.Count))
            candidates = byTag;
        return candidates;
    }

    /// <summary>False when the id alone rules the task out (the id prefix): the task need not be read.</summary>
    public bool MayMatch(string taskId) => Prefix is null || taskId.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>True when the task passes every filter.</summary>
    public bool Matches(TaskRecord task) =>
        MayMatch(task.TaskId) && (Agent is null || task.Agent == Agent) && (Status is null || task.Status == Status)
        && (Priority is null || task.Priority == Priority) && (Tag is null || task.Tags.Contains(Tag));
}
