using Akka.Configuration;
using Npgsql;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Tests.Support;

namespace Orchestrator.Actors.Tests;

/// <summary>hocon.conf is read once; a bad value is refused with its key and value named.</summary>
public sealed class SettingsSpecs
{
    [Fact]
    public void The_shipped_hocon_conf_gives_the_documented_defaults()
    {
        var settings = OrchestratorSettings.FromConfig(OrchestratorConfig.Load());

        Assert.Equal(Path.GetFullPath("./data/orchestrator.db"), settings.DatabasePath);
        Assert.Equal("state-manager-default", settings.PersistenceId);
        Assert.Equal("WAL", settings.SqliteJournalMode);
        Assert.Equal("FULL", settings.SqliteSynchronous);
        Assert.Equal(1000, settings.SnapshotEvery);
        Assert.Equal(2, settings.SnapshotsKept);
        Assert.False(settings.DeleteEventsOnSnapshot);
        Assert.Equal(1024 * 1024, settings.Limits.MaxDocumentBytes);
        Assert.Equal(1000, settings.Limits.MaxPageSize);
        Assert.Equal(1000, settings.Limits.MaxBatchDefinitions);
        Assert.Equal((10_000_000, 100_000), (settings.Limits.MaxTasks, settings.Limits.MaxDocuments));
        Assert.Equal(4 * 1024 * 1024, settings.Limits.MaxReplyBytes);
        Assert.True(settings.MinBackoff < settings.MaxBackoff);
    }

    [Fact]
    public void Recovery_waits_minutes_not_akkas_30_seconds_for_a_large_snapshot_to_load()
    {
        // Akka.Persistence gives up on a snapshot that has not loaded within the journal's
        // recovery-event-timeout and starts recovery again: at 30 s a namespace of 10,000,000 tasks
        // (about 100 s to read its snapshot here) never recovered.
        var config = OrchestratorConfig.Load();

        Assert.Equal(TimeSpan.FromMinutes(5), config.GetTimeSpan("akka.persistence.journal.sql.recovery-event-timeout"));
        // The default it replaces, from Akka.Persistence's own reference configuration.
        Assert.Equal(TimeSpan.FromSeconds(30),
            Akka.Persistence.Persistence.DefaultConfig().GetTimeSpan("akka.persistence.journal-plugin-fallback.recovery-event-timeout"));
    }

    [Fact]
    public void Preparing_a_node_raises_the_thread_pools_floor_of_workers_to_the_setting_and_never_lowers_it()
    {
        // A recovery of a large namespace saturates the CPU, and the pool adds no thread then: the
        // node's timers and other actors waited seconds at .NET's floor of one worker per core.
        Assert.Equal(16, OrchestratorSettings.FromConfig(OrchestratorConfig.Load()).MinWorkerThreads);
        ThreadPool.GetMinThreads(out var before, out var completionPorts);
        // Above the shipped 16, which specs starting nodes meanwhile raise it to.
        var raised = Math.Max(before, 16) + 3;
        var dataDir = Path.Combine(Path.GetTempPath(), $"floor-{Guid.NewGuid():N}");
        try
        {
            var settings = OrchestratorNode.Prepare(OrchestratorConfig.Load(overrides: ConfigurationFactory.ParseString($"""
                orchestrator.data-dir = {OrchestratorConfig.Quote(dataDir)}
                orchestrator.min-worker-threads = {raised}
                """)));

            Assert.Equal(raised, settings.MinWorkerThreads);
            ThreadPool.GetMinThreads(out var after, out var portsAfter);
            Assert.Equal(raised, after);
            Assert.Equal(completionPorts, portsAfter);

            OrchestratorNode.RaiseThreadPoolFloor(before);
            OrchestratorNode.RaiseThreadPoolFloor(0);
            ThreadPool.GetMinThreads(out var notLowered, out _);
            Assert.Equal(raised, notLowered);
        }
        finally
        {
            ThreadPool.SetMinThreads(before, completionPorts);
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public void The_lifecycle_settings_are_the_values_of_the_shipped_hocon_conf()
    {
        // Read from the file itself, so that changing a default there needs no change here.
        var shipped = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, OrchestratorConfig.FileName)))
            .GetConfig("orchestrator.lifecycle");

        var lifecycle = OrchestratorSettings.FromConfig(OrchestratorConfig.Load()).Lifecycle;

