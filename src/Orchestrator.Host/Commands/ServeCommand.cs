using System.CommandLine;
using Akka.Configuration;
using Orchestrator.Actors;
using Orchestrator.Actors.Configuration;

namespace Orchestrator.Host.Commands;

/// <summary><c>orchestrator serve</c>: runs the orchestrator node until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var configOption = new Option<FileInfo?>("--config") { Description = "A HOCON overlay over hocon.conf (see config/)." };
        var dataDirOption = new Option<DirectoryInfo?>("--data-dir") { Description = "Where the SQLite database lives (default ./data)." };
        var hostOption = new Option<string?>("--host") { Description = "The interface to listen on (default 127.0.0.1, from hocon.conf)." };
        var portOption = new Option<int?>("--port") { Description = "The TCP port to listen on (default 4053, from hocon.conf; 0 for any free port)." };
        var publicHostOption = new Option<string?>("--public-hostname") { Description = "The host name other machines use to reach this node." };
        var clusterOption = new Option<bool>("--cluster") { Description = "Join an Akka.Cluster (config/cluster.conf under --config); needs a shared journal such as config/postgres.conf." };
        var seedOption = new Option<string[]>("--seed")
        {
            Description = "A seed node's HOST:PORT (repeat for several; the first node lists itself first). With --cluster.",
            AllowMultipleArgumentsPerToken = false,
        };
        var roleOption = new Option<string[]>("--role")
        {
            Description = "This member's roles, replacing config/cluster.conf's (state-manager hosts namespaces; any other, such as agent, only routes). With --cluster.",
        };

        var serve = new Command("serve", "Run the orchestrator until Ctrl+C or SIGTERM.")
        {
            configOption, dataDirOption, hostOption, portOption, publicHostOption, clusterOption, seedOption, roleOption,
        };
        serve.SetAction(async (parse, cancellation) =>
        {
            OrchestratorNode node;
            string storage;
            try
            {
                var lines = new List<string>();
                if (parse.GetValue(dataDirOption) is { } dataDir)
                    lines.Add($"orchestrator.data-dir = {OrchestratorConfig.Quote(dataDir.FullName)}");
                if (parse.GetValue(hostOption) is { } host)
                    lines.Add($"akka.remote.dot-netty.tcp.hostname = {OrchestratorConfig.Quote(host)}");
                if (parse.GetValue(portOption) is { } port)
                {
                    if (port is < 0 or > 65535)
                    {
                        Console.Error.WriteLine($"orchestrator: invalid --port '{port}': expected 0 to 65535");
                        return 2;
                    }
                    lines.Add($"akka.remote.dot-netty.tcp.port = {port}");
                }
                if (parse.GetValue(publicHostOption) is { } publicHost)
                    lines.Add($"akka.remote.dot-netty.tcp.public-hostname = {OrchestratorConfig.Quote(publicHost)}");
                var cluster = parse.GetValue(clusterOption);
                var seeds = parse.GetValue(seedOption) ?? [];
                var roles = parse.GetValue(roleOption) ?? [];
                if (!cluster && (seeds.Length > 0 || roles.Length > 0))
                {
                    Console.Error.WriteLine($"orchestrator: {(seeds.Length > 0 ? "--seed" : "--role")} needs --cluster");
                    return 2;
                }
                if (seeds.Length > 0)
                    lines.Add($"akka.cluster.seed-nodes = [{string.Join(", ", seeds.Select(SeedAddress))}]");
                if (roles.Length > 0)
                    lines.Add($"akka.cluster.roles = [{string.Join(", ", roles.Select(Role))}]");
                var overrides = lines.Count > 0 ? ConfigurationFactory.ParseString(string.Join("\n", lines)) : null;
                var overlays = new List<string>();
                if (cluster) overlays.Add(OrchestratorConfig.Shipped("cluster.conf"));
                if (parse.GetValue(configOption) is { } overlay) overlays.Add(overlay.FullName);
                var config = OrchestratorConfig.Load(overlays, overrides);
                if (cluster && OrchestratorConfig.UsesLocalJournal(config))
                {
                    Console.Error.WriteLine("orchestrator: --cluster needs a journal every node shares, and this one is local to the node " +
                                            $"({config.GetString("akka.persistence.journal.plugin", "")}): add --config config/postgres.conf");
                    return 2;
                }
                node = OrchestratorNode.Start(config);
                storage = OrchestratorConfig.DescribeJournal(config);
            }
            catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException or ArgumentException)
            {
                Console.Error.WriteLine($"orchestrator: {ex.Message}");
                return 2;
            }
            catch (Exception ex) when (ex is Akka.Remote.RemoteTransportException || ex.InnerException is Akka.Remote.RemoteTransportException)
            {
                // Typically the port is taken by another process.
                var cause = ex.InnerException?.InnerException ?? ex.InnerException ?? ex;
                Console.Error.WriteLine($"orchestrator: cannot listen: {cause.Message.ReplaceLineEndings(" ")}");
                return 1;
            }

            if (node.Cluster is null)
                Console.WriteLine($"orchestrator: listening at {node.Address}; state manager at {node.StateManagerAddress}; data in {storage}");
            else
            {
                Console.WriteLine($"orchestrator: cluster member at {node.Address}; state manager at {node.StateManagerAddress}; data in {storage}; " +
                                  (node.HostsStateManagers ? "hosts namespaces" : "routes only (no state-manager role)"));
                var member = Akka.Cluster.Cluster.Get(node.System);
                // The cluster's state is not yet updated when this runs, so it names the node only.
                member.RegisterOnMemberUp(() => Console.WriteLine($"orchestrator: member up in the cluster as {node.Address}"));
                member.RegisterOnMemberRemoved(() => Console.WriteLine("orchestrator: removed from the cluster; stopping"));
            }
            Console.WriteLine("orchestrator: press Ctrl+C to stop");
            try
            {
                await Task.WhenAny(Task.Delay(Timeout.Infinite, cancellation), node.System.WhenTerminated);
            }
            finally
            {
                Console.WriteLine("orchestrator: stopping after the writes in flight");
                await node.StopAsync();
                Console.WriteLine("orchestrator: stopped");
            }
            return 0;
        });
        return serve;
    }

    private static string SeedAddress(string seed)
    {
        var (host, port) = Orchestrator.Actors.Client.OrchestratorClient.ParseServer(seed.Trim());
        return OrchestratorConfig.Quote($"akka.tcp://{OrchestratorNode.DefaultSystemName}@{host}:{port}");
    }

    private static string Role(string role) =>
        string.IsNullOrWhiteSpace(role)
            ? throw new ArgumentException("invalid --role '': expected a role name such as state-manager or agent")
            : OrchestratorConfig.Quote(role.Trim());
}
