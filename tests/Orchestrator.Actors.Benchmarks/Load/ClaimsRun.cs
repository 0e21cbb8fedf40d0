using System.Diagnostics;
using Akka.Actor;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Benchmarks.Load;

/// <summary>
/// <c>claims [--tasks N] [--agents A] [--tenants T] [--rounds R]</c>: claims per second end to end
/// (an in-process node on hocon.conf's SQLite settings, every claim and completion journaled), with
/// claim limits and fairness off and on, side by side: the rounds alternate the two on fresh data
/// directories, and the medians are compared. The tasks carry one of T tenant tags, the first half
/// all of tenant 0 (a flood), so fairness has work to do. Each agent claims and completes until
/// nothing is READY.
/// </summary>
internal static class ClaimsRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        var tasks = Option(args, "--tasks", 20_000);
        var agents = Option(args, "--agents", 25);
        var tenants = Option(args, "--tenants", 100);
        var rounds = Option(args, "--rounds", 3);
        var results = new Dictionary<string, List<double>> { ["off"] = [], ["limits+fairness"] = [] };
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var mode in results.Keys.ToList())
            {
                var perSecond = await OneAsync(mode != "off", tasks, agents, tenants);
                results[mode].Add(perSecond);
                Console.WriteLine($"round {round} {mode}: {perSecond:N0} claims/s");
            }
        }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var off = Median(results["off"]);
        var on = Median(results["limits+fairness"]);
        Console.WriteLine($"| claims/s, {tasks:N0} tasks, {agents} agents, {tenants} tenants | limits and fairness off | on | on/off |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| median of {rounds} | {off:N0} | {on:N0} | {on / off:0.00} |");
        return 0;
    }

    private static async Task<double> OneAsync(bool limited, int tasks, int agents, int tenants)
    {
        var directory = Path.Combine(Path.GetTempPath(), "orchestrator-claims-" + Guid.NewGuid().ToString("N"));
        var node = await Nodes.StartRecoveredAsync(directory, 0, new Checks(), _ => { });
        try
        {
            var sm = node.StateManager;
            if (limited)
            {
                // Limits none of which is reached, and fairness across the tenants.
                var perTag = Enumerable.Range(0, tenants).ToDictionary(t => $"tenant={t}", _ => 1_000);
                Expect<ClaimLimitsSet>(await sm.Ask<object>(new SetClaimLimits(100_000, 1_000, perTag, FairBy: "tenant="), Nodes.Patience));
            }
            for (var start = 0; start < tasks; start += 1000)
            {
                var batch = Enumerable.Range(start, Math.Min(1000, tasks - start))
                    .Select(i => new DefineTask($"c-{i}", "*", "tasks/c.md", Tags: [$"tenant={(i < tasks / 2 ? 0 : i % tenants)}"])).ToList();
                Expect<TasksDefined>(await sm.Ask<object>(new DefineTasks(batch), Nodes.Patience));
            }

            var clock = Stopwatch.StartNew();
            var claimed = await Task.WhenAll(Enumerable.Range(0, agents).Select(a => WorkAsync(sm, $"agent-{a}")));
            clock.Stop();
            var total = claimed.Sum();
            if (total != tasks) throw new InvalidOperationException($"{total} of {tasks} tasks claimed and completed");
            return total / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await Nodes.StopAsync(node);
            Nodes.Delete(directory);
        }
    }

    private static async Task<int> WorkAsync(IActorRef sm, string agent)
    {
        var done = 0;
        while (await sm.Ask<object>(new ClaimTask(agent), Nodes.Patience) is TaskAssigned assigned)
        {
            Expect<TaskUpdated>(await sm.Ask<object>(new CompleteTask(assigned.Task.TaskId, agent, assigned.ClaimId), Nodes.Patience));
            done++;
        }
        return done;
    }

    private static T Expect<T>(object reply) where T : class =>
        reply as T ?? throw new InvalidOperationException($"answered {reply}, not {typeof(T).Name}");

    /// <summary>The number after <paramref name="name"/> in <paramref name="args"/>, or <paramref name="absent"/>.</summary>
    internal static int Option(string[] args, string name, int absent)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : absent;
    }
}
