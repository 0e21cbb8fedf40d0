namespace Orchestrator.Actors.StateManager;

/// <summary>
/// What one incarnation of the state manager learned during recovery that the next one needs: which
/// snapshots could not be read. Shared by every incarnation created from the same Props (one at a
/// time), so a restart after an unreadable snapshot recovers from an older one or from the events.
/// </summary>
public sealed class RecoveryHints
{
    private readonly object _gate = new();
    private readonly SortedSet<long> _unreadable = [];

    /// <summary>
    /// What every incarnation puts in its messages to the gateway that created these hints, so that
    /// the gateway can tell them from copies sent over the network.
    /// </summary>
    internal GatewayToken Token { get; } = new();

    /// <summary>The newest snapshot sequence number recovery may load (all when no snapshot was unreadable).</summary>
    public long MaxSnapshotSequenceNr
    {
        get
        {
            lock (_gate) return _unreadable.Count == 0 ? long.MaxValue : _unreadable.Min - 1;
        }
    }

    /// <summary>The unreadable snapshots seen so far.</summary>
    public IReadOnlyList<long> UnreadableSnapshots
    {
        get
        {
            lock (_gate) return _unreadable.ToList();
        }
    }

    internal void MarkUnreadable(long sequenceNr)
    {
        lock (_gate) _unreadable.Add(sequenceNr);
    }

    internal void Clear()
    {
        lock (_gate) _unreadable.Clear();
    }
}
