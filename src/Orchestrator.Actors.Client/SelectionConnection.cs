using Akka.Actor;

namespace Orchestrator.Actors.Client;

/// <summary>
/// A local stand-in for a node's state manager that looks it up by path for every message
/// (an <see cref="ActorSelection"/>), keeping each message's sender. So a client made with it may
/// start before the node does and follows the node through restarts: while the node is down, asks
/// time out; once it is back, they are answered again, with no reconnecting by the caller.
/// </summary>
internal sealed class SelectionConnection : ReceiveActor
{
    public SelectionConnection(string path)
    {
        var selection = Context.ActorSelection(path);
        ReceiveAny(message => selection.Tell(message, Sender));
    }
}
