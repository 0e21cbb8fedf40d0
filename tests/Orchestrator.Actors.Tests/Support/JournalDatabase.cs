using Microsoft.Data.Sqlite;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>Reads and damages the SQLite file behind a node, the way an operator's tool would.</summary>
public sealed class JournalDatabase(string databasePath)
{
    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        return connection;
    }

    public long Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    public int Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command.ExecuteNonQuery();
    }

    public long EventCount(string persistenceId) =>
        Scalar("SELECT COUNT(*) FROM journal WHERE persistence_id = $p AND deleted = 0", ("$p", persistenceId));

    public long DistinctSequenceNumbers(string persistenceId) =>
        Scalar("SELECT COUNT(DISTINCT sequence_number) FROM journal WHERE persistence_id = $p", ("$p", persistenceId));

    public IReadOnlyList<long> SnapshotSequenceNumbers(string persistenceId)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_number FROM snapshot WHERE persistence_id = $p ORDER BY sequence_number";
        command.Parameters.AddWithValue("$p", persistenceId);
        using var reader = command.ExecuteReader();
        var result = new List<long>();
        while (reader.Read()) result.Add(reader.GetInt64(0));
        return result;
    }

    public string SnapshotText(string persistenceId, long sequenceNr)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT snapshot FROM snapshot WHERE persistence_id = $p AND sequence_number = $s";
        command.Parameters.AddWithValue("$p", persistenceId);
        command.Parameters.AddWithValue("$s", sequenceNr);
        return System.Text.Encoding.UTF8.GetString((byte[])command.ExecuteScalar()!);
    }

    public string IntegrityCheck() => Convert.ToString(ScalarObject("PRAGMA integrity_check")) ?? "";

    private object? ScalarObject(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
