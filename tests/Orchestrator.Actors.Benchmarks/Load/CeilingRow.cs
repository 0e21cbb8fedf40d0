using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Events;
using Orchestrator.Actors.Protocol.Serialization;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// Row 3, the ceiling: what this disk allows one writer with the same pragmas (WAL, synchronous=FULL).
/// Plain Microsoft.Data.Sqlite, one row per task (id, agent, file, defined_at and the task's
/// <c>task-defined.v1</c> event as the journal stores it), in transactions of 1,000. Its latency
/// figures are the commit time of each transaction.
/// </summary>
internal static class CeilingRow
{
    public const string Name = "ceiling: raw SQLite, 1 writer";
    public const int TransactionSize = 1_000;
    private const int FillTransactionSize = 100_000;

    public static async Task<RowResult> RunAsync(string directory, int tasks, int preexisting)
    {
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "ceiling.db");
        var checks = new Checks();
        // One writer on a thread of its own, as the journal's writes are.
        var (elapsed, commits, peak) = await Task.Run(async () =>
        {
            using var connection = Prepare(database, preexisting);
            await using var heap = new HeapSampler();
            var commitMs = new List<double>(tasks / TransactionSize + 1);
            var stopwatch = Stopwatch.StartNew();
            for (var start = 0; start < tasks; start += TransactionSize)
                commitMs.Add(Insert(connection, "ceiling-", start, Math.Min(TransactionSize, tasks - start)));
            stopwatch.Stop();
            return (stopwatch.Elapsed, commitMs, heap.Result);
        });

        var count = CountRows(database);
        checks.That(count == preexisting + tasks, $"the table holds {count} rows, not {preexisting} + {tasks}");
        return new RowResult(RowKind.Ceiling, Name, 1, preexisting, count - preexisting, elapsed, LatencySummary.Of(commits), peak, checks.Failures);
    }

    /// <summary>
    /// The ceiling's database at <paramref name="database"/>: WAL, synchronous=FULL, the table, the
    /// preexisting rows (in large transactions, not timed) and a warm-up transaction (JIT, the
    /// file's first pages) deleted again, so that a row at 0 is not timed cold.
    /// </summary>
    public static SqliteConnection Prepare(string database, int preexisting)
    {
        var connection = new SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(database, pooling: false));
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL");
        Execute(connection, "PRAGMA synchronous=FULL");
        Execute(connection, "CREATE TABLE tasks (id TEXT PRIMARY KEY, agent TEXT NOT NULL, file TEXT NOT NULL, defined_at INTEGER NOT NULL, payload TEXT NOT NULL)");
        for (var start = 0; start < preexisting; start += FillTransactionSize)
            Insert(connection, "pre-", start, Math.Min(FillTransactionSize, preexisting - start));
        Insert(connection, "warm-up-", 0, TransactionSize);
        Execute(connection, "DELETE FROM tasks WHERE id LIKE 'warm-up-%'");
        return connection;
    }

    /// <summary>One transaction of <paramref name="count"/> rows; returns how long its commit took, in milliseconds.</summary>
    private static double Insert(SqliteConnection connection, string prefix, int start, int count) =>
        Commit(connection, Enumerable.Range(start, count).Select(i => (DefiningAgents.TaskId(prefix, i), i)));

    /// <summary>
    /// One transaction holding a row per task (its id, and the index that picks its agent), as the
    /// journal stores a definition; returns how long its commit took, in milliseconds.
    /// </summary>
    public static double Commit(SqliteConnection connection, IEnumerable<(string TaskId, int Index)> rows)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO tasks (id, agent, file, defined_at, payload) VALUES ($id, $agent, $file, $at, $payload)";
        var id = command.Parameters.Add("$id", SqliteType.Text);
        var agent = command.Parameters.Add("$agent", SqliteType.Text);
        var file = command.Parameters.Add("$file", SqliteType.Text);
        var at = command.Parameters.Add("$at", SqliteType.Integer);
        var payload = command.Parameters.Add("$payload", SqliteType.Text);
        command.Prepare();
        foreach (var (taskId, i) in rows)
        {
            var agentName = $"load-agent-{i % 200:D4}";
            var now = DateTimeOffset.UtcNow;
            id.Value = taskId;
            agent.Value = agentName;
            file.Value = $"tasks/{taskId}.md";
            at.Value = now.ToUnixTimeMilliseconds();
            payload.Value = JsonSerializer.Serialize(
                new TaskDefined(taskId, agentName, $"tasks/{taskId}.md", TaskPriority.Medium, now, MaxAttempts: 3, By: agentName),
                OrchestratorJsonContext.Default.TaskDefined);
            command.ExecuteNonQuery();
        }
        var commit = Stopwatch.GetTimestamp();
        transaction.Commit();
        return Stopwatch.GetElapsedTime(commit).TotalMilliseconds;
    }

    public static long CountRows(string database)
    {
        using var connection = new SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(database, pooling: false));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM tasks";
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
