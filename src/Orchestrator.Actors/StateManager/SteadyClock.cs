namespace Orchestrator.Actors.StateManager;

/// <summary>
/// The node's clock for leases, retries and every time it journals: the wall clock read once, when
/// the node starts, then advanced by the monotonic timer. A step of the system clock while the node
/// runs (an NTP correction, an operator's <c>date -s</c>) moves neither a lease nor a retry: a step
/// forward used to expire every lease at once, a step back to hold them that much longer. The
/// monotonic timer is slewed with the wall clock but never stepped, so the two stay within NTP's
/// slew of each other; a corrected wall clock is taken up at the node's next start.
/// </summary>
public sealed class SteadyClock : TimeProvider
{
    private readonly TimeProvider _system;
    private readonly DateTimeOffset _start;
    private readonly long _startTimestamp;

    /// <summary>Reads <paramref name="system"/>'s wall clock and timer now.</summary>
    public SteadyClock(TimeProvider system)
    {
        _system = system;
        _start = system.GetUtcNow();
        _startTimestamp = system.GetTimestamp();
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _start + _system.GetElapsedTime(_startTimestamp);

    /// <inheritdoc />
    public override long GetTimestamp() => _system.GetTimestamp();

    /// <inheritdoc />
    public override long TimestampFrequency => _system.TimestampFrequency;
}
