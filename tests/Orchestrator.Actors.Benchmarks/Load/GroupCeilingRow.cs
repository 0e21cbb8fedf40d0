using System.Diagnostics;
using System.Threading.Channels;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// Row 3b, the ceiling at the orchestrator's own concurrency: N writers, each submitting one row at a
/// time and waiting until it is committed (a closed loop, as each agent waits for its reply), and one
/// committer that writes whatever is queued as one transaction and commits it (group commit: the best
/// a journal writer can do for N waiting requests). The same table, rows and pragmas as the 1-writer
/// ceiling. Latency is a writer's, from submitting its row to hearing it committed.
/// </summary>
internal static class GroupCeilingRow
{
    public const string Name = "ceiling: raw SQLite, N writers, group commit";

    public static async Task<RowResult> RunAsync(string directory, int writers, int tasks, int preexisting, Action<string> progress)
    {
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "ceiling.db");
        var checks = new Checks();
        using var connection = CeilingRow.Prepare(database, preexisting);
        var queue = Channel.CreateUnbounded<(string TaskId, int Index, TaskCompletionSource Committed)>(new UnboundedChannelOptions { SingleReader = true });
        var transactions = 0;

        // The committer, on a thread of its own as the journal's writes are: all that queued during the last commit goes in the next.
        var committer = Task.Run(async () =>
        {
            var batch = new List<(string TaskId, int Index, TaskCompletionSource Committed)>();
            while (await queue.Reader.WaitToReadAsync())
            {
                while (queue.Reader.TryRead(out var row)) batch.Add(row);
                CeilingRow.Commit(connection, batch.Select(r => (r.TaskId, r.Index)));
                transactions++;
                foreach (var row in batch) row.Committed.TrySetResult();
                batch.Clear();
            }
        });

        await using var heap = new HeapSampler();
        var stopwatch = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            await Task.Yield();
            var mine = new List<double>(tasks / writers + 1);
            for (var i = writer; i < tasks; i += writers)
            {
                var started = Stopwatch.GetTimestamp();
                var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await queue.Writer.WriteAsync((DefiningAgents.TaskId("ceiling-", i), i, committed));
                await committed.Task;
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return mine;
        }));
        stopwatch.Stop();
        queue.Writer.Complete();
        await committer;
        var peak = heap.Result;
        connection.Close();

        var count = CeilingRow.CountRows(database);
        checks.That(count == preexisting + tasks, $"the table holds {count} rows, not {preexisting} + {tasks}");
        checks.That(latencies.Sum(l => l.Count) == tasks, $"{latencies.Sum(l => l.Count)} of {tasks} rows heard committed");
        progress($"  {transactions:N0} transactions, {(double)tasks / Math.Max(1, transactions):0.0} rows each");
        return new RowResult(RowKind.GroupCeiling, Name, writers, preexisting, count - preexisting,
            stopwatch.Elapsed, LatencySummary.Of(latencies.SelectMany(l => l)), peak, checks.Failures);
    }
}
