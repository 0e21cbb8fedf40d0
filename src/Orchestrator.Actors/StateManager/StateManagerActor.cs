using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Snapshots;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.StateManager;

/// <summary>
/// The single writer of one namespace's task state. It only sequences: decide with the pure domain,
/// persist, apply in the callback, reply once the journal confirmed. Commands that arrive while a
/// write is in flight are decided against the confirmed state plus what is pending and written
/// together in the next batch (group commit, sized by what is waiting, no timer). One timer
/// tracks the earliest deadline in the state (a lease end or a retry time); when it fires, what is
/// due goes through the same decide-persist-apply path as a command.
/// </summary>
public sealed class StateManagerActor : UntypedPersistentActor, IWithTimers
{
    private readonly OrchestratorSettings _settings;
    private readonly IActorRef _gateway;
    private readonly RecoveryHints _hints;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // Confirmed by the journal: queries read this.
    private OrchestratorState _state = OrchestratorState.Empty;
    // Confirmed plus decided-but-not-yet-confirmed: commands are decided against this.
    private OrchestratorState _projected = OrchestratorState.Empty;

    private List<PendingRequest> _pending = [];
    private List<PendingRequest> _inFlight = [];
    private bool _flushScheduled;
    private bool _batchRejected;

    private long _eventsSinceSnapshot;
    // The task count of the newest snapshot: the next one waits for a share of it in new events.
    private long _tasksAtSnapshot;
    // Events the journal holds (a batch entry counts as its events), for the stats.
    private long _eventsJournaled;
    // The sequence number of the last event the journal holds (a rejected write advances Akka's
    // LastSequenceNr without writing anything).
    private long _lastJournaled;
    private long _lastSnapshotSequenceNr;
    private bool _snapshotInProgress;
    private long _eventsDeletedUpTo;
    private readonly SortedSet<long> _snapshots = [];
    private long? _recoveredFromSnapshot;
    private IActorRef? _shutdownRequester;
    private List<IOrchestratorNotification> _notices = [];
    private readonly Func<double> _random = Random.Shared.NextDouble;

    /// <summary>Creates the actor. Use <see cref="Props"/>.</summary>
    public StateManagerActor(OrchestratorSettings settings, IActorRef gateway, RecoveryHints hints, TimeProvider clock)
    {
        _settings = settings;
        _gateway = gateway;
        _hints = hints;
        _clock = clock;
        PersistenceId = settings.PersistenceId;
    }

    /// <summary>The Props of a state manager that reports to <paramref name="gateway"/>.</summary>
    public static Props Props(OrchestratorSettings settings, IActorRef gateway, RecoveryHints hints, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new StateManagerActor(settings, gateway, hints, clock));

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <inheritdoc />
    public override Recovery Recovery =>
        _hints.MaxSnapshotSequenceNr == long.MaxValue
            ? Recovery.Default
            : new Recovery(new SnapshotSelectionCriteria(_hints.MaxSnapshotSequenceNr));

