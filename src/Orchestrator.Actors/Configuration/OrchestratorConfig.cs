using Akka.Configuration;

namespace Orchestrator.Actors.Configuration;

/// <summary>Loads hocon.conf (beside the binaries), an optional overlay, and command-line overrides.</summary>
public static class OrchestratorConfig
{
    /// <summary>The name of the base configuration file.</summary>
    public const string FileName = "hocon.conf";

    /// <summary>
    /// The full configuration: <paramref name="overrides"/> over <see cref="PostgresVariable"/> (for a
    /// PostgreSQL journal) over <paramref name="overlayFile"/> over hocon.conf, with the SQLite
    /// connection strings filled in from <c>orchestrator.data-dir</c>.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is missing or cannot be parsed; the message names it.</exception>
    public static Config Load(string? overlayFile = null, Config? overrides = null) =>
        Load(overlayFile is null ? [] : [overlayFile], overrides);

    /// <summary>
    /// The full configuration: <paramref name="overrides"/> over the overlays (each over the ones
    /// before it) over hocon.conf, with the SQLite connection strings filled in.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is missing or cannot be parsed; the message names it.</exception>
    public static Config Load(IEnumerable<string> overlayFiles, Config? overrides = null)
    {
        var config = ParseFile(Path.Combine(AppContext.BaseDirectory, FileName));
        foreach (var overlayFile in overlayFiles)
            config = ParseFile(overlayFile).WithFallback(config);
        config = WithPostgresConnectionFromEnvironment(config);
        if (overrides is not null)
            config = overrides.WithFallback(config);
        return WithPostgresSessionTimeout(WithSqliteConnection(config));
    }

    /// <summary>The configuration that puts the SQLite files in <paramref name="dataDirectory"/> (<c>serve --data-dir</c>); null for none.</summary>
    public static Config? DataDirectoryOverride(string? dataDirectory) =>
        dataDirectory is null ? null : ConfigurationFactory.ParseString($"orchestrator.data-dir = {Quote(Path.GetFullPath(dataDirectory))}");

    /// <summary>The key of the longest a PostgreSQL session may sit idle inside a transaction.</summary>
    public const string IdleInTransactionKey = "orchestrator.postgres.idle-in-transaction-timeout";

