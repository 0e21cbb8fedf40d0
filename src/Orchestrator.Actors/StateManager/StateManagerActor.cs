using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Snapshots;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Actors.Telemetry;

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
    // This incarnation's copy; what it learns goes to the gateway, which gives it to the next.
    private RecoveryHints _hints;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Func<double> _random = Random.Shared.NextDouble;
    private readonly SnapshotSchedule _snapshots;
    private readonly StateManagerMetrics _metrics;
    private readonly CommandTracing _tracing;
    private readonly ActivityWindow _activity;

    // Recovery folds into this (a journal entry's run of definitions on one builder, see ApplyAll);
    // afterwards the group commit holds the state. Folding 65,536 replayed events at a time instead
    // of one entry at a time measured the same end to end: replay is bound by the collector.
    private OrchestratorState _recovered = OrchestratorState.Empty;
    private GroupCommit<IActorRef> _commit = null!;
    private bool _flushScheduled;
    private bool _writeRejected;
    // Events the journal holds (a batch entry counts as its events), and the sequence number of the
    // last entry it holds (a rejected write advances Akka's LastSequenceNr without writing), for the stats.
    private long _eventsJournaled;
    private long _lastJournaled;
    private long? _recoveredFromSnapshot;
    private IActorRef? _shutdownRequester;
    // Where in definition order the next retention sweep starts (RetentionSwept.NextFrom).
    private long _sweepFrom;

    /// <summary>Creates the actor. Use <see cref="Props"/>.</summary>
    public StateManagerActor(OrchestratorSettings settings, IActorRef gateway, RecoveryHints hints, TimeProvider clock)
    {
        _settings = settings;
        _gateway = gateway;
        _hints = hints;
        _clock = clock;
        _snapshots = new SnapshotSchedule(settings.SnapshotEvery, settings.SnapshotEveryFractionOfTasks, settings.SnapshotsKept, settings.DeleteEventsOnSnapshot);
        PersistenceId = settings.PersistenceId;
        var cell = (ActorCell)Context;
        _metrics = new StateManagerMetrics(settings.Namespace, () => cell.NumberOfMessages);
        _tracing = new CommandTracing(settings.Namespace);
        _activity = new ActivityWindow(clock.GetUtcNow());
    }

    /// <summary>The Props of a state manager that reports to <paramref name="gateway"/>.</summary>
    public static Props Props(OrchestratorSettings settings, IActorRef gateway, RecoveryHints hints, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new StateManagerActor(settings, gateway, hints, clock));

    /// <inheritdoc />
    public override string PersistenceId { get; }

    // Before this incarnation stops for what it learned: the gateway creates the next one from a
    // timer, which fires after this message is handled.
    private void Learned(RecoveryHints hints)
    {
        _hints = hints;
        _gateway.Tell(new RecoveryHintsLearned(hints));
    }

    /// <inheritdoc />
    public override Recovery Recovery =>
        _hints.MaxSnapshotSequenceNr == long.MaxValue
            ? Recovery.Default
            : new Recovery(new SnapshotSelectionCriteria(_hints.MaxSnapshotSequenceNr));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private DecisionContext DecidingNow() => new(_clock.GetUtcNow(), _settings.Limits, _settings.Lifecycle, _random) { ClaimSecret = ClaimSecret };

    // 64 bits from the operating system's cryptographic generator: a claim id is the claim's fence.
    private static string ClaimSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: OrchestratorSnapshotV2 or OrchestratorSnapshotV1 or ISnapshotSource } offer:
                _recovered = LoadSnapshot(offer);
                _eventsJournaled = offer.Snapshot switch
                {
                    StateSnapshot live => live.EventsJournaled,
                    OrchestratorSnapshotV2 { EventsJournaled: { } count } => count,
                    // Written before event batches, when every journal entry held one event.
                    _ => offer.Metadata.SequenceNr,
                };
                _lastJournaled = offer.Metadata.SequenceNr;
                _recoveredFromSnapshot = offer.Metadata.SequenceNr;
                _snapshots.RecoveredFrom(offer.Metadata.SequenceNr, _recovered.Tasks.Count);
                break;
            case SnapshotOffer { Snapshot: UnreadableSnapshot unreadable } offer:
                throw Unreadable(offer.Metadata.SequenceNr, unreadable);
            case SnapshotOffer offer:
                // Another serializer's object (a row written by something else, or a damaged serializer
                // id): applying the later events to an empty state would serve part of it; it is treated
                // as unreadable, so the next incarnation recovers without it, or refuses.
                throw Unreadable(offer.Metadata.SequenceNr, new UnreadableSnapshot(
                    offer.Snapshot?.GetType().FullName ?? "null", "not a snapshot of the state manager's"));
            case EventBatch batch:
                Recover(batch.Events);
                break;
            case IOrchestratorEvent e:
                Recover([e]);
                break;
            case RecoveryCompleted:
                _commit = new GroupCommit<IActorRef>(_recovered, _settings.MaxBatchEvents, _settings.MaxWriteBytes);
                _recovered = OrchestratorState.Empty;
                _metrics.Recovered(_commit.Confirmed);
                _log.Info(_recoveredFromSnapshot is { } from
                        ? $"Recovered {PersistenceId} from the snapshot at {from} plus {_snapshots.EventsSinceSnapshot} events: {_commit.Confirmed.Tasks.Count} tasks"
                        : $"Recovered {PersistenceId} by replaying {_snapshots.EventsSinceSnapshot} events (no snapshot used): {_commit.Confirmed.Tasks.Count} tasks");
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
                // The leases that ended while the namespace was not serving are given back first (journaled
                // as renewals by the orchestrator): no agent loses its claim, nor a task its last attempt,
                // because the orchestrator was down. Retries run on from their journaled deadlines; those
                // that passed meanwhile are acted on at once.
                Handle(ResumeLeases.Instance, ActorRefs.Nobody);
                ArmDeadline();
                Timers.StartPeriodicTimer(SweepDue.Instance, SweepDue.Instance, RetentionSweepEvery);
                _gateway.Tell(new StateManagerReady(Self, _hints.Token));
                break;
        }
    }

    private void Recover(IReadOnlyList<IOrchestratorEvent> events)
    {
        // Events up to this point were deleted after a snapshot at or beyond it was kept: a recovery
        // that started below it (an older snapshot, or none) is missing them.
        foreach (var e in events)
            if (e is EventsDeleted deleted && (_recoveredFromSnapshot ?? 0) < deleted.UpToSequenceNr)
                throw new IncompleteJournalException(PersistenceId, deleted.UpToSequenceNr, _recoveredFromSnapshot);
        _recovered = OrchestratorDomain.ApplyAll(_recovered, events);
        _eventsJournaled += events.Count;
        _snapshots.Journaled(events.Count);
        _lastJournaled = LastSequenceNr;
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
        Learned(_hints.WithUnreadable(sequenceNr));
        return new UnreadableSnapshotException(sequenceNr, snapshot, _hints.MaxSnapshotSequenceNr);
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case IStateManagerQuery query when OrchestratorDomain.ReadsEveryTask(query):
                AnswerAside(query, Sender);
                break;
            case IStateManagerQuery query:
                Sender.Tell(Answer(query));
                break;
            case IStateManagerCommand command:
                Handle(command, Sender);
                break;
            case Flush:
                _flushScheduled = false;
                WriteNext();
                break;
            case DeadlineDue:
                if (_shutdownRequester is null)
                {
                    Handle(ProcessDeadlines.Instance, ActorRefs.Nobody);
                    ArmDeadline();
                }
                break;
            case SweepDue:
                // The retention's rules are the domain's; without a retention there is nothing to look at.
                if (_shutdownRequester is null && _commit.Projected.Retention is not null) Handle(new SweepRetention(_sweepFrom), Self);
                break;
            case RetentionSwept swept:
                // Where the next sweep looks; lost with the actor, when the next one starts from the oldest task.
                _sweepFrom = swept.NextFrom;
                break;
            case Shutdown when UnknownMessages.FromAnotherSystem(Sender):
                UnknownMessages.RefuseRemoteShutdown(Sender, Self, _log);
                break;
            case Shutdown:
                _shutdownRequester = Sender;
                StopIfIdle();
                break;
            case SaveSnapshotSuccess success:
                OnSnapshotSaved(success.Metadata);
                break;
            case SaveSnapshotFailure failure:
                _snapshots.Failed();
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
        if (query is GetActivity activity) return _activity.Report(_settings.Namespace, _clock.GetUtcNow(), activity.StepSeconds);
        var reply = OrchestratorDomain.Answer(_commit.Confirmed, query, _settings.Limits, _clock.GetUtcNow());
        return reply is StatsReport stats
            ? stats with { EventsJournaled = _eventsJournaled, LastSnapshotSequenceNr = _snapshots.LastSnapshotSequenceNr, JournalSequenceNr = _lastJournaled, Namespace = _settings.Namespace }
            : reply;
    }

    // A query that reads every task is answered on the thread pool from the confirmed state (which is
    // immutable), so that the commands and queries behind it do not wait for it: at a million tasks it
    // takes tens of milliseconds. The answer is the same one this thread would give now.
    private void AnswerAside(IStateManagerQuery query, IActorRef asker)
    {
        var (state, limits, now) = (_commit.Confirmed, _settings.Limits, _clock.GetUtcNow());
        Task.Run(() => OrchestratorDomain.Answer(state, query, limits, now))
            .PipeTo(asker, Self, failure: ex => new OrchestratorUnavailable($"internal error while answering {query.GetType().Name}: {ex.Message}"));
    }

    private void Handle(IStateManagerCommand command, IActorRef sender)
    {
        if (_shutdownRequester is not null)
        {
            sender.Tell(new OrchestratorUnavailable("the state manager is shutting down"));
            return;
        }

        _tracing.Received(command);
        if (command is NamespacedRequest { Within: { } within, ArrivedAt: { } arrived }
            && Context.System.Scheduler.MonotonicClock - arrived is var waited && waited > within)
        {
            // Its sender stopped waiting: done now, it would be a change nobody knows of.
            _metrics.Expired();
            Reply(sender, new OrchestratorUnavailable(
                $"expired: {command.GetType().Name} waited {waited.TotalMilliseconds:0} ms here, past the {within.TotalMilliseconds:0} ms its sender waits; nothing was done"), command);
            return;
        }
        if (_commit.Pending >= _settings.MaxPendingRequests && command is not IOwnCommand)
        {
            // A slow journal and a flood: answered now, so that what waits stays bounded. Not the
            // state manager's own commands: refused, a passed deadline's timer would fire again at once.
            _metrics.Overloaded();
            Reply(sender, new OrchestratorUnavailable(
                $"overloaded: {_commit.Pending} requests wait for the journal (orchestrator.max-pending-requests = {_settings.MaxPendingRequests}); nothing was done"), command);
            return;
        }
        IOrchestratorReply? now;
        try
        {
            now = _commit.Submit(command, sender, DecidingNow());
        }
        catch (Exception ex)
        {
            // A bug, not bad input: answer the asker now, then let supervision restart the actor.
            Reply(sender, GroupCommit<IActorRef>.InternalError(command, ex), command);
            throw;
        }

        _metrics.Publish(_commit.Confirmed, _commit.Pending);
        if (now is not null) Reply(sender, now, command);
        else if (!_commit.IsWriting && !_flushScheduled)
        {
            // Let what is already in the mailbox join this write: one hop, no timer.
            _flushScheduled = true;
            Self.Tell(Flush.Instance);
        }
    }

    private void WriteNext()
    {
        if (_commit.TakeWrite() is not { } write) return;
        if (write.Events.Count == 0)
        {
            Tell(write.Answered);
            StopIfIdle();
            return;
        }

        // One journal entry per write: a lone event as itself, several as one batch entry, so the
        // journal's cost per write does not grow with the number of requests it answers.
        IOrchestratorEvent entry = write.Events.Count == 1 ? write.Events[0] : new EventBatch(write.Events);
        _writeRejected = false;
        _metrics.WriteStarted(write.Events.Count);
        _tracing.WriteStarted(write.Commands, write.Events.Count);
        PersistAllAsync([entry], _ => OnJournaled(write.Events.Count), () => OnWriteDone(write.Events));
    }

    private void OnJournaled(int events)
    {
        _lastJournaled = LastSequenceNr;
        _eventsJournaled += events;
        _snapshots.Journaled(events);
    }

    private void OnWriteDone(IReadOnlyList<IOrchestratorEvent> events)
    {
        // WriteNext below starts the next write and clears the flag for it.
        var rejected = _writeRejected;
        var took = _metrics.WriteDone(written: !rejected);
        if (!rejected) _activity.Journaled(_clock.GetUtcNow(), events, took);
        _tracing.WriteDone(written: !rejected, LastSequenceNr);
        if (rejected)
        {
            var (answers, failure) = _commit.Reject(DecidingNow());
            Tell(answers);
            // If deciding one again threw, the rest go back to the gateway from PostStop.
            if (failure is not null) throw failure;
        }
        else
        {
            var confirmed = _commit.Confirm();
            // The timer is set before the replies go out: whoever moves the clock on hearing one
            // (a test's scheduler) finds the deadline already armed.
            ArmDeadline();
            Tell(confirmed.Replies);
            // Subscribers hear of transitions only once they are journaled.
            if (confirmed.Notices.Count > 0) _gateway.Tell(new TaskNotices(confirmed.Notices, _hints.Token));
            if (_snapshots.IsDue) TakeSnapshot();
        }

        WriteNext();
        _metrics.Publish(_commit.Confirmed, _commit.Pending);
        // Requests decided again after a refused write may have moved the earliest deadline.
        if (rejected) ArmDeadline();
        StopIfIdle();
    }

    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(1);

    /// <summary>How often the finished tasks a retention no longer keeps are purged (at most 10,000 a sweep).</summary>
    public static readonly TimeSpan RetentionSweepEvery = TimeSpan.FromMinutes(1);

    // One timer for the earliest deadline of the state as decided (confirmed plus pending): a
    // deadline already being acted on is not in it, so the timer does not fire again for it.
    private void ArmDeadline()
    {
        if (_commit.Projected.NextDeadline is { } next)
        {
            // A scheduled task's time may be years ahead: the timer fires at least daily, finds nothing
            // due, and is set again (the scheduler's wheel does not take any delay).
            var delay = next - _clock.GetUtcNow();
            delay = delay > LongestTimer ? LongestTimer : delay;
            Timers.StartSingleTimer(DeadlineDue.Instance, DeadlineDue.Instance, delay > TimeSpan.Zero ? delay : TimeSpan.Zero);
        }
        else
        {
            Timers.Cancel(DeadlineDue.Instance);
        }
    }

    private void Tell(IEnumerable<GroupCommit<IActorRef>.Answer> answers)
    {
        foreach (var answer in answers) Reply(answer.Asker, answer.Reply, answer.Command);
    }

    // Every answer to a command goes out here, counted and its span ended.
    private void Reply(IActorRef asker, IOrchestratorReply reply, IStateManagerCommand command)
    {
        _metrics.Answered(command, reply);
        _tracing.Answered(command, reply);
        asker.Tell(reply);
    }

    private void TakeSnapshot()
    {
        // The confirmed state is immutable: the snapshot store turns it into JSON on its own thread
        // while commands go on here. SaveSnapshot labels it with LastSequenceNr, the last entry the
        // journal confirmed (not one still in flight), which is the entry this state ends with
        // (SnapshotLabelSpecs holds a write in flight across a snapshot to keep it so).
        _snapshots.Started(_commit.Confirmed.Tasks.Count);
        _metrics.SnapshotStarted();
        SaveSnapshot(new StateSnapshot(_commit.Confirmed, _eventsJournaled));
    }

    private void OnSnapshotSaved(SnapshotMetadata metadata)
    {
        if (_hints.UnreadableSnapshots.Count > 0) Learned(_hints.Cleared());
        _metrics.SnapshotSaved();
        _log.Debug("Snapshot of {0} saved at {1}", PersistenceId, metadata.SequenceNr);
        var retention = _snapshots.Saved(metadata.SequenceNr);
        if (retention.SnapshotsUpTo is { } snapshotsUpTo) DeleteSnapshots(new SnapshotSelectionCriteria(snapshotsUpTo));
        // A marker goes into the journal first, so a recovery that would start below the deleted
        // range knows it and refuses partial state.
        if (retention.EventsUpTo is { } eventsUpTo)
            PersistAsync(new EventsDeleted(eventsUpTo, _clock.GetUtcNow()), marker =>
            {
                _lastJournaled = LastSequenceNr;
                _eventsJournaled++;
                DeleteMessages(marker.UpToSequenceNr);
            });
        // Events that arrived while this snapshot was being written may already call for the next.
        if (_snapshots.IsDue) TakeSnapshot();
    }

    private void StopIfIdle()
    {
        if (_shutdownRequester is null || !_commit.IsIdle) return;
        _shutdownRequester.Tell(ShutdownComplete.Instance);
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _writeRejected = true;
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
        _metrics.Dispose();
        _tracing.Abandoned();
        _gateway.Tell(new StateManagerStopped(Self, _hints.Token));
        if (_commit is not null)
        {
            var (inFlight, decided) = _commit.Abandon();
            foreach (var (command, asker) in inFlight)
                asker.Tell(new OrchestratorUnavailable($"the state manager stopped while writing {command.GetType().Name}; it was not acknowledged"));
            // The next incarnation re-arms its deadlines itself.
            foreach (var (command, asker) in decided.Where(d => d.Command is not IOwnCommand))
                _gateway.Tell(new Requeue(command, asker, _hints.Token));
        }
        base.PostStop();
    }

    private sealed record StateSnapshot(OrchestratorState State, long EventsJournaled) : ISnapshotSource
    {
        public OrchestratorSnapshotV2 ToSnapshot() => Snapshots.ToSnapshot(State) with { EventsJournaled = EventsJournaled };
    }

    private sealed record Flush : INoSerializationVerificationNeeded
    {
        public static readonly Flush Instance = new();
    }

    private sealed record DeadlineDue : INoSerializationVerificationNeeded
    {
        public static readonly DeadlineDue Instance = new();
    }

    private sealed record SweepDue : INoSerializationVerificationNeeded
    {
        public static readonly SweepDue Instance = new();
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
