using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>
/// Each kind of reply that is not a success, mapped to its HTTP status once: rejected 400 (field,
/// value), a conflict 409 with the reply's facts, a version conflict 412, an idempotency key used
/// for another request 422 (draft-ietf-httpapi-idempotency-key-header), not found 404,
/// unavailable or unreachable 503 with <c>Retry-After: 1</c> (nothing was acknowledged).
/// </summary>
public static class ReplyResults
{
    /// <summary>What a 503 tells a client to wait before it retries.</summary>
    public const string RetryAfterSeconds = "1";

    /// <summary>
    /// The task's status in a 409: <c>status</c> is the HTTP status in a problem (RFC 9457), so the
    /// task's goes beside it under its own name.
    /// </summary>
    public const string TaskStatus = "taskStatus";

    /// <summary>The problem that answers <paramref name="failure"/>.</summary>
    public static ProblemDetails Problem(OrchestratorException failure) => failure switch
    {
        OrchestratorRejectedException r => Problems.Rejected(r.Rejection),
        OrchestratorUnreachableException u => Unavailable(u.Message, null),
        OrchestratorUnavailableException { Reply: OrchestratorUnavailable u } => Unavailable(u.Message, u.Reason),
        _ => failure.Reply switch
        {
            TaskDefinitionConflict c => Problems.Of(StatusCodes.Status409Conflict, "Conflict", c.Message,
                [new("taskId", c.TaskId), new("existing", Shapes.Task(c.Existing))]),
            TransitionRejected t => Problems.Of(StatusCodes.Status409Conflict, "Conflict", t.Message,
                [new("taskId", t.TaskId), new(TaskStatus, ProtocolNames.Of(t.Status)), new("action", t.Action)]),
            StaleClaim s => Problems.Of(StatusCodes.Status409Conflict, "Stale claim", s.Message,
                [new("taskId", s.TaskId), new("agent", s.Agent), new("claimId", s.ClaimId), new(TaskStatus, ProtocolNames.Of(s.Status))]),
            StateVersionConflict v => Problems.Of(StatusCodes.Status412PreconditionFailed, "Version conflict", v.Message,
                [new("ownerId", v.OwnerId), new("key", v.Key), new("expectedVersion", v.ExpectedVersion), new("currentVersion", v.CurrentVersion)]),
            IdempotencyKeyReused k => Problems.Of(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused", k.Message,
                [new("idempotencyKey", k.Key), new("usedAt", k.UsedAt.ToString("O")), new("request", k.Request)]),
            TaskNotFound n => Problems.Of(StatusCodes.Status404NotFound, "Not found", failure.Message, [new("taskId", n.TaskId)]),
            StateNotFound n => Problems.Of(StatusCodes.Status404NotFound, "Not found", failure.Message, [new("ownerId", n.OwnerId), new("key", n.Key)]),
            ScheduleNotFound n => Problems.Of(StatusCodes.Status404NotFound, "Not found", failure.Message, [new("scheduleId", n.ScheduleId)]),
            _ => Problems.Of(StatusCodes.Status500InternalServerError, "Unexpected reply", failure.Message),
        },
    };

    /// <summary>The result for a route handler, with <c>Retry-After</c> on a 503.</summary>
    public static IResult Result(HttpContext context, ProblemDetails problem)
    {
        if (problem.Status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = RetryAfterSeconds;
        return Problems.Result(problem);
    }

    /// <summary>
    /// The filter on every <c>/v1</c> route: the client's exceptions and the refusals of what HTTP
    /// carried become their problems, so handlers are written for the success reply only.
    /// </summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        try
        {
            return await next(invocation);
        }
        catch (OrchestratorException ex)
        {
            return Result(invocation.HttpContext, Problem(ex));
        }
        catch (ProblemException ex)
        {
            return Result(invocation.HttpContext, ex.Problem);
        }
    }

    private static ProblemDetails Unavailable(string detail, string? reason) =>
        Problems.Of(StatusCodes.Status503ServiceUnavailable, "Unavailable, retry", detail, reason is null ? null : [new("reason", reason)]);
}
