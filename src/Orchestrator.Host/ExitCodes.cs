namespace Orchestrator.Host;

/// <summary>The exit codes of the command line, as the README documents them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Unreachable, unavailable, or any other failure.</summary>
    public const int Failure = 1;
    /// <summary>Bad arguments, or the orchestrator rejected the input (CommandRejected).</summary>
    public const int InvalidInput = 2;
    /// <summary>A different definition, a version conflict, an illegal transition, a stale claim or an idempotency key used for another request.</summary>
    public const int Conflict = 3;
    /// <summary>No such task or document, or no task ready to claim.</summary>
    public const int NotFound = 4;
}