    private bool IsWriting => _inFlight.Count > 0;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: OrchestratorSnapshotV2 or OrchestratorSnapshotV1 or ISnapshotSource } offer:
                _state = LoadSnapshot(offer);
                _eventsJournaled = offer.Snapshot switch
                {
                    StateSnapshot live => live.EventsJournaled,
                    OrchestratorSnapshotV2 { EventsJournaled: { } count } => count,
                    // Written before event batches, when every journal entry held one event.
                    _ => offer.Metadata.SequenceNr,
                };
                _lastJournaled = offer.Metadata.SequenceNr;
                _lastSnapshotSequenceNr = offer.Metadata.SequenceNr;
                _tasksAtSnapshot = _state.Tasks.Count;
                _recoveredFromSnapshot = offer.Metadata.SequenceNr;
                _snapshots.Add(offer.Metadata.SequenceNr);
                break;
            case SnapshotOffer { Snapshot: UnreadableSnapshot unreadable } offer:
                throw Unreadable(offer.Metadata.SequenceNr, unreadable);
            case EventBatch batch:
                foreach (var e in batch.Events) Recover(e);
                _lastJournaled = LastSequenceNr;
                break;
            case IOrchestratorEvent e:
                Recover(e);
                _lastJournaled = LastSequenceNr;
                break;
            case RecoveryCompleted:
                _projected = _state;
                if (_recoveredFromSnapshot is { } from)
                    _log.Info("Recovered {0} from the snapshot at {1} plus {2} events: {3} tasks",
                        PersistenceId, from, _eventsSinceSnapshot, _state.Tasks.Count);
                else
                    _log.Info("Recovered {0} by replaying {1} events (no snapshot used): {2} tasks",
                        PersistenceId, _eventsSinceSnapshot, _state.Tasks.Count);
                if (_hints.UnreadableSnapshots.Count > 0)
                {
                    // Replace what could not be read, so the next start is fast again.
                    _log.Warning("Recovered {0} {1}, without the unreadable snapshot(s) at {2}; deleting them and saving a fresh one",
                        PersistenceId,
                        _recoveredFromSnapshot is { } older ? $"from the older snapshot at {older}" : "by a full replay of the events",
                        string.Join(", ", _hints.UnreadableSnapshots));
                    foreach (var seqNr in _hints.UnreadableSnapshots.Where(s => s != LastSequenceNr))
                        DeleteSnapshot(seqNr);
                    TakeSnapshot();
                }
                // Leases and retries run on from their journaled deadlines; those that passed while
                // the state manager was down are acted on at once.
                ArmDeadline();
                _gateway.Tell(new StateManagerReady(Self, _hints.Token));
                break;
        }
    }

    private void Recover(IOrchestratorEvent e)
    {
        // Events up to this point were deleted after a snapshot at or beyond it was kept: a recovery
        // that started below it (an older snapshot, or none) is missing them.
        if (e is EventsDeleted deleted && (_recoveredFromSnapshot ?? 0) < deleted.UpToSequenceNr)
            throw new IncompleteJournalException(PersistenceId, deleted.UpToSequenceNr, _recoveredFromSnapshot);
        _state = OrchestratorDomain.Apply(_state, e);
        _eventsJournaled++;
        _eventsSinceSnapshot++;
    }

    private OrchestratorState LoadSnapshot(SnapshotOffer offer)
    {
        // A store that serializes hands back the JSON record; an in-memory one the state itself.
        if (offer.Snapshot is StateSnapshot live) return live.State;
        try
        {
            return offer.Snapshot switch
            {
                OrchestratorSnapshotV2 v2 => Snapshots.FromSnapshot(v2),
                // Written before the task lifecycle: upcast to v2. The next snapshot is written as v2.
                OrchestratorSnapshotV1 v1 => Snapshots.FromSnapshot(v1),
                _ => throw new InvalidOperationException($"unexpected snapshot {offer.Snapshot.GetType().Name}"),
            };
        }
        catch (Exception ex) when (ex is ArgumentException or NullReferenceException or InvalidOperationException or KeyNotFoundException)
        {
            // Well-formed JSON with content this build cannot use (a wrong format version, null entries).
            throw Unreadable(offer.Metadata.SequenceNr,
                new UnreadableSnapshot(offer.Snapshot is OrchestratorSnapshotV1 ? "snapshot.v1" : "snapshot.v2", ex.Message));
        }
    }

    private UnreadableSnapshotException Unreadable(long sequenceNr, UnreadableSnapshot snapshot)
    {
        _hints.MarkUnreadable(sequenceNr);
        return new UnreadableSnapshotException(sequenceNr, snapshot, _hints.MaxSnapshotSequenceNr);
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case IStateManagerQuery query:
                Sender.Tell(Answer(query));
                break;
            case IStateManagerCommand command:
                Handle(command, Sender);
                break;
            case Flush:
                _flushScheduled = false;
                WriteNextBatch();
                break;
            case DeadlineDue:
                if (_shutdownRequester is null)
                {
                    Handle(ProcessDeadlines.Instance, ActorRefs.Nobody);
                    ArmDeadline();
                }
                break;
            case Shutdown:
                _shutdownRequester = Sender;
                StopIfIdle();
                break;
            case SaveSnapshotSuccess success:
                OnSnapshotSaved(success.Metadata);
                break;
            case SaveSnapshotFailure failure:
                _snapshotInProgress = false;
                _log.Warning("Snapshot of {0} at {1} failed; events are kept, the next snapshot will be tried later: {2}",
                    PersistenceId, failure.Metadata.SequenceNr, failure.Cause.Message);
                break;
            case DeleteSnapshotsSuccess or DeleteSnapshotSuccess or DeleteMessagesSuccess:
                break;
            case DeleteSnapshotsFailure f:
                _log.Warning("Deleting old snapshots of {0} failed: {1}", PersistenceId, f.Cause.Message);
                break;
            case DeleteSnapshotFailure f:
                _log.Warning("Deleting snapshot {0} of {1} failed: {2}", f.Metadata.SequenceNr, PersistenceId, f.Cause.Message);
                break;
            case DeleteMessagesFailure f:
                _log.Warning("Deleting events of {0} up to {1} failed: {2}", PersistenceId, f.ToSequenceNr, f.Cause.Message);
                break;
            default:
                _log.Warning("Ignored a message the state manager does not know: {0}", message.GetType().FullName);
                Unhandled(message);
                break;
        }
    }

    private IOrchestratorReply Answer(IStateManagerQuery query)
    {
        var reply = OrchestratorDomain.Answer(_state, query, _settings.Limits, _clock.GetUtcNow());
        return reply is StatsReport stats
            ? stats with { EventsJournaled = _eventsJournaled, LastSnapshotSequenceNr = _lastSnapshotSequenceNr, JournalSequenceNr = _lastJournaled, Namespace = _settings.Namespace }
            : reply;
    }

    private void Handle(IStateManagerCommand command, IActorRef sender)
    {
        if (_shutdownRequester is not null)
        {
            sender.Tell(new OrchestratorUnavailable("the state manager is shutting down"));
            return;
        }

        Decision decision;
        try
        {
            decision = OrchestratorDomain.Decide(_projected, command,
                new DecisionContext(_clock.GetUtcNow(), _settings.Limits, _settings.Lifecycle, _random));
        }
        catch (Exception ex)
        {
            // A bug, not bad input: answer the asker now, then let supervision restart the actor.
            sender.Tell(new OrchestratorUnavailable($"internal error while handling {command.GetType().Name}: {ex.Message}"));
            throw;
        }

        // A reply that depends on writes still pending must not overtake them.
        if (decision.IsReadOnly && _pending.Count == 0 && !IsWriting)
        {
            sender.Tell(decision.Reply);
            return;
        }

        var before = _projected;
        _projected = decision.StateAfter(before);
        _pending.Add(new PendingRequest(command, sender, decision, before, _projected));
        if (!IsWriting && !_flushScheduled)
        {
            // Let what is already in the mailbox join this batch: one hop, no timer.
            _flushScheduled = true;
            Self.Tell(Flush.Instance);
        }
    }

    private void WriteNextBatch()
    {
        if (IsWriting || _pending.Count == 0) return;

        var batch = TakeBatch();
        var events = new List<IOrchestratorEvent>();
        foreach (var p in batch) events.AddRange(p.Decision.Events);
        if (events.Count == 0)
        {
            Reply(batch);
            StopIfIdle();
            return;
        }

        // One journal entry per write: a lone event as itself, several as one batch entry, so the
        // journal's cost per write does not grow with the number of requests it answers.
        IOrchestratorEvent entry = events.Count == 1 ? events[0] : new EventBatch(events);
        _inFlight = batch;
        _batchRejected = false;
        PersistAllAsync([entry], _ => OnBatchJournaled(batch, events.Count), () => OnBatchDone(batch));
    }

    // The journal confirmed the batch: the confirmed state is what deciding its last request left,
    // so nothing is applied a second time. Notices are described against the state each event met.
    private void OnBatchJournaled(List<PendingRequest> batch, int events)
    {
        foreach (var p in batch)
        {
            var state = p.Before;
            var decided = p.Decision.Events;
            // A definition's notice reads only whether its dependencies are COMPLETED, which no
            // definition changes: the definitions that end a decision (all of a DefineTasks) are
            // described against the state before them, without folding each in a second time.
            var definitionsFrom = decided.Count;
            while (definitionsFrom > 0 && decided[definitionsFrom - 1] is TaskDefined) definitionsFrom--;
            var applyBefore = Math.Min(definitionsFrom, decided.Count - 1);
            for (var i = 0; i < decided.Count; i++)
            {
                if (OrchestratorDomain.Describe(state, decided[i]) is { } notice) _notices.Add(notice);
                else if (decided[i] is StateSavedEvent saved) _notices.Add(new StateChanged(saved.OwnerId, saved.Key, saved.Version, saved.SavedAt));
                if (i < applyBefore) state = OrchestratorDomain.Apply(state, decided[i]);
            }
        }
        _state = batch[^1].After;
        _lastJournaled = LastSequenceNr;
        _eventsJournaled += events;
        _eventsSinceSnapshot += events;
    }

    private List<PendingRequest> TakeBatch()
    {
        var count = 0;
        var events = 0;
        while (count < _pending.Count && (count == 0 || events + _pending[count].Decision.Events.Count <= _settings.MaxBatchEvents))
        {
            events += _pending[count].Decision.Events.Count;
            count++;
        }
        var batch = _pending.GetRange(0, count);
        _pending.RemoveRange(0, count);
        return batch;
    }

    private void OnBatchDone(List<PendingRequest> batch)
    {
        _inFlight = [];
        var rejected = _batchRejected;
        if (rejected)
        {
            // The journal refused the batch (nothing was written): answer it, then decide what
            // was pending again against the confirmed state, which no longer includes the batch.
            foreach (var p in batch)
                p.ReplyTo.Tell(new OrchestratorUnavailable($"the journal rejected the write of {p.Request.GetType().Name}"));
            var redo = new Queue<PendingRequest>(_pending);
            _pending = [];
            _projected = _state;
            try
            {
                while (redo.TryDequeue(out var p)) Handle(p.Request, p.ReplyTo);
            }
            finally
            {
                // If deciding one of them threw, the rest go back to the gateway from PostStop.
                _pending.AddRange(redo);
            }
        }
        else
        {
            // The timer is set before the replies go out: whoever moves the clock on hearing one
            // (a test's scheduler) finds the deadline already armed.
            ArmDeadline();
            Reply(batch);
            if (_notices.Count > 0)
            {
                // Subscribers hear of transitions only once they are journaled.
                _gateway.Tell(new TaskNotices(_notices, _hints.Token));
                _notices = [];
            }
            MaybeSnapshot();
        }

        WriteNextBatch();
        // Requests decided again after a refused write may have moved the earliest deadline.
        if (rejected) ArmDeadline();
        StopIfIdle();
    }

    // One timer for the earliest deadline of the state as decided (confirmed plus pending): a
    // deadline already being acted on is not in it, so the timer does not fire again for it.
    private void ArmDeadline()
    {
        if (_projected.NextDeadline is { } next)
        {
            var delay = next - _clock.GetUtcNow();
            Timers.StartSingleTimer(DeadlineDue.Instance, DeadlineDue.Instance, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
        }
        else
        {
            Timers.Cancel(DeadlineDue.Instance);
        }
    }

    private void Reply(List<PendingRequest> batch)
    {
        foreach (var p in batch) p.ReplyTo.Tell(p.Decision.Reply);
    }

    private void MaybeSnapshot()
    {
        // A snapshot costs as much as the state is large: waiting for a share of the last snapshot's
        // task count in new events keeps that cost per event flat as the state grows.
        var due = Math.Max(_settings.SnapshotEvery, (long)(_tasksAtSnapshot * _settings.SnapshotEveryFractionOfTasks));
        if (_eventsSinceSnapshot >= due && !_snapshotInProgress)
            TakeSnapshot();
    }

    private void TakeSnapshot()
    {
        // The confirmed state is immutable: the snapshot store turns it into JSON on its own thread
        // while commands go on here. SaveSnapshot labels it with LastSequenceNr, the last entry the
        // journal confirmed (not one still in flight), which is the entry this state ends with
        // (SnapshotLabelSpecs holds a write in flight across a snapshot to keep it so).
        _snapshotInProgress = true;
        _eventsSinceSnapshot = 0;
        _tasksAtSnapshot = _state.Tasks.Count;
        SaveSnapshot(new StateSnapshot(_state, _eventsJournaled));
    }

    private void OnSnapshotSaved(SnapshotMetadata metadata)
    {
        _snapshotInProgress = false;
        _lastSnapshotSequenceNr = metadata.SequenceNr;
        _hints.Clear();
        _snapshots.Add(metadata.SequenceNr);
        _log.Debug("Snapshot of {0} saved at {1}", PersistenceId, metadata.SequenceNr);

        // Keep the newest N; the older of those is the fallback if the newest cannot be read.
        // The store may hold snapshots this incarnation never saw (from before a restart), so the
        // deletion goes by criteria, not by the ones remembered here.
        var kept = _snapshots.Reverse().Take(_settings.SnapshotsKept).ToList();
        var oldestKept = kept.Min();
        // Criteria up to 0 would read as "any" to some stores (the in-memory one deletes them all).
        if (oldestKept > 1) DeleteSnapshots(new SnapshotSelectionCriteria(oldestKept - 1));
        _snapshots.RemoveWhere(s => s < oldestKept);

        // Only events behind the older of two kept snapshots go, so that the newest can fail to load
        // and recovery still has a complete path. A marker goes into the journal first, so a
        // recovery that would start below the deleted range knows it and refuses partial state.
        if (_settings.DeleteEventsOnSnapshot && kept.Count >= 2 && oldestKept > _eventsDeletedUpTo)
        {
            _eventsDeletedUpTo = oldestKept;
            PersistAsync(new EventsDeleted(oldestKept, _clock.GetUtcNow()), marker =>
            {
                _lastJournaled = LastSequenceNr;
                _eventsJournaled++;
                DeleteMessages(marker.UpToSequenceNr);
            });
        }

        // Events that arrived while this snapshot was being written may already call for the next.
        MaybeSnapshot();
    }

    private void StopIfIdle()
    {
        if (_shutdownRequester is null || IsWriting || _pending.Count > 0) return;
        _shutdownRequester.Tell(ShutdownComplete.Instance);
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _batchRejected = true;
        _log.Error(cause, "The journal rejected event {0} ({1}) of {2}; the batch is answered as not written",
            sequenceNr, @event.GetType().Name, PersistenceId);
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        if (reason is UnreadableSnapshotException)
            _log.Warning(reason.Message);
        else
            base.OnRecoveryFailure(reason, message);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Nothing acknowledged is lost (replies go out only after the journal confirmed); what was
        // in flight is answered as not acknowledged, and what was only decided goes back to the
        // gateway, which holds it for the next incarnation.
        _gateway.Tell(new StateManagerStopped(Self, _hints.Token));
        foreach (var p in _inFlight)
            p.ReplyTo.Tell(new OrchestratorUnavailable(
                $"the state manager stopped while writing {p.Request.GetType().Name}; it was not acknowledged"));
        // The next incarnation re-arms its deadlines itself.
        foreach (var p in _pending.Where(p => p.Request is not ProcessDeadlines))
            _gateway.Tell(new Requeue(p.Request, p.ReplyTo, _hints.Token));
        _inFlight = [];
        _pending = [];
        base.PostStop();
    }

    private sealed record StateSnapshot(OrchestratorState State, long EventsJournaled) : ISnapshotSource
    {
        public OrchestratorSnapshotV2 ToSnapshot() => Snapshots.ToSnapshot(State) with { EventsJournaled = EventsJournaled };
    }

    // Before and After: the projected state this request was decided on, and what it left.
    private sealed record PendingRequest(
        IStateManagerCommand Request, IActorRef ReplyTo, Decision Decision, OrchestratorState Before, OrchestratorState After);

    private sealed record Flush : INoSerializationVerificationNeeded
    {
        public static readonly Flush Instance = new();
    }

    private sealed record DeadlineDue : INoSerializationVerificationNeeded
    {
        public static readonly DeadlineDue Instance = new();
    }
}

/// <summary>Recovery met a snapshot it cannot read; the next incarnation recovers without it.</summary>
public sealed class UnreadableSnapshotException(long sequenceNr, UnreadableSnapshot snapshot, long fallbackMaxSequenceNr)
    : Exception($"Snapshot at sequence number {sequenceNr} ({snapshot.Manifest}) is unreadable: {snapshot.Reason}. " +
                (fallbackMaxSequenceNr > 0
                    ? $"Recovering from an older snapshot (at or below {fallbackMaxSequenceNr}) or, if none, by a full replay."
                    : "Recovering by a full replay of the events."));

/// <summary>
/// No readable snapshot covers the events that were deleted: starting would serve partial state,
/// so the state manager stays down (and says why) instead.
/// </summary>
public sealed class IncompleteJournalException(string persistenceId, long deletedUpTo, long? recoveredFrom)
    : Exception($"{persistenceId}: events up to {deletedUpTo} were deleted and recovery started " +
                (recoveredFrom is { } s ? $"from the snapshot at {s}" : "without a snapshot") +
                ", so it would miss some of them; refusing to start with partial state. Restore the snapshot table from a backup.");
