using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Telemetry;

namespace Orchestrator.Actors.Telemetry;

/// <summary>
/// What one namespace's state manager reports on <see cref="OrchestratorMeter"/>: commands answered
/// (by command and reply type), each journal write's duration and events, the recovery's and each
/// snapshot's duration, and, read when an exporter collects, its tasks by status, its requests
/// waiting for a write and its mailbox depth. Every measurement carries the namespace. Written by
/// the actor only; the gauges read what it last published, an immutable state and two numbers.
/// The commands are counted by the actor in a table of its own (an increment per answer, on the
/// one thread every command of the namespace waits for) and read by the exporter when it collects
/// (an observable counter), rather than recorded one measurement per answer.
/// </summary>
public sealed class StateManagerMetrics : IDisposable
{
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private static readonly Histogram<double> WriteDuration = OrchestratorMeter.Instance.CreateHistogram<double>(
        "orchestrator.journal.write.duration", "s", "From handing a write to the journal to its confirmation",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
    private static readonly Histogram<long> WriteEvents = OrchestratorMeter.Instance.CreateHistogram<long>(
        "orchestrator.journal.write.events", "{event}", "Events in each journal write (group commit)",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000] });
    private static readonly Histogram<double> RecoveryDuration = OrchestratorMeter.Instance.CreateHistogram<double>(
        "orchestrator.recovery.duration", "s", "From a state manager's start to its recovered state",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
    private static readonly Counter<long> Overloads = OrchestratorMeter.Instance.CreateCounter<long>(
        "orchestrator.requests.overloaded", "{request}", "Changes answered 'overloaded, retry' at once: orchestrator.max-pending-requests already waited for the journal");
    private static readonly Counter<long> Expirations = OrchestratorMeter.Instance.CreateCounter<long>(
        "orchestrator.requests.expired", "{request}", "Changes dropped undone because their sender had stopped waiting (their 'within') before they were decided");

    private static readonly Histogram<double> SnapshotDuration = OrchestratorMeter.Instance.CreateHistogram<double>(
        "orchestrator.snapshot.duration", "s", "From asking for a snapshot to the store's confirmation",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    private static readonly ConcurrentDictionary<StateManagerMetrics, byte> Live = new();

    static StateManagerMetrics()
    {
        OrchestratorMeter.Instance.CreateObservableCounter("orchestrator.commands", ObserveCommands, "{command}",
            "Commands a state manager answered, by command type and reply type (since it started on this node)");
        OrchestratorMeter.Instance.CreateObservableGauge("orchestrator.tasks", ObserveTasks, "{task}", "Tasks by status");
        OrchestratorMeter.Instance.CreateObservableGauge("orchestrator.requests.pending", () => Observe(m => Volatile.Read(ref m._pending)),
            "{request}", "Requests decided and waiting for a journal write");
        OrchestratorMeter.Instance.CreateObservableGauge("orchestrator.mailbox.depth", () => Observe(m => m._mailboxDepth()),
            "{message}", "Messages waiting in the state manager's mailbox");
    }

    private readonly KeyValuePair<string, object?> _namespace;
    // Answers by command and reply type; a pair is added once (by the actor), then only incremented.
    private readonly ConcurrentDictionary<(Type Command, Type Reply), Answers> _answers = new();
    private readonly Func<long> _mailboxDepth;
    private readonly long _recoveryStarted;
    private OrchestratorState? _state;
    private long _pending;
    private long _writeStarted;
    private long _snapshotStarted;

    /// <summary>Starts timing the recovery of <paramref name="namespace"/>; <paramref name="mailboxDepth"/> is read when collected.</summary>
    public StateManagerMetrics(string @namespace, Func<long> mailboxDepth)
    {
        _namespace = new("orchestrator.namespace", @namespace);
        _mailboxDepth = mailboxDepth;
        _recoveryStarted = Stopwatch.GetTimestamp();
    }

    /// <summary>Recovery ended with <paramref name="state"/>: its duration is recorded and the gauges start reading this namespace.</summary>
    public void Recovered(OrchestratorState state)
    {
        RecoveryDuration.Record(Stopwatch.GetElapsedTime(_recoveryStarted).TotalSeconds, _namespace);
        Publish(state, 0);
        Live.TryAdd(this, 0);
    }

    /// <summary>What the gauges read from now on: the confirmed state and the requests waiting.</summary>
    public void Publish(OrchestratorState state, int pending)
    {
        Volatile.Write(ref _state, state);
        Volatile.Write(ref _pending, pending);
    }

    /// <summary>A request was answered.</summary>
    public void Answered(IStateManagerCommand command, IOrchestratorReply reply)
    {
        var key = (command.GetType(), reply.GetType());
        if (!_answers.TryGetValue(key, out var answers))
        {
            answers = new Answers([_namespace, new("orchestrator.command", key.Item1.Name), new("orchestrator.reply", key.Item2.Name)]);
            _answers[key] = answers;
        }
        Interlocked.Increment(ref answers.Count);
    }

    /// <summary>A change was refused because too many requests waited for the journal.</summary>
    public void Overloaded() => Overloads.Add(1, _namespace);

    /// <summary>A change was dropped undone: its sender had stopped waiting before it was decided.</summary>
    public void Expired() => Expirations.Add(1, _namespace);

    /// <summary>A write of <paramref name="events"/> went to the journal.</summary>
    public void WriteStarted(int events)
    {
        _writeStarted = Stopwatch.GetTimestamp();
        WriteEvents.Record(events, _namespace);
    }

    /// <summary>The journal answered the write in flight (confirmed or refused); how long it took.</summary>
    public TimeSpan WriteDone(bool written)
    {
        var took = Stopwatch.GetElapsedTime(_writeStarted);
        WriteDuration.Record(took.TotalSeconds, _namespace, new("orchestrator.written", written));
        return took;
    }

    /// <summary>A snapshot was asked for.</summary>
    public void SnapshotStarted() => _snapshotStarted = Stopwatch.GetTimestamp();

    /// <summary>The store confirmed the snapshot asked for last.</summary>
    public void SnapshotSaved() => SnapshotDuration.Record(Stopwatch.GetElapsedTime(_snapshotStarted).TotalSeconds, _namespace);

    /// <summary>The state manager stopped: the gauges no longer read it.</summary>
    public void Dispose() => Live.TryRemove(this, out _);

    private static IEnumerable<Measurement<long>> Observe(Func<StateManagerMetrics, long> read) =>
        Live.Keys.Select(m => new Measurement<long>(read(m), m._namespace)).ToList();

    private static IEnumerable<Measurement<long>> ObserveCommands()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var metrics in Live.Keys)
            foreach (var answers in metrics._answers.Values)
                measurements.Add(new Measurement<long>(Interlocked.Read(ref answers.Count), answers.Tags));
        return measurements;
    }

    private sealed class Answers(KeyValuePair<string, object?>[] tags)
    {
        public readonly KeyValuePair<string, object?>[] Tags = tags;
        public long Count;
    }

    private static IEnumerable<Measurement<long>> ObserveTasks()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var metrics in Live.Keys)
        {
            if (Volatile.Read(ref metrics._state) is not { } state) continue;
            foreach (var status in Enum.GetValues<TaskState>())
                measurements.Add(new Measurement<long>(state.Counts[status], metrics._namespace, new("orchestrator.task.status", status.ToString().ToUpperInvariant())));
        }
        return measurements;
    }
}
