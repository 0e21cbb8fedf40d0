using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Orchestrator.Server.Http;

/// <summary>How the routes describe themselves in the OpenAPI document.</summary>
internal static class RouteConventions
{
    /// <summary>
    /// The errors a route may answer, as problem+json. Every <c>/v1</c> route may also answer 401
    /// and 403 (API keys) and 503 (unavailable or unreachable; retry).
    /// </summary>
    public static RouteHandlerBuilder Problems(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (var status in statuses.Concat([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status503ServiceUnavailable]).Distinct())
            route.ProducesProblem(status);
        return route;
    }

    /// <summary>
    /// A change whose <c>Idempotency-Key</c> is remembered: the key sent again on another request is a
    /// 422 (draft-ietf-httpapi-idempotency-key-header).
    /// </summary>
    public static RouteHandlerBuilder Remembered(this RouteHandlerBuilder route) =>
        route.ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    /// <summary>A JSON request body of <typeparamref name="T"/>, read by the handler (<see cref="HttpInput.Body{T}(HttpRequest, System.Text.Json.Serialization.Metadata.JsonTypeInfo{T}, Hosting.HttpSettings, CancellationToken)"/>).</summary>
    public static RouteHandlerBuilder JsonBody<T>(this RouteHandlerBuilder route, bool optional = false) where T : notnull =>
        route.Accepts<T>(optional, "application/json").ProducesProblem(StatusCodes.Status413PayloadTooLarge);
}
