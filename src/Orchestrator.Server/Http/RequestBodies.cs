using System.Text.Json;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

// The request bodies of the routes. Every field is optional here: what is missing or invalid is
// the protocol's to reject (CommandRejected names the field), so the rules stay in one place. The
// HTTP layer parses only what HTTP itself carries: durations (lease) and the JSON itself.

/// <summary>POST .../tasks: a task definition.</summary>
public sealed record DefineTaskBody(
    string? TaskId,
    string? Agent,
    string? TaskFile,
    string? Priority = null,
    IReadOnlyList<string>? DependsOn = null,
    int? MaxAttempts = null,
    JsonElement? Payload = null,
    string? By = null,
    IReadOnlyList<string>? Tags = null,
    DateTimeOffset? NotBefore = null)
{
    /// <summary>The protocol's command.</summary>
    public DefineTask ToCommand() => new(TaskId!, Agent!, TaskFile!, Priority, DependsOn, MaxAttempts, Shapes.DocumentText(Payload), By, Tags, NotBefore);
}

/// <summary>POST .../tasks:batch: definitions decided in order and journaled in one write.</summary>
public sealed record DefineTasksBody(IReadOnlyList<DefineTaskBody?>? Tasks)
{
    /// <summary>The protocol's command; a null item stays null, for the protocol to answer invalid at its index.</summary>
    public DefineTasks ToCommand() => new(Tasks is null ? null! : [.. Tasks.Select(t => t?.ToCommand()!)]);
}

/// <summary>POST .../claims: who claims, and for how long (a duration such as 30s).</summary>
public sealed record ClaimBody(string? Agent, string? Lease = null)
{
    /// <summary>The protocol's command.</summary>
    public ClaimTask ToCommand() => new(Agent!, HttpInput.OptionalDuration("lease", Lease));
}

/// <summary>POST .../heartbeat.</summary>
public sealed record HeartbeatBody(string? Agent, string? ClaimId = null, string? Lease = null)
{
    /// <summary>The protocol's command.</summary>
    public Heartbeat ToCommand(string taskId) => new(taskId, Agent!, ClaimId, HttpInput.OptionalDuration("lease", Lease));
}

/// <summary>POST .../complete.</summary>
public sealed record CompleteBody(string? Agent, string? ClaimId = null, JsonElement? Result = null)
{
    /// <summary>The protocol's command.</summary>
    public CompleteTask ToCommand(string taskId) => new(taskId, Agent!, ClaimId, Shapes.DocumentText(Result));
}

/// <summary>POST .../fail.</summary>
public sealed record FailBody(string? Agent, string? ClaimId = null, string? Reason = null)
{
    /// <summary>The protocol's command.</summary>
    public FailTask ToCommand(string taskId) => new(taskId, Agent!, ClaimId, Reason!);
}

/// <summary>POST .../request-input.</summary>
public sealed record RequestInputBody(string? Agent, string? ClaimId = null, string? Question = null, string? AnswerWithin = null)
{
    /// <summary>The protocol's command.</summary>
    public RequestInput ToCommand(string taskId) => new(taskId, Agent!, ClaimId, Question!, HttpInput.OptionalDuration("answerWithin", AnswerWithin));
}

/// <summary>POST .../provide-input.</summary>
public sealed record ProvideInputBody(JsonElement? Input = null, string? By = null)
{
    /// <summary>The protocol's command.</summary>
    public ProvideInput ToCommand(string taskId) => new(taskId, Shapes.DocumentText(Input)!, By);
}

/// <summary>POST .../tasks:cancel and .../tasks:requeue: the list's filters, and what the change needs.</summary>
public sealed record BulkBody(
    string? Status = null, string? Agent = null, string? Priority = null, string? IdPrefix = null, string? Tag = null,
    string? Reason = null, string? By = null, int? Limit = null)
{
    private TaskFilter Filter => new(Agent, Status, Priority, IdPrefix, Tag);

    /// <summary>The protocol's bulk cancel.</summary>
    public CancelTasks ToCancel() => new(Filter, Reason!, By, Limit ?? OrchestratorDomain.MaxBulkTasks);

    /// <summary>The protocol's bulk requeue.</summary>
    public RequeueTasks ToRequeue() => new(Filter, By, Limit ?? OrchestratorDomain.MaxBulkTasks);
}

/// <summary>POST .../tasks:purge: the list's filters, how long ago a task must have finished (a duration such as 30d), and how many at most.</summary>
public sealed record PurgeBody(
    string? Status = null, string? Agent = null, string? Priority = null, string? IdPrefix = null, string? Tag = null,
    string? FinishedFor = null, string? By = null, int? Limit = null)
{
    /// <summary>The protocol's purge.</summary>
    public PurgeTasks ToCommand() => new(new TaskFilter(Agent, Status, Priority, IdPrefix, Tag), HttpInput.OptionalDuration("finishedFor", FinishedFor), By,
        Limit ?? OrchestratorDomain.MaxBulkTasks);
}

/// <summary>PUT .../retention: how long finished tasks are kept (a duration such as 30d; null: for good).</summary>
public sealed record RetentionBody(string? FinishedFor, string? By = null)
{
    /// <summary>The protocol's command.</summary>
    public SetRetention ToCommand() => new(HttpInput.OptionalDuration("finishedFor", FinishedFor), By);
}

/// <summary>PUT .../claim-limits: every limit, null or absent for none.</summary>
public sealed record ClaimLimitsBody(int? MaxClaims = null, int? MaxClaimsPerAgent = null, IReadOnlyDictionary<string, int>? MaxClaimsPerTag = null, string? By = null,
    string? FairBy = null, IReadOnlyDictionary<string, double>? MaxClaimsPerSecondPerTag = null)
{
    /// <summary>The protocol's command.</summary>
    public SetClaimLimits ToCommand() => new(MaxClaims, MaxClaimsPerAgent, MaxClaimsPerTag, By, FairBy, MaxClaimsPerSecondPerTag);
}

/// <summary>PUT .../schedules/{scheduleId}: when (cron and timeZone, or every and start), what to do with missed occurrences, and each task's template.</summary>
public sealed record ScheduleBody(
    string? Agent,
    string? TaskFile,
    string? Cron = null,
    string? TimeZone = null,
    string? Every = null,
    DateTimeOffset? Start = null,
    string? CatchUp = null,
    string? Priority = null,
    int? MaxAttempts = null,
    JsonElement? Payload = null,
    IReadOnlyList<string>? Tags = null,
    string? By = null)
{
    /// <summary>The protocol's command.</summary>
    public DefineSchedule ToCommand(string scheduleId) => new(scheduleId, Agent!, TaskFile!, Cron, TimeZone, HttpInput.OptionalDuration("every", Every), Start, CatchUp,
        Priority, MaxAttempts, Shapes.DocumentText(Payload), Tags, By);
}

/// <summary>POST .../cancel.</summary>
public sealed record CancelBody(string? Reason, string? By = null)
{
    /// <summary>The protocol's command.</summary>
    public CancelTask ToCommand(string taskId) => new(taskId, Reason!, By);
}

/// <summary>POST .../requeue (the body may be left out).</summary>
public sealed record RequeueBody(string? By = null)
{
    /// <summary>The protocol's command.</summary>
    public RequeueDeadTask ToCommand(string taskId) => new(taskId, By);
}

/// <summary>POST .../agents.</summary>
public sealed record RegisterAgentBody(string? Agent, IReadOnlyList<string>? Capabilities = null)
{
    /// <summary>The protocol's command.</summary>
    public RegisterAgent ToCommand() => new(Agent!, Capabilities);
}
