using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Server.Http;

/// <summary>The HTTP door: its services, its middleware and its routes.</summary>
public static class OrchestratorApi
{
    /// <summary>The services the routes need.</summary>
    public static void AddServices(IServiceCollection services, HttpSettings settings)
    {
        services.AddProblemDetails();
    }

    /// <summary>Maps every route onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, HttpSettings settings)
    {
        app.UseMiddleware<ApiKeyMiddleware>();
        MapHealth(app);
    }

    private static void MapHealth(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthReport("alive")));
        app.MapGet("/readyz", async (OrchestratorGateway gateway, CancellationToken cancellation) =>
        {
            try
            {
                // Ready once the default namespace's state manager has recovered and answers.
                await gateway.For(Orchestrator.Actors.Protocol.Namespaces.Default).GetStatsAsync(cancellation);
                return Results.Ok(new HealthReport("ready"));
            }
            catch (OrchestratorException ex)
            {
                return Results.Json(new HealthReport("recovering", ex.Message), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
    }
}

/// <summary>The answer of /healthz and /readyz.</summary>
public sealed record HealthReport(string Status, string? Detail = null);
