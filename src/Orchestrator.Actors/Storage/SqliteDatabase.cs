using Microsoft.Data.Sqlite;
using Orchestrator.Actors.Configuration;

namespace Orchestrator.Actors.Storage;

/// <summary>Prepares the SQLite files (the journal's and the snapshots') before Akka opens them.</summary>
public static class SqliteDatabase
{
    private const string SnapshotTable = "snapshot";

    /// <summary>
    /// Creates the data directory, sets the journal mode on both files (WAL sticks to a file, so every
    /// later connection, Akka's included, uses it), and moves snapshots that an older version kept in
    /// the journal's file into the snapshots' file. Returns the journal mode SQLite reports.
    /// </summary>
    /// <exception cref="InvalidOperationException">A file cannot be opened or does not take the mode.</exception>
    public static string Prepare(OrchestratorSettings settings)
    {
        var mode = PrepareFile(settings.DatabasePath, settings);
        PrepareFile(settings.SnapshotDatabasePath, settings);
        MoveSnapshots(settings.DatabasePath, settings.SnapshotDatabasePath);
        return mode;
    }

    private static string PrepareFile(string path, OrchestratorSettings settings)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var connection = Open(path);
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA journal_mode={settings.SqliteJournalMode};";
            var mode = Convert.ToString(command.ExecuteScalar()) ?? "";
            if (!mode.Equals(settings.SqliteJournalMode, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(
                    $"SQLite database '{path}' reports journal_mode '{mode}' instead of '{settings.SqliteJournalMode}'");

            // synchronous is per connection and Akka opens its own: they get the library's default,
            // so check that the default is what the configuration promises.
            command.CommandText = "PRAGMA synchronous;";
            var synchronous = Convert.ToInt32(command.ExecuteScalar()) switch
            {
                0 => "OFF", 1 => "NORMAL", 2 => "FULL", 3 => "EXTRA", var other => other.ToString(),
            };
            if (!synchronous.Equals(settings.SqliteSynchronous, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(
                    $"SQLite database '{path}' opens with synchronous={synchronous}, not the configured {settings.SqliteSynchronous}");
            return mode;
        }
        catch (SqliteException ex)
        {
            throw new InvalidOperationException($"cannot open SQLite database '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Versions before the snapshots had their own file kept them in the journal's. Copies them over
    /// (the table as Akka created it, rows kept as they are), then removes them from the journal's
    /// file, in two commits: if the process dies between them, the next start finds the copies in
    /// place and only removes the originals.
    /// </summary>
    private static void MoveSnapshots(string journalPath, string snapshotPath)
    {
        try
        {
            using var journal = Open(journalPath);
            if (!HasTable(journal, SnapshotTable) || Scalar(journal, $"SELECT COUNT(*) FROM {SnapshotTable}") == 0) return;

            using var snapshots = Open(snapshotPath);
            if (!HasTable(snapshots, SnapshotTable))
            {
                // The same schema (table and indexes) Akka.Persistence.Sql created in the journal's file.
                foreach (var ddl in Strings(journal, $"SELECT sql FROM sqlite_master WHERE tbl_name = '{SnapshotTable}' AND sql IS NOT NULL ORDER BY type DESC"))
                    Execute(snapshots, ddl);
            }

            Execute(snapshots, $"ATTACH DATABASE {Literal(journalPath)} AS old");
            Execute(snapshots, $"INSERT OR IGNORE INTO main.{SnapshotTable} SELECT * FROM old.{SnapshotTable}");
            Execute(snapshots, $"DELETE FROM old.{SnapshotTable}");
            Execute(snapshots, "DETACH DATABASE old");
        }
        catch (SqliteException ex)
        {
            throw new InvalidOperationException(
                $"cannot move the snapshots from '{journalPath}' to '{snapshotPath}': {ex.Message}", ex);
        }
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(Configuration.OrchestratorConfig.SqliteConnectionString(path, pooling: false));
        connection.Open();
        return connection;
    }

    private static bool HasTable(SqliteConnection connection, string table) =>
        Scalar(connection, $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'") > 0;

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private static List<string> Strings(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''") + "'";
}
