using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;

namespace Orchestrator.Actors.StateManager;

/// <summary>
/// A namespace's stable address under the router. It runs the namespace's
/// <see cref="StateManagerActor"/> as its child <c>store</c>, starts it again after each stop with an
/// exponential backoff (<c>orchestrator.supervision</c>), handing each incarnation the
/// <see cref="RecoveryHints"/> the ones before it learned, and forwards requests to it while it is
/// up. While it is down (restarting after a failure, recovering), requests are held
/// in arrival order and forwarded once it is ready again; past the hold limits they are answered
/// <see cref="OrchestratorUnavailable"/>. Requests that reached a stopping state manager without
/// being processed come back here (as <see cref="Requeue"/> or as dead letters) and are held too.
/// It also keeps the task subscriptions, so that they outlive a restart of the state manager.
/// </summary>
public sealed class StateManagerGateway : ReceiveActor, IWithTimers
{
    /// <summary>The gateway's name under /user.</summary>
    public const string Name = OrchestratorNames.StateManagerName;

    private readonly OrchestratorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Queue<Held> _held = new();
    private readonly TimeProvider _clock;
    private RecoveryHints _hints = RecoveryHints.None();
    // The state manager's incarnation (started, recovering or up) and the stops in a row before it.
    private IActorRef? _store;
    private int _stopsInARow;
    private IActorRef? _current;
    private IActorRef? _shutdownRequester;
    private bool _shutdownSent;
    private readonly Dictionary<IActorRef, HashSet<INotificationFilter>> _subscribers = new();
    private readonly TimeSpan? _passivateIdleAfter;
    private TimeSpan _lastRequest;