        Assert.Equal(shipped.GetInt("max-attempts"), lifecycle.DefaultMaxAttempts);
        Assert.Equal(shipped.GetInt("max-attempts-limit"), lifecycle.MaxAttemptsLimit);
        Assert.Equal(shipped.GetTimeSpan("lease"), lifecycle.DefaultLease);
        Assert.Equal(shipped.GetTimeSpan("min-lease"), lifecycle.MinLease);
        Assert.Equal(shipped.GetTimeSpan("max-lease"), lifecycle.MaxLease);
        Assert.Equal(shipped.GetTimeSpan("retry.base"), lifecycle.RetryBase);
        Assert.Equal(shipped.GetTimeSpan("retry.cap"), lifecycle.RetryCap);
        Assert.Equal(shipped.GetDouble("retry.jitter"), lifecycle.RetryJitter);
        Assert.Equal(shipped.GetInt("max-dependencies"), lifecycle.MaxDependencies);
        Assert.Equal(shipped.GetTimeSpan("agent-seen-resolution"), lifecycle.AgentSeenResolution);
        // And they are a working policy: the default lease lies within its bounds, the cap above the base.
        Assert.InRange(lifecycle.Lease, lifecycle.ShortestLease, lifecycle.LongestLease);
        Assert.True(lifecycle.FirstRetryDelay <= lifecycle.LongestRetryDelay);
        Assert.InRange(lifecycle.DefaultMaxAttempts, 1, lifecycle.MaxAttemptsLimit);
    }

    [Fact]
    public void Every_lifecycle_key_sets_its_own_field()
    {
        // Every value differs from the shipped one and from the others, so a key read into the wrong field shows.
        var config = ConfigurationFactory.ParseString("""
            orchestrator.lifecycle {
              max-attempts = 7
              max-attempts-limit = 70
              lease = 42s
              min-lease = 2s
              max-lease = 2h
              retry { base = 3s, cap = 9m, jitter = 0.5 }
              max-dependencies = 11
              agent-seen-resolution = 4s
            }
            orchestrator.max-batch-events = 77
            """).WithFallback(OrchestratorConfig.Load());

        var lifecycle = OrchestratorSettings.FromConfig(config).Lifecycle;

        Assert.Equal(
            new LifecyclePolicy(
                DefaultMaxAttempts: 7,
                MaxAttemptsLimit: 70,
                DefaultLease: TimeSpan.FromSeconds(42),
                MinLease: TimeSpan.FromSeconds(2),
                MaxLease: TimeSpan.FromHours(2),
                RetryBase: TimeSpan.FromSeconds(3),
                RetryCap: TimeSpan.FromMinutes(9),
                RetryJitter: 0.5,
                MaxDependencies: 11,
                AgentSeenResolution: TimeSpan.FromSeconds(4),
                MaxDeadlinesPerDecision: 77),
            lifecycle);
    }

    [Fact]
    public void The_postgres_overlay_points_journal_and_snapshots_at_the_documented_local_server()
    {
        var config = WithPostgresVariable(null, () => OrchestratorConfig.Load(PostgresDatabase.OverlayPath));

        foreach (var plugin in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql" })
        {
            Assert.Equal("PostgreSQL.15", config.GetString($"{plugin}.provider-name"));
            Assert.StartsWith("Host=127.0.0.1;Port=5432;Database=orchestrator;", config.GetString($"{plugin}.connection-string"));
            Assert.True(config.GetBoolean($"{plugin}.auto-initialize"));
        }
        // Kept from hocon.conf.
        Assert.Equal("Csv", config.GetString("akka.persistence.journal.sql.tag-write-mode"));
        Assert.Equal(TimeSpan.FromMinutes(5), config.GetTimeSpan("akka.persistence.journal.sql.recovery-event-timeout"));
        Assert.True(config.GetBoolean("akka.persistence.snapshot-store.sql.snapshot-is-optional"));
        Assert.False(OrchestratorConfig.UsesSqlite(config));
    }

    [Fact]
    public void ORCHESTRATOR_POSTGRES_replaces_the_postgres_overlays_connection_string_but_not_a_sqlite_one()
    {
        const string connection = "Host=db.example;Database=other;Username=u;Password=p;Timeout=5";

        var postgres = WithPostgresVariable(connection, () => OrchestratorConfig.Load(PostgresDatabase.OverlayPath));
        var sqlite = WithPostgresVariable(connection, () => OrchestratorConfig.Load());

        var journal = new NpgsqlConnectionStringBuilder(postgres.GetString("akka.persistence.journal.sql.connection-string"));
        var snapshots = new NpgsqlConnectionStringBuilder(postgres.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        foreach (var used in new[] { journal, snapshots })
            Assert.Equal(("db.example", "other", "u", "p", 5), (used.Host, used.Database, used.Username, used.Password, used.Timeout));
        // The journal's with the idle-in-transaction limit added (5 s by default); not the snapshot
        // store's, which deserializes a snapshot inside its read transaction (seconds for a large one).
        Assert.Equal("-c idle_in_transaction_session_timeout=5000", journal.Options);
        Assert.Null(snapshots.Options);
        Assert.StartsWith("Data Source=", sqlite.GetString("akka.persistence.journal.sql.connection-string"));
    }

    [Theory]
    [InlineData("orchestrator.postgres.idle-in-transaction-timeout = 2s", "-c idle_in_transaction_session_timeout=2000")]
    [InlineData("orchestrator.postgres.idle-in-transaction-timeout = off", null)]
    public void The_idle_in_transaction_limit_is_added_to_a_postgres_connection_unless_off(string setting, string? options)
    {
        var config = WithPostgresVariable(null, () => OrchestratorConfig.Load(PostgresDatabase.OverlayPath, ConfigurationFactory.ParseString(setting)));

        Assert.Equal(options, new NpgsqlConnectionStringBuilder(config.GetString("akka.persistence.journal.sql.connection-string")).Options);
    }

    [Fact]
    public void A_connection_that_sets_its_own_idle_in_transaction_limit_keeps_it()
    {
        const string connection = "Host=h;Database=d;Username=u;Password=p;Options=-c idle_in_transaction_session_timeout=900";

        var config = WithPostgresVariable(connection, () => OrchestratorConfig.Load(PostgresDatabase.OverlayPath));

        Assert.Equal("-c idle_in_transaction_session_timeout=900",
            new NpgsqlConnectionStringBuilder(config.GetString("akka.persistence.journal.sql.connection-string")).Options);
    }

    [Theory]
    [InlineData("orchestrator.postgres.idle-in-transaction-timeout = soon", "orchestrator.postgres.idle-in-transaction-timeout = 'soon'")]
    [InlineData("orchestrator.postgres.idle-in-transaction-timeout = 1ms", "orchestrator.postgres.idle-in-transaction-timeout = '1ms' is out of range")]
    public void A_bad_idle_in_transaction_limit_is_refused_naming_it(string setting, string expected)
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            WithPostgresVariable(null, () => OrchestratorConfig.Load(PostgresDatabase.OverlayPath, ConfigurationFactory.ParseString(setting))));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_postgres_journal_with_an_empty_connection_string_is_refused_naming_the_key()
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            WithPostgresVariable("", () => OrchestratorConfig.Load(PostgresDatabase.OverlayPath)));

        Assert.Contains("akka.persistence.journal.sql.connection-string is empty", error.Message);
        Assert.Contains("ORCHESTRATOR_POSTGRES", error.Message);
    }

    /// <summary>Runs <paramref name="load"/> with ORCHESTRATOR_POSTGRES set (or unset when null); this assembly runs one class at a time.</summary>
    private static Config WithPostgresVariable(string? value, Func<Config> load)
    {
        var saved = Environment.GetEnvironmentVariable(OrchestratorConfig.PostgresVariable);
        Environment.SetEnvironmentVariable(OrchestratorConfig.PostgresVariable, value);
        try
        {
            return load();
        }
        finally
        {
            Environment.SetEnvironmentVariable(OrchestratorConfig.PostgresVariable, saved);
        }
    }

    [Theory]
    [InlineData("orchestrator.lifecycle.max-attempts = 0", "orchestrator.lifecycle.max-attempts = '0'")]
    [InlineData("orchestrator.lifecycle { max-attempts-limit = 5, max-attempts = 6 }", "orchestrator.lifecycle.max-attempts = '6'")]
    [InlineData("orchestrator.lifecycle.max-attempts = three", "orchestrator.lifecycle.max-attempts = 'three'")]
    [InlineData("orchestrator.lifecycle.max-attempts-limit = 0", "orchestrator.lifecycle.max-attempts-limit = '0'")]
    [InlineData("orchestrator.lifecycle { min-lease = 10s, max-lease = 1m, lease = 5s }", "orchestrator.lifecycle.lease = '5s'")]
    [InlineData("orchestrator.lifecycle { min-lease = 10s, max-lease = 1m, lease = 2m }", "orchestrator.lifecycle.lease = '2m'")]
    [InlineData("orchestrator.lifecycle { min-lease = 10s, max-lease = 5s }", "orchestrator.lifecycle.max-lease = '5s'")]
    [InlineData("orchestrator.lifecycle.retry { base = 10s, cap = 5s }", "orchestrator.lifecycle.retry.cap = '5s'")]
    [InlineData("orchestrator.lifecycle.retry.jitter = -0.1", "orchestrator.lifecycle.retry.jitter = '-0.1'")]
    [InlineData("orchestrator.lifecycle.retry.jitter = lots", "orchestrator.lifecycle.retry.jitter = 'lots'")]
    [InlineData("orchestrator.lifecycle.lease = soon", "orchestrator.lifecycle.lease = 'soon'")]
    [InlineData("orchestrator.lifecycle.min-lease = 0s", "orchestrator.lifecycle.min-lease = '0s'")]
    [InlineData("orchestrator.lifecycle.retry.base = later", "orchestrator.lifecycle.retry.base = 'later'")]
    [InlineData("orchestrator.lifecycle.agent-seen-resolution = never", "orchestrator.lifecycle.agent-seen-resolution = 'never'")]
    [InlineData("orchestrator.lifecycle.max-dependencies = -1", "orchestrator.lifecycle.max-dependencies = '-1'")]
    [InlineData("orchestrator.lifecycle { max-lease = 400d, lease = 300d }", "orchestrator.lifecycle.max-lease = '400d'")]
    [InlineData("orchestrator.lifecycle.retry.cap = 1000d", "orchestrator.lifecycle.retry.cap = '1000d'")]
    [InlineData("orchestrator.subscriptions.max-filters = 0", "orchestrator.subscriptions.max-filters = '0'")]
    [InlineData("orchestrator.subscriptions.max-subscribers = 0", "orchestrator.subscriptions.max-subscribers = '0'")]
    public void A_bad_lifecycle_setting_is_refused_naming_its_key_and_value(string setting, string expectedInMessage)
    {
        var error = SettingsErrorFor(setting);

        Assert.Contains(expectedInMessage, error.Message);
    }

    [Fact]
    public void A_lease_outside_its_bounds_names_both_bounds()
    {
        var error = SettingsErrorFor("orchestrator.lifecycle { min-lease = 10s, max-lease = 1m, lease = 2m }");

        Assert.Contains("min-lease ('10s')", error.Message);
        Assert.Contains("max-lease ('1m')", error.Message);
    }

    [Fact]
    public void The_sqlite_connection_string_points_at_the_data_directory()
    {
        var dir = TestConfigs.NewDataDirectory();
        var config = TestConfigs.Sqlite(dir);

        // The snapshots have a file of their own beside the journal's.
        Assert.Contains(Path.Combine(dir, "orchestrator.db;"), config.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Contains(Path.Combine(dir, "orchestrator-snapshots.db;"), config.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        Assert.Equal("SQLite.MS", config.GetString("akka.persistence.journal.sql.provider-name"));
    }

    [Theory]
    [InlineData("orchestrator.snapshots.every = 0", "orchestrator.snapshots.every = '0'")]
    [InlineData("orchestrator.snapshots.every = lots", "orchestrator.snapshots.every = 'lots'")]
    [InlineData("orchestrator.max-batch-events = -5", "orchestrator.max-batch-events = '-5'")]
    [InlineData("orchestrator.max-write-bytes = 1KiB", "orchestrator.max-write-bytes = '1KiB'")]
    [InlineData("orchestrator.max-write-bytes = lots", "orchestrator.max-write-bytes = 'lots'")]
    [InlineData("orchestrator.max-pending-requests = 0", "orchestrator.max-pending-requests = '0'")]
    [InlineData("orchestrator.max-namespaces = 0", "orchestrator.max-namespaces = '0'")]
    [InlineData("orchestrator.min-worker-threads = -1", "orchestrator.min-worker-threads = '-1' is invalid: it must be between 0 and 32767")]
    [InlineData("orchestrator.min-worker-threads = plenty", "orchestrator.min-worker-threads = 'plenty'")]
    [InlineData("orchestrator.sqlite.journal-mode = FAST", "orchestrator.sqlite.journal-mode = 'FAST'")]
    [InlineData("orchestrator.sqlite.synchronous = NORMAL", "orchestrator.sqlite.synchronous = 'NORMAL'")]
    [InlineData("orchestrator.supervision.min-backoff = soon", "orchestrator.supervision.min-backoff = 'soon'")]
    [InlineData("orchestrator.supervision.random-factor = -1", "orchestrator.supervision.random-factor = '-1'")]
    [InlineData("orchestrator.limits.max-document-size = huge", "orchestrator.limits.max-document-size = 'huge'")]
    [InlineData("orchestrator.limits.max-batch-definitions = 0", "orchestrator.limits.max-batch-definitions = '0' is invalid: it must be between 1 and 1000000")]
    [InlineData("orchestrator.limits.max-batch-definitions = many", "orchestrator.limits.max-batch-definitions = 'many'")]
    [InlineData("orchestrator.limits.max-tasks = 0", "orchestrator.limits.max-tasks = '0' is invalid: it must be between 1 and 2147483647")]
    [InlineData("orchestrator.limits.max-documents = -1", "orchestrator.limits.max-documents = '-1' is invalid: it must be between 1 and 2147483647")]
    [InlineData("orchestrator.limits.max-reply-bytes = plenty", "orchestrator.limits.max-reply-bytes = 'plenty'")]
    [InlineData("orchestrator.limits.max-reply-bytes = 1KiB", "orchestrator.limits.max-reply-bytes = '1KiB' is invalid: it must be between 65536 and 1073741824 bytes")]
    [InlineData("orchestrator.snapshots.delete-events = maybe", "orchestrator.snapshots.delete-events = 'maybe'")]
    [InlineData("orchestrator.snapshots.every-fraction-of-tasks = -0.5", "orchestrator.snapshots.every-fraction-of-tasks = '-0.5'")]
    [InlineData("orchestrator.snapshots.every-fraction-of-tasks = half", "orchestrator.snapshots.every-fraction-of-tasks = 'half'")]
    [InlineData("orchestrator.snapshot-database-file = \"\"", "orchestrator.snapshot-database-file")]
    [InlineData("orchestrator.namespace = \"team-a\"", "orchestrator.namespace = 'team-a' is no longer read")]
    [InlineData("orchestrator.cluster.number-of-shards = 0", "orchestrator.cluster.number-of-shards = '0'")]
    [InlineData("orchestrator.cluster.passivate-idle-after = soon", "orchestrator.cluster.passivate-idle-after = 'soon'")]
    [InlineData("orchestrator.cluster.passivate-idle-after = 10ms", "orchestrator.cluster.passivate-idle-after = '10ms' is below 1s")]
    [InlineData("orchestrator.data-dir = \"\"", "orchestrator.data-dir")]
    public void A_bad_setting_is_refused_naming_its_key_and_value(string setting, string expectedInMessage)
    {
        var error = SettingsErrorFor(setting);

        Assert.Contains(expectedInMessage, error.Message);
    }

    [Fact]
    public void A_reply_budget_below_the_largest_view_the_input_rules_allow_is_refused_naming_the_view()
    {
        var smallest = ReplyBudget.Smallest(LifecyclePolicy.Default);

        var error = SettingsErrorFor("orchestrator.limits.max-reply-bytes = 512KiB");
        var accepted = OrchestratorSettings.FromConfig(ConfigurationFactory.ParseString($"orchestrator.limits.max-reply-bytes = {smallest}")
            .WithFallback(OrchestratorConfig.Load()));

        Assert.Contains($"orchestrator.limits.max-reply-bytes = '512KiB' is below {smallest:N0} bytes", error.Message);
        Assert.Contains("100 capabilities of 1,000 characters", error.Message);
        Assert.Equal(smallest, accepted.Limits.MaxReplyBytes);
    }

    [Fact]
    public void Dependencies_that_make_one_task_larger_than_the_reply_budget_are_refused_naming_both_keys()
    {
        var error = SettingsErrorFor("orchestrator.lifecycle.max-dependencies = 100000");

        Assert.Contains("orchestrator.limits.max-reply-bytes = '4MiB' is below", error.Message);
        Assert.Contains("orchestrator.lifecycle.max-dependencies = 100,000", error.Message);
    }

    [Theory]
    [InlineData("akka.remote.dot-netty.tcp.maximum-frame-size = 4MiB", "orchestrator.limits.max-reply-bytes = '4MiB' does not fit akka.remote.dot-netty.tcp.maximum-frame-size = '4MiB'")]
    [InlineData("orchestrator.limits.max-reply-bytes = 16MiB", "orchestrator.limits.max-reply-bytes = '16MiB' does not fit akka.remote.dot-netty.tcp.maximum-frame-size = '16MiB'")]
    public void A_reply_budget_that_does_not_fit_the_nodes_remoting_frame_is_refused_naming_both_keys(string setting, string expected)
    {
        var error = SettingsErrorFor(setting);

        Assert.Contains(expected, error.Message);
        Assert.Contains("64 KiB to spare", error.Message);
    }

    [Fact]
    public void A_max_backoff_below_the_min_backoff_is_refused()
    {
        var error = SettingsErrorFor("orchestrator.supervision { min-backoff = 10s, max-backoff = 1s }");

        // Both values as the operator wrote them.
        Assert.Contains("orchestrator.supervision.max-backoff = '1s' is below min-backoff = '10s'", error.Message);
    }

    [Theory]
    [InlineData("orchestrator.db")]
    [InlineData("./orchestrator.db")]
    public void Snapshots_in_the_journal_file_are_refused_naming_both_keys(string snapshotFile)
    {
        var error = SettingsErrorFor($"orchestrator.snapshot-database-file = \"{snapshotFile}\"");

        Assert.Contains($"orchestrator.snapshot-database-file = '{snapshotFile}' is the journal's database-file", error.Message);
    }

    [Fact]
    public void Deleting_events_with_a_single_kept_snapshot_is_refused()
    {
        var error = SettingsErrorFor("orchestrator.snapshots { keep = 1, delete-events = on }");

        Assert.Contains("orchestrator.snapshots.keep", error.Message);
    }

    [Fact]
    public void A_missing_overlay_file_is_named_in_the_error()
    {
        var error = Assert.Throws<ConfigurationException>(() => OrchestratorConfig.Load("/no/such/overlay.conf"));

        Assert.Contains("/no/such/overlay.conf", error.Message);
    }

    [Theory]
    [InlineData("orchestrator.snapshots.every = [1, 2\n}}} = ]", "line 2")]
    [InlineData("orchestrator { snapshots = { every = [ }", "line 1")]
    [InlineData("orchestrator {\n  snapshots { every = 5 }\n", "never closed")]
    [InlineData("orchestrator.data-dir = \"unterminated\n", "never closed")]
    public void An_overlay_with_unbalanced_brackets_or_quotes_is_refused_naming_file_and_line(string text, string expected)
    {
        // Akka's HOCON parser loops forever on some of these: they must be refused before it sees them.
        var path = Path.Combine(TestConfigs.NewDataDirectory(), "broken.conf");
        File.WriteAllText(path, text);

        var error = Assert.Throws<ConfigurationException>(() => OrchestratorConfig.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Brackets_and_hashes_inside_strings_and_comments_do_not_count()
    {
        var path = Path.Combine(TestConfigs.NewDataDirectory(), "fine.conf");
        File.WriteAllText(path, "# a comment with { and [\n// another ]\norchestrator.data-dir = \"/tmp/{odd}[dir]#1\"\n" +
                                "orchestrator.database-file = \"\"\"team-a.db\"\"\"\n");

        var settings = OrchestratorSettings.FromConfig(OrchestratorConfig.Load(path));

        Assert.Equal("/tmp/{odd}[dir]#1", settings.DataDirectory);
        Assert.Equal("team-a.db", settings.DatabaseFile);
    }

    /// <summary>The error that reading the settings of hocon.conf with <paramref name="overlay"/> over it raises.</summary>
    private static ConfigurationException SettingsErrorFor(string overlay)
    {
        var config = ConfigurationFactory.ParseString(overlay).WithFallback(OrchestratorConfig.Load());
        return Assert.Throws<ConfigurationException>(() => OrchestratorSettings.FromConfig(config));
    }
}
