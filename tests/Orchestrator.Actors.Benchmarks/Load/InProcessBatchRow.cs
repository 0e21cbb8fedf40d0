using System.Diagnostics;
using Akka.Actor;
using Orchestrator.Actors.Protocol;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// Row 1b: batch definitions in this process: <c>requests</c> concurrent askers, each sending one
/// <see cref="DefineTasks"/> of <see cref="BatchSize"/> definitions at a time to the node's state
/// manager and waiting for its reply (after the journal confirmed), every item created.
/// </summary>
internal static class InProcessBatchRow
{
    public const string Name = "in-process DefineTasks";
    public const int BatchSize = 1_000;

    public static async Task<RowResult> RunAsync(string dataDirectory, int tasks, int requests, int preexisting, TimeSpan limit, Action<string> progress)
    {
        var checks = new Checks();
        var node = await Nodes.StartRecoveredAsync(dataDirectory, preexisting, checks, progress);
        try
        {

            var batches = (tasks + BatchSize - 1) / BatchSize;
            var next = -1;
            var created = 0L;
            var failures = new List<string>();
            var latencies = new List<double>[requests];
            PeakMemory peak;
            var clock = Stopwatch.StartNew();
            await using (var heap = new HeapSampler())
            {
                await Task.WhenAll(Enumerable.Range(0, requests).Select(async asker =>
                {
                    latencies[asker] = [];
                    int batch;
                    while ((batch = Interlocked.Increment(ref next)) < batches && clock.Elapsed < limit)
                    {
                        var definitions = Enumerable.Range(batch * BatchSize, Math.Min(BatchSize, tasks - batch * BatchSize))
                            .Select(i => new DefineTask($"batch-{i:D7}", $"load-agent-{i % 1000:D4}", $"tasks/batch-{i:D7}.md", By: "load"))
                            .ToList();
                        var sent = Stopwatch.StartNew();
                        var reply = await node.StateManager.Ask<object>(new DefineTasks(definitions), Nodes.Patience);
                        latencies[asker].Add(sent.Elapsed.TotalMilliseconds);
                        var ok = reply is TasksDefined defined ? defined.Results.Count(r => r.Outcome == DefinitionOutcome.Created) : 0;
                        Interlocked.Add(ref created, ok);
                        if (ok != definitions.Count)
                            lock (failures) failures.Add($"batch {batch}: {ok} of {definitions.Count} created ({reply.GetType().Name})");
                    }
                }));
                peak = heap.Result;
            }
            clock.Stop();

            checks.That(failures.Count == 0, failures.FirstOrDefault() ?? "");
            checks.That(created == tasks, $"{created} of {tasks} tasks acknowledged as created");
            var after = await Nodes.StatsAsync(node);
            checks.That(after.Tasks == preexisting + created, $"GetStats counts {after.Tasks} tasks, not {preexisting} + {created}");
            return new RowResult(RowKind.InProcessBatch, Name, requests, preexisting, created, clock.Elapsed,
                LatencySummary.Of([.. latencies.SelectMany(l => l)]), peak, checks.Failures);
        }
        finally
        {
            await Nodes.StopAsync(node);
        }
    }
}
