using OpenTelemetry;
using OpenTelemetry.Metrics;
using Orchestrator.Actors.Protocol.Telemetry;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// The orchestrator's meter collected in this process (--in-process-metrics), as an application that
/// embeds the orchestrator and runs OpenTelemetry would: a meter provider on <see cref="OrchestratorMeter"/>
/// whose reader collects every second (Prometheus scrapes every 15 s by default, so this is the harsher
/// case) and hands every point to an exporter that reads it and keeps nothing.
/// </summary>
internal sealed class InProcessMetrics : IDisposable
{
    private readonly MeterProvider _provider;
    private readonly CountingExporter _exporter = new();

    public InProcessMetrics()
    {
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(OrchestratorMeter.Name)
            .AddReader(new PeriodicExportingMetricReader(_exporter, exportIntervalMilliseconds: 1_000))
            .Build();
    }

    /// <summary>The metric points exported so far (so that a run shows the collection happened).</summary>
    public long Points => Interlocked.Read(ref _exporter.Points);

    public void Dispose() => _provider.Dispose();

    private sealed class CountingExporter : BaseExporter<Metric>
    {
        public long Points;

        public override ExportResult Export(in Batch<Metric> batch)
        {
            long points = 0;
            foreach (var metric in batch)
                foreach (ref readonly var _ in metric.GetMetricPoints())
                    points++;
            Interlocked.Add(ref Points, points);
            return ExportResult.Success;
        }
    }
}
