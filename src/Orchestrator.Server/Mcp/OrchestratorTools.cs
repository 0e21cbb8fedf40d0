using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Http;
using Orchestrator.Server.Json;
using static Orchestrator.Server.Mcp.ToolResults;

namespace Orchestrator.Server.Mcp;

/// <summary>
/// The orchestrator as MCP tools, for agents driven by a model. Each tool is a thin adapter over
/// the same request bodies and protocol messages as the HTTP routes: validation, the wording of a
/// refusal and what each reply means are the protocol's. A refusal is a tool result with
/// <c>isError</c> and the problem (field, value) as its structured content, never a protocol error.
/// </summary>
[McpServerToolType]
public sealed class OrchestratorTools(OrchestratorGateway gateway, ClaimWaiter waiter, McpDoor door)
{
    private const string NamespaceHelp = "The namespace to work in; the server's own (usually 'default') when left out.";
    private const string AgentHelp = "Your agent name, as the task was claimed with.";
    private const string ClaimHelp = "Required: the claimId that claim_task answered (the whole id; a task shows only its public part claim-N). It fences the claim.";
    private const string DurationHelp = "A duration such as 30s, 2m, 1h or 30d.";
    private const string JsonHelp = "Any JSON value, or a string holding JSON.";
    private const string KeyHelp = "A name you choose for this change (a UUID serves; 1-200 visible ASCII characters). If the call fails without an answer " +
                                   "(a timeout, the server unavailable), make the same call again with the same key: it is done at most once, " +
                                   "and you get the first call's answer. Kept 24 hours; a different call with the same key is refused.";

