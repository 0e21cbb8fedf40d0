using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>Defining, reading, listing, cancelling and requeueing tasks.</summary>
internal static class TaskRoutes
{
    public static void Map(RouteGroupBuilder ns)
    {
        ns.MapPost("/tasks", Define).WithName("DefineTask")
            .WithSummary("Define a task")
            .WithDescription("Idempotent: the identical definition again answers 200 and writes nothing; a different one under the same id answers 409 with the existing task.")
            .JsonBody<DefineTaskBody>().Problems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        ns.MapPost("/tasks:batch", DefineBatch).WithName("DefineTasks")
            .WithSummary("Define up to 1,000 tasks in one request")
            .WithDescription("Decided in order and journaled in one write; one result per item: created, unchanged, conflict (with the existing task) or invalid (with the error). An empty or oversized batch is 400.")
            .JsonBody<DefineTasksBody>().Problems(StatusCodes.Status400BadRequest);
        ns.MapPost("/tasks:cancel", CancelMatching).WithName("CancelTasks")
            .WithSummary("Cancel the unfinished tasks the filters match, up to 1,000 at a time")
            .WithDescription("The filters are the list's (status, agent, priority, idPrefix, tag; all optional, combined with AND); reason is required. One event with the ids, each task cancelled as by .../cancel. 200 {count, taskIds, more}: more is true when more match than limit (1 to 1,000) took.")
            .JsonBody<BulkBody>().Problems(StatusCodes.Status400BadRequest);
        ns.MapPost("/tasks:requeue", RequeueMatching).WithName("RequeueTasks")
            .WithSummary("Requeue the DEAD tasks the filters match, up to 1,000 at a time")
            .WithDescription("As tasks:cancel, for DEAD tasks; one whose dependency is DEAD or CANCELLED is left as it is.")
            .JsonBody<BulkBody>().Problems(StatusCodes.Status400BadRequest);
        ns.MapPost("/tasks:purge", PurgeMatching).WithName("PurgeTasks")
            .WithSummary("Purge the finished tasks the filters match from the state, up to 1,000 at a time")
            .WithDescription("COMPLETED, CANCELLED and DEAD tasks (status, when given, must be one of them) that finished at least finishedFor ago (any when left out) "
                             + "are gone from lists, counts and lookups; their events stay in the journal. A task that a task still kept depends on stays. "
                             + "One event with the ids. 200 {count, taskIds, more}.")
            .JsonBody<PurgeBody>().Problems(StatusCodes.Status400BadRequest);
        ns.MapGet("/tasks", List).WithName("ListTasks")
            .WithSummary("List tasks in definition order")
            .WithDescription("Filters combine with AND. " + PagingHelp)
            .Problems(StatusCodes.Status400BadRequest);
        ns.MapGet("/tasks/{taskId}", Get).WithName("GetTask")
            .WithSummary("Read a task with its payload and result")
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        ns.MapGet("/tasks/{taskId}/history", History).WithName("GetTaskHistory")
            .WithSummary("A task's transitions, oldest first")
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        ns.MapPost("/tasks/{taskId}/cancel", Cancel).WithName("CancelTask")
            .WithSummary("Cancel a task that is not finished")
            .WithDescription("Its PENDING dependants become DEAD; a claim on it ends. 409 when it is COMPLETED or DEAD.")
            .JsonBody<CancelBody>().Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict).Remembered();
        ns.MapPost("/tasks/{taskId}/requeue", Requeue).WithName("RequeueDeadTask")
            .WithSummary("Give a DEAD task another round")
            .WithDescription("The body may be left out. 409 when the task is not DEAD.")
            .JsonBody<RequeueBody>(optional: true).Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict).Remembered();
    }

    /// <summary>How every listing pages, for the OpenAPI document.</summary>
    public const string PagingHelp =
        "offset is 0 or more, limit 1 to 1000 (100 by default). A page may hold fewer than limit items before the end: " +
        "one ends early rather than take the reply past the server's orchestrator.limits.max-reply-bytes. nextOffset says where the next page starts " +
        "(null on the last), and so does a Link header with rel=\"next\".";

    /// <summary>The path of a task, as Location names it.</summary>
    public static string Path(string ns, string taskId) => $"/v1/namespaces/{Uri.EscapeDataString(ns)}/tasks/{Uri.EscapeDataString(taskId)}";

    private static async Task<Results<Created<TaskShape>, Ok<TaskShape>>> Define(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.DefineTaskBody, settings, cancellation);
        var accepted = await gateway.For(ns).DefineTaskAsync(body.ToCommand() with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) }, cancellation);
        var task = Shapes.Task(accepted.Task);
        return accepted.AlreadyDefined ? TypedResults.Ok(task) : TypedResults.Created(Path(ns, task.TaskId), task);
    }

    private static async Task<Ok<BatchShape>> DefineBatch(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.DefineTasksBody, settings, cancellation);
        var command = body.ToCommand() with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) };
        return TypedResults.Ok(Shapes.Batch(await gateway.For(ns).DefineTasksAsync(command, cancellation)));
    }

    private static async Task<Ok<TasksChanged>> CancelMatching(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.BulkBody, settings, cancellation);
        return TypedResults.Ok(await gateway.For(ns).CancelTasksAsync(body.ToCancel(), cancellation));
    }

    private static async Task<Ok<TasksChanged>> RequeueMatching(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.BulkBody, settings, cancellation);
        return TypedResults.Ok(await gateway.For(ns).RequeueTasksAsync(body.ToRequeue(), cancellation));
    }

    private static async Task<Ok<TasksChanged>> PurgeMatching(
        string ns, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.PurgeBody, settings, cancellation);
        return TypedResults.Ok(await gateway.For(ns).PurgeTasksAsync(body.ToCommand(), cancellation));
    }

    private static async Task<Ok<TaskListShape>> List(
        string ns, HttpRequest request, HttpResponse response, OrchestratorGateway gateway, CancellationToken cancellation,
        [FromQuery] string? status = null, [FromQuery] string? agent = null, [FromQuery] string? priority = null,
        [FromQuery] string? offset = null, [FromQuery] string? limit = null, [FromQuery] string? idPrefix = null, [FromQuery] string? tag = null)
    {
        var query = new ListTasks(agent, status, priority, HttpInput.Number("offset", offset, 0), HttpInput.Number("limit", limit, 100), idPrefix, tag);
        var page = await gateway.For(ns).ListTasksAsync(query, cancellation);
        NextPage.Link(request, response, page.NextOffset);
        return TypedResults.Ok(Shapes.List(page));
    }

    private static async Task<Ok<TaskDetailShape>> Get(string ns, string taskId, OrchestratorGateway gateway, CancellationToken cancellation) =>
        TypedResults.Ok(Shapes.Detail(await gateway.For(ns).GetTaskAsync(HttpInput.Segment(taskId), cancellation)));

    private static async Task<Ok<TaskHistory>> History(string ns, string taskId, OrchestratorGateway gateway, CancellationToken cancellation) =>
        TypedResults.Ok(await gateway.For(ns).GetTaskHistoryAsync(HttpInput.Segment(taskId), cancellation));

    private static Task<Ok<TaskShape>> Cancel(
        string ns, string taskId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null) =>
        Transition(request, ServerJson.Default.CancelBody, settings, cancellation,
            body => gateway.For(ns).CancelTaskAsync(body.ToCommand(HttpInput.Segment(taskId)) with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) }, cancellation));

    private static Task<Ok<TaskShape>> Requeue(
        string ns, string taskId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null) =>
        Transition(request, ServerJson.Default.RequeueBody, settings, cancellation,
            body => gateway.For(ns).RequeueDeadTaskAsync(body.ToCommand(HttpInput.Segment(taskId)) with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) }, cancellation), absent: new RequeueBody());

    /// <summary>
    /// A transition of one task (complete, fail, cancel, requeue): its body read, its command sent,
    /// and the task as it is after. A body may be left out only where <paramref name="absent"/> stands in for it.
    /// </summary>
    internal static async Task<Ok<TaskShape>> Transition<TBody>(
        HttpRequest request, JsonTypeInfo<TBody> type, HttpSettings settings, CancellationToken cancellation,
        Func<TBody, Task<TaskUpdated>> send, TBody? absent = null) where TBody : class
    {
        var body = await HttpInput.Body(request, type, settings, optional: absent is not null, cancellation) ?? absent!;
        return TypedResults.Ok(Shapes.Task((await send(body)).Task));
    }
}
