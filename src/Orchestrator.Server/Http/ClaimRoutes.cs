using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>Claiming a task (at once or waiting for one), and what its holder does with the claim.</summary>
internal static class ClaimRoutes
{
    public static void Map(RouteGroupBuilder ns)
    {
        ns.MapPost("/claims", Claim).WithName("ClaimTask")
            .WithSummary("Claim the next READY task for an agent")
            .WithDescription("204 when none is READY; when a claim limit held the claim back, the Orchestrator-Limited header says which, and for a rate limit " +
                             "Retry-After when it lets a claim through. With ?wait=30s the request waits for one, up to orchestrator.http.max-claim-wait.")
            .JsonBody<ClaimBody>().Problems(StatusCodes.Status400BadRequest).Remembered();
        ns.MapPost("/tasks/{taskId}/heartbeat", Heartbeat).WithName("Heartbeat")
            .WithSummary("Renew a claim's lease")
            .JsonBody<HeartbeatBody>().Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        ns.MapPost("/tasks/{taskId}/complete", Complete).WithName("CompleteTask")
            .WithSummary("Complete a claimed task")
            .WithDescription("409 for a stale claim, another agent's claim or a task not CLAIMED.")
            .JsonBody<CompleteBody>().Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict).Remembered();
        ns.MapPost("/tasks/{taskId}/fail", Fail).WithName("FailTask")
            .WithSummary("Report that a claimed task failed")
            .WithDescription("FAILED until its retry, or DEAD after its last attempt.")
            .JsonBody<FailBody>().Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict).Remembered();
        ns.MapPost("/tasks/{taskId}/request-input", RequestInput).WithName("RequestInput")
            .WithSummary("Ask for input before a claimed task can go on")
            .WithDescription("The claim ends and the task is WAITING with the question (A2A's input-required), until provide-input, or until answerWithin, when the attempt fails. 409 for a stale claim.")
            .JsonBody<RequestInputBody>().Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict).Remembered();
        ns.MapPost("/tasks/{taskId}/provide-input", ProvideInput).WithName("ProvideInput")
            .WithSummary("Answer a WAITING task's question")
            .WithDescription("The task is READY again, and its next claim carries the answer as input. 409 when it is not WAITING.")
            .JsonBody<ProvideInputBody>().Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict).Remembered();
    }

    private static async Task<Results<Ok<ClaimedTaskShape>, NoContent>> Claim(
        string ns, HttpRequest request, ClaimWaiter waiter, HttpSettings settings, TimeProvider time, CancellationToken cancellation,
        [FromQuery] string? wait = null, [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var waitFor = waiter.Wait(wait);
        var key = HttpInput.IdempotencyKey(idempotencyKey);
        var body = await HttpInput.Body(request, ServerJson.Default.ClaimBody, settings, cancellation);
        var reply = await waiter.ClaimAsync(ns, body.ToCommand() with { IdempotencyKey = key }, waitFor, cancellation);
        if (reply is TaskAssigned assigned) return TypedResults.Ok(Shapes.Claimed(assigned));
        if (reply is NoTaskReady { Limited: { } limited } none)
        {
            // Why none came (ASCII: tags and agent names are), and for a rate limit when to try again.
            request.HttpContext.Response.Headers[LimitedHeader] = limited;
            if (none.LimitedUntil is { } until)
                request.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling((until - time.GetUtcNow()).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return TypedResults.NoContent();
    }

    /// <summary>On a claim's 204: the claim limit that held it back (with <c>Retry-After</c> in seconds when a rate limit did).</summary>
    public const string LimitedHeader = "Orchestrator-Limited";

    private static async Task<Ok<LeaseRenewed>> Heartbeat(
        string ns, string taskId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var body = await HttpInput.Body(request, ServerJson.Default.HeartbeatBody, settings, cancellation);
        var command = body.ToCommand(HttpInput.Segment(taskId)) with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) };
        return TypedResults.Ok(await gateway.For(ns).HeartbeatAsync(command, cancellation));
    }

    private static Task<Ok<TaskShape>> Complete(
        string ns, string taskId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null) =>
        TaskRoutes.Transition(request, ServerJson.Default.CompleteBody, settings, cancellation,
            body => gateway.For(ns).CompleteTaskAsync(body.ToCommand(HttpInput.Segment(taskId)) with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) }, cancellation));

    private static Task<Ok<TaskShape>> RequestInput(
        string ns, string taskId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null) =>
        TaskRoutes.Transition(request, ServerJson.Default.RequestInputBody, settings, cancellation,
            body => gateway.For(ns).RequestInputAsync(body.ToCommand(HttpInput.Segment(taskId)) with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) }, cancellation));

    private static Task<Ok<TaskShape>> ProvideInput(
        string ns, string taskId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null) =>
        TaskRoutes.Transition(request, ServerJson.Default.ProvideInputBody, settings, cancellation,
            body => gateway.For(ns).ProvideInputAsync(body.ToCommand(HttpInput.Segment(taskId)) with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) }, cancellation));

    private static Task<Ok<TaskShape>> Fail(
        string ns, string taskId, HttpRequest request, OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null) =>
        TaskRoutes.Transition(request, ServerJson.Default.FailBody, settings, cancellation,
            body => gateway.For(ns).FailTaskAsync(body.ToCommand(HttpInput.Segment(taskId)) with { IdempotencyKey = HttpInput.IdempotencyKey(idempotencyKey) }, cancellation));
}
