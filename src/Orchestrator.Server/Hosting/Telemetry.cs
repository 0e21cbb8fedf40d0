using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orchestrator.Actors.Protocol.Telemetry;

namespace Orchestrator.Server.Hosting;

/// <summary>
/// The orchestrator's metrics (<see cref="OrchestratorMeter"/>), ASP.NET Core's own (HTTP requests,
/// <c>http.server.request.duration</c>) and the MCP SDK's (MCP requests and tool calls,
/// <c>mcp.server.operation.duration</c>) through OpenTelemetry: scraped in Prometheus
/// text at <c>/metrics</c> on the HTTP door (behind its API keys when it has some), and pushed over
/// OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads its other
/// <c>OTEL_EXPORTER_OTLP_*</c> variables itself). With OTLP, traces too: a span per HTTP request
/// (continuing an incoming W3C <c>traceparent</c>), under it the state manager's span of the command
/// and, under that, its journal write (<see cref="OrchestratorActivities"/>).
/// </summary>
public static class Telemetry
{
    /// <summary>The path Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// The MCP C# SDK's meter and activity source (its name while OpenTelemetry's MCP conventions are
    /// experimental): <c>mcp.server.operation.duration</c> by method and tool, and a span per MCP request.
    /// </summary>
    public const string McpSdk = "Experimental.ModelContextProtocol";

    /// <summary>The meters exported: the orchestrator's, ASP.NET Core's for the HTTP requests, and the MCP SDK's for the MCP requests.</summary>
    public static readonly string[] Meters = [OrchestratorMeter.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", McpSdk];

    /// <summary>Registers the meter provider and its exporters.</summary>
    public static void AddServices(IServiceCollection services, ServerPlan plan)
    {
        var otlp = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var scraped = plan.Http.Enabled && plan.Http.Metrics;
        if (!scraped && !otlp) return;
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("orchestrator", serviceInstanceId: plan.SystemName + "@" + Environment.MachineName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Meters);
                if (scraped)
                    // Each scrape sees the figures of that moment (the exporter would otherwise answer
                    // from a copy up to 300 ms old).
                    metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp) metrics.AddOtlpExporter();
            });
        if (otlp)
            telemetry.WithTracing(tracing => tracing
                .AddSource(OrchestratorActivities.Name, McpSdk)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
    }

    /// <summary>Maps <see cref="MetricsPath"/> onto the HTTP door, unless <c>orchestrator.http.metrics</c> is off.</summary>
    public static void Map(WebApplication app, HttpSettings settings)
    {
        if (settings.Metrics) app.MapPrometheusScrapingEndpoint(MetricsPath);
    }
}
