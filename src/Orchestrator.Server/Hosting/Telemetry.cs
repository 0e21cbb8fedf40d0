using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orchestrator.Actors.Protocol.Telemetry;

namespace Orchestrator.Server.Hosting;

/// <summary>
/// The orchestrator's metrics (<see cref="OrchestratorMeter"/>) and ASP.NET Core's own (HTTP and
/// MCP requests, <c>http.server.request.duration</c>) through OpenTelemetry: scraped in Prometheus
/// text at <c>/metrics</c> on the HTTP door (behind its API keys when it has some), and pushed over
/// OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads its other
/// <c>OTEL_EXPORTER_OTLP_*</c> variables itself).
/// </summary>
public static class Telemetry
{
    /// <summary>The path Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The meters exported: the orchestrator's, and ASP.NET Core's for the HTTP and MCP requests.</summary>
    public static readonly string[] Meters = [OrchestratorMeter.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>Registers the meter provider and its exporters.</summary>
    public static void AddServices(IServiceCollection services, ServerPlan plan)
    {
        var otlp = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if (!plan.Http.Enabled && !otlp) return;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("orchestrator", serviceInstanceId: plan.SystemName + "@" + Environment.MachineName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Meters);
                if (plan.Http.Enabled)
                    // Each scrape sees the figures of that moment (the exporter would otherwise answer
                    // from a copy up to 300 ms old).
                    metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp) metrics.AddOtlpExporter();
            });
    }

    /// <summary>Maps <see cref="MetricsPath"/> onto the HTTP door.</summary>
    public static void Map(WebApplication app) => app.MapPrometheusScrapingEndpoint(MetricsPath);
}
