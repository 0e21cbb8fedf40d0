using Akka.Configuration;

namespace Orchestrator.Actors.Cluster;

/// <summary>The <c>orchestrator.cluster</c> section (config/cluster.conf), read and checked once.</summary>
/// <param name="NumberOfShards">Shards the namespaces are hashed into; fixed for the life of the journal.</param>
/// <param name="PassivateIdleAfter">A namespace with no request for this long, and nothing timed (no claim, no retry waiting), stops until its next request; null: never.</param>
/// <param name="Role">The role of the nodes that host state managers (<c>akka.cluster.sharding.role</c>); empty: every node.</param>
public sealed record ClusterSettings(int NumberOfShards, TimeSpan? PassivateIdleAfter, string Role)
{
    /// <summary>Reads the settings; a bad value is an error that names its key.</summary>
    /// <exception cref="ConfigurationException">A value is missing or out of range.</exception>
    public static ClusterSettings FromConfig(Config config)
    {
        const string shardsKey = "orchestrator.cluster.number-of-shards";
        const string idleKey = "orchestrator.cluster.passivate-idle-after";
        var shards = config.GetInt(shardsKey, 0);
        if (shards is < 1 or > 100_000)
            throw new ConfigurationException($"{shardsKey} = '{config.GetString(shardsKey, "")}' is out of range: expected 1 to 100000");

        TimeSpan? idle = null;
        var idleText = config.GetString(idleKey, "off");
        if (!string.Equals(idleText, "off", StringComparison.OrdinalIgnoreCase))
        {
            TimeSpan value;
            try
            {
                value = config.GetTimeSpan(idleKey, allowInfinite: false);
            }
            catch (Exception ex)
            {
                throw new ConfigurationException($"{idleKey} = '{idleText}' is not a duration (such as 5m) or off: {ex.Message}", ex);
            }
            if (value < TimeSpan.FromSeconds(1))
                throw new ConfigurationException($"{idleKey} = '{idleText}' is below 1s (use off to keep namespaces running)");
            idle = value;
        }
        return new ClusterSettings(shards, idle, config.GetString("akka.cluster.sharding.role", ""));
    }
}
