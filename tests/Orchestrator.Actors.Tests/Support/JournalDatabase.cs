using Microsoft.Data.Sqlite;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// Reads and damages the SQLite files behind a node (the journal's, and the snapshots' beside it),
/// the way an operator's tool would.
/// </summary>
public sealed class JournalDatabase(string databasePath, string? snapshotDatabasePath = null)
{
    private readonly string _snapshotDatabasePath =
        snapshotDatabasePath ?? Path.Combine(Path.GetDirectoryName(databasePath)!, "orchestrator-snapshots.db");

    private SqliteConnection Open(string? path = null)
    {
        var connection = new SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(path ?? databasePath, pooling: false));
        connection.Open();
        return connection;
    }

    /// <summary>The snapshots' file, for SQL against its <c>snapshot</c> table.</summary>
    public JournalDatabase Snapshots => new(_snapshotDatabasePath, _snapshotDatabasePath);

    /// <summary>
    /// The manifest of every event the journal holds, in order, with each batch entry
    /// (<c>event-batch.v1</c>) read as the events in it.
    /// </summary>
    public IReadOnlyList<string> EventManifests(string? persistenceId = null)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest, message FROM journal WHERE deleted = 0 AND ($p IS NULL OR persistence_id = $p) " +
                              "ORDER BY persistence_id, sequence_number";
        command.Parameters.AddWithValue("$p", (object?)persistenceId ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read())
        {
            var manifest = reader.GetString(0);
            if (manifest != "event-batch.v1")
            {
                result.Add(manifest);
                continue;
            }
            using var batch = System.Text.Json.JsonDocument.Parse((byte[])reader.GetValue(1));
            result.AddRange(batch.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("m").GetString()!));
        }
        return result;
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

    /// <summary>Events (not journal entries: a batch counts as its events) the journal holds.</summary>
    public long EventCount(string persistenceId) => EventManifests(persistenceId).Count;

    public long DistinctSequenceNumbers(string persistenceId) =>
        Scalar("SELECT COUNT(DISTINCT sequence_number) FROM journal WHERE persistence_id = $p", ("$p", persistenceId));

    public IReadOnlyList<long> SnapshotSequenceNumbers(string persistenceId)
    {
        using var connection = Open(_snapshotDatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_number FROM snapshot WHERE persistence_id = $p ORDER BY sequence_number";
        command.Parameters.AddWithValue("$p", persistenceId);
        using var reader = command.ExecuteReader();
        var result = new List<long>();
        while (reader.Read()) result.Add(reader.GetInt64(0));
        return result;
    }

    /// <summary>
    /// A snapshot's JSON, decompressed when it was written compressed (snapshot.v3), and put together
    /// again as one snapshot.v2 document when it was written in chunks (snapshot.v4).
    /// </summary>
    public string SnapshotText(string persistenceId, long sequenceNr)
    {
        using var connection = Open(_snapshotDatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest, snapshot FROM snapshot WHERE persistence_id = $p AND sequence_number = $s";
        command.Parameters.AddWithValue("$p", persistenceId);
        command.Parameters.AddWithValue("$s", sequenceNr);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) throw new InvalidOperationException($"no snapshot of {persistenceId} at {sequenceNr}");
        var bytes = (byte[])reader.GetValue(1);
        return reader.GetString(0) switch
        {
            "snapshot.v3" => System.Text.Encoding.UTF8.GetString(Gunzip(bytes)),
            "snapshot.v4" => JoinChunks(bytes),
            _ => System.Text.Encoding.UTF8.GetString(bytes),
        };
    }

    // The record of chunk 0 with the tasks of the other chunks in its "tasks".
    private static string JoinChunks(byte[] bytes)
    {
        var newline = Array.IndexOf(bytes, (byte)'\n');
        var lengths = System.Text.Json.Nodes.JsonNode.Parse(bytes.AsSpan(0, newline))!["chunks"]!.AsArray().Select(n => (int)n!).ToList();
        var at = newline + 1;
        System.Text.Json.Nodes.JsonNode? record = null;
        var tasks = new System.Text.Json.Nodes.JsonArray();
        foreach (var length in lengths)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(Gunzip(bytes[at..(at + length)]))!;
            at += length;
            if (record is null) record = node;
            else foreach (var task in node.AsArray().ToList()) tasks.Add(task!.DeepClone());
        }
        record!["tasks"] = tasks;
        return record.ToJsonString();
    }

    /// <summary>Snapshot JSON as a snapshot.v4 row holds it: the index line, then the record as its only chunk.</summary>
    public static byte[] Chunked(string json)
    {
        var chunk = Gzip(System.Text.Encoding.UTF8.GetBytes(json + "\n"));
        return [.. System.Text.Encoding.UTF8.GetBytes($"{{\"chunks\":[{chunk.Length}]}}\n"), .. chunk];
    }

    /// <summary>The manifest of a snapshot row.</summary>
    public string SnapshotManifest(string persistenceId, long sequenceNr)
    {
        using var connection = Open(_snapshotDatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest FROM snapshot WHERE persistence_id = $p AND sequence_number = $s";
        command.Parameters.AddWithValue("$p", persistenceId);
        command.Parameters.AddWithValue("$s", sequenceNr);
        return Convert.ToString(command.ExecuteScalar())!;
    }

    /// <summary>Bytes as a snapshot.v3 row holds them.</summary>
    public static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(bytes);
        return buffer.ToArray();
    }

    /// <summary>The bytes a snapshot.v3 row compressed.</summary>
    public static byte[] Gunzip(byte[] bytes)
    {
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    public IReadOnlyList<string> Strings(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read()) result.Add(reader.GetString(0));
        return result;
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
