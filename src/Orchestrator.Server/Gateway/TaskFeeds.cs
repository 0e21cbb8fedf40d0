using System.Security.Cryptography;
using System.Threading.Channels;
using Akka.Actor;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.Protocol.Subscriptions;
using Orchestrator.Server.Hosting;

namespace Orchestrator.Server.Gateway;

/// <summary>
/// One subscription to every transition of a namespace (<see cref="SubscribeToTasks"/> with no
/// filter), shared by every door that follows it: the event streams and the claims that wait. Each
/// is made on first use, from a small actor in the node's ActorSystem, and kept while the node runs.
/// </summary>
public sealed class TaskFeeds(OrchestratorGateway gateway, HttpSettings settings)
{
    private readonly Dictionary<string, Task<TaskFeed>> _feeds = new(StringComparer.Ordinal);
    private int _actors;

    /// <summary>
    /// The feed of <paramref name="namespace"/>, once its subscription is confirmed: every transition
    /// journaled from then on reaches it. A namespace the protocol refuses is an
    /// <see cref="OrchestratorRejectedException"/>.
    /// </summary>
    public Task<TaskFeed> ForAsync(string @namespace, CancellationToken cancellation)
    {
        Task<TaskFeed> feed;
        lock (_feeds)
        {
            if (!_feeds.TryGetValue(@namespace, out feed!) || feed.IsFaulted || feed.IsCanceled)
                _feeds[@namespace] = feed = Start(@namespace);
        }
        return feed.WaitAsync(cancellation);
    }

    private Task<TaskFeed> Start(string @namespace)
    {
        var subscribed = new TaskCompletionSource<TaskFeed>(TaskCreationOptions.RunContinuationsAsynchronously);
        var feed = new TaskFeed(@namespace, settings.EventBuffer);
        gateway.System.ActorOf(Props.Create(() => new FeedActor(feed, gateway.For(@namespace), gateway.RequestTimeout, subscribed)),
            $"task-feed-{Interlocked.Increment(ref _actors)}");
        return subscribed.Task;
    }

    // Subscribes to the namespace's transitions and document saves, confirms once both are, and
    // hands each notice to the feed. When the gateway it subscribed at stops (the namespace moved
    // to another node, or was passivated), it subscribes again through the router and tells the
    // feed that notices may have been lost meanwhile.
    private sealed class FeedActor : ReceiveActor, IWithTimers
    {
        private readonly TaskFeed _feed;
        private readonly OrchestratorClient _client;
        private readonly TaskCompletionSource<TaskFeed> _subscribed;
        private bool _confirmed;
        private bool _documentsConfirmed;
        private IActorRef? _gateway;

        public FeedActor(TaskFeed feed, OrchestratorClient client, TimeSpan timeout, TaskCompletionSource<TaskFeed> subscribed)
        {
            _feed = feed;
            _client = client;
            _subscribed = subscribed;
            Receive<SubscribedToTasks>(_ =>
            {
                _gateway = Sender;
                Context.Watch(Sender);
                if (_confirmed) _feed.Interrupted();
                _confirmed = true;
                Confirm();
            });
            Receive<SubscribedToDocuments>(_ =>
            {
                _documentsConfirmed = true;
                Confirm();
            });
            Receive<TaskTransitioned>(_feed.Publish);
            // Only from the gateway it subscribed at (its Terminated follows, and this subscribes again).
            Receive<SubscriptionEnded>(_ => Sender.Equals(_gateway), ended => _feed.Interrupted(ended.Reason));
            Receive<StateChanged>(_feed.PublishDocument);
            Receive<CommandRejected>(rejected => Fail(new OrchestratorRejectedException(rejected)));
            Receive<SubscribeTimedOut>(_ => Fail(new OrchestratorUnreachableException(
                $"no answer from the orchestrator at {_client.Address} within {Actors.Client.Durations.Format(timeout)} to SubscribeToTasks")));
            Receive<Terminated>(_ =>
            {
                if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null) return;
                SubscribeBoth();
            });
            SubscribeBoth();
            Timers.StartSingleTimer("subscribe", SubscribeTimedOut.Instance, timeout);
        }

        private void SubscribeBoth()
        {
            _client.Subscribe(Self, new SubscribeToTasks());
            _client.Subscribe(Self, new SubscribeToDocuments());
        }

        private void Confirm()
        {
            if (!_confirmed || !_documentsConfirmed) return;
            Timers.Cancel("subscribe");
            _subscribed.TrySetResult(_feed);
        }

        public ITimerScheduler Timers { get; set; } = null!;

        private void Fail(Exception reason)
        {
            if (_subscribed.Task.IsCompleted) return;
            _subscribed.TrySetException(reason);
            Context.Stop(Self);
        }

        private sealed record SubscribeTimedOut
        {
            public static readonly SubscribeTimedOut Instance = new();
        }
    }
}

/// <summary>
/// The transitions of one namespace as they are journaled, numbered from 1: the newest
/// <c>orchestrator.http.events.buffer</c> kept for listeners that come back, handed to each live
/// listener, and a wake-up for whoever waits for a task to be READY. Ids are <c>EPOCH-SEQ</c>, the
/// epoch random for each feed, so an id from another server start or another namespace is told apart.
/// </summary>
public sealed class TaskFeed
{
    private readonly object _gate = new();
    private readonly Queue<FeedItem> _buffer = new();
    private readonly int _capacity;
    private readonly List<Channel<FeedItem>> _listeners = [];
    private TaskCompletionSource _ready = NewSignal();
    private long _latest;
    // The oldest position a listener may resume from: none before a feed interruption.
    private long _resumableFrom;
    private FeedEnding? _lastEnding;

