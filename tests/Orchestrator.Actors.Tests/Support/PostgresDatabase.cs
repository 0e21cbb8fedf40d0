using Akka.Configuration;
using Npgsql;
using Orchestrator.Actors.Configuration;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL database for one spec, on the server named by <see cref="ServerVariable"/>
/// (.ci/run starts one and sets it): created fresh, dropped when disposed.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    /// <summary>An Npgsql connection string of a role that may CREATE DATABASE.</summary>
    public const string ServerVariable = "ORCHESTRATOR_TEST_POSTGRES";

    private readonly string _server;

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        // Short timeouts, as config/postgres.conf has: a spec fails fast rather than hangs.
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, Timeout = 5, CommandTimeout = 30 }.ConnectionString;
    }

    /// <summary>The database's name, <c>orch_test_</c> plus a random suffix.</summary>
    public string Name { get; }

    /// <summary>An Npgsql connection string for this database.</summary>
    public string ConnectionString { get; }

    /// <summary>config/postgres.conf as shipped, as <c>orchestrator serve --config</c> finds it from the repository root.</summary>
    public static string OverlayPath => Path.Combine(TestConfigs.RepositoryRoot(), "config", "postgres.conf");

    /// <summary>
    /// Creates a fresh database. Without <see cref="ServerVariable"/> the spec is skipped, or fails
    /// under CI (env CI set), where .ci/run should have started PostgreSQL.
    /// </summary>
    public static PostgresDatabase Create()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        MachineRequirement.Require(!string.IsNullOrWhiteSpace(server),
            $"{ServerVariable} is not set although CI is: .ci/run should have started PostgreSQL and set it",
            $"PostgreSQL tests skipped: set {ServerVariable} or run bash .ci/run");
        var database = new PostgresDatabase(server!, "orch_test_" + Guid.NewGuid().ToString("N")[..12]);
        database.OnServer($"CREATE DATABASE {database.Name}");
        return database;
    }

    /// <summary>hocon.conf under config/postgres.conf, with its journal and snapshot store on this database, under <paramref name="extra"/>.</summary>
    public Config NodeConfig(string extra = "") =>
        OrchestratorConfig.Load(OverlayPath, ConfigurationFactory.ParseString($"""
            akka.persistence.journal.sql.connection-string = {OrchestratorConfig.Quote(ConnectionString)}
            akka.persistence.snapshot-store.sql.connection-string = {OrchestratorConfig.Quote(ConnectionString)}
            orchestrator.supervision.min-backoff = 300ms
            orchestrator.supervision.max-backoff = 2s
            orchestrator.supervision.random-factor = 0
            akka.remote.dot-netty.tcp.port = 0
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            {extra}
            """));

    /// <summary>The first column of the first row of <paramref name="sql"/>, as a long.</summary>
    public long Scalar(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    /// <summary>The tables of the public schema, sorted.</summary>
    public IReadOnlyList<string> Tables()
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name", connection);
        using var reader = command.ExecuteReader();
        var tables = new List<string>();
        while (reader.Read()) tables.Add(reader.GetString(0));
        return tables;
    }

    public void Dispose()
    {
        // Pooled connections (ours and Akka's) would keep the database busy; FORCE ends any left.
        NpgsqlConnection.ClearAllPools();
        OnServer($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    private void OnServer(string sql)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Pooling = false, Timeout = 5 }.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
