using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Orchestrator.Server.Http;

/// <summary>
/// The OpenAPI 3.1 document at <c>/openapi/v1.json</c> and its reference page at <c>/docs</c>. The
/// page is Scalar's, served from the package's embedded assets, with everything it would fetch from
/// the internet turned off (fonts, telemetry, its AI agent and MCP links), so it works offline.
/// </summary>
internal static class ApiDocs
{
    public const string Document = "v1", Bearer = "bearer";

    public static void AddServices(IServiceCollection services)
    {
        services.AddOpenApi(Document, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddSchemaTransformer(ApiExamples.Apply);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Orchestrator.Actors",
                    Version = "v1",
                    Description = "Task state for multi-agent systems: define tasks, claim them, report how they went, keep documents, follow transitions. " +
                                  "Errors are application/problem+json; 400 names the field and the value.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key of orchestrator.http.api-keys or ORCHESTRATOR_API_KEYS, when the server has any: Authorization: Bearer KEY.",
                };
                // Only /v1 needs a key; health, the document and the page do not.
                foreach (var (path, item) in document.Paths)
                {
                    if (!path.StartsWith("/v1", StringComparison.Ordinal) || item.Operations is null) continue;
                    foreach (var operation in item.Operations.Values)
                        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }];
                }
                return Task.CompletedTask;
            });
        });
    }

    public static void Map(WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", options => options
            .WithTitle("Orchestrator.Actors API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddDocument(Document)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .AddPreferredSecuritySchemes(Bearer));
    }
}