    internal TaskFeed(string @namespace, int capacity)
    {
        Namespace = @namespace;
        _capacity = capacity;
        Epoch = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
    }

    /// <summary>The namespace.</summary>
    public string Namespace { get; }

    /// <summary>The random part of this feed's ids.</summary>
    public string Epoch { get; }

    /// <summary>
    /// Completes at the next transition to READY (or when notices may have been lost). Take it before
    /// trying to claim: a task that becomes READY after the try completes it, so no wake-up is lost.
    /// </summary>
    public Task NextReady => Volatile.Read(ref _ready).Task;

    /// <summary>The id of position <paramref name="seq"/>.</summary>
    public string Id(long seq) => $"{Epoch}-{seq}";

    /// <summary>
    /// Starts listening. With the id of the last notice a listener saw (<c>Last-Event-ID</c>) it gets
    /// what it missed first, when the buffer still holds it all; otherwise <see cref="FeedListener.Reset"/>
    /// is true and it follows on from now.
    /// </summary>
    public FeedListener Listen(string? lastEventId)
    {
        var channel = Channel.CreateBounded<FeedItem>(new BoundedChannelOptions(Math.Max(_capacity, 1_000))
        {
            SingleReader = true,
            SingleWriter = true,
        });
        lock (_gate)
        {
            var reset = false;
            IReadOnlyList<FeedItem> replay = [];
            if (lastEventId is not null)
            {
                if (TryResume(lastEventId, out var seen)) replay = _buffer.Where(i => i.Seq > seen).ToList();
                else reset = true;
            }
            _listeners.Add(channel);
            return new FeedListener(this, channel, replay, reset, Position: _latest);
        }
    }

    /// <summary>Each document saved in the namespace, journaled, as the feed hears of it (on the feed's actor).</summary>
    public event Action<StateChanged>? DocumentSaved;

    internal void PublishDocument(StateChanged changed) => DocumentSaved?.Invoke(changed);

    internal void Publish(TaskTransitioned notice)
    {
        lock (_gate)
        {
            var item = new FeedItem(++_latest, notice);
            if (_capacity > 0)
            {
                if (_buffer.Count == _capacity) _buffer.Dequeue();
                _buffer.Enqueue(item);
            }
            // A listener too slow to keep up is dropped; its stream says so (reset) and follows on.
            _listeners.RemoveAll(listener =>
            {
                if (listener.Writer.TryWrite(item)) return false;
                listener.Writer.TryComplete();
                return true;
            });
        }
        if (notice.Entry.To == TaskState.Ready) Wake();
    }

    /// <summary>The last time the node said the feed's subscription ended, and why; null when it never did.</summary>
    public FeedEnding? LastEnding => Volatile.Read(ref _lastEnding);

    // The subscription ended (endedBecause: the node said why) or was renewed: what was journaled in
    // between never reached this feed.
    internal void Interrupted(string? endedBecause = null)
    {
        lock (_gate)
        {
            if (endedBecause is not null) Volatile.Write(ref _lastEnding, new FeedEnding(endedBecause));
            _resumableFrom = ++_latest;
            _buffer.Clear();
            foreach (var listener in _listeners) listener.Writer.TryComplete();
            _listeners.Clear();
        }
        Wake();
    }

    internal void Remove(Channel<FeedItem> channel)
    {
        lock (_gate) _listeners.Remove(channel);
    }

    private void Wake() => Interlocked.Exchange(ref _ready, NewSignal()).TrySetResult();

    private bool TryResume(string lastEventId, out long seen)
    {
        seen = 0;
        var dash = lastEventId.LastIndexOf('-');
        if (dash <= 0 || lastEventId[..dash] != Epoch || !long.TryParse(lastEventId.AsSpan(dash + 1), out seen)) return false;
        if (seen < _resumableFrom || seen > _latest) return false;
        // Everything after it must still be buffered.
        return seen == _latest || (_buffer.Count > 0 && _buffer.Peek().Seq <= seen + 1);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A notice and its position in its namespace's feed.</summary>
public sealed record FeedItem(long Seq, TaskTransitioned Notice);

/// <summary>
/// One listener of a feed: what it missed (<see cref="Replay"/>), or <see cref="Reset"/> when that
/// is lost, then the live notices in <see cref="Live"/>. The channel completes when the listener
/// fell too far behind or the feed was interrupted: listen again, after a reset. Dispose to stop.
/// </summary>
public sealed record FeedListener(TaskFeed Feed, Channel<FeedItem> Channel, IReadOnlyList<FeedItem> Replay, bool Reset, long Position) : IDisposable
{
    /// <summary>The live notices.</summary>
    public ChannelReader<FeedItem> Live => Channel.Reader;

    /// <inheritdoc />
    public void Dispose() => Feed.Remove(Channel);
}

/// <summary>The node told a feed that its subscription ended (the namespace moved, its node is stopping); each is a new instance.</summary>
public sealed class FeedEnding(string reason)
{
    /// <summary>Why, in the node's words.</summary>
    public string Reason { get; } = reason;
}
