using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Orchestrator.Actors.Protocol.Cluster;
using Orchestrator.Actors.Protocol.Queries;
using Orchestrator.Actors.Protocol.Replies;
using Orchestrator.Actors.StateManager;

namespace Orchestrator.Actors.Cluster;

/// <summary>
/// Gathers <see cref="ClusterStatus"/> outside the router's mailbox (the router pipes the result to
/// the asker), so a slow or dead node never holds up the requests the router passes on.
/// </summary>
internal static class ClusterStatusQuery
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The whole view: members, shards, and each running namespace's figures.</summary>
    public static async Task<ClusterStatus> Run(ActorSystem system, IActorRef router, IActorRef? region, IReadOnlyList<string> localNamespaces)
    {
        var self = SelfAddress(system);
        if (region is null)
        {
            var (single, silent) = await Stats(router, localNamespaces);
            return new ClusterStatus(false, self, [new ClusterMember(self, "Up", [], true, true)], [], single, silent);
        }

        var state = Akka.Cluster.Cluster.Get(system).State;
        var members = state.Members
            .Select(m => new ClusterMember(m.Address.ToString(), m.Status.ToString(), m.Roles.Order(StringComparer.Ordinal).ToList(),
                !state.Unreachable.Contains(m), m.Address.Equals(state.Leader)))
            .OrderBy(m => m.Address, StringComparer.Ordinal)
            .ToList();
        // Each answer, or the member that gave none: the results are combined after, nothing is shared meanwhile.
        var answers = await Task.WhenAll(state.Members
            .Where(m => m.Status == MemberStatus.Up && !state.Unreachable.Contains(m))
            .Select(async m =>
            {
                var path = new RootActorPath(m.Address) / "user" / NamespaceRouter.Name;
                try
                {
                    return (Shards: await system.ActorSelection(path).Ask<LocalShards>(GetLocalShards.Instance, AskTimeout), Silent: (string?)null);
                }
                catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
                {
                    return (Shards: (LocalShards?)null, Silent: m.Address.ToString());
                }
            }));
        var shards = answers
            .SelectMany(a => a.Shards?.Shards ?? [])
            .OrderBy(s => int.TryParse(s.ShardId, out var n) ? n : int.MaxValue).ThenBy(s => s.ShardId, StringComparer.Ordinal)
            .ToList();
        var namespaces = shards.SelectMany(s => s.Namespaces).Distinct().Order(StringComparer.Ordinal).ToList();
        var (stats, silentNamespaces) = await Stats(router, namespaces);
        return new ClusterStatus(true, self, members, shards, stats,
            [.. answers.Where(a => a.Silent is not null).Select(a => a.Silent!), .. silentNamespaces]);
    }

    /// <summary>The shards this node's region runs, with their namespaces.</summary>
    public static async Task<LocalShards> LocalShards(ActorSystem system, IActorRef? region)
    {
        var self = SelfAddress(system);
        if (region is null) return new LocalShards(self, []);
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout);
        return new LocalShards(self, state.Shards
            .Select(s => new ShardPlacement(s.ShardId, self, s.EntityIds.Order(StringComparer.Ordinal).ToList()))
            .ToList());
    }

    // Each namespace's figures, and the namespaces that gave none.
    private static async Task<(IReadOnlyList<StatsReport> Reports, IReadOnlyList<string> Silent)> Stats(IActorRef router, IReadOnlyList<string> namespaces)
    {
        var replies = await Task.WhenAll(namespaces.Select(async ns =>
        {
            try
            {
                return await router.Ask<object>(new GetStats { Namespace = ns }, AskTimeout) as StatsReport;
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                return null;
            }
        }));
        return (replies.Where(r => r is not null).Select(r => r!).ToList(),
            namespaces.Where((_, i) => replies[i] is null).Select(ns => "namespace " + ns).ToList());
    }

    private static string SelfAddress(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress.ToString();
}
