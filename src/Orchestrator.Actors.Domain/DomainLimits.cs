namespace Orchestrator.Actors.Domain;

/// <summary>Limits that the domain enforces on input. Set from <c>orchestrator.limits</c> in hocon.conf.</summary>
/// <param name="MaxDocumentBytes">The largest SaveState document, in UTF-8 bytes.</param>
/// <param name="MaxPageSize">The largest page a ListTasks may ask for.</param>
/// <param name="MaxBatchDefinitions">The most definitions one DefineTasks may carry.</param>
public sealed record DomainLimits(
    int MaxDocumentBytes = DomainLimits.DefaultMaxDocumentBytes,
    int MaxPageSize = DomainLimits.DefaultMaxPageSize,
    int MaxBatchDefinitions = DomainLimits.DefaultMaxBatchDefinitions)
{
    /// <summary>1 MiB.</summary>
    public const int DefaultMaxDocumentBytes = 1024 * 1024;

    /// <summary>1,000 tasks.</summary>
    public const int DefaultMaxPageSize = 1000;

    /// <summary>1,000 definitions.</summary>
    public const int DefaultMaxBatchDefinitions = 1000;

    /// <summary>The defaults.</summary>
    public static DomainLimits Default { get; } = new();
}
