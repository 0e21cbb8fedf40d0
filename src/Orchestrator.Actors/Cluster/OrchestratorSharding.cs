using Akka.Actor;
using Akka.Cluster.Sharding;
using Orchestrator.Actors.Configuration;
using Orchestrator.Actors.Protocol.Commands;
using Orchestrator.Actors.StateManager;

namespace Orchestrator.Actors.Cluster;

/// <summary>The state managers as Cluster Sharding entities, one per namespace.</summary>
public static class OrchestratorSharding
{
    /// <summary>The sharded entity type's name.</summary>
    public const string TypeName = "state-manager";

    /// <summary>
    /// Starts the shard region on a node with the hosting role (its namespaces run here and move to
    /// another node when it leaves or dies), or the region proxy on any other node (it only routes).
    /// Remember-entities (config/cluster.conf) brings a namespace that was running back after a
    /// rebalance or a crash, so that its lease and retry timers fire again.
    /// </summary>
    /// <returns>The region or proxy, and whether this node hosts state managers.</returns>
    public static (IActorRef Region, bool Hosts) Start(ActorSystem system, OrchestratorSettings settings, ClusterSettings cluster, TimeProvider clock)
    {
        var sharding = ClusterSharding.Get(system);
        var extractor = new NamespaceMessageExtractor(cluster.NumberOfShards);
        var hosts = cluster.Role.Length == 0 || Akka.Cluster.Cluster.Get(system).SelfRoles.Contains(cluster.Role);
        if (!hosts)
            return (sharding.StartProxy(TypeName, cluster.Role, extractor), false);

        var shardingSettings = ClusterShardingSettings.Create(system);
        var region = sharding.Start(
            TypeName,
            ns => StateManagerGateway.Props(settings with { Namespace = ns }, clock, cluster.PassivateIdleAfter),
            shardingSettings,
            extractor,
            sharding.DefaultShardAllocationStrategy(shardingSettings),
            // On a hand-off (rebalance, this node leaving) the gateway answers what it holds and lets
            // its state manager finish its writes, then stops; the shard starts again elsewhere.
            Shutdown.Instance);
        return (region, true);
    }
}
