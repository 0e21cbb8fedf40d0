using Akka.Cluster.Sharding;
using Orchestrator.Actors.Protocol;

namespace Orchestrator.Actors.Cluster;

/// <summary>
/// Cluster Sharding's view of a request: the entity is the request's namespace, the shard a stable
/// hash (MurmurHash) of it modulo the number of shards. A message without a valid namespace has no
/// entity, so sharding drops it (the router refuses those before they get here).
/// </summary>
public sealed class NamespaceMessageExtractor(int numberOfShards) : HashCodeMessageExtractor(numberOfShards)
{
    /// <inheritdoc />
    public override string EntityId(object message) => message switch
    {
        INamespaced request when Namespaces.Check(request.Namespace) is null => request.Namespace,
        _ => null!,
    };
}