    /// <summary>
    /// Adds PostgreSQL's <c>idle_in_transaction_session_timeout</c> (<see cref="IdleInTransactionKey"/>,
    /// 5 s unless set; <c>off</c> leaves it out) to the journal's PostgreSQL connection string unless
    /// it sets it. A node that stops between a journal insert and its commit (paused, frozen VM) would
    /// otherwise keep that row's lock, and the namespace's next owner would wait on the unique key for
    /// as long as the node stays stopped; the server now ends such a session and rolls it back.
    /// Not the snapshot store's: Akka.Persistence.Sql reads a snapshot and deserializes it inside one
    /// transaction, and a snapshot of 1,000,000 tasks takes seconds to read, more on a busy node; the
    /// server ended that session, the load failed, and recovery replayed every event instead (seen in
    /// the failover benchmark: 28 s instead of 18 s). A stopped node's snapshot session holds no lock a
    /// command waits on.
    /// </summary>
    /// <exception cref="ConfigurationException">The timeout or a connection string cannot be read; the message names it.</exception>
    public static Config WithPostgresSessionTimeout(Config config)
    {
        var text = config.GetString(IdleInTransactionKey, "5s");
        if (string.Equals(text, "off", StringComparison.OrdinalIgnoreCase)) return config;
        TimeSpan timeout;
        try
        {
            timeout = config.GetTimeSpan(IdleInTransactionKey, TimeSpan.FromSeconds(5), allowInfinite: false);
        }
        catch (Exception ex)
        {
            throw new ConfigurationException($"{IdleInTransactionKey} = '{text}' is not a duration (such as 5s) or off", ex);
        }
        if (timeout < TimeSpan.FromMilliseconds(100) || timeout > TimeSpan.FromHours(1))
            throw new ConfigurationException($"{IdleInTransactionKey} = '{text}' is out of range: expected 100ms to 1h, or off");

        const string plugin = JournalPlugin;
        var connection = config.GetString($"{plugin}.connection-string", "");
        if (!OnProvider(config, plugin, "PostgreSQL") || string.IsNullOrWhiteSpace(connection))
            return config;
        Npgsql.NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new Npgsql.NpgsqlConnectionStringBuilder(connection);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"{plugin}.connection-string cannot be read as an Npgsql connection string: {ex.Message}", ex);
        }
        if (builder.Options?.Contains("idle_in_transaction_session_timeout", StringComparison.Ordinal) == true) return config;
        builder.Options = $"{builder.Options} -c idle_in_transaction_session_timeout={(long)timeout.TotalMilliseconds}".Trim();
        return Over(config, [$"{plugin}.connection-string = {Quote(builder.ConnectionString)}"]);
    }

    /// <summary>
    /// The connection string of the SQLite file at <paramref name="path"/>, built by the provider's own
    /// builder: a path holding <c>;</c>, <c>=</c> or quotes is quoted, never read as more keywords.
    /// </summary>
    public static string SqliteConnectionString(string path, bool pooling) =>
        new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = path, Pooling = pooling }.ConnectionString;

    /// <summary>Fills the journal's and snapshot store's connection string when they are SQLite and left empty.</summary>
    public static Config WithSqliteConnection(Config config)
    {
        var settings = OrchestratorSettings.FromConfig(config);
        var fill = new List<string>();
        foreach (var (plugin, path) in SqlPlugins.Zip([settings.DatabasePath, settings.SnapshotDatabasePath]))
        {
            if (OnProvider(config, plugin, "SQLite") && string.IsNullOrEmpty(config.GetString($"{plugin}.connection-string", "")))
                fill.Add($"{plugin}.connection-string = {Quote(SqliteConnectionString(path, pooling: true))}");
        }
        return Over(config, fill);
    }

    /// <summary>
    /// The environment variable that, when set, is the PostgreSQL connection string of the journal and
    /// the snapshot store (config/postgres.conf). It is applied here because Akka's HOCON parser does
    /// not read the environment: <c>${?VAR}</c> resolves to an empty string there.
    /// </summary>
    public const string PostgresVariable = "ORCHESTRATOR_POSTGRES";

    /// <summary>
    /// Sets the journal's and snapshot store's connection string to <see cref="PostgresVariable"/>
    /// when it is set and they are on PostgreSQL; an empty value is kept, for the settings check to refuse.
    /// </summary>
    public static Config WithPostgresConnectionFromEnvironment(Config config)
    {
        if (Environment.GetEnvironmentVariable(PostgresVariable) is not { } connection) return config;
        var fill = SqlPlugins.Where(plugin => OnProvider(config, plugin, "PostgreSQL"))
            .Select(plugin => $"{plugin}.connection-string = {Quote(connection)}")
            .ToList();
        return Over(config, fill);
    }

    /// <summary>True when the journal is the SQLite file of <see cref="OrchestratorSettings.DatabasePath"/>.</summary>
    public static bool UsesSqlite(Config config) =>
        config.GetString("akka.persistence.journal.plugin", "") == JournalPlugin && OnProvider(config, JournalPlugin, "SQLite");

    /// <summary>An overlay shipped in the config folder beside the binaries (config/NAME.conf).</summary>
    public static string Shipped(string name) => Path.Combine(AppContext.BaseDirectory, "config", name);

    /// <summary>True when the journal lives in this process or on this machine only (SQLite, in memory).</summary>
    public static bool UsesLocalJournal(Config config) =>
        UsesSqlite(config) || config.GetString("akka.persistence.journal.plugin", "").EndsWith(".inmem", StringComparison.Ordinal);

    /// <summary>Where the journal lives, for a start-up line: the SQLite file, or the server and database without the password.</summary>
    public static string DescribeJournal(Config config)
    {
        if (config.GetString("akka.persistence.journal.plugin", "") != "akka.persistence.journal.sql")
            return config.GetString("akka.persistence.journal.plugin", "");
        var provider = config.GetString("akka.persistence.journal.sql.provider-name", "");
        if (provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase))
            return OrchestratorSettings.FromConfig(config).DatabasePath;
        try
        {
            var connection = new System.Data.Common.DbConnectionStringBuilder
            {
                ConnectionString = config.GetString("akka.persistence.journal.sql.connection-string", ""),
            };
            string Part(string key) => connection.TryGetValue(key, out var value) ? Convert.ToString(value) ?? "" : "";
            return $"{provider} database '{Part("Database")}' on {Part("Host")}{(Part("Port") is { Length: > 0 } port ? ":" + port : "")}";
        }
        catch (ArgumentException)
        {
            return provider;
        }
    }

    // The Akka.Persistence.Sql sections of the journal and of the snapshot store, in that order.
    private const string JournalPlugin = "akka.persistence.journal.sql";
    private static readonly string[] SqlPlugins = [JournalPlugin, "akka.persistence.snapshot-store.sql"];

    private static bool OnProvider(Config config, string plugin, string providerPrefix) =>
        config.GetString($"{plugin}.provider-name", "").StartsWith(providerPrefix, StringComparison.OrdinalIgnoreCase);

    // The lines (HOCON assignments) over the configuration.
    private static Config Over(Config config, IReadOnlyList<string> lines) =>
        lines.Count == 0 ? config : ConfigurationFactory.ParseString(string.Join("\n", lines)).WithFallback(config);

    /// <summary>A HOCON string literal.</summary>
    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static Config ParseFile(string path)
    {
        if (!File.Exists(path))
            throw new ConfigurationException($"configuration file '{Path.GetFullPath(path)}' does not exist");
        var text = File.ReadAllText(path);
        HoconPreflight.CheckBrackets(text, $"configuration file '{path}'");
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception ex) when (ex is not ConfigurationException)
        {
            throw new ConfigurationException($"configuration file '{path}' cannot be parsed: {ex.Message}", ex);
        }
        catch (ConfigurationException ex)
        {
            throw new ConfigurationException($"configuration file '{path}' cannot be parsed: {ex.Message}", ex);
        }
    }
}
