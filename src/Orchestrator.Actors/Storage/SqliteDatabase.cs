using Microsoft.Data.Sqlite;
using Orchestrator.Actors.Configuration;

namespace Orchestrator.Actors.Storage;

/// <summary>Prepares the SQLite file before Akka opens it.</summary>
public static class SqliteDatabase
{
    /// <summary>
    /// Creates the data directory and sets the journal mode on the file (WAL sticks to the file, so
    /// every later connection, Akka's included, uses it). Returns the journal mode SQLite reports.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file cannot be opened or does not take the mode.</exception>
    public static string Prepare(OrchestratorSettings settings)
    {
        var path = settings.DatabasePath;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
            connection.Open();
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
}
