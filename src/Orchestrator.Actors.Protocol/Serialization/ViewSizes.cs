using Orchestrator.Actors.Protocol.Replies;
using static Orchestrator.Actors.Protocol.Serialization.JsonTextSizes;

namespace Orchestrator.Actors.Protocol.Serialization;

/// <summary>
/// An upper bound of what a view takes in a reply (<see cref="OrchestratorSerializer"/>'s JSON,
/// UTF-8), found without writing it, as <see cref="EventSizes"/> does for events: its text counted by
/// <see cref="JsonTextSizes"/>, plus an allowance per view for its property names, numbers, dates and
/// the comma before it. The state manager ends a page before the view that would take it past
/// <c>orchestrator.limits.max-reply-bytes</c>, so that every reply fits a remoting frame.
/// </summary>
public static class ViewSizes
{
    /// <summary>What a view takes beyond its text, at most (a task with a claim has five dates and a dozen property names).</summary>
    public const int Allowance = 512;

    /// <summary>What a reply takes beyond its views, at most: its brackets, figures and property names.</summary>
    public const int ReplyAllowance = 256;

    /// <summary>The most <paramref name="task"/> takes in a page.</summary>
    public static long UpperBound(TaskView task) =>
        Allowance + Text(task.TaskId) + Text(task.Agent) + Text(task.TaskFile) + Texts(task.DependsOn) + Text(task.Reason) + Texts(task.Tags) + Text(task.Question)
        + (task.Claim is { } claim ? Text(claim.ClaimId) + Text(claim.Agent) : 0);

    /// <summary>The most <paramref name="agent"/> takes in a page.</summary>
    public static long UpperBound(AgentView agent) => Allowance + Text(agent.Agent) + Texts(agent.Capabilities);

    /// <summary>The most <paramref name="schedule"/> takes in a page.</summary>
    public static long UpperBound(ScheduleView schedule) =>
        Allowance + Text(schedule.ScheduleId) + Text(schedule.Agent) + Text(schedule.TaskFile) + Text(schedule.Cron) + Text(schedule.TimeZone)
        + Text(schedule.Payload) + Texts(schedule.Tags) + Text(schedule.By) + Text(schedule.Note);

    /// <summary>What a result of a batch of definitions takes beyond its text and its views, at most (its index, outcome and property names).</summary>
    public const int ResultAllowance = 160;

    /// <summary>The most one result of a batch of definitions takes, its views included.</summary>
    public static long UpperBound(TaskDefinitionResult result) =>
        ResultAllowance + Text(result.TaskId)
        + (result.Error is { } error ? Text(error.Field) + Text(error.Value) + Text(error.Reason) : 0)
        + (result.Task is { } task ? UpperBound(task) : 0)
        + (result.Existing is { } existing ? UpperBound(existing) : 0);

    /// <summary>The most <paramref name="entry"/> takes in a task's history.</summary>
    public static long UpperBound(TaskHistoryEntry entry) =>
        Allowance + Text(entry.Event) + Text(entry.By) + Text(entry.ClaimId) + Text(entry.Detail);
}
