using System.CommandLine;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Domain;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Host.Commands;

/// <summary>The orchestrator's figures: stats and agents.</summary>
internal static class InfoCommands
{
    public static IEnumerable<Command> Create() => [Stats(), Agents(), Cluster(), SetClaimLimits(), SetRetention()];

    private static Command Cluster() =>
        new Command("cluster", "The orchestrator's nodes and where its namespaces run.")
        {
            new Command("status", "Show the members, where each shard of namespaces runs, and each running namespace's tasks.").WithClient(async (parse, client, cancellation) =>
            {
                var status = await client.GetClusterStatusAsync(cancellation);
                if (parse.GetValue(CliOptions.Json))
                {
                    Output.Json(status);
                    return ExitCodes.Success;
                }
                Console.Out.WriteLine(status.Clustered ? $"cluster, as {status.Self} sees it" : $"single node {status.Self} (not clustered)");
                Output.Table(["MEMBER", "STATUS", "ROLES", "REACHABLE", "LEADER"], status.Members.Select(m => (IReadOnlyList<string>)
                [
                    m.Address, m.Status, string.Join(",", m.Roles), m.Reachable ? "yes" : "NO", m.Leader ? "yes" : "",
                ]).ToList());
                if (status.Clustered)
                {
                    Console.Out.WriteLine();
                    Output.Table(["SHARD", "NODE", "NAMESPACES"], status.Shards.Select(p => (IReadOnlyList<string>)
                    [
                        p.ShardId, p.Node, string.Join(", ", p.Namespaces),
                    ]).ToList());
                }
                Console.Out.WriteLine();
                string Count(Actors.Protocol.Replies.StatsReport s, string status) => s.ByStatus.GetValueOrDefault(status).ToString();
                Output.Table(["NAMESPACE", "TASKS", "PENDING", "READY", "CLAIMED", "WAITING", "FAILED", "COMPLETED", "DEAD", "CANCELLED", "AGENTS", "EVENTS"],
                    status.Namespaces.Select(n => (IReadOnlyList<string>)
                    [
                        n.Namespace, n.Tasks.ToString(), Count(n, "PENDING"), Count(n, "READY"), Count(n, "CLAIMED"), Count(n, "WAITING"), Count(n, "FAILED"),
                        Count(n, "COMPLETED"), Count(n, "DEAD"), Count(n, "CANCELLED"), n.Agents.ToString(), n.EventsJournaled.ToString(),
                    ]).ToList());
                if (status.Unanswered.Count > 0)
                    Console.Out.WriteLine($"no answer in time from: {string.Join(", ", status.Unanswered)} (the view above is partial)");
                return ExitCodes.Success;
            }),
        };

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
                ("claim limits", stats.ClaimLimits is { } limits ? Limits(limits) : "none"),
                ("retention", stats.Retention is { } keep ? $"finished tasks kept {Durations.Format(keep)}" : "every task kept"),
                ("purged", stats.Purged.ToString()),
                ("schedules", stats.Schedules.ToString()),
            ]);
            return ExitCodes.Success;
        });

    private static string Limits(ClaimLimits limits) => string.Join(", ",
        new[] { limits.MaxClaims is { } n ? $"namespace {n}" : null, limits.MaxClaimsPerAgent is { } a ? $"per agent {a}" : null }
            .Concat(limits.MaxClaimsPerTag.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"tag {t.Key} {t.Value}"))
            .Concat(limits.MaxClaimsPerSecondPerTag.OrderBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => $"tag {t.Key} {t.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}/s"))
            .Append(limits.FairBy is { } prefix ? $"fair by {prefix}" : null)
            .OfType<string>());

    private static Command SetClaimLimits()
    {
        var maxClaims = CliOptions.Number("--max-claims", "N", "The most claims held at once in the namespace.", 0, OrchestratorDomain.MaxClaimLimit);
        var perAgent = CliOptions.Number("--max-claims-per-agent", "N", "The most claims one agent holds at once.", 0, OrchestratorDomain.MaxClaimLimit);
        var perTag = TagValueOption<int>("--tag-limit", "N", "the most claims held at once of the tasks carrying TAG (repeat for several tags).", "tenant=acme=10", Count);
        var perTagRate = TagValueOption<double>("--tag-rate", "R",
            "the most claims per second of the tasks carrying TAG (0.5 is one every 2 s; 0 lets none through; repeat for several tags).", "model=gpt=2.5", Rate);
        var fairBy = new Option<string?>("--fair-by")
        {
            Description = "Fairness: a tag prefix (such as tenant=); within a priority, claims rotate across the groups of tasks sharing the first tag with it.",
            HelpName = "PREFIX",
        };
        var command = new Command("set-claim-limits", "Set the namespace's claim limits and fairness, replacing the ones before (an option left out: no such limit).")
        {
            maxClaims, perAgent, perTag, perTagRate, fairBy,
        };
        return command.WithClient(async (parse, client, cancellation) =>
        {
            var set = await client.SetClaimLimitsAsync(new Actors.Protocol.Commands.SetClaimLimits(parse.GetValue(maxClaims), parse.GetValue(perAgent),
                TagValues<int>(parse.GetValue(perTag), Count), FairBy: parse.GetValue(fairBy), MaxClaimsPerSecondPerTag: TagValues<double>(parse.GetValue(perTagRate), Rate)), cancellation);
            if (parse.GetValue(CliOptions.Json)) Output.Json(set.Limits);
            else Console.Out.WriteLine(set.Limits.IsNone ? "claim limits: none" : $"claim limits: {Limits(set.Limits)}");
            return ExitCodes.Success;
        });
    }

    private static Command SetRetention()
    {
        var keep = new Argument<string>("DURATION")
        {
            Description = "How long a finished task is kept (1m to 365d, such as 30d), or 'off' to keep every task.",
        };
        keep.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (text != "off" && !Durations.TryParse(text, out _))
                result.AddError($"invalid DURATION '{text}': expected a duration such as 30d, or off");
        });
        return new Command("set-retention", "Set how long finished tasks are kept: every minute the oldest ones finished longer ago are purged.") { keep }
            .WithClient(async (parse, client, cancellation) =>
            {
                var text = parse.GetValue(keep)!;
                TimeSpan? finishedFor = text == "off" ? null : Durations.TryParse(text, out var duration) ? duration : null;
                var set = await client.SetRetentionAsync(new Actors.Protocol.Commands.SetRetention(finishedFor), cancellation);
                if (parse.GetValue(CliOptions.Json)) Output.Json(set);
                else Console.Out.WriteLine(set.FinishedFor is { } kept ? $"retention: finished tasks kept {Durations.Format(kept)}" : "retention: every task kept");
                return ExitCodes.Success;
            });
    }

    // TAG=N, split at the last '=' (a tag may hold '=' itself).
    private delegate bool ValueParser<T>(string text, out T value);

    // A repeatable TAG=VALUE option, each one checked (refused naming the option and the text, with an example).
    private static Option<string[]> TagValueOption<T>(string name, string valueName, string description, string example, ValueParser<T> parse)
    {
        var option = new Option<string[]>(name) { Description = $"TAG={valueName}: {description}", HelpName = $"TAG={valueName}", AllowMultipleArgumentsPerToken = true };
        option.Validators.Add(result =>
        {
            foreach (var text in result.GetValueOrDefault<string[]>() ?? [])
                if (TagValue(text, parse) is null)
                    result.AddError($"invalid {name} '{text}': expected TAG={valueName}, such as {example} (the last '=' splits)");
        });
        return option;
    }

    private static Dictionary<string, T> TagValues<T>(string[]? texts, ValueParser<T> parse) =>
        (texts ?? []).Select(text => TagValue(text, parse)!.Value).ToDictionary(t => t.Tag, t => t.Value, StringComparer.Ordinal);

    private static (string Tag, T Value)? TagValue<T>(string text, ValueParser<T> parse)
    {
        var at = text.LastIndexOf('=');
        return at > 0 && parse(text[(at + 1)..], out var value) ? (text[..at], value) : null;
    }

    // A count: digits only; a rate: a plain decimal number (no sign, exponent or thousands separators). The protocol checks their ranges.
    private static bool Count(string text, out int value) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);

    private static bool Rate(string text, out double value) =>
        double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out value);

    private static Command Agents() =>
        new Command("agents", "List the agents the orchestrator knows, by name: registered, or seen claiming (every page).").WithClient(async (parse, client, cancellation) =>
        {
            var agents = new List<AgentView>();
            for (int? offset = 0; offset is { } next; )
            {
                var page = await client.ListAgentsAsync(new ListAgents(next), cancellation);
                agents.AddRange(page.Agents);
                offset = page.NextOffset;
            }
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
