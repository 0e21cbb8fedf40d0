using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Server.Http;

/// <summary>
/// An agent's own documents: the body is the document, its version is the entity tag, and the
/// conditional headers are SaveState's expected version.
/// </summary>
internal static class StateRoutes
{
    private const string Route = "/state/{ownerId}/{key}";

    public static void Map(RouteGroupBuilder ns)
    {
        ns.MapPut(Route, Save).WithName("SaveState")
            .WithSummary("Save a document")
            .WithDescription("The body is the document (any JSON). If-Match: \"N\" saves only at version N; If-None-Match: * only if it does not exist yet (412 otherwise). 201 for version 1, 200 after; ETag: \"N\".")
            .Accepts<object>("application/json").ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status412PreconditionFailed).Remembered();
        ns.MapGet(Route, Get).WithName("GetState")
            .WithSummary("Read a document")
            .WithDescription("The body is the document itself; ETag: \"N\" is its version and Last-Modified when it was saved.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Created<StateSaved>, Ok<StateSaved>>> Save(
        string ns, string ownerId, string key, HttpRequest request, HttpResponse response,
        OrchestratorGateway gateway, HttpSettings settings, CancellationToken cancellation,
        [FromHeader(Name = HttpInput.IdempotencyKeyHeader)] string? idempotencyKey = null)
    {
        var expected = HttpInput.ExpectedVersion(request.Headers);
        var idempotency = HttpInput.IdempotencyKey(idempotencyKey);
        var document = await HttpInput.Text(request, settings, cancellation);
        var (owner, name) = (HttpInput.Segment(ownerId), HttpInput.Segment(key));
        var saved = await gateway.For(ns).SaveStateAsync(new SaveState(owner, name, document, expected) { IdempotencyKey = idempotency }, cancellation);
        response.Headers.ETag = HttpInput.ETag(saved.Version);
        return saved.Version == 1
            ? TypedResults.Created($"/v1/namespaces/{Uri.EscapeDataString(ns)}/state/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(name)}", saved)
            : TypedResults.Ok(saved);
    }

    private static async Task<ContentHttpResult> Get(
        string ns, string ownerId, string key, HttpResponse response, OrchestratorGateway gateway, CancellationToken cancellation)
    {
        var document = await gateway.For(ns).GetStateAsync(HttpInput.Segment(ownerId), HttpInput.Segment(key), cancellation);
        response.Headers.ETag = HttpInput.ETag(document.Version);
        response.Headers.LastModified = document.SavedAt.ToUniversalTime().ToString("R", CultureInfo.InvariantCulture);
        return TypedResults.Text(document.Json, "application/json", System.Text.Encoding.UTF8);
    }
}
