using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// A data directory holding P tasks and a snapshot of them, seeded once through the real in-process
/// orchestrator and copied whole (database, -wal, -shm) for every row that starts from P tasks.
/// </summary>
internal sealed class StateTemplate
{
    private StateTemplate(string directory, int tasks, TimeSpan seedTime, long snapshotSequenceNr, long snapshotBytes, double eventBytes)
    {
        Directory = directory;
        Tasks = tasks;
        SeedTime = seedTime;
        SnapshotSequenceNr = snapshotSequenceNr;
        SnapshotBytes = snapshotBytes;
        EventBytes = eventBytes;
    }

    public string Directory { get; }
    public int Tasks { get; }
    public TimeSpan SeedTime { get; }
    public long SnapshotSequenceNr { get; }

    /// <summary>The length of the snapshot row's blob.</summary>
    public long SnapshotBytes { get; }

    /// <summary>The mean length of a journal row's payload (an event, or a batch of them where the journal writes batches).</summary>
    public double EventBytes { get; }

    public const string TaskPrefix = "seed-";

    private static readonly TimeSpan SeedLimit = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Seeds <paramref name="tasks"/> tasks with <paramref name="agents"/> concurrent askers, as fast as
    /// the node goes, with <c>orchestrator.snapshots.every</c> set to the task count so that the one
    /// snapshot is taken at the end; waits until it is saved, then stops the node.
    /// </summary>
    public static async Task<StateTemplate> SeedAsync(string directory, int tasks, int agents, Action<string> progress)
    {
        var stopwatch = Stopwatch.StartNew();
        var node = OrchestratorNode.Start(Nodes.Config(directory, $"orchestrator.snapshots.every = {tasks}"));
        StatsReport stats;
        try
        {
            await Nodes.StatsAsync(node);
            using var reporting = new CancellationTokenSource();
            var reporter = ReportProgressAsync(node, tasks, progress, reporting.Token);
            var run = await DefiningAgents.RunAsync(node.System, node.StateManager, TaskPrefix, Math.Min(agents, tasks), tasks, SeedLimit);
            await reporting.CancelAsync();
            await reporter;
            if (run.Accepted != tasks || run.Errors > 0)
                throw new InvalidOperationException($"seeding acknowledged {run.Accepted} of {tasks} tasks, {run.Errors} errors; first: {run.FirstError}");

            progress($"seeded {tasks:N0} tasks in {stopwatch.Elapsed.TotalSeconds:0.0} s ({tasks / run.Elapsed.TotalSeconds:N0}/s); waiting for the snapshot");
            stats = await Nodes.StatsAsync(node);
            var waited = Stopwatch.StartNew();
            while (stats.LastSnapshotSequenceNr == 0)
            {
                if (waited.Elapsed > Nodes.Patience)
                    throw new InvalidOperationException($"no snapshot within {Nodes.Patience} after seeding {tasks} tasks");
                // The snapshot runs in the store; the state manager answers queries meanwhile.
                await Task.Delay(100);
                stats = await Nodes.StatsAsync(node);
            }
            if (stats.Tasks != tasks)
                throw new InvalidOperationException($"the template holds {stats.Tasks} tasks, not {tasks}");
        }
        finally
        {
            await Nodes.StopAsync(node);
        }
        stopwatch.Stop();

        var (snapshotBytes, eventBytes) = Measure(directory);
        return new StateTemplate(directory, tasks, stopwatch.Elapsed, stats.LastSnapshotSequenceNr, snapshotBytes, eventBytes);
    }

    /// <summary>
    /// A data directory seeded earlier (by this harness or otherwise) used as the template, unchanged:
    /// it must hold <paramref name="tasks"/> tasks and a snapshot of them, which the rows check.
    /// </summary>
    public static StateTemplate Open(string directory, int tasks)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"--template: {directory} does not exist");
        var snapshotSequenceNr = DatabasesWithTable(directory, "snapshot")
            .Select(file => Scalar(file, "SELECT coalesce(max(sequence_number), 0) FROM snapshot"))
            .DefaultIfEmpty(0)
            .Max();
        if (snapshotSequenceNr == 0) throw new InvalidOperationException($"--template: {directory} holds no snapshot");
        var (snapshotBytes, eventBytes) = Measure(directory);
        return new StateTemplate(Path.GetFullPath(directory), tasks, TimeSpan.Zero, snapshotSequenceNr, snapshotBytes, eventBytes);
    }

    /// <summary>A copy of every file of the template in <paramref name="target"/>.</summary>
    public string CopyTo(string target) => CopyDirectory(Directory, target);

    /// <summary>A copy of every file of <paramref name="source"/> in <paramref name="target"/> (a template or not).</summary>
    public static string CopyDirectory(string source, string target)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    /// <summary>The SQLite files of a data directory that hold a table named <paramref name="table"/>.</summary>
    public static IEnumerable<string> DatabasesWithTable(string directory, string table)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.db", SearchOption.AllDirectories))
        {
            using var connection = new SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(file, pooling: false));
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
            command.Parameters.AddWithValue("$name", table);
            if (Convert.ToInt64(command.ExecuteScalar()) > 0) yield return file;
        }
    }

    private static (long SnapshotBytes, double EventBytes) Measure(string directory)
    {
        long snapshotBytes = 0;
        foreach (var file in DatabasesWithTable(directory, "snapshot"))
            snapshotBytes += Scalar(file, "SELECT coalesce(max(length(snapshot)), 0) FROM snapshot");
        var eventBytes = DatabasesWithTable(directory, "journal")
            .Select(file => (double)Scalar(file, "SELECT coalesce(CAST(avg(length(message)) AS INTEGER), 0) FROM journal"))
            .DefaultIfEmpty(0)
            .Max();
        return (snapshotBytes, eventBytes);
    }

    private static long Scalar(string database, string sql)
    {
        using var connection = new SqliteConnection(Orchestrator.Actors.Configuration.OrchestratorConfig.SqliteConnectionString(database, pooling: false));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private static async Task ReportProgressAsync(OrchestratorNode node, int tasks, Action<string> progress, CancellationToken stop)
    {
        var stopwatch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var stats = await Nodes.StatsAsync(node);
                progress($"seeding: {stats.Tasks:N0} of {tasks:N0} tasks after {stopwatch.Elapsed.TotalSeconds:0} s");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
