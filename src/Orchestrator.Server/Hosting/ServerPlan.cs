using Akka.Configuration;
using Orchestrator.Actors;
using Orchestrator.Actors.Client;
using Orchestrator.Actors.Configuration;

namespace Orchestrator.Server.Hosting;

/// <summary>
/// Everything <c>serve</c> checks before it starts anything: the configuration loaded (hocon.conf,
/// config/cluster.conf with --cluster, the --config overlay), the node's settings, the HTTP
/// settings, the seeds and roles. Every refusal is an exception whose message names the value.
/// </summary>
public sealed record ServerPlan(
    ServeOptions Options,
    Config Config,
    OrchestratorSettings Settings,
    HttpSettings Http,
    bool Clustered,
    IReadOnlyList<string> SeedAddresses,
    IReadOnlyList<string>? Roles,
    string Storage,
    string SystemName,
    RemoteTls? Tls = null)
{
    /// <summary>Loads and checks what <paramref name="options"/> ask for.</summary>
    /// <exception cref="ConfigurationException">A setting is invalid.</exception>
    /// <exception cref="ArgumentException">A command-line value is invalid.</exception>
    /// <exception cref="InvalidOperationException">A data file cannot be used.</exception>
    public static ServerPlan From(ServeOptions options, IReadOnlyDictionary<string, string?>? environment = null)
    {
        if (options.Port is < 0 or > 65535)
            throw new ArgumentException($"invalid --port '{options.Port}': expected 0 to 65535");
        if (options.HttpPort is < 0 or > 65535)
            throw new ArgumentException($"invalid --http-port '{options.HttpPort}': expected 0 to 65535");
        var seeds = options.Seeds ?? [];
        var roles = options.Roles ?? [];
        foreach (var seed in seeds) OrchestratorClient.ParseServer(seed.Trim());
        if (!options.Cluster && (seeds.Count > 0 || roles.Count > 0))
            throw new ArgumentException($"{(seeds.Count > 0 ? "--seed" : "--role")} needs --cluster");
        foreach (var role in roles)
        {
            if (string.IsNullOrWhiteSpace(role) || role.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')))
                throw new ArgumentException($"invalid --role '{role}': expected a role name such as state-manager or agent");
        }

        var overlays = new List<string>();
        if (options.Cluster) overlays.Add(OrchestratorConfig.Shipped("cluster.conf"));
        overlays.AddRange((options.ConfigFiles ?? []).Select(Path.GetFullPath));
        var config = OrchestratorConfig.Load(overlays, OrchestratorConfig.DataDirectoryOverride(options.DataDirectory));
        if (options.Cluster && OrchestratorConfig.UsesLocalJournal(config))
            throw new ConfigurationException("--cluster needs a journal every node shares, and this one is local to the node " +
                                             $"({config.GetString("akka.persistence.journal.plugin", "")}): add --config config/postgres.conf");
        var http = HttpSettings.FromConfig(config, options.HttpHost, options.HttpPort, environment);
        if (http.RefusalToListen() is { } refusal) throw new ConfigurationException(refusal);
        var tls = RemoteTlsFiles.FromConfig(config)?.Load();
        var remoteHost = options.Host ?? config.GetString("akka.remote.dot-netty.tcp.hostname", "");
        if (tls is null && !HttpSettings.IsLoopbackHost(remoteHost))
            throw new ConfigurationException($"remoting would listen on '{remoteHost}' (--host or akka.remote.dot-netty.tcp.hostname), beyond loopback, without TLS: " +
                                             $"set {RemoteTlsFiles.Section}.certificate (config/tls.conf), or listen on 127.0.0.1");
        var seedAddresses = seeds.Select(seed => SeedAddress(seed, tls is not null)).ToList();
        var settings = OrchestratorNode.Prepare(config, OrchestratorClient.DefaultSystemName);
        return new ServerPlan(options, config, settings, http, OrchestratorNode.IsClustered(config), seedAddresses,
            roles.Count > 0 ? roles.Select(r => r.Trim()).ToList() : null, OrchestratorConfig.DescribeJournal(config),
            OrchestratorClient.DefaultSystemName, tls);
    }

    // Members with TLS on address each other as akka.ssl.tcp://.
    private static string SeedAddress(string seed, bool tls)
    {
        var (host, port) = OrchestratorClient.ParseServer(seed.Trim());
        return $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://{OrchestratorClient.DefaultSystemName}@{host}:{port}";
    }
}
