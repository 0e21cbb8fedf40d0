using Orchestrator.Actors.Protocol.Replies;

namespace Orchestrator.Actors.Protocol.Cluster;

/// <summary>
/// Asks any node's <c>/user/state-manager</c> for the whole orchestrator: its members, where each
/// shard of namespaces runs, and each running namespace's figures. Replies <see cref="ClusterStatus"/>.
/// On a single node (no cluster) the node is the one member and there are no shards.
/// </summary>
public sealed record GetClusterStatus : IOrchestratorMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetClusterStatus Instance = new();
}

/// <summary>The orchestrator as the node that was asked sees it.</summary>
/// <param name="Clustered">True when the nodes form an Akka.Cluster.</param>
/// <param name="Self">The address of the node that answered.</param>
/// <param name="Members">The cluster's members (the node itself when not clustered), by address.</param>
/// <param name="Shards">Where each shard runs and the namespaces running in it, by shard id.</param>
/// <param name="Namespaces">Each running namespace's figures, by namespace.</param>
/// <param name="Unanswered">Nodes or namespaces that did not answer in time (the view is partial when not empty).</param>
public sealed record ClusterStatus(
    bool Clustered,
    string Self,
    IReadOnlyList<ClusterMember> Members,
    IReadOnlyList<ShardPlacement> Shards,
    IReadOnlyList<StatsReport> Namespaces,
    IReadOnlyList<string> Unanswered) : IOrchestratorReply;

/// <summary>One cluster member.</summary>
/// <param name="Address">Its address (akka.tcp://orchestrator@HOST:PORT).</param>
/// <param name="Status">Joining, Up, Leaving, Exiting, Down, Removed (Akka's member status).</param>
/// <param name="Roles">Its roles; <c>state-manager</c> marks the nodes that host namespaces.</param>
/// <param name="Reachable">False while the failure detector cannot reach it.</param>
/// <param name="Leader">True for the cluster's current leader.</param>
public sealed record ClusterMember(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, bool Leader);

/// <summary>A shard of namespaces and the node running it.</summary>
/// <param name="ShardId">The shard (a namespace's shard is a stable hash of its name).</param>
/// <param name="Node">The node running it.</param>
/// <param name="Namespaces">The namespaces running in it.</param>
public sealed record ShardPlacement(string ShardId, string Node, IReadOnlyList<string> Namespaces);

/// <summary>Between nodes: asks a node's router for the shards its region runs. Replies <see cref="LocalShards"/>.</summary>
public sealed record GetLocalShards : IOrchestratorMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetLocalShards Instance = new();
}

/// <summary>The shards one node runs (none when it hosts no state managers).</summary>
public sealed record LocalShards(string Node, IReadOnlyList<ShardPlacement> Shards) : IOrchestratorReply;
