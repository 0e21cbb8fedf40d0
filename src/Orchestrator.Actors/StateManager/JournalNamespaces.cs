using System.Data.Common;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.StateManager;

/// <summary>
/// The namespaces a single node's journal holds state for, so that the node starts each of them
/// at once: a namespace whose claims hold leases must have its timers running again after a
/// restart, before any request for it arrives. (In a cluster, remember-entities does this.)
/// </summary>
/// <remarks>
/// One plain query on the journal's table, not Akka.Persistence.Query: the SQL read journal keeps
/// polling the journal for as long as the node runs (its sequence actor), which cost the load
/// table 10-25% of its throughput for a question asked once.
/// </remarks>
public static class JournalNamespaces
{
    /// <summary>The prefix of every state manager's persistence id.</summary>
    public const string PersistenceIdPrefix = OrchestratorNames.PersistenceIdPrefix;

    private const string Journal = "akka.persistence.journal.sql";

    /// <summary>
    /// The namespaces in Akka.Persistence.Sql's <c>journal</c> table (SQLite or PostgreSQL, the
    /// default table mapping), or none for another journal (in memory, the TestKit's) or before the
    /// table exists.
    /// </summary>
    /// <exception cref="DbException">The database cannot be read.</exception>
    public static async Task<IReadOnlyList<string>> ReadAsync(ActorSystem system)
    {
        var config = system.Settings.Config;
        if (config.GetString("akka.persistence.journal.plugin", "") != Journal
            || config.GetString($"{Journal}.table-mapping", "default") != "default")
            return [];
        var provider = config.GetString($"{Journal}.provider-name", "");
        var connectionString = config.GetString($"{Journal}.connection-string", "");
        (DbConnection Connection, string TableExists)? open =
            provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)
                ? (new SqliteConnection(connectionString), "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'journal'")
                : provider.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase)
                    ? (new NpgsqlConnection(connectionString), "SELECT to_regclass('journal') IS NOT NULL")
                    : null;
        if (open is not { } db) return [];

        await using var connection = db.Connection;
        await connection.OpenAsync();
        await using (var exists = connection.CreateCommand())
        {
            exists.CommandText = db.TableExists;
            // A fresh database: the journal creates its table on its first write.
            if (!Convert.ToBoolean(await exists.ExecuteScalarAsync())) return [];
        }
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT DISTINCT persistence_id FROM journal WHERE persistence_id LIKE '{PersistenceIdPrefix}%'";
        var names = new List<string>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var ns = reader.GetString(0)[PersistenceIdPrefix.Length..];
            if (Namespaces.Check(ns) is null) names.Add(ns);
        }
        return names.Order(StringComparer.Ordinal).ToList();
    }
}
