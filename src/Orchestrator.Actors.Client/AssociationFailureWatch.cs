using Akka.Actor;
using Akka.Remote;

namespace Orchestrator.Actors.Client;

/// <summary>
/// Completes <see cref="Failure"/> with the cause when remoting fails to associate with one address
/// (connection refused, unknown host), so that a connection attempt fails at once instead of waiting
/// for its timeout.
/// </summary>
internal sealed class AssociationFailureWatch : IDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _listener;
    private readonly TaskCompletionSource<string> _failure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AssociationFailureWatch(ActorSystem system, Address remote)
    {
        _system = system;
        _listener = system.ActorOf(Props.Create(() => new Listener(remote, _failure)));
        system.EventStream.Subscribe(_listener, typeof(AssociationErrorEvent));
    }

    /// <summary>The cause, in one line, once an association with the address failed.</summary>
    public Task<string> Failure => _failure.Task;

    public static AssociationFailureWatch Start(ActorSystem system, Address remote) => new(system, remote);

    public void Dispose()
    {
        _system.EventStream.Unsubscribe(_listener);
        _system.Stop(_listener);
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(Address remote, TaskCompletionSource<string> failure) =>
            Receive<AssociationErrorEvent>(e =>
            {
                if (e.RemoteAddress.Equals(remote)) failure.TrySetResult(Describe(e.Cause));
            });

        private static string Describe(Exception? cause)
        {
            // The innermost exception is the socket's own words ("Connection refused").
            while (cause?.InnerException is not null) cause = cause.InnerException;
            return (cause?.Message ?? "association failed").ReplaceLineEndings(" ");
        }
    }
}
