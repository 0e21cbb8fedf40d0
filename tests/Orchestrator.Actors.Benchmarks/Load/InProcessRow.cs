namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// Row 1: the orchestrator in this process, <c>OrchestratorNode.Start</c> on hocon.conf's SQLite
/// settings, driven by agent actors in its own ActorSystem. Recovery is waited for before the clock starts.
/// </summary>
internal static class InProcessRow
{
    public const string Name = "orchestrator in-process";

    public static async Task<RowResult> RunAsync(string dataDirectory, int agents, int tasks, int preexisting, TimeSpan limit, Action<string> progress)
    {
        var checks = new Checks();
        var node = await Nodes.StartRecoveredAsync(dataDirectory, preexisting, checks, progress);
        try
        {

            AgentRunResult run;
            PeakMemory peak;
            await using (var heap = new HeapSampler())
            {
                run = await DefiningAgents.RunAsync(node.System, node.StateManager, $"inproc-{agents}-", agents, tasks, limit);
                peak = heap.Result;
            }

            checks.That(run.Stopped is null, $"the agents stopped {run.Stopped}, after {run.Sent:N0} of {tasks:N0} definitions");
            checks.That(run.Accepted == tasks, $"{run.Accepted} of {tasks} tasks acknowledged as newly defined");
            checks.That(run.Errors == 0, $"{run.Errors} errors; first: {run.FirstError}");
            var after = await Nodes.StatsAsync(node);
            checks.That(after.Tasks == preexisting + run.Accepted, $"GetStats counts {after.Tasks} tasks, not {preexisting} + {run.Accepted}");

            return new RowResult(RowKind.InProcess, Name, agents, preexisting, run.Accepted, run.Elapsed,
                LatencySummary.Of(run.LatenciesMs), peak, checks.Failures);
        }
        finally
        {
            await Nodes.StopAsync(node);
        }
    }
}