    /// <summary>Creates the gateway and its supervised state manager. Use <see cref="Props"/>.</summary>
    public StateManagerGateway(OrchestratorSettings settings, TimeProvider clock, TimeSpan? passivateIdleAfter = null)
    {
        _settings = settings;
        _passivateIdleAfter = passivateIdleAfter;
        _lastRequest = Context.System.Scheduler.MonotonicClock;
        _clock = clock;

        // Only from this gateway's own state manager; copies sent over the network are unhandled.
        var token = _hints.Token;
        Receive<StateManagerReady>(ready => ready.Token == token, ready =>
        {
            _current = ready.StateManager;
            Release();
        });
        Receive<StateManagerStopped>(stopped => stopped.Token == token, stopped =>
        {
            if (stopped.StateManager.Equals(_current)) _current = null;
        });
        Receive<Requeue>(r => r.Token == token, r => Hold(r.Request, r.ReplyTo));
        Receive<DeadLetter>(dl => dl.Message is IStateManagerRequest && IsOurs(dl.Recipient), dl =>
        {
            // A dead letter sent over the network may name the live state manager: only a stopped one is gone.
            if (dl.Recipient.Equals(_current) && dl.Recipient is ActorRefWithCell { Underlying.IsTerminated: true }) _current = null;
            // It was sent before any shutdown (it had already been forwarded), so it is held, not refused.
            Hold(dl.Message, dl.Sender);
        });
        Receive<DeadLetter>(_ => { });
        Receive<ExpireHeld>(_ => Expire());
        Receive<Shutdown>(_ => UnknownMessages.FromAnotherSystem(Sender), _ => UnknownMessages.RefuseRemoteShutdown(Sender, Self, _log));
        Receive<Shutdown>(_ => BeginShutdown());
        Receive<RecoveryHintsLearned>(learned => learned.Hints.Token == token, learned => _hints = learned.Hints);
        Receive<Terminated>(t => t.ActorRef.Equals(_store), _ => StoreStopped());
        Receive<StartStoreAgain>(_ => StartStore());
        Receive<StoreStayedUp>(s => s.Store.Equals(_store), _ => _stopsInARow = 0);
        Receive<Terminated>(t => _subscribers.Remove(t.ActorRef));
        Receive<SubscribeToTasks>(subscription =>
        {
            if (Validation.SubscriptionFilter(subscription.Agent, subscription.TaskId) is { } invalid) Sender.Tell(invalid);
            else if (Subscribe(subscription, subscription.TaskId ?? subscription.Agent)) Sender.Tell(new SubscribedToTasks(subscription.Agent, subscription.TaskId));
        });
        Receive<SubscribeToDocuments>(subscription =>
        {
            if (subscription.OwnerId is { } owner && Validation.Id("ownerId", owner) is { } invalid) Sender.Tell(invalid);
            else if (Subscribe(subscription, subscription.OwnerId)) Sender.Tell(new SubscribedToDocuments(subscription.OwnerId));
        });
        Receive<UnsubscribeFromTasks>(Unsubscribe);
        Receive<TaskNotices>(notices => notices.Token == token, Publish);
        Receive<ShutdownComplete>(_ => { });
        Receive<CheckIdle>(_ => CheckIdleness());
        Receive<StatsReport>(stats => Sender.Equals(_current), PassivateWhenNothingIsTimed);
        Receive<IStateManagerRequest>(request => Route(request, Sender));
        ReceiveAny(message => UnknownMessages.Answer(message, Sender, Self, _log, Context.System));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A failure of the state manager stops it (a persistent actor stops after a failed write anyway); the backoff starts it again.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    /// <summary>
    /// The Props of a gateway. With <paramref name="passivateIdleAfter"/>, it asks its parent (its
    /// shard in a cluster, the <see cref="NamespaceRouter"/> on one node) to stop it once it has had
    /// no request for that long and nothing of its namespace is timed (no claim whose lease runs, no failed task waiting for its retry, no
    /// subscriber); the namespace's next request starts it again from the journal.
    /// </summary>
    public static Props Props(OrchestratorSettings settings, TimeProvider clock, TimeSpan? passivateIdleAfter = null) =>
        Akka.Actor.Props.Create(() => new StateManagerGateway(settings, clock, passivateIdleAfter));

    /// <inheritdoc />
    protected override void PreStart()
    {
        StartStore();
        RequestDeadLetters.Get(Context.System).Register(Self);
        if (_passivateIdleAfter is { } idle)
            Timers.StartPeriodicTimer(CheckIdle.Instance, CheckIdle.Instance, TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, idle.Ticks / 2)));
    }

    // Requests go straight to the current state manager, so a request that died on the way names a
    // recipient under this gateway, and no other gateway in the system takes it.
    private bool IsOurs(IActorRef recipient) =>
        recipient.Path.ToStringWithoutAddress().StartsWith(Self.Path.ToStringWithoutAddress() + "/", StringComparison.Ordinal);

    private void Route(object request, IActorRef replyTo)
    {
        _lastRequest = Context.System.Scheduler.MonotonicClock;
        // A deadline counts from here, the node that decides the request.
        if (request is NamespacedRequest { Within: not null, ArrivedAt: null } timed) request = timed with { ArrivedAt = _lastRequest };
        if (_shutdownRequester is not null)
            replyTo.Tell(new OrchestratorUnavailable("the state manager is shutting down"));
        else if (_current is not null && _held.Count == 0)
            _current.Tell(request, replyTo);
        else
            Hold(request, replyTo);
    }

    private void Hold(object request, IActorRef replyTo)
    {
        // Requests held here were sent before any shutdown (later ones are refused in Route), so
        // they are still processed first, unless the state manager has already stopped for good.
        if (_shutdownSent && _current is null)
        {
            replyTo.Tell(new OrchestratorUnavailable("the state manager is shutting down"));
            return;
        }
        if (_held.Count >= _settings.HoldMaxMessages)
        {
            replyTo.Tell(new OrchestratorUnavailable(
                $"the state manager is restarting and {_held.Count} requests are already waiting (orchestrator.hold.max-messages)"));
            return;
        }
        _held.Enqueue(new Held(request, replyTo, Context.System.Scheduler.MonotonicClock));
        if (!Timers.IsTimerActive(ExpireHeld.Instance))
            Timers.StartPeriodicTimer(ExpireHeld.Instance, ExpireHeld.Instance, ExpireInterval);
        if (_current is not null) Release();
    }

    private TimeSpan ExpireInterval =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(10).Ticks, _settings.HoldTimeout.Ticks / 4));

    private void Release()
    {
        if (_held.Count > 0)
            _log.Info("State manager is up: forwarding {0} held requests", _held.Count);
        while (_current is not null && _held.TryDequeue(out var held))
            _current.Tell(held.Request, held.ReplyTo);
        Timers.Cancel(ExpireHeld.Instance);
        SendShutdownWhenDrained();
    }

    private void Expire()
    {
        var now = Context.System.Scheduler.MonotonicClock;
        while (_held.TryPeek(out var oldest) && now - oldest.Since >= _settings.HoldTimeout)
        {
            _held.Dequeue();
            oldest.ReplyTo.Tell(new OrchestratorUnavailable(
                $"the state manager has been down for {_settings.HoldTimeout} (orchestrator.hold.timeout)"));
        }
        if (_held.Count == 0)
        {
            Timers.Cancel(ExpireHeld.Instance);
            SendShutdownWhenDrained();
        }
    }

    private void BeginShutdown()
    {
        if (_shutdownRequester is not null) return;
        _shutdownRequester = Sender;
        // Shutdown queues behind what is held: requests sent before it are still answered.
        SendShutdownWhenDrained();
    }

    private void SendShutdownWhenDrained()
    {
        if (_shutdownRequester is null || _shutdownSent || _held.Count > 0) return;
        _shutdownSent = true;
        // The state manager stops once its writes are answered; with none running (between two
        // incarnations), the gateway stops at once.
        Timers.Cancel(StartStoreAgain.Instance);
        if (_store is not null) _store.Tell(Shutdown.Instance, Self);
        else FinishShutdown();
    }

    private string EndReason() =>
        CoordinatedShutdown.Get(Context.System).ShutdownReason is not null ? "its node is stopping"
        : Self.Path.ToStringWithoutAddress().StartsWith("/system/sharding/", StringComparison.Ordinal) ? "the namespace is moving to another node"
        : "the namespace stopped";

    private void StartStore()
    {
        if (_shutdownSent) return;
        _store = Context.ActorOf(StateManagerActor.Props(_settings, Self, _hints, _clock), "store");
        Context.Watch(_store);
        // As Akka's BackoffSupervisor resets: an incarnation that lives min-backoff ends the run of stops.
        Timers.StartSingleTimer(StoreStayedUp.Key, new StoreStayedUp(_store), _settings.MinBackoff);
    }

    private void StoreStopped()
    {
        _store = null;
        _current = null;
        if (_shutdownSent)
        {
            FinishShutdown();
            return;
        }
        // min-backoff doubling with each stop in a row, at most max-backoff, stretched by up to random-factor.
        var doubling = Math.Min(_stopsInARow++, 30);
        var backoff = TimeSpan.FromTicks(Math.Min(_settings.MaxBackoff.Ticks, _settings.MinBackoff.Ticks * (1L << doubling)));
        var delay = backoff * (1 + Random.Shared.NextDouble() * _settings.RandomFactor);
        _log.Info("The state manager of namespace '{0}' stopped; starting it again in {1}", _settings.Namespace, delay);
        Timers.StartSingleTimer(StartStoreAgain.Instance, StartStoreAgain.Instance, delay);
    }

    private void FinishShutdown()
    {
        // Subscribers hear that no more notices come from here, and why, instead of silence.
        var ended = new SubscriptionEnded(_settings.Namespace, EndReason());
        foreach (var subscriber in _subscribers.Keys) subscriber.Tell(ended, Self);
        _subscribers.Clear();
        while (_held.TryDequeue(out var held))
            held.ReplyTo.Tell(new OrchestratorUnavailable("the state manager has stopped"));
        _shutdownRequester?.Tell(ShutdownComplete.Instance);
        Context.Stop(Self);
    }

    // Adds a valid filter to the sender's; false (and the refusal sent) when it holds too many already.
    private bool Subscribe(INotificationFilter subscription, string? named)
    {
        if (!_subscribers.TryGetValue(Sender, out var filters))
        {
            if (_subscribers.Count >= _settings.MaxSubscribers)
            {
                Sender.Tell(Validation.Reject("subscription", named,
                    $"the namespace already has {_subscribers.Count} subscribers (orchestrator.subscriptions.max-subscribers); subscribe through one of them, or unsubscribe one first"));
                return false;
            }
            _subscribers[Sender] = filters = [];
            Context.Watch(Sender);
        }
        if (!filters.Contains(subscription) && filters.Count >= _settings.MaxSubscriptionFilters)
        {
            Sender.Tell(Validation.Reject("subscription", named,
                $"the subscriber already holds {filters.Count} filters (orchestrator.subscriptions.max-filters); unsubscribe from some first"));
            return false;
        }
        filters.Add(subscription);
        return true;
    }

    private void Unsubscribe(UnsubscribeFromTasks request)
    {
        var remaining = 0;
        if (_subscribers.TryGetValue(Sender, out var filters))
        {
            if (request.Agent is null && request.TaskId is null) filters.Clear();
            else filters.Remove(new SubscribeToTasks(request.Agent, request.TaskId) { Namespace = request.Namespace });
            remaining = filters.Count;
            if (remaining == 0)
            {
                _subscribers.Remove(Sender);
                Context.Unwatch(Sender);
            }
        }
        Sender.Tell(new UnsubscribedFromTasks(remaining));
    }

    private void Publish(TaskNotices notices)
    {
        foreach (var notice in notices.Notices)
        {
            foreach (var (subscriber, filters) in _subscribers)
            {
                if (filters.Any(f => f.Lets(notice))) subscriber.Tell(notice, Self);
            }
        }
    }

    private bool Idle =>
        _passivateIdleAfter is { } idle && Context.System.Scheduler.MonotonicClock - _lastRequest >= idle
        && _current is not null && _held.Count == 0 && _subscribers.Count == 0 && _shutdownRequester is null;

    private void CheckIdleness()
    {
        // The state manager knows what is timed; its figures say so.
        if (Idle) _current!.Tell(new GetStats { Namespace = _settings.Namespace }, Self);
    }

    private void PassivateWhenNothingIsTimed(StatsReport stats)
    {
        if (!Idle || stats.ByStatus.GetValueOrDefault(ProtocolNames.Of(TaskState.Claimed)) > 0
                  || stats.ByStatus.GetValueOrDefault(ProtocolNames.Of(TaskState.Failed)) > 0)
            return;
        _log.Info("Namespace '{0}' has been idle for {1} with nothing timed: passivating it", _settings.Namespace, _passivateIdleAfter);
        Timers.Cancel(CheckIdle.Instance);
        // The parent (shard or router) sends Shutdown back, buffers the namespace's requests
        // meanwhile, and starts it again for the next one.
        Context.Parent.Tell(new Passivate(Shutdown.Instance));
    }

    private sealed record Held(object Request, IActorRef ReplyTo, TimeSpan Since);

    private sealed record ExpireHeld : INoSerializationVerificationNeeded
    {
        public static readonly ExpireHeld Instance = new();
    }

    private sealed record CheckIdle : INoSerializationVerificationNeeded
    {
        public static readonly CheckIdle Instance = new();
    }

    private sealed record StartStoreAgain : INoSerializationVerificationNeeded
    {
        public static readonly StartStoreAgain Instance = new();
    }

    private sealed record StoreStayedUp(IActorRef Store) : INoSerializationVerificationNeeded
    {
        public const string Key = "store-stayed-up";
    }
}