    [McpServerTool(Name = "define_task", Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(DefinedShape))]
    [Description("Define a task for an agent (or '*' for any agent). The identical definition again changes nothing (created: false), " +
                 "so it is safe to retry; a different definition under the same taskId is refused with the existing one.")]
    public Task<CallToolResult> DefineTask(
        [Description("A unique id: letters, digits and . _ : / - (for example 'build-linux').")] string taskId,
        [Description("The agent that should do it, or '*' for any agent.")] string agent,
        [Description("Where the task's instructions live (a path or a URL).")] string taskFile,
        [Description("How urgent; MEDIUM when left out.")][AllowedValues("CRITICAL", "HIGH", "MEDIUM", "LOW")] string? priority = null,
        [Description("Task ids that must be COMPLETED first; the task waits as PENDING until then.")] string[]? dependsOn = null,
        [Description("How many claims it gets before it is DEAD (3 when left out).")] int? maxAttempts = null,
        [Description("Data for the agent that claims it. " + JsonHelp)] JsonElement? payload = null,
        [Description("Who defines it (for the history).")] string? by = null,
        [Description("Tags to find it by later (list_tasks tag): up to 20, each 1-64 letters, digits and . _ : / = - (for example 'team:search', 'tenant=acme').")] string[]? tags = null,
        [Description("Schedule it: not READY before this time (ISO 8601 with an offset, such as 2026-12-24T09:00:00Z); READY as soon as its dependencies are when left out.")] DateTimeOffset? notBefore = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var body = new DefineTaskBody(taskId, agent, taskFile, priority, dependsOn, maxAttempts, JsonArgument.Value(payload), by, tags, notBefore);
            var accepted = await Client(@namespace).DefineTaskAsync(body.ToCommand(), cancellation);
            var shape = new DefinedShape(!accepted.AlreadyDefined, Shapes.Task(accepted.Task));
            return Ok(shape, ServerJson.Default.DefinedShape,
                $"task '{accepted.Task.TaskId}' {(accepted.AlreadyDefined ? "was already defined identically" : "defined")} ({Name(accepted.Task.Status)})");
        });

    [McpServerTool(Name = "define_tasks", Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(BatchShape))]
    [Description("Define up to 1,000 tasks at once, decided in order (a task may depend on one earlier in the list) and stored in one write. " +
                 "One result per item: created, unchanged, conflict (with the existing definition) or invalid (with the error); the others are still defined.")]
    public Task<CallToolResult> DefineTasks(
        [Description("The definitions: objects with taskId, agent, taskFile and optionally priority, dependsOn, maxAttempts, payload, by, tags, notBefore.")] JsonElement tasks,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            // Read as the HTTP door reads its body, so a bad item is refused naming its place (tasks[3].priority).
            using var wrapped = JsonDocument.Parse($$"""{"tasks":{{tasks.GetRawText()}}}""");
            var body = HttpInput.Parse(wrapped.RootElement, ServerJson.Default.DefineTasksBody);
            body = body with { Tasks = body.Tasks?.Select(t => t is null ? null : t with { Payload = JsonArgument.Value(t.Payload) }).ToList() };
            var shape = Shapes.Batch(await Client(@namespace).DefineTasksAsync(body.ToCommand(), cancellation));
            return Ok(shape, ServerJson.Default.BatchShape,
                $"defined {shape.Created}, unchanged {shape.Unchanged}, conflicts {shape.Conflicts}, invalid {shape.Invalid}");
        });

    [McpServerTool(Name = "claim_task", UseStructuredContent = true, OutputSchemaType = typeof(ClaimShape))]
    [Description("Claim the next READY task for you (or for any agent), highest priority first. You hold it under a lease: send heartbeat " +
                 "before the lease ends while you work, then complete_task or fail_task with the claimId. claimed is false when nothing is READY " +
                 "(after waiting up to 'wait', if given).")]
    public Task<CallToolResult> ClaimTask(
        [Description("Your agent name.")] string agent,
        [Description("How long the claim holds without a heartbeat (30s when left out). " + DurationHelp)] string? lease = null,
        [Description("How long to wait for a task to become READY (no wait when left out; at most orchestrator.http.max-claim-wait). " + DurationHelp)] string? wait = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var waitFor = waiter.Wait(wait);
            var command = new ClaimBody(agent, lease).ToCommand() with { IdempotencyKey = idempotencyKey };
            var reply = await waiter.ClaimAsync(Namespace(@namespace), command, waitFor, cancellation);
            if (reply is NoTaskReady none)
                return Ok(new ClaimShape(false, null) { Limited = none.Limited, LimitedUntil = none.LimitedUntil }, ServerJson.Default.ClaimShape, none.Message);
            var assigned = (TaskAssigned)reply;
            return Ok(new ClaimShape(true, Shapes.Claimed(assigned)), ServerJson.Default.ClaimShape,
                $"claimed '{assigned.Task.TaskId}' (claimId {assigned.ClaimId}, lease until {assigned.LeaseUntil:O}); task file {assigned.Task.TaskFile}");
        });

    [McpServerTool(Name = "heartbeat", UseStructuredContent = true, OutputSchemaType = typeof(LeaseRenewed))]
    [Description("Renew the lease of a task you hold, so it is not given to another agent while you work on it.")]
    public Task<CallToolResult> Heartbeat(
        [Description("The task you hold.")] string taskId,
        [Description(AgentHelp)] string agent,
        [Description(ClaimHelp)] string? claimId = null,
        [Description("A new lease duration, which then holds for later heartbeats too. " + DurationHelp)] string? lease = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var renewed = await Client(@namespace).HeartbeatAsync(new HeartbeatBody(agent, claimId, lease).ToCommand(taskId), cancellation);
            return Ok(renewed, ServerJson.Default.LeaseRenewed, $"lease of '{renewed.TaskId}' renewed until {renewed.LeaseUntil:O}");
        });

    [McpServerTool(Name = "complete_task", UseStructuredContent = true, OutputSchemaType = typeof(TaskShape))]
    [Description("Report a task you hold as done, with its result. Tasks that depended on it become READY.")]
    public Task<CallToolResult> CompleteTask(
        [Description("The task you hold.")] string taskId,
        [Description(AgentHelp)] string agent,
        [Description(ClaimHelp)] string? claimId = null,
        [Description("What came of it. " + JsonHelp)] JsonElement? result = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var body = new CompleteBody(agent, claimId, JsonArgument.Value(result));
            return Task(await Client(@namespace).CompleteTaskAsync(body.ToCommand(taskId) with { IdempotencyKey = idempotencyKey }, cancellation));
        });

    [McpServerTool(Name = "fail_task", UseStructuredContent = true, OutputSchemaType = typeof(TaskShape))]
    [Description("Report that a task you hold failed, and why. It is retried later (FAILED) or, after its last attempt, DEAD.")]
    public Task<CallToolResult> FailTask(
        [Description("The task you hold.")] string taskId,
        [Description(AgentHelp)] string agent,
        [Description("Why it failed, for whoever looks at it next.")] string reason,
        [Description(ClaimHelp)] string? claimId = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () => Task(await Client(@namespace).FailTaskAsync(new FailBody(agent, claimId, reason).ToCommand(taskId) with { IdempotencyKey = idempotencyKey }, cancellation)));

    [McpServerTool(Name = "request_input", UseStructuredContent = true, OutputSchemaType = typeof(TaskShape))]
    [Description("Ask for input you need before you can go on with a task you hold (a human's decision, another agent's answer). Your claim ends and the task " +
                 "is WAITING with your question until provide_input answers it; then it is READY again and whoever claims it next gets the question and the " +
                 "answer (input). With answerWithin, no answer in that time fails the attempt.")]
    public Task<CallToolResult> RequestInput(
        [Description("The task you hold.")] string taskId,
        [Description(AgentHelp)] string agent,
        [Description("What you need to know, as you would ask a person.")] string question,
        [Description(ClaimHelp)] string? claimId = null,
        [Description("How long the answer may take (1s to 30 days; no limit when left out). " + DurationHelp)] string? answerWithin = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () => Task(await Client(@namespace).RequestInputAsync(
            new RequestInputBody(agent, claimId, question, answerWithin).ToCommand(taskId) with { IdempotencyKey = idempotencyKey }, cancellation)));

    [McpServerTool(Name = "provide_input", UseStructuredContent = true, OutputSchemaType = typeof(TaskShape))]
    [Description("Answer the question of a WAITING task (its question is on the task): it is READY again, and its next claim carries your answer as input.")]
    public Task<CallToolResult> ProvideInput(
        [Description("The WAITING task.")] string taskId,
        [Description("The answer. " + JsonHelp)] JsonElement input,
        [Description("Who answers (for the history).")] string? by = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () => Task(await Client(@namespace).ProvideInputAsync(
            new ProvideInputBody(JsonArgument.Value(input), by).ToCommand(taskId) with { IdempotencyKey = idempotencyKey }, cancellation)));

    [McpServerTool(Name = "cancel_task", Destructive = true, UseStructuredContent = true, OutputSchemaType = typeof(TaskShape))]
    [Description("Cancel a task that is not finished. Tasks that wait for it become DEAD; a claim on it ends.")]
    public Task<CallToolResult> CancelTask(
        [Description("The task to cancel.")] string taskId,
        [Description("Why.")] string reason,
        [Description("Who cancels it (for the history).")] string? by = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () => Task(await Client(@namespace).CancelTaskAsync(new CancelBody(reason, by).ToCommand(taskId) with { IdempotencyKey = idempotencyKey }, cancellation)));

    [McpServerTool(Name = "requeue_task", UseStructuredContent = true, OutputSchemaType = typeof(TaskShape))]
    [Description("Give a DEAD task another round of attempts (READY again, or PENDING while it waits for others).")]
    public Task<CallToolResult> RequeueTask(
        [Description("The DEAD task.")] string taskId,
        [Description("Who requeues it (for the history).")] string? by = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () => Task(await Client(@namespace).RequeueDeadTaskAsync(new RequeueBody(by).ToCommand(taskId) with { IdempotencyKey = idempotencyKey }, cancellation)));

    [McpServerTool(Name = "cancel_tasks", Destructive = true, UseStructuredContent = true, OutputSchemaType = typeof(TasksChanged))]
    [Description("Cancel every unfinished task the filters match (combined; at least one is wise), up to 'limit' (1 to 1000, 1000 when left out) in one go. " +
                 "more: true when more matched; call again.")]
    public Task<CallToolResult> CancelTasks(
        [Description("Why, for each task's history.")] string reason,
        [Description("Only tasks in this status.")][AllowedValues("PENDING", "READY", "CLAIMED", "WAITING", "FAILED")] string? status = null,
        [Description("Only tasks defined for this agent.")] string? agent = null,
        [Description("Only tasks of this priority.")][AllowedValues("CRITICAL", "HIGH", "MEDIUM", "LOW")] string? priority = null,
        [Description("Only tasks whose id starts with this.")] string? idPrefix = null,
        [Description("Only tasks carrying this tag.")] string? tag = null,
        [Description("Who cancels them (for the history).")] string? by = null,
        [Description("The most tasks to cancel in this call (1 to 1000).")] int? limit = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var changed = await Client(@namespace).CancelTasksAsync(new BulkBody(status, agent, priority, idPrefix, tag, reason, by, limit).ToCancel(), cancellation);
            return Ok(changed, ServerJson.Default.TasksChanged, $"cancelled {changed.Count} tasks{(changed.More ? "; more match: call again" : "")}");
        });

    [McpServerTool(Name = "purge_tasks", Destructive = true, UseStructuredContent = true, OutputSchemaType = typeof(TasksChanged))]
    [Description("Purge finished tasks (COMPLETED, CANCELLED, DEAD) the filters match from the orchestrator's state, up to 'limit' (1 to 1000) in one go: " +
                 "they are gone from lists and lookups for good. A task that a kept task depends on stays. more: true when more matched; call again.")]
    public Task<CallToolResult> PurgeTasks(
        [Description("Only tasks in this status.")][AllowedValues("COMPLETED", "CANCELLED", "DEAD")] string? status = null,
        [Description("Only tasks defined for this agent.")] string? agent = null,
        [Description("Only tasks of this priority.")][AllowedValues("CRITICAL", "HIGH", "MEDIUM", "LOW")] string? priority = null,
        [Description("Only tasks whose id starts with this.")] string? idPrefix = null,
        [Description("Only tasks carrying this tag.")] string? tag = null,
        [Description("Only tasks finished at least this long ago (such as 7d). " + DurationHelp)] string? finishedFor = null,
        [Description("Who purges them.")] string? by = null,
        [Description("The most tasks to purge in this call (1 to 1000).")] int? limit = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var changed = await Client(@namespace).PurgeTasksAsync(new PurgeBody(status, agent, priority, idPrefix, tag, finishedFor, by, limit).ToCommand(), cancellation);
            return Ok(changed, ServerJson.Default.TasksChanged, $"purged {changed.Count} tasks{(changed.More ? "; more match: call again" : "")}");
        });

    [McpServerTool(Name = "set_retention", Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(RetentionSet))]
    [Description("Set how long finished tasks are kept: every minute the orchestrator purges the oldest ones finished longer ago than that. Leave finishedFor out to keep every task.")]
    public Task<CallToolResult> SetRetention(
        [Description("How long a finished task is kept, 1m to 365d (such as 30d). " + DurationHelp)] string? finishedFor = null,
        [Description("Who sets it.")] string? by = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var set = await Client(@namespace).SetRetentionAsync(new RetentionBody(finishedFor, by).ToCommand(), cancellation);
            return Ok(set, ServerJson.Default.RetentionSet, set.FinishedFor is { } keep ? $"finished tasks are kept {Actors.Protocol.ProtocolNames.Of(keep)}" : "every task is kept");
        });

    [McpServerTool(Name = "requeue_tasks", UseStructuredContent = true, OutputSchemaType = typeof(TasksChanged))]
    [Description("Give every DEAD task the filters match another round, up to 'limit' (1 to 1000) in one go; one whose dependency is DEAD or CANCELLED is left. more: true when more matched.")]
    public Task<CallToolResult> RequeueTasks(
        [Description("Only tasks defined for this agent.")] string? agent = null,
        [Description("Only tasks of this priority.")][AllowedValues("CRITICAL", "HIGH", "MEDIUM", "LOW")] string? priority = null,
        [Description("Only tasks whose id starts with this.")] string? idPrefix = null,
        [Description("Only tasks carrying this tag.")] string? tag = null,
        [Description("Who requeues them (for the history).")] string? by = null,
        [Description("The most tasks to requeue in this call (1 to 1000).")] int? limit = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var changed = await Client(@namespace).RequeueTasksAsync(new BulkBody(null, agent, priority, idPrefix, tag, null, by, limit).ToRequeue(), cancellation);
            return Ok(changed, ServerJson.Default.TasksChanged, $"requeued {changed.Count} tasks{(changed.More ? "; more match: call again" : "")}");
        });

    [McpServerTool(Name = "get_task", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(TaskDetailShape))]
    [Description("Read a task: its status, claim, attempts, payload and (once COMPLETED) its result.")]
    public Task<CallToolResult> GetTask(
        [Description("The task's id.")] string taskId,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var found = Shapes.Detail(await Client(@namespace).GetTaskAsync(taskId, cancellation));
            return Ok(found, ServerJson.Default.TaskDetailShape, $"task '{found.TaskId}' is {Name(found.Status)}");
        });

    [McpServerTool(Name = "list_tasks", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(TaskListShape))]
    [Description("List tasks in the order they were defined, filtered by status, agent, priority, tag and id prefix (filters combine), a page at a time. " + PagingHelp)]
    public Task<CallToolResult> ListTasks(
        [Description("Only tasks in this status.")][AllowedValues("PENDING", "READY", "CLAIMED", "WAITING", "COMPLETED", "FAILED", "DEAD", "CANCELLED")] string? status = null,
        [Description("Only tasks defined for this agent.")] string? agent = null,
        [Description("Only tasks of this priority.")][AllowedValues("CRITICAL", "HIGH", "MEDIUM", "LOW")] string? priority = null,
        [Description("How many matching tasks to skip (0 when left out).")] int? offset = null,
        [Description("The page size, 1 to 1000 (100 when left out).")] int? limit = null,
        [Description("Only tasks whose id starts with this (case-sensitive).")] string? idPrefix = null,
        [Description("Only tasks carrying this tag.")] string? tag = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var page = Shapes.List(await Client(@namespace).ListTasksAsync(new ListTasks(agent, status, priority, offset ?? 0, limit ?? 100, idPrefix, tag), cancellation));
            return Ok(page, ServerJson.Default.TaskListShape, $"{page.Tasks.Count} of {page.Total} tasks (offset {page.Offset}){Next(page.NextOffset)}");
        });

    [McpServerTool(Name = "task_history", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(TaskHistory))]
    [Description("A task's transitions, oldest first: who claimed it, failures, retries, completion.")]
    public Task<CallToolResult> TaskHistory(
        [Description("The task's id.")] string taskId,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var history = await Client(@namespace).GetTaskHistoryAsync(taskId, cancellation);
            return Ok(history, ServerJson.Default.TaskHistory, $"{history.Entries.Count} transitions of '{history.TaskId}'");
        });

    [McpServerTool(Name = "save_state", UseStructuredContent = true, OutputSchemaType = typeof(StateSaved))]
    [Description("Save a JSON document (your notes, progress, a result to share) under an owner and a key. Versions count up from 1; " +
                 "with expectedVersion it is saved only if the current version is that one (0: only if there is none yet).")]
    public Task<CallToolResult> SaveState(
        [Description("Whose document: your agent name, a task id, a team.")] string ownerId,
        [Description("Which document of the owner.")] string key,
        [Description("The document. " + JsonHelp)] JsonElement json,
        [Description("Save only at this version (0: only if absent).")] long? expectedVersion = null,
        [Description(KeyHelp)] string? idempotencyKey = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var text = Shapes.DocumentText(JsonArgument.Value(json))!;
            var saved = await Client(@namespace).SaveStateAsync(
                new Actors.Protocol.Commands.SaveState(ownerId, key, text, expectedVersion) { Namespace = Namespace(@namespace), IdempotencyKey = idempotencyKey }, cancellation);
            return Ok(saved, ServerJson.Default.StateSaved, $"saved '{saved.OwnerId}/{saved.Key}' as version {saved.Version}");
        });

    [McpServerTool(Name = "get_state", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(StateShape))]
    [Description("Read a document saved with save_state, with its version.")]
    public Task<CallToolResult> GetState(
        [Description("Whose document.")] string ownerId,
        [Description("Which document of the owner.")] string key,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var document = StateShape.Of(await Client(@namespace).GetStateAsync(ownerId, key, cancellation));
            return Ok(document, ServerJson.Default.StateShape, $"'{document.OwnerId}/{document.Key}' at version {document.Version}");
        });

    [McpServerTool(Name = "stats", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(StatsReport))]
    [Description("How many tasks there are by status and priority, documents, agents, and the journal's figures.")]
    public Task<CallToolResult> Stats(
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var stats = await Client(@namespace).GetStatsAsync(cancellation);
            return Ok(stats, ServerJson.Default.StatsReport, $"{stats.Tasks} tasks in namespace '{stats.Namespace}'");
        });

    [McpServerTool(Name = "set_claim_limits", Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(ClaimLimits))]
    [Description("Set the namespace's claim limits, replacing the ones before (leave one out for none): at most maxClaims claims held at once, maxClaimsPerAgent per agent, " +
                 "maxClaimsPerTag per tag (such as {\"tenant=acme\": 10}), maxClaimsPerSecondPerTag claims a second per tag (such as {\"model=gpt\": 2.5}). " +
                 "A claim a limit holds back gets the next task none holds back, or none. stats shows the limits.")]
    public Task<CallToolResult> SetClaimLimits(
        [Description("The most claims held at once in the namespace (0 to 1000000).")] int? maxClaims = null,
        [Description("The most claims one agent holds at once.")] int? maxClaimsPerAgent = null,
        [Description("The most claims held at once per tag: an object of tag to number.")] Dictionary<string, int>? maxClaimsPerTag = null,
        [Description("Who sets them.")] string? by = null,
        [Description("Fairness: a tag prefix such as 'tenant='. Within a priority, claims rotate across the groups of tasks sharing the first tag with it, " +
                     "so one tenant's flood does not starve the others. Left out: first come, first served.")] string? fairBy = null,
        [Description("The most claims per second per tag: an object of tag to rate (0.5 is one claim every 2 s; a burst of up to the rate goes at once; 0 lets none through).")]
        Dictionary<string, double>? maxClaimsPerSecondPerTag = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var set = await Client(@namespace).SetClaimLimitsAsync(new ClaimLimitsBody(maxClaims, maxClaimsPerAgent, maxClaimsPerTag, by, fairBy, maxClaimsPerSecondPerTag).ToCommand(), cancellation);
            return Ok(set.Limits, ServerJson.Default.ClaimLimits, set.Limits.IsNone ? "no claim limits" : "claim limits set");
        });

    [McpServerTool(Name = "define_schedule", Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(ScheduleAcceptedShape))]
    [Description("Define a recurring schedule, or replace the one of that id: at each occurrence one task is defined from the template, its id " +
                 "'{scheduleId}:{yyyyMMddTHHmmssZ}' (so you can predict it). Give cron (five fields, such as '0 9 * * 1-5', read in timeZone) or every (such as '15m'). " +
                 "The identical definition again changes nothing (unchanged: true).")]
    public Task<CallToolResult> DefineSchedule(
        [Description("The schedule's id: 1-100 letters, digits and . _ : / - (for example 'nightly-report').")] string scheduleId,
        [Description("The agent each task is for, or '*' for any agent.")] string agent,
        [Description("Where each task's instructions live.")] string taskFile,
        [Description("Five-field cron: minute hour day-of-month month day-of-week (for example '0 9 * * 1-5'). Leave out for an interval.")] string? cron = null,
        [Description("The IANA time zone cron is read in (for example 'Europe/Berlin'); UTC when left out.")] string? timeZone = null,
        [Description("An interval instead of cron (1s to 365 days). " + DurationHelp)] string? every = null,
        [Description("With every: the first occurrence (ISO 8601 with an offset); one interval from now when left out.")] DateTimeOffset? start = null,
        [Description("Occurrences missed while the orchestrator was down: 'one' (the latest; the default), 'all', or 'none'.")][AllowedValues("one", "all", "none")] string? catchUp = null,
        [Description("Each task's priority; MEDIUM when left out.")][AllowedValues("CRITICAL", "HIGH", "MEDIUM", "LOW")] string? priority = null,
        [Description("How many claims each task gets before it is DEAD.")] int? maxAttempts = null,
        [Description("Data for each task's claimer. " + JsonHelp)] JsonElement? payload = null,
        [Description("Each task's tags.")] string[]? tags = null,
        [Description("Who defines it.")] string? by = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var body = new ScheduleBody(agent, taskFile, cron, timeZone, every, start, catchUp, priority, maxAttempts, JsonArgument.Value(payload), tags, by);
            var accepted = await Client(@namespace).DefineScheduleAsync(body.ToCommand(scheduleId), cancellation);
            var shape = Shapes.Accepted(accepted);
            return Ok(shape, ServerJson.Default.ScheduleAcceptedShape,
                $"schedule '{scheduleId}' {(accepted.Unchanged ? "was already defined identically" : "defined")}; next occurrence {accepted.Schedule.NextAt?.ToString("O") ?? "none"}");
        });

    [McpServerTool(Name = "remove_schedule", Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(ScheduleRemoved))]
    [Description("Remove a recurring schedule: no occurrence after this is defined; the tasks it defined stay.")]
    public Task<CallToolResult> RemoveSchedule(
        [Description("The schedule's id.")] string scheduleId,
        [Description("Who removes it.")] string? by = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var removed = await Client(@namespace).RemoveScheduleAsync(new Actors.Protocol.Commands.RemoveSchedule(scheduleId, by), cancellation);
            return Ok(removed, ServerJson.Default.ScheduleRemoved, $"schedule '{removed.ScheduleId}' removed");
        });

    [McpServerTool(Name = "list_schedules", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(ScheduleListShape))]
    [Description("The recurring schedules, by id, each with its next occurrence, the tasks it defined and the occurrences it missed. " + PagingHelp)]
    public Task<CallToolResult> ListSchedules(
        [Description("How many schedules to skip (0 when left out).")] int? offset = null,
        [Description("The page size, 1 to 1000 (100 when left out).")] int? limit = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var page = await Client(@namespace).ListSchedulesAsync(new ListSchedules(offset ?? 0, limit ?? 100), cancellation);
            var shape = Shapes.Schedules(page);
            return Ok(shape, ServerJson.Default.ScheduleListShape, $"{shape.Schedules.Count} of {shape.Total} schedules (offset {shape.Offset}){Next(shape.NextOffset)}");
        });

    [McpServerTool(Name = "list_agents", ReadOnly = true, UseStructuredContent = true, OutputSchemaType = typeof(AgentListShape))]
    [Description("The agents known: registered, or seen claiming, with their capabilities and the claims each holds; by name, a page at a time. " + PagingHelp)]
    public Task<CallToolResult> ListAgents(
        [Description("How many agents to skip (0 when left out).")] int? offset = null,
        [Description("The page size, 1 to 1000 (100 when left out).")] int? limit = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var page = Shapes.Agents(await Client(@namespace).ListAgentsAsync(new ListAgents(offset ?? 0, limit ?? 100), cancellation));
            return Ok(page, ServerJson.Default.AgentListShape, $"{page.Agents.Count} of {page.Total} agents (offset {page.Offset}){Next(page.NextOffset)}");
        });

    private const string PagingHelp =
        "A page may hold fewer than limit before the end, to keep the reply within the server's size limit; nextOffset is where the next page starts (null on the last).";

    private static string Next(int? nextOffset) => nextOffset is { } next ? $"; the next page starts at offset {next}" : "";

    [McpServerTool(Name = "register_agent", Idempotent = true, UseStructuredContent = true, OutputSchemaType = typeof(AgentView))]
    [Description("Register yourself as an agent, with what you can do.")]
    public Task<CallToolResult> RegisterAgent(
        [Description("Your agent name.")] string agent,
        [Description("What you can do (for example 'python', 'review').")] string[]? capabilities = null,
        [Description(NamespaceHelp)] string? @namespace = null,
        CancellationToken cancellation = default) =>
        Run(async () =>
        {
            var accepted = await Client(@namespace).RegisterAgentAsync(new RegisterAgentBody(agent, capabilities).ToCommand(), cancellation);
            return Ok(accepted.Agent, ServerJson.Default.AgentView, $"agent '{accepted.Agent.Agent}' registered");
        });

    private string Namespace(string? @namespace) => string.IsNullOrEmpty(@namespace) ? door.Namespace : @namespace;

    private Actors.Client.OrchestratorClient Client(string? @namespace) => gateway.For(Namespace(@namespace));

    private static CallToolResult Task(TaskUpdated updated) =>
        Ok(Shapes.Task(updated.Task), ServerJson.Default.TaskShape, $"task '{updated.Task.TaskId}' is {Name(updated.Task.Status)}");

    private static string Name(Actors.Protocol.TaskState status) => Actors.Protocol.ProtocolNames.Of(status);
}
