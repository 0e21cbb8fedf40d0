using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orchestrator.Actors.Client;
using Orchestrator.Server.Gateway;
using Orchestrator.Server.Hosting;
using Orchestrator.Server.Json;

namespace Orchestrator.Server.Http;

/// <summary>The HTTP door: its services, its middleware and its routes.</summary>
public static class OrchestratorApi
{
    /// <summary>The services the routes need.</summary>
    public static void AddServices(IServiceCollection services, HttpSettings settings)
    {
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJson.Default));
        services.AddSingleton<TaskFeeds>();
        services.AddSingleton<ClaimWaiter>();
        services.TryAddSingleton(TimeProvider.System);
        ApiDocs.AddServices(services);
        // The MCP tools over Streamable HTTP at /mcp, behind the same API keys as /v1.
        Mcp.OrchestratorMcp.AddServer(services, new Mcp.McpDoor(Actors.Protocol.Namespaces.Default)).WithHttpTransport(http =>
            {
                // Sessions: a client's resource subscriptions live in its session.
                http.SessionMode = ModelContextProtocol.AspNetCore.HttpServerSessionMode.Stateful;
            });
    }

    /// <summary>Maps every route onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, HttpSettings settings)
    {
        // Whatever escapes a route is a problem+json, never an HTML page: Kestrel's own refusals
        // (BadHttpRequestException) with their status, anything else a 500.
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = Unhandled });
        // A route that does not exist, a method it does not take: problem+json as well.
        app.UseStatusCodePages();
        app.UseMiddleware<ApiKeyMiddleware>();
        MapHealth(app);
        ApiDocs.Map(app);
        Dashboard.DashboardRoutes.Map(app);

        var v1 = app.MapGroup("/v1").AddEndpointFilter(ReplyResults.Filter);
        var ns = v1.MapGroup("/namespaces/{ns}");
        TaskRoutes.Map(ns.MapGroup("").WithTags("Tasks"));
        ClaimRoutes.Map(ns.MapGroup("").WithTags("Claims"));
        StateRoutes.Map(ns.MapGroup("").WithTags("State"));
        ScheduleRoutes.Map(ns.MapGroup("").WithTags("Schedules"));
        InfoRoutes.Map(v1.MapGroup("").WithTags("Info"), ns.MapGroup("").WithTags("Info"));
        EventRoutes.Map(ns.MapGroup("").WithTags("Events"));
        app.MapMcp("/mcp").ExcludeFromDescription();
    }

    private static Task Unhandled(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var settings = context.RequestServices.GetRequiredService<HttpSettings>();
        var problem = error switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => Problems.TooLarge(settings.MaxRequestBodySize),
            BadHttpRequestException bad => Problems.Of(bad.StatusCode, "Bad request", bad.Message),
            _ => Problems.Of(StatusCodes.Status500InternalServerError, "Internal error", "the server failed to answer; the error is in its log"),
        };
        return Problems.Write(context, problem);
    }

    private static void MapHealth(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthReport("alive"))).WithSummary("The process is alive");
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
        }).WithSummary("The default namespace has recovered and answers");
    }
}

/// <summary>The answer of /healthz and /readyz.</summary>
public sealed record HealthReport(string Status, string? Detail = null);
