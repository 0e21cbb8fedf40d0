using System.Diagnostics.Metrics;

namespace Orchestrator.Actors.Protocol.Telemetry;

/// <summary>
/// The one meter every instrument of the orchestrator is created on, so that an exporter listens to
/// all of them by one name (OpenTelemetry's <c>AddMeter(OrchestratorMeter.Name)</c>). Instrument
/// names follow OpenTelemetry's conventions (<c>orchestrator.journal.write.duration</c>, unit
/// <c>s</c>); a Prometheus exporter turns them into <c>orchestrator_journal_write_duration_seconds</c>.
/// </summary>
public static class OrchestratorMeter
{
    /// <summary>The meter's name.</summary>
    public const string Name = "Orchestrator.Actors";

    /// <summary>The meter.</summary>
    public static readonly Meter Instance = new(Name, typeof(OrchestratorMeter).Assembly.GetName().Version?.ToString(3));

    /// <summary>Bytes of each snapshot the serializer wrote, by manifest.</summary>
    public static readonly Histogram<long> SnapshotSize = Instance.CreateHistogram<long>(
        "orchestrator.snapshot.size", "By", "Size of each snapshot written, after compression",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1 << 10, 1 << 14, 1 << 17, 1 << 20, 1 << 23, 1 << 26, 1 << 29] });
}
