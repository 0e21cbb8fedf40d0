using Akka.Actor;
using Akka.Remote;

namespace Orchestrator.Actors.Client;

/// <summary>
/// The client's view of its remoting link to one node. A request waits on <see cref="NextLoss"/> beside
/// its reply, so that a connection that fails while it waits (refused, reset, unknown host) fails it at
/// once, naming the cause. After a failure or a closed connection the link is <see cref="Suspect"/>
/// until the node answers again: a request sent meanwhile is raced against an Identify
/// (<see cref="FailedProbe"/>), so that a node that is gone fails it within the probe's patience
/// instead of its timeout, and a definition is not sent again.
/// </summary>
internal sealed class RemoteLink : IDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _listener;
    private readonly object _gate = new();
    private TaskCompletionSource<string> _next = NewLoss();
    private TaskCompletionSource<string> _nextClose = NewLoss();
    private string? _suspect;

    private RemoteLink(ActorSystem system, Address remote)
    {
        _system = system;
        _listener = system.ActorOf(Props.Create(() => new Listener(remote, this)));
        system.EventStream.Subscribe(_listener, typeof(AssociationErrorEvent));
        system.EventStream.Subscribe(_listener, typeof(DisassociatedEvent));
        system.EventStream.Subscribe(_listener, typeof(AssociatedEvent));
    }

    /// <summary>How long a probe of a suspect link waits for the node's answer.</summary>
    public static readonly TimeSpan ProbePatience = TimeSpan.FromSeconds(2);

    public static RemoteLink Watch(ActorSystem system, Address remote) => new(system, remote);

    /// <summary>Completes with the cause at the next failed association (a refused or reset connection).</summary>
    public Task<string> NextLoss
    {
        get
        {
            lock (_gate) return _next.Task;
        }
    }

    /// <summary>Completes when a connection to the node closes next (the link then needs a probe).</summary>
    public Task<string> NextClose
    {
        get
        {
            lock (_gate) return _nextClose.Task;
        }
    }

    /// <summary>Why the link may be down (failed, or closed and not answered since); null when it is not suspect.</summary>
    public string? Suspect
    {
        get
        {
            lock (_gate) return _suspect;
        }
    }

    /// <summary>
    /// Asks <paramref name="target"/> to identify itself: completes with why the link is down when no
    /// answer comes within <see cref="ProbePatience"/>; never completes when the node answers (which
    /// clears <see cref="Suspect"/>).
    /// </summary>
    public async Task<string> FailedProbe(IActorRef target)
    {
        var why = Suspect ?? "the connection was lost";
        try
        {
            // A message to an address that is gone is answered locally, with no subject or with Nobody.
            if ((await target.Ask<ActorIdentity>(new Identify("link"), ProbePatience)).Subject is { } subject && !subject.IsNobody())
            {
                Answered();
                // A task of its own that never completes: once the request is answered nothing refers to
                // it (a shared one would keep every answered probe's continuation for good).
                return await new TaskCompletionSource<string>().Task;
            }
            return $"{why}; the node answered that nothing is there any more";
        }
        catch (AskTimeoutException)
        {
            return $"{why}; no answer to a probe within {Durations.Format(ProbePatience)}";
        }
    }

    private void Failed(string cause)
    {
        TaskCompletionSource<string> waiting;
        lock (_gate)
        {
            _suspect = cause;
            waiting = _next;
            _next = NewLoss();
        }
        waiting.TrySetResult(cause);
    }

    private void Closed()
    {
        TaskCompletionSource<string> waiting;
        lock (_gate)
        {
            _suspect ??= "the connection was closed";
            waiting = _nextClose;
            _nextClose = NewLoss();
        }
        waiting.TrySetResult("the connection was closed");
    }

    private void Answered()
    {
        lock (_gate) _suspect = null;
    }

    private static TaskCompletionSource<string> NewLoss() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        _system.EventStream.Unsubscribe(_listener);
        _system.Stop(_listener);
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(Address remote, RemoteLink link)
        {
            Receive<AssociationErrorEvent>(e => e.RemoteAddress.Equals(remote), e => link.Failed(Describe(e.Cause)));
            // A closed connection may be one of two (inbound and outbound) while the other carries on:
            // suspect, to be probed, not lost.
            Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(remote), _ => link.Closed());
            Receive<AssociatedEvent>(e => e.RemoteAddress.Equals(remote), _ => link.Answered());
            ReceiveAny(_ => { });
        }

        private static string Describe(Exception? cause)
        {
            // The innermost exception is the socket's own words ("Connection refused").
            while (cause?.InnerException is not null) cause = cause.InnerException;
            return (cause?.Message ?? "association failed").ReplaceLineEndings(" ");
        }
    }
}
