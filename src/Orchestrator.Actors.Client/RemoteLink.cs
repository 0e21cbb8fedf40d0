using Akka.Actor;
using Akka.Remote;

namespace Orchestrator.Actors.Client;

/// <summary>
/// The client's view of its remoting link to one node: a request waits on <see cref="NextLoss"/> beside
/// its reply, so that a connection refused or dropped while it waits fails it at once (naming the
/// cause) instead of after its timeout, and a definition is not sent again to a node known to be gone.
/// </summary>
internal sealed class RemoteLink : IDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _listener;
    private readonly object _gate = new();
    private TaskCompletionSource<string> _next = NewLoss();
    private string? _down;

    private RemoteLink(ActorSystem system, Address remote)
    {
        _system = system;
        _listener = system.ActorOf(Props.Create(() => new Listener(remote, this)));
        system.EventStream.Subscribe(_listener, typeof(AssociationErrorEvent));
        system.EventStream.Subscribe(_listener, typeof(DisassociatedEvent));
        system.EventStream.Subscribe(_listener, typeof(AssociatedEvent));
    }

    public static RemoteLink Watch(ActorSystem system, Address remote) => new(system, remote);

    /// <summary>Completes with the cause at the next loss of the link (a refused or dropped connection).</summary>
    public Task<string> NextLoss
    {
        get
        {
            lock (_gate) return _next.Task;
        }
    }

    /// <summary>Why the link is down, when it was lost and not associated again since; null when up (or never lost).</summary>
    public string? Down
    {
        get
        {
            lock (_gate) return _down;
        }
    }

    private void Lost(string cause)
    {
        TaskCompletionSource<string> waiting;
        lock (_gate)
        {
            _down = cause;
            waiting = _next;
            _next = NewLoss();
        }
        waiting.TrySetResult(cause);
    }

    private void Associated()
    {
        lock (_gate) _down = null;
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
            Receive<AssociationErrorEvent>(e => e.RemoteAddress.Equals(remote), e => link.Lost(Describe(e.Cause)));
            Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(remote), _ => link.Lost("the connection was closed"));
            Receive<AssociatedEvent>(e => e.RemoteAddress.Equals(remote), _ => link.Associated());
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
