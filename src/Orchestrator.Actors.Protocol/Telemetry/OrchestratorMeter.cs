using System.Diagnostics;
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

/// <summary>
/// The one source of the orchestrator's spans (same name as <see cref="OrchestratorMeter"/>): a
/// client's request (<c>orchestrator.request</c>), the state manager's handling of a command
/// (<c>orchestrator.command</c>) and, as its child, the journal write that holds its events
/// (<c>orchestrator.journal.write</c>).
/// </summary>
public static class OrchestratorActivities
{
    /// <summary>The source's name.</summary>
    public const string Name = OrchestratorMeter.Name;

    /// <summary>The source.</summary>
    public static readonly ActivitySource Source = new(Name, typeof(OrchestratorActivities).Assembly.GetName().Version?.ToString(3));

    /// <summary>
    /// Starts a span without making it <see cref="Activity.Current"/>: actors and callers that end it
    /// elsewhere (another message, another thread) must not leave it current behind them.
    /// </summary>
    public static Activity? StartDetached(string name, ActivityKind kind, ActivityContext parent = default, IEnumerable<KeyValuePair<string, object?>>? tags = null)
    {
        if (!Source.HasListeners()) return null;
        var previous = Activity.Current;
        var activity = Source.StartActivity(name, kind, parent, tags);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends a span started with <see cref="StartDetached"/>, leaving <see cref="Activity.Current"/> as it was.</summary>
    public static void StopDetached(Activity? activity)
    {
        if (activity is null) return;
        var previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous;
    }
}
