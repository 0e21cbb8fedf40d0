using System.CommandLine;

namespace Orchestrator.Host.Commands;

/// <summary>The orchestrator's figures: stats and agents.</summary>
internal static class InfoCommands
{
    public static IEnumerable<Command> Create() => [Stats(), Agents()];

    private static Command Stats() =>
        new Command("stats", "Show how many tasks there are in each status and priority, and the journal's figures.").WithClient(async (parse, client, cancellation) =>
        {
            var stats = await client.GetStatsAsync(cancellation);
            if (parse.GetValue(CliOptions.Json))
            {
                Output.Json(stats);
                return ExitCodes.Success;
            }
            Output.Lines([
                ("tasks", stats.Tasks.ToString()),
                ("by status", string.Join(", ", stats.ByStatus.Select(s => $"{s.Key} {s.Value}"))),
                ("by priority", string.Join(", ", stats.ByPriority.Select(p => $"{p.Key} {p.Value}"))),
                ("oldest READY", stats.OldestReadyAge is { } age ? $"waiting {age.TotalSeconds:0.###}s" : "-"),
                ("agents", stats.Agents.ToString()),
                ("documents", stats.StateDocuments.ToString()),
                ("events", stats.EventsJournaled.ToString()),
                ("snapshot at", stats.LastSnapshotSequenceNr.ToString()),
            ]);
            return ExitCodes.Success;
        });

    private static Command Agents() =>
        new Command("agents", "List the agents the orchestrator knows: registered, or seen claiming.").WithClient(async (parse, client, cancellation) =>
        {
            var agents = (await client.ListAgentsAsync(cancellation)).Agents;
            if (parse.GetValue(CliOptions.Json))
                Output.Json(agents);
            else if (agents.Count == 0)
                Console.Out.WriteLine("no agents");
            else
                Output.Table(["AGENT", "REGISTERED", "CLAIMS", "LAST SEEN", "CAPABILITIES"], agents.Select(a => (IReadOnlyList<string>)
                [
                    a.Agent, a.Registered ? "yes" : "no", a.ClaimsHeld.ToString(), Output.Time(a.LastSeen), string.Join(", ", a.Capabilities),
                ]).ToList());
            return ExitCodes.Success;
        });
}
