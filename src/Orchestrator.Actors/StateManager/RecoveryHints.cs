namespace Orchestrator.Actors.StateManager;

/// <summary>
/// What one incarnation of the state manager learned during recovery that the next one needs: which
/// snapshots could not be read. Immutable: an incarnation that learns more tells its gateway
/// (<see cref="RecoveryHintsLearned"/>), and the gateway hands the hints it holds to the next
/// incarnation it creates, so a restart after an unreadable snapshot recovers from an older one or
/// from the events.
/// </summary>
public sealed class RecoveryHints
{
    private RecoveryHints(GatewayToken token, IReadOnlyList<long> unreadable)
    {
        Token = token;
        UnreadableSnapshots = unreadable;
    }

    /// <summary>No snapshot known to be unreadable, for a new gateway.</summary>
    internal static RecoveryHints None() => new(new GatewayToken(), []);

    /// <summary>
    /// What every incarnation puts in its messages to the gateway that created these hints, so that
    /// the gateway can tell them from copies sent over the network.
    /// </summary>
    internal GatewayToken Token { get; }

    /// <summary>The unreadable snapshots seen so far, in order.</summary>
    public IReadOnlyList<long> UnreadableSnapshots { get; }

    /// <summary>The newest snapshot sequence number recovery may load (all when no snapshot was unreadable).</summary>
    public long MaxSnapshotSequenceNr => UnreadableSnapshots.Count == 0 ? long.MaxValue : UnreadableSnapshots[0] - 1;

    /// <summary>These hints and the snapshot at <paramref name="sequenceNr"/> unreadable.</summary>
    internal RecoveryHints WithUnreadable(long sequenceNr) =>
        new(Token, UnreadableSnapshots.Append(sequenceNr).Distinct().Order().ToList());

    /// <summary>No snapshot unreadable any more (a fresh one was saved).</summary>
    internal RecoveryHints Cleared() => UnreadableSnapshots.Count == 0 ? this : new(Token, []);
}
