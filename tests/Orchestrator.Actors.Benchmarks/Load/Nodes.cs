using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>In-process orchestrator nodes on hocon.conf's real settings, a data directory of their own, and any free port.</summary>
internal static class Nodes
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    /// <summary>hocon.conf (SQLite, WAL, synchronous=FULL, its snapshot cadence) on <paramref name="dataDirectory"/>, quieter logs, plus <paramref name="extra"/>.</summary>
    public static Config Config(string dataDirectory, string extra = "") =>
        OrchestratorConfig.Load(overrides: ConfigurationFactory.ParseString($"""
            orchestrator.data-dir = {OrchestratorConfig.Quote(dataDirectory)}
            akka.remote.dot-netty.tcp.port = 0
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.log-dead-letters = off
            # The harness stops each node itself; the CLR exit hook would keep every stopped node
            # (and its state) reachable until the process ends, in every later row's heap.
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            {extra}
            """));

    /// <summary>
    /// The first answered <see cref="GetStats"/>: the gateway holds requests until the state manager
    /// has recovered. A hold that expires (orchestrator.hold.timeout) is asked again.
    /// </summary>
    public static async Task<StatsReport> StatsAsync(OrchestratorNode node)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var reply = await node.StateManager.Ask<object>(GetStats.Instance, Patience);
            switch (reply)
            {
                case StatsReport stats:
                    return stats;
                case OrchestratorUnavailable when deadline.Elapsed < Patience:
                    continue;
                default:
                    throw new InvalidOperationException($"GetStats answered {reply}");
            }
        }
    }

    /// <summary>
    /// A node started on <paramref name="dataDirectory"/> once it has recovered, checked to hold
    /// <paramref name="preexisting"/> tasks (a failed check goes to <paramref name="checks"/>).
    /// </summary>
    public static async Task<OrchestratorNode> StartRecoveredAsync(string dataDirectory, int preexisting, Checks checks, Action<string> progress)
    {
        var started = Stopwatch.StartNew();
        var node = OrchestratorNode.Start(Config(dataDirectory));
        try
        {
            var before = await StatsAsync(node);
            progress($"  node recovered {before.Tasks:N0} tasks in {started.Elapsed.TotalSeconds:0.0} s");
            checks.That(before.Tasks == preexisting, $"the node recovered {before.Tasks} tasks, not {preexisting}");
            return node;
        }
        catch
        {
            await StopAsync(node);
            throw;
        }
    }

    /// <summary>Stops the node after its writes and lets go of its SQLite files.</summary>
    public static async Task StopAsync(OrchestratorNode node)
    {
        await node.StopAsync();
        await node.System.WhenTerminated;
        SqliteConnection.ClearAllPools();
    }

    /// <summary>Deletes a directory of this run, after the pooled SQLite connections let go of its files.</summary>
    public static void Delete(string directory)
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }
}
