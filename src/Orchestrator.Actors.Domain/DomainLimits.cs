namespace Orchestrator.Actors.Domain;

/// <summary>Limits that the domain enforces on input. Set from <c>orchestrator.limits</c> in hocon.conf.</summary>
/// <param name="MaxDocumentBytes">The largest SaveState document, in UTF-8 bytes.</param>
/// <param name="MaxPageSize">The largest page a ListTasks or ListAgents may ask for.</param>
/// <param name="MaxBatchDefinitions">The most definitions one DefineTasks may carry.</param>
/// <param name="MaxReplyBytes">
/// The most a reply that grows with the state (a page of tasks or agents, a task's history) may take
/// by <see cref="Protocol.Serialization.ViewSizes"/>: a page ends early rather than pass it.
/// </param>
/// <param name="MaxTasks">The most tasks one namespace holds: a definition beyond it is refused.</param>
/// <param name="MaxDocuments">The most documents one namespace holds: a save of a new one beyond it is refused.</param>
public sealed record DomainLimits(
    int MaxDocumentBytes = DomainLimits.DefaultMaxDocumentBytes,
    int MaxPageSize = DomainLimits.DefaultMaxPageSize,
    int MaxBatchDefinitions = DomainLimits.DefaultMaxBatchDefinitions,
    int MaxReplyBytes = DomainLimits.DefaultMaxReplyBytes,
    int MaxTasks = DomainLimits.DefaultMaxTasks,
    int MaxDocuments = DomainLimits.DefaultMaxDocuments)
{
    /// <summary>10,000,000 tasks: ten times the load table's million, which recovers in seconds.</summary>
    public const int DefaultMaxTasks = 10_000_000;

    /// <summary>100,000 documents: each may be up to max-document-size, and all are held in memory.</summary>
    public const int DefaultMaxDocuments = 100_000;

    /// <summary>1 MiB.</summary>
    public const int DefaultMaxDocumentBytes = 1024 * 1024;

    /// <summary>1,000 tasks.</summary>
    public const int DefaultMaxPageSize = 1000;

    /// <summary>1,000 definitions.</summary>
    public const int DefaultMaxBatchDefinitions = 1000;

    /// <summary>4 MiB: a quarter of the 16 MiB remoting frame.</summary>
    public const int DefaultMaxReplyBytes = 4 * 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static DomainLimits Default { get; } = new();
}
