using Akka.Configuration;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.Configuration;

/// <summary>The <c>orchestrator</c> section of hocon.conf, read and checked once.</summary>
public sealed record OrchestratorSettings(
    string DataDirectory,
    string DatabaseFile,
    string Namespace,
    string SqliteJournalMode,
    string SqliteSynchronous,
    int SnapshotEvery,
    int SnapshotsKept,
    bool DeleteEventsOnSnapshot,
    int MaxBatchEvents,
    DomainLimits Limits,
    TimeSpan MinBackoff,
    TimeSpan MaxBackoff,
    double RandomFactor,
    int HoldMaxMessages,
    TimeSpan HoldTimeout,
    LifecyclePolicy Lifecycle,
    int MaxSubscriptionFilters)
{
    /// <summary>The absolute path of the SQLite database (the journal).</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, DatabaseFile));

    /// <summary>The snapshots' own SQLite file, so a large snapshot never holds the journal's write lock.</summary>
    public string SnapshotDatabaseFile { get; init; } = "orchestrator-snapshots.db";

    /// <summary>The absolute path of <see cref="SnapshotDatabaseFile"/>.</summary>
    public string SnapshotDatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, SnapshotDatabaseFile));

    /// <summary>A snapshot is also not due before this share of the last snapshot's task count in events since it.</summary>
    public double SnapshotEveryFractionOfTasks { get; init; }

    /// <summary>The thread pool's floor of worker threads the node raises at start (<c>orchestrator.min-worker-threads</c>); 0 leaves it alone.</summary>
    public int MinWorkerThreads { get; init; }

    /// <summary>The <c>orchestrator.cluster</c> section, checked on every node (used by cluster members).</summary>
    public Cluster.ClusterSettings Cluster { get; init; } = new(50, null, "");

    /// <summary>
    /// The most one journal write may take (<c>orchestrator.max-write-bytes</c>), by
    /// <see cref="Protocol.Serialization.EventSizes"/>: requests beyond it wait for the next write.
    /// </summary>
    public long MaxWriteBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>
    /// The most subscribers one namespace keeps (<c>orchestrator.subscriptions.max-subscribers</c>); a
    /// new one beyond it is refused naming the limit (each is watched and sent every matching notice).
    /// </summary>
    public int MaxSubscribers { get; init; } = 10_000;

    /// <summary>
    /// The most requests one state manager lets wait for the journal (<c>orchestrator.max-pending-requests</c>);
    /// beyond it a change is answered at once "overloaded, retry" (HTTP 503 with Retry-After).
    /// </summary>
    public int MaxPendingRequests { get; init; } = 10_000;

    /// <summary>
    /// The most namespaces one node runs at once (<c>orchestrator.max-namespaces</c>); a request for
    /// another is refused naming the limit. In a cluster the namespaces are spread by sharding instead.
    /// </summary>
    public int MaxNamespaces { get; init; } = 10_000;

    /// <summary>The state manager's persistence id (one per namespace).</summary>
    public string PersistenceId => OrchestratorNames.PersistenceId(Namespace);

    /// <summary>Reads the settings; a bad value is an error that names its key and the value.</summary>
    /// <exception cref="ConfigurationException">A value is missing or out of range.</exception>
    public static OrchestratorSettings FromConfig(Config config)
    {
        var o = config.GetConfig("orchestrator")
                ?? throw new ConfigurationException("the 'orchestrator' section is missing from the configuration");
        CheckServerConnectionStrings(config);
        var reader = new SettingsReader(o);

        var minBackoff = reader.Duration("supervision.min-backoff", TimeSpan.FromMilliseconds(1));
        var maxBackoff = reader.Duration("supervision.max-backoff", TimeSpan.FromMilliseconds(1));
        if (maxBackoff < minBackoff)
            throw new ConfigurationException(
                $"orchestrator.supervision.max-backoff = {reader.Quoted("supervision.max-backoff")} is below min-backoff = {reader.Quoted("supervision.min-backoff")}");

        var kept = reader.Int("snapshots.keep", 1, 100);
        var deleteEvents = reader.Bool("snapshots.delete-events");
        if (deleteEvents && kept < 2)
            throw new ConfigurationException(
                $"orchestrator.snapshots.delete-events = on needs orchestrator.snapshots.keep >= 2 (it is {kept}): " +
                "with a single snapshot and no events behind it, one unreadable snapshot would lose the state");

        var maxBatchEvents = reader.Int("max-batch-events", 1, 100_000);
        var lifecycle = ReadLifecycle(reader) with { MaxDeadlinesPerDecision = maxBatchEvents };
        var databaseFile = reader.Text("database-file");
        var snapshotFile = reader.Text("snapshot-database-file");
        if (Path.GetFullPath(snapshotFile, "/") == Path.GetFullPath(databaseFile, "/"))
            throw new ConfigurationException(
                $"orchestrator.snapshot-database-file = {reader.Quoted("snapshot-database-file")} is the journal's database-file: " +
                "the snapshots need a file of their own, so that writing a large one does not hold up the journal");
        // Requests name their namespace now; a configured one would silently serve nothing.
        if (o.HasPath("namespace"))
            throw new ConfigurationException(
                $"orchestrator.namespace = {reader.Quoted("namespace")} is no longer read: every request names its namespace " +
                $"('{Namespaces.Default}' unless set; the CLI's --namespace), and namespace N keeps its state under persistence id state-manager-N. Remove the key");

        return new OrchestratorSettings(
            DataDirectory: reader.Text("data-dir"),
            DatabaseFile: databaseFile,
            Namespace: Namespaces.Default,
            SqliteJournalMode: reader.OneOf("sqlite.journal-mode", "WAL", "DELETE", "TRUNCATE", "PERSIST", "MEMORY", "OFF"),
            // Applied per connection by SQLite's own default (FULL); other levels need a per-connection
            // pragma hook, which this version does not have yet, so they are refused rather than ignored.
            SqliteSynchronous: reader.OneOf("sqlite.synchronous", "FULL"),
            SnapshotEvery: reader.Int("snapshots.every", 1, int.MaxValue),
            SnapshotsKept: kept,
            DeleteEventsOnSnapshot: deleteEvents,
            MaxBatchEvents: maxBatchEvents,
            Limits: new DomainLimits(
                MaxDocumentBytes: (int)reader.Size("limits.max-document-size", 2, 64L * 1024 * 1024),
                MaxPageSize: reader.Int("limits.max-page-size", 1, 1_000_000),
                MaxBatchDefinitions: reader.Int("limits.max-batch-definitions", 1, 1_000_000),
                MaxReplyBytes: ReadMaxReplyBytes(config, reader, lifecycle),
                MaxTasks: reader.Int("limits.max-tasks", 1, int.MaxValue),
                MaxDocuments: reader.Int("limits.max-documents", 1, int.MaxValue)),
            MinBackoff: minBackoff,
            MaxBackoff: maxBackoff,
            RandomFactor: reader.Double("supervision.random-factor", 0, 10),
            HoldMaxMessages: reader.Int("hold.max-messages", 0, 10_000_000),
            HoldTimeout: reader.Duration("hold.timeout", TimeSpan.FromMilliseconds(1)),
            Lifecycle: lifecycle,
            MaxSubscriptionFilters: reader.Int("subscriptions.max-filters", 1, 1_000_000))
        {
            SnapshotDatabaseFile = snapshotFile,
            Cluster = Actors.Cluster.ClusterSettings.FromConfig(config),
            SnapshotEveryFractionOfTasks = reader.Double("snapshots.every-fraction-of-tasks", 0, 100),
            MinWorkerThreads = reader.Int("min-worker-threads", 0, 32_767),
            MaxWriteBytes = reader.Size("max-write-bytes", 64 * 1024, 512L * 1024 * 1024),
            MaxPendingRequests = reader.Int("max-pending-requests", 1, 10_000_000),
            MaxSubscribers = reader.Int("subscriptions.max-subscribers", 1, 10_000_000),
            MaxNamespaces = reader.Int("max-namespaces", 1, 1_000_000),
        };
    }

    /// <summary>
    /// A SQL journal or snapshot store on a database server (PostgreSQL) needs its connection string;
    /// left empty, Akka.Persistence.Sql would fail only on the first write, and every request would
    /// wait for a state manager that never recovers. SQLite's are filled in from data-dir instead.
    /// </summary>
    private static void CheckServerConnectionStrings(Config config)
    {
        foreach (var plugin in new[] { "akka.persistence.journal", "akka.persistence.snapshot-store" })
        {
            var section = $"{plugin}.sql";
            if (config.GetString($"{plugin}.plugin", "") != section) continue;
            var provider = config.GetString($"{section}.provider-name", "");
            if (provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)) continue;
            if (string.IsNullOrWhiteSpace(config.GetString($"{section}.connection-string", "")))
                throw new ConfigurationException(
                    $"{section}.connection-string is empty: provider '{provider}' needs a connection string " +
                    "(config/postgres.conf takes it from orchestrator.postgres.connection-string or the environment variable ORCHESTRATOR_POSTGRES)");
        }
    }

    /// <summary>
    /// The room a remoting frame keeps beside the reply for its envelope: the recipient's and the
    /// sender's paths, the manifest, the sequence number.
    /// </summary>
    public const int FrameEnvelopeBytes = 64 * 1024;

    private const string FrameKey = "akka.remote.dot-netty.tcp.maximum-frame-size";

    // The budget holds the largest single view the input rules allow (a page holds at least one) and
    // stays below the node's frame (a larger reply would be dropped by the transport, unanswered).
    private static int ReadMaxReplyBytes(Config config, SettingsReader reader, LifecyclePolicy lifecycle)
    {
        const string key = "limits.max-reply-bytes";
        var budget = (int)reader.Size(key, 64 * 1024, 1024L * 1024 * 1024);
        var smallest = ReplyBudget.Smallest(lifecycle);
        if (budget < smallest)
            throw new ConfigurationException(
                $"orchestrator.{key} = {reader.Quoted(key)} is below {smallest:N0} bytes, the most one view may take under the input rules " +
                $"(an agent with {Validation.MaxCapabilities} capabilities of {Validation.MaxTextLength:N0} characters, or a task with " +
                $"orchestrator.lifecycle.max-dependencies = {lifecycle.MaxDependencies:N0} dependencies): a page of one would pass it. Raise it, or lower max-dependencies");
        if (config.HasPath(FrameKey) && config.GetByteSize(FrameKey) is { } frame && budget > frame - FrameEnvelopeBytes)
            throw new ConfigurationException(
                $"orchestrator.{key} = {reader.Quoted(key)} does not fit {FrameKey} = '{config.GetString(FrameKey)}' " +
                $"with {FrameEnvelopeBytes / 1024} KiB to spare for the envelope: a reply that size would be dropped by the transport and its request time out");
        return budget;
    }

    private static LifecyclePolicy ReadLifecycle(SettingsReader reader)
    {
        var minLease = reader.Duration("lifecycle.min-lease", TimeSpan.FromMilliseconds(1));
        var maxLease = reader.Duration("lifecycle.max-lease", TimeSpan.FromMilliseconds(1));
        if (maxLease < minLease)
            throw new ConfigurationException(
                $"orchestrator.lifecycle.max-lease = {reader.Quoted("lifecycle.max-lease")} is below min-lease = {reader.Quoted("lifecycle.min-lease")}");
        var lease = reader.Duration("lifecycle.lease", TimeSpan.FromMilliseconds(1));
        if (lease < minLease || lease > maxLease)
            throw new ConfigurationException(
                $"orchestrator.lifecycle.lease = {reader.Quoted("lifecycle.lease")} is outside min-lease ({reader.Quoted("lifecycle.min-lease")}) .. max-lease ({reader.Quoted("lifecycle.max-lease")})");
        var retryBase = reader.Duration("lifecycle.retry.base", TimeSpan.FromMilliseconds(1));
        var retryCap = reader.Duration("lifecycle.retry.cap", TimeSpan.FromMilliseconds(1));
        if (retryCap < retryBase)
            throw new ConfigurationException(
                $"orchestrator.lifecycle.retry.cap = {reader.Quoted("lifecycle.retry.cap")} is below retry.base = {reader.Quoted("lifecycle.retry.base")}");
        var maxAttemptsLimit = reader.Int("lifecycle.max-attempts-limit", 1, 1_000_000);
        return new LifecyclePolicy(
            DefaultMaxAttempts: reader.Int("lifecycle.max-attempts", 1, maxAttemptsLimit),
            MaxAttemptsLimit: maxAttemptsLimit,
            DefaultLease: lease,
            MinLease: minLease,
            MaxLease: maxLease,
            RetryBase: retryBase,
            RetryCap: retryCap,
            RetryJitter: reader.Double("lifecycle.retry.jitter", 0, 10),
            MaxDependencies: reader.Int("lifecycle.max-dependencies", 0, 100_000),
            AgentSeenResolution: reader.Duration("lifecycle.agent-seen-resolution", TimeSpan.Zero));
    }
}
