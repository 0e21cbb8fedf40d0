using Akka.Actor;
using Akka.Remote;

namespace Orchestrator.Actors.Client;

/// <summary>
/// The client's view of its remoting link to one node. A request waits on <see cref="NextLoss"/> beside
/// its reply, so that a connection that fails while it waits (refused, reset, unknown host) fails it at
/// once, naming the cause. After a failure or a closed connection the link is <see cref="Suspect"/>
/// until the node answers again: a request sent meanwhile is raced against an Identify
/// (<see cref="FailedProbe"/>), so that a node that is gone fails it within the probe's patience
/// instead of its timeout, and a definition is not sent again. A node that restarted has a new state
/// manager: the probe finds it by path, and later requests go to it.
/// </summary>
internal sealed class RemoteLink : IDisposable
{
    // The link's whole state, replaced at once (compare-and-swap), so that readers never take a lock.
    private sealed record State(
        string? Suspect,
        TaskCompletionSource<string> NextLoss,
        TaskCompletionSource<string> NextClose,
        IActorRef? Target);

    private readonly ActorSystem _system;
    private readonly ActorSelection _stateManager;
    private readonly IActorRef _listener;
    private State _state = new(null, NewLoss(), NewLoss(), null);

    private RemoteLink(ActorSystem system, Address remote, ActorSelection stateManager)
    {
        _system = system;
        _stateManager = stateManager;
        _listener = system.ActorOf(Props.Create(() => new Listener(remote, stateManager, this)));
        system.EventStream.Subscribe(_listener, typeof(AssociationErrorEvent));
        system.EventStream.Subscribe(_listener, typeof(DisassociatedEvent));
        system.EventStream.Subscribe(_listener, typeof(AssociatedEvent));
    }

    /// <summary>How long a probe of a suspect link waits for the node's answer.</summary>
    public static readonly TimeSpan ProbePatience = TimeSpan.FromSeconds(2);

    /// <summary>Watches the link to <paramref name="remote"/>, whose state manager is at <paramref name="stateManager"/> (found by path, whatever its incarnation).</summary>
    public static RemoteLink Watch(ActorSystem system, Address remote, ActorSelection stateManager) => new(system, remote, stateManager);

    /// <summary>
    /// The state manager's incarnation that answered last: a node that restarted has a new one, and a
    /// message to the old one is dropped there.
    /// </summary>
    public IActorRef? Target => Volatile.Read(ref _state).Target;

    /// <summary>Completes with the cause at the next failed association (a refused or reset connection).</summary>
    public Task<string> NextLoss => Volatile.Read(ref _state).NextLoss.Task;

    /// <summary>Completes when a connection to the node closes next (the link then needs a probe).</summary>
    public Task<string> NextClose => Volatile.Read(ref _state).NextClose.Task;

    /// <summary>Why the link may be down (failed, or closed and not answered since); null when it is not suspect.</summary>
    public string? Suspect => Volatile.Read(ref _state).Suspect;

    /// <summary>
    /// Asks the node, by path, which state manager is there: completes with why the request sent to
    /// <paramref name="sentTo"/> will not be answered when no answer comes within
    /// <see cref="ProbePatience"/>, when nothing is there, or when another incarnation answers (the node
    /// restarted: the request went to the old one); never completes when <paramref name="sentTo"/> is
    /// still the one there. Any answer makes the link trusted again, with the incarnation that answered.
    /// </summary>
    public async Task<string> FailedProbe(IActorRef sentTo)
    {
        var why = Suspect ?? "the connection was lost";
        try
        {
            // A message to an address that is gone is answered locally, with no subject or with Nobody.
            if ((await _stateManager.Ask<ActorIdentity>(new Identify("link"), ProbePatience)).Subject is not { } subject || subject.IsNobody())
                return $"{why}; the node answered that nothing is there any more";
            Answered(subject);
            if (!subject.Equals(sentTo)) return "the node restarted since the request was sent";
            // A task of its own that never completes: once the request is answered nothing refers to
            // it (a shared one would keep every answered probe's continuation for good).
            return await new TaskCompletionSource<string>().Task;
        }
        catch (AskTimeoutException)
        {
            return $"{why}; no answer to a probe within {Durations.Format(ProbePatience)}";
        }
    }

    /// <summary>The state manager found when the client connected.</summary>
    public void Found(IActorRef stateManager) => Answered(stateManager);

    private void Failed(string cause) =>
        Change(s => s with { Suspect = cause, NextLoss = NewLoss() }).NextLoss.TrySetResult(cause);

    private void Closed() =>
        Change(s => s with { Suspect = s.Suspect ?? "the connection was closed", NextClose = NewLoss() }).NextClose.TrySetResult("the connection was closed");

    private void Answered(IActorRef stateManager) => Change(s => s with { Suspect = null, Target = stateManager });

    // Replaces the state with change(state), retrying when another thread replaced it first; returns the state replaced.
    private State Change(Func<State, State> change)
    {
        while (true)
        {
            var before = Volatile.Read(ref _state);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _state, change(before), before), before)) return before;
        }
    }

    private static TaskCompletionSource<string> NewLoss() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        _system.EventStream.Unsubscribe(_listener);
        _system.Stop(_listener);
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(Address remote, ActorSelection stateManager, RemoteLink link)
        {
            Receive<AssociationErrorEvent>(e => e.RemoteAddress.Equals(remote), e => link.Failed(Describe(e.Cause)));
            // A closed connection may be one of two (inbound and outbound) while the other carries on:
            // suspect, to be probed, not lost.
            Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(remote), _ => link.Closed());
            // A new association may be a restarted node: trusted again once its state manager answers,
            // whose incarnation later requests then go to.
            Receive<AssociatedEvent>(e => e.RemoteAddress.Equals(remote), _ => stateManager.Tell(new Identify("associated")));
            Receive<ActorIdentity>(i => i.Subject is { } subject && !subject.IsNobody(), i => link.Answered(i.Subject!));
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
